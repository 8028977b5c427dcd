// Envelopes sealed ahead of the payload stream, against a messenger whose
// synced writes the test holds (a slow disk): refills overlap instead of
// waiting for each other, never ask for more than PREPARED_AHEAD in all, keep
// the queue's order, and stop() waits for those under way.

import assert from 'node:assert/strict';
import { MAX_SEALED_AHEAD, PREPARED_AHEAD, PreparedEnvelopes } from '../../../client/daemon/prepared-envelopes.js';
import { EpochLog } from '../../../client/daemon/epoch-log.js';
import { GatewayWaitingRoom } from '../../../client/daemon/waiting-room.js';
import type { PreparedEnvelope } from '../../../client/messenger.js';
import { silentLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const flush = () => new Promise((r) => setImmediate(r));

/** A messenger with `queued` fragments k0, k1, …: prepareUpTo seals at once and resolves when the test releases its write. */
function slowDiskMessenger(queued: number, clock: ManualClock) {
  let next = 0;
  const writes: Array<{ keys: string[]; atMs: number; release: () => void }> = [];
  return {
    writes,
    prepareUpTo(max: number): Promise<PreparedEnvelope[]> {
      const envelopes: PreparedEnvelope[] = [];
      while (envelopes.length < max && next < queued) envelopes.push({ key: `k${next++}`, envelope: new Uint8Array(1), gateway: new Uint8Array(32), mailbox: new Uint8Array(32) });
      if (envelopes.length === 0) return Promise.resolve([]);
      return new Promise((resolve) => writes.push({ keys: envelopes.map((e) => e.key), atMs: clock.now(), release: () => resolve(envelopes) }));
    },
  };
}

describe('client/daemon/prepared-envelopes', () => {
  function setup(queued: number) {
    const clock = new ManualClock(0);
    const messenger = slowDiskMessenger(queued, clock);
    const prepared = new PreparedEnvelopes({
      clock,
      messenger,
      arq: { has: () => true, unsent: () => undefined },
      view: { current: () => null },
      waiting: new GatewayWaitingRoom({ epochLog: new EpochLog({ logger: silentLogger, epochNow: () => 0 }) }),
      logger: silentLogger,
    });
    return { messenger, prepared, clock };
  }

  it('refills while a refill is still being written, up to PREPARED_AHEAD in all, in the queue’s order', async () => {
    const { messenger, prepared } = setup(20);
    await prepared.start();
    assert.deepEqual(
      messenger.writes.map((w) => w.keys.length),
      [PREPARED_AHEAD],
    );
    assert.equal(prepared.take(), undefined, 'nothing written yet: the slot sends a decoy');
    assert.equal(messenger.writes.length, 1, 'the four asked for count: no second refill');
    messenger.writes[0].release();
    await flush();
    const taken: string[] = [];
    taken.push(prepared.take()!.key);
    taken.push(prepared.take()!.key);
    // Two taken: two more asked for at once, each without waiting for the other's write.
    assert.deepEqual(
      messenger.writes.slice(1).map((w) => w.keys),
      [['k4'], ['k5']],
    );
    messenger.writes[1].release();
    messenger.writes[2].release();
    await flush();
    for (let i = 0; i < 4; i++) taken.push(prepared.take()!.key);
    assert.deepEqual(taken, ['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
    const stopped = prepared.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await flush();
    assert.equal(done, false, 'stop waits for the refills under way');
    for (const w of messenger.writes.slice(3)) w.release();
    await stopped;
  });

  it('keeps more in flight when refills take longer than the time between takes (Little’s law), up to a bound', async () => {
    const { messenger, prepared, clock } = setup(1000);
    await prepared.start();
    /** Releases the writes issued at least `ms` ago. */
    const written = async (ms: number) => {
      for (const w of messenger.writes.filter((x) => x.atMs <= clock.now() - ms)) {
        messenger.writes.splice(messenger.writes.indexOf(w), 1);
        w.release();
      }
      await flush();
    };
    // Takes every 50 ms (λP = 20/s), each refill written 200 ms after it was asked for.
    for (let t = 0; t < 3000; t += 50) {
      clock.advanceTo(t);
      await written(200);
      prepared.take();
    }
    assert.equal(prepared.target(), PREPARED_AHEAD + 4, 'four in flight: 200 ms / 50 ms');
    // A disk that stalls for 3 s: bounded.
    for (let t = 3000; t < 6000; t += 50) {
      clock.advanceTo(t);
      if (t === 5950) await written(0);
      prepared.take();
    }
    assert.equal(prepared.target(), MAX_SEALED_AHEAD);
    await written(0);
    const stopped = prepared.stop();
    await written(0);
    await stopped;
  });

  it('stops asking once the queue is empty', async () => {
    const { messenger, prepared } = setup(2);
    await prepared.start();
    messenger.writes[0].release();
    await flush();
    assert.equal(prepared.take()!.key, 'k0');
    assert.equal(prepared.take()!.key, 'k1');
    assert.equal(prepared.take(), undefined);
    assert.equal(messenger.writes.length, 1);
    await prepared.stop();
  });
});

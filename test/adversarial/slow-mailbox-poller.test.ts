// Attack: make the victim's mailbox slow to process (many entries, large
// reassemblies, a slow disk) so that its fetches stop coming at their
// constant rate. A fetch skipped while the previous one was still being
// processed, or a burst afterwards, shows an observer of the client's link
// when mail arrived, which is what the constant-rate pull hides (Loopix §4.3).
// client/receiver/mailbox-poller.ts fetches on every tick and processes in a
// bounded backlog of its own; nothing is lost or handled twice.

import assert from 'node:assert/strict';
import { MailboxPoller } from '../../client/receiver/mailbox-poller.js';
import type { FetchEntry } from '../../protocol/wire/fetch.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { silentLogger } from '../../runtime/log/logger.js';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('a slow mailbox making the poller skip or burst its constant-rate fetches', () => {
  it('fetches on every tick while processing lags, with a bounded backlog, and handles every entry exactly once', async () => {
    const clock = new ManualClock(0);
    const interval = 1000;
    // A gateway mailbox: hands out up to 4 unacknowledged entries per fetch.
    const mailbox = new Map<bigint, FetchEntry>();
    let nextId = 1n;
    const fetchTimes: number[] = [];
    const handled: bigint[] = [];
    const poller = new MailboxPoller(
      {
        clock,
        logger: silentLogger,
        fetch: async (acks) => {
          fetchTimes.push(clock.now());
          for (const id of acks) mailbox.delete(id);
          return [...mailbox.values()].slice(0, 4);
        },
        // Each entry takes 1.5 fetch intervals to process.
        handle: (e) =>
          new Promise<void>((resolve) =>
            clock.at(clock.now() + 1.5 * interval, () => {
              handled.push(e.id!);
              resolve();
            }),
          ),
      },
      { intervalMs: interval, maxBacklog: 8 },
    );
    await poller.start();
    let maxBacklog = 0;
    const ticks = 120;
    for (let t = 1; t <= ticks; t++) {
      if (t <= 40) {
        const id = nextId++;
        mailbox.set(id, { kind: 'message', id, surbId: null, via: 'delivery', body: new Uint8Array(8) });
      }
      clock.advanceTo(t * interval);
      await flush();
      maxBacklog = Math.max(maxBacklog, poller.stats().backlog);
    }
    await poller.stop();
    assert.deepEqual(
      fetchTimes,
      Array.from({ length: ticks }, (_, i) => (i + 1) * interval),
      'one fetch on every tick: none skipped, none bunched',
    );
    const stats = poller.stats();
    assert.equal(stats.overlaps, 0);
    assert.ok(maxBacklog <= 8, `backlog ${maxBacklog} stays within its bound`);
    assert.deepEqual(
      [...handled].sort((a, b) => Number(a - b)),
      Array.from({ length: 40 }, (_, i) => BigInt(i + 1)),
      'every entry handled exactly once',
    );
    assert.equal(mailbox.size, 0, 'and every one acknowledged, so the gateway deleted it');
  });
});

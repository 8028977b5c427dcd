import assert from 'node:assert/strict';
import { MailboxPoller } from '../../../client/receiver/mailbox-poller.js';
import type { FetchEntry } from '../../../protocol/wire/fetch.js';
import { memoryLogger, silentLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const entry = (id: number): FetchEntry => ({ kind: 'message', id: BigInt(id), surbId: null, via: 'delivery', body: new Uint8Array([id]) });
const flush = () => new Promise((r) => setImmediate(r));

describe('client/receiver/mailbox-poller', () => {
  it('fetches at a constant rate and acknowledges an entry only after it was handled', async () => {
    const clock = new ManualClock(0);
    const requests: bigint[][] = [];
    const replies: FetchEntry[][] = [[entry(1), entry(2), entry(3)], [], []];
    const logger = memoryLogger();
    const poller = new MailboxPoller(
      {
        clock,
        logger,
        fetch: async (acks) => {
          requests.push([...acks]);
          return replies.shift() ?? [];
        },
        handle: async (e) => {
          if (e.id === 2n) throw new Error('store failed');
        },
      },
      { intervalMs: 1000 },
    );
    await poller.start();
    for (let t = 1000; t <= 3000; t += 1000) {
      clock.advanceTo(t);
      await flush();
      await flush();
    }
    await poller.stop();
    assert.deepEqual(requests, [[], [1n, 3n], []], 'entry 2 failed: not acknowledged, so the gateway keeps it');
    assert.equal(poller.stats().fetches, 3);
    assert.ok(
      logger.records.some((r) => r.msg.includes('not processed')),
      'the failed entry is logged',
    );
  });

  it('hands on every fetched entry in order without waiting for the one before to be stored; acknowledges each once its own is', async () => {
    const clock = new ManualClock(0);
    const requests: bigint[][] = [];
    const replies: FetchEntry[][] = [[entry(1), entry(2), entry(3)], [], []];
    const started: bigint[] = [];
    const stored = new Map<bigint, () => void>();
    const poller = new MailboxPoller(
      {
        clock,
        logger: silentLogger,
        fetch: async (acks) => {
          requests.push([...acks]);
          return replies.shift() ?? [];
        },
        handle: (e) => {
          started.push(e.id!);
          return new Promise<void>((resolve) => stored.set(e.id!, resolve));
        },
      },
      { intervalMs: 1000 },
    );
    await poller.start();
    clock.advanceTo(1000);
    await flush();
    assert.deepEqual(started, [1n, 2n, 3n], 'all three handed on while none is stored (a slow disk)');
    stored.get(3n)!();
    await flush();
    clock.advanceTo(2000);
    await flush();
    assert.deepEqual(requests[1], [3n], 'entry 3 is stored: acknowledged; 1 and 2 not yet');
    stored.get(1n)!();
    stored.get(2n)!();
    await flush();
    clock.advanceTo(3000);
    await flush();
    await poller.stop();
    assert.deepEqual(requests[2], [1n, 2n]);
  });

  it('a failed fetch keeps its acknowledgements for the next one', async () => {
    const clock = new ManualClock(0);
    const requests: bigint[][] = [];
    let calls = 0;
    const poller = new MailboxPoller(
      {
        clock,
        logger: silentLogger,
        fetch: async (acks) => {
          requests.push([...acks]);
          calls++;
          if (calls === 1) return [entry(7)];
          if (calls === 2) throw new Error('gateway down');
          return [];
        },
        handle: async () => undefined,
      },
      { intervalMs: 500 },
    );
    for (let i = 0; i < 3; i++) await poller.pollOnce();
    assert.deepEqual(requests, [[], [7n], [7n]]);
    assert.equal(poller.stats().failures, 1);
  });

  it('after stop, hands the gateway the acknowledgements it owes in one fetch, and queues nothing from it', async () => {
    const clock = new ManualClock(0);
    const requests: bigint[][] = [];
    const handled: bigint[] = [];
    const poller = new MailboxPoller(
      {
        clock,
        logger: silentLogger,
        fetch: async (acks) => {
          requests.push([...acks]);
          return requests.length === 1 ? [entry(1), entry(2)] : [entry(3)];
        },
        handle: async (e) => void handled.push(e.id!),
      },
      { intervalMs: 1000 },
    );
    await poller.start();
    clock.advanceTo(1000);
    await flush();
    await flush();
    await poller.stop();
    await poller.handOverAcks();
    assert.deepEqual(requests, [[], [1n, 2n]]);
    assert.deepEqual(handled, [1n, 2n], 'entry 3 (from the last fetch) stays at the gateway');
    await poller.handOverAcks();
    assert.equal(requests.length, 2, 'nothing owed: no fetch');
    await poller.stop();
  });

  it('start and stop are idempotent; a stopped poller sends nothing', async () => {
    const clock = new ManualClock(0);
    let fetches = 0;
    const poller = new MailboxPoller(
      {
        clock,
        logger: silentLogger,
        fetch: async () => {
          fetches++;
          return [];
        },
        handle: async () => undefined,
      },
      { intervalMs: 100 },
    );
    await poller.start();
    await poller.start();
    clock.advanceTo(100);
    await flush();
    assert.equal(fetches, 1, 'one schedule, not two');
    await poller.stop();
    await poller.stop();
    clock.advanceTo(1000);
    await flush();
    assert.equal(fetches, 1);
    assert.throws(() => new MailboxPoller({ clock, logger: silentLogger, fetch: async () => [], handle: async () => undefined }, { intervalMs: 0 }), RangeError);
  });
});

import assert from 'node:assert/strict';
import { MailboxPoller } from '../../../client/receiver/mailbox-poller.js';
import type { FetchEntry } from '../../../protocol/wire/fetch.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const entry = (id: number): FetchEntry => ({ kind: 'message', id: BigInt(id), surbId: null, via: 'delivery', body: new Uint8Array([id]) });
const flush = () => new Promise((r) => setImmediate(r));

describe('client/receiver/mailbox-poller', () => {
  it('fetches at a constant rate and acknowledges an entry only after it was handled', async () => {
    const clock = new ManualClock(0);
    const requests: bigint[][] = [];
    const replies: FetchEntry[][] = [[entry(1), entry(2), entry(3)], [], []];
    const poller = new MailboxPoller({
      clock,
      intervalMs: 1000,
      fetch: async (acks) => {
        requests.push([...acks]);
        return replies.shift() ?? [];
      },
      handle: async (e) => {
        if (e.id === 2n) throw new Error('store failed');
      },
    });
    poller.start();
    for (let t = 1000; t <= 3000; t += 1000) {
      clock.advanceTo(t);
      await flush();
      await flush();
    }
    await poller.stop();
    assert.deepEqual(requests, [[], [1n, 3n], []], 'entry 2 failed: not acknowledged, so the gateway keeps it');
    assert.equal(poller.stats().fetches, 3);
  });

  it('a failed fetch keeps its acknowledgements for the next one', async () => {
    const clock = new ManualClock(0);
    const requests: bigint[][] = [];
    let calls = 0;
    const poller = new MailboxPoller({
      clock,
      intervalMs: 500,
      fetch: async (acks) => {
        requests.push([...acks]);
        calls++;
        if (calls === 1) return [entry(7)];
        if (calls === 2) throw new Error('gateway down');
        return [];
      },
      handle: async () => undefined,
    });
    for (let i = 0; i < 3; i++) await poller.pollOnce();
    assert.deepEqual(requests, [[], [7n], [7n]]);
    assert.equal(poller.stats().failures, 1);
  });
});

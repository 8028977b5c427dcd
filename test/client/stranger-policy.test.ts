import assert from 'node:assert/strict';
import type { RequestRecord } from '../../client/state.js';
import { StrangerPolicy } from '../../client/stranger-policy.js';

const req = (identity: string, firstMs: number, messages = 0, bytes = 0): RequestRecord => ({ address: 'chaff1…', identity, firstMs, messages, bytes });

describe('client/stranger-policy', () => {
  it('admits new requests at the configured rate, with a burst, and refuses the rest', () => {
    const p = new StrangerPolicy({ requestsPerHour: 2, requestBurst: 3 }, 0);
    const none = new Map<string, RequestRecord>();
    const verdicts = Array.from({ length: 5 }, () => p.admitNew(none, 0).admit);
    assert.deepEqual(verdicts, [true, true, true, false, false]);
    assert.equal(p.admitNew(none, 1_800_000).admit, true, 'one token back after half an hour at 2 per hour');
    assert.equal(p.admitNew(none, 1_800_000).admit, false);
  });

  it('drops the oldest requests beyond the count, and those past their age', () => {
    const p = new StrangerPolicy({ maxRequests: 3, maxRequestAgeMs: 1000, requestBurst: 100 }, 0);
    const held = new Map([req('a', 500), req('b', 100), req('c', 300)].map((r) => [r.identity, r]));
    const v = p.admitNew(held, 1000);
    assert.deepEqual(v.admit && v.evict, ['b'], 'full: the oldest goes');
    assert.deepEqual(p.expired(held, 1_400), ['b', 'c']);
    const w = p.admitNew(held, 1_400);
    assert.deepEqual(w.admit && w.evict.sort(), ['b', 'c'], 'expired ones go first, then none more is needed');
  });

  it('bounds what one request holds', () => {
    const p = new StrangerPolicy({ maxMessagesPerRequest: 2, maxBytesPerRequest: 100 });
    assert.equal(p.fits(req('a', 0, 1, 50), 50), true);
    assert.equal(p.fits(req('a', 0, 1, 50), 51), false);
    assert.equal(p.fits(req('a', 0, 2, 0), 1), false);
  });
});

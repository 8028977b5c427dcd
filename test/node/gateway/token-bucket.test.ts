import assert from 'node:assert/strict';
import { clientBucket, TokenBucket } from '../../../node/gateway/token-bucket.js';
import { PoissonSchedule } from '../../../protocol/traffic/index.js';

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('gateway token bucket', function () {
  it('allows the burst at once, then the rate', function () {
    const b = new TokenBucket(10, 3, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(99), false);
    assert.equal(b.take(100), true);
    assert.equal(b.take(100), false);
    assert.equal(b.take(10_000), true, 'refills');
    assert.deepEqual([b.take(10_000), b.take(10_000), b.take(10_000)], [true, true, false], 'but never above the burst');
  });

  it('never refuses an honest Poisson client over an hour, and stops a flood', function () {
    const lambda = 3.5; // λP + λL + λD
    const bucket = clientBucket(lambda, 3, 0);
    const schedule = new PoissonSchedule(lambda, seeded(42));
    let refused = 0;
    for (let t = schedule.next(0); t < 3_600_000; t = schedule.next(t)) if (!bucket.take(t)) refused++;
    assert.equal(refused, 0);

    const flooded = clientBucket(lambda, 3, 0);
    let accepted = 0;
    for (let t = 0; t < 10_000; t += 1) if (flooded.take(t)) accepted++; // 1,000 packets/s for 10 s
    assert.ok(accepted < lambda * 3 * 10 + flooded.burst + 1, `accepted ${accepted}`);
  });

  it('rejects nonsense parameters', function () {
    assert.throws(() => new TokenBucket(0, 1, 0), RangeError);
    assert.throws(() => new TokenBucket(1, 0.5, 0), RangeError);
  });
});

import assert from 'node:assert/strict';
import { selects, timeRelative } from '../../bench/harness.js';

describe('bench harness', function () {
  it('selects by exact name or group prefix', function () {
    assert.ok(selects([], 'sphinx.unwrap'));
    assert.ok(selects(['sphinx'], 'sphinx.unwrap'));
    assert.ok(selects(['sphinx.unwrap'], 'sphinx.unwrap'));
    assert.ok(selects(['aez', 'sphinx.create'], 'sphinx.create'));
    assert.ok(!selects(['sphinx.unwrap'], 'sphinx.unwrap-parts'));
    assert.ok(!selects(['sph'], 'sphinx.unwrap'));
    assert.ok(!selects(['aez'], 'sphinx.unwrap'));
  });

  it('reports a ratio against the baseline measured alongside', function () {
    let sink = 0;
    const work = (n: number) => () => {
      for (let i = 0; i < n; i++) sink += Math.sqrt(i);
    };
    // Large enough that the loop, not the call, dominates: with 4000 and 1000 iterations Node 24 measured 1.98×.
    // 16× the work, and a band of 4× either way: a JIT tier-up inside one side's batches (Node 24 measured 1.95×
    // for 4× the work in a CI run) moves the ratio by less than that, a harness that swapped or dropped a side by more.
    const t = timeRelative(work(160_000), work(10_000), { batches: 5, batchMs: 10, warmupMs: 20 });
    assert.ok(t.ratio > 4 && t.ratio < 64, `16× the work should take 4–64× as long, got ${t.ratio}`);
    assert.ok(sink > 0);
  });
});

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
    const t = timeRelative(work(4000), work(1000), { batches: 5, batchMs: 10, warmupMs: 20 });
    assert.ok(t.ratio > 2 && t.ratio < 8, `4× the work should take 2–8× as long, got ${t.ratio}`);
    assert.ok(sink > 0);
  });
});

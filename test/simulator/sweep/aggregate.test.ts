import assert from 'node:assert/strict';
import { aggregate, flattenNumbers, metricStats } from '../../../simulator/sweep/aggregate.js';
import type { SweepJob } from '../../../simulator/sweep/jobs.js';
import type { JobOutcome } from '../../../simulator/sweep/pool.js';

function job(index: number, combination: number, batch: number): SweepJob {
  return { index, combination, params: { batch }, repeat: index % 2, seed: index, config: {} };
}

describe('simulator/sweep: aggregation', function () {
  it('flattens nested results to dotted keys, numbers only', function () {
    const flat = flattenNumbers({ a: 1, b: { c: 2, d: 'x', e: true, f: null, g: Number.NaN, h: Infinity }, list: [3, { z: 4 }] });
    assert.deepEqual(
      [...flat],
      [
        ['a', 1],
        ['b.c', 2],
        ['list[0]', 3],
        ['list[1].z', 4],
      ],
    );
    assert.equal(flattenNumbers(5).size, 0);
  });

  it('computes mean, sample stddev, median and type-7 quantiles', function () {
    const s = metricStats([9, 2, 4, 4, 5, 4, 5, 7]);
    assert.deepEqual({ ...s, p10: 0, p90: 0 }, { n: 8, mean: 5, stddev: Math.sqrt(32 / 7), median: 4.5, p10: 0, p90: 0, min: 2, max: 9 });
    // h = 7·0.1 = 0.7 → 2 + 0.7·(4 − 2); h = 7·0.9 = 6.3 → 7 + 0.3·(9 − 7)
    assert.ok(Math.abs(s.p10 - 3.4) < 1e-12 && Math.abs(s.p90 - 7.6) < 1e-12, `${s.p10} ${s.p90}`);
    assert.deepEqual(metricStats([3]), { n: 1, mean: 3, stddev: null, median: 3, p10: 3, p90: 3, min: 3, max: 3 });
    assert.throws(() => metricStats([]), RangeError);
  });

  it('groups by combination, skips failed jobs, and keeps metric keys in order of first appearance', function () {
    const jobs = [job(0, 0, 10), job(1, 0, 10), job(2, 1, 20), job(3, 1, 20)];
    const outcomes: Array<JobOutcome<unknown>> = [
      { index: 0, ok: true, result: { x: 1, y: { z: 10 } }, threadId: 1, ms: 1 },
      { index: 1, ok: true, result: { x: 3 }, threadId: 2, ms: 1 },
      { index: 2, ok: false, error: { name: 'Error', message: 'boom' }, threadId: 1, ms: 1 },
      { index: 3, ok: true, result: { w: 7, x: 5 }, threadId: 2, ms: 1 },
    ];
    const agg = aggregate(jobs, outcomes);
    assert.deepEqual(agg.metricKeys, ['x', 'y.z', 'w']);
    assert.equal(agg.combinations.length, 2);
    const [c0, c1] = agg.combinations;
    assert.deepEqual([c0.params, c0.jobs, c0.failed], [{ batch: 10 }, 2, 0]);
    assert.deepEqual(c0.metrics.x, { n: 2, mean: 2, stddev: Math.SQRT2, median: 2, p10: 1.2, p90: 2.8, min: 1, max: 3 });
    assert.equal(c0.metrics['y.z'].n, 1);
    assert.equal(c0.metrics.w, undefined);
    assert.deepEqual([c1.jobs, c1.failed, c1.metrics.x.n, c1.metrics.x.mean, c1.metrics.w.mean], [2, 1, 1, 5, 7]);
    assert.throws(() => aggregate(jobs, outcomes.slice(1)), RangeError);
  });
});

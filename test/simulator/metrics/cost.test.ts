import assert from 'node:assert/strict';
import { latencySummary, trafficCost } from '../../../simulator/metrics/cost.js';
import { quantile } from '../../../protocol/stats/quantile.js';

describe('simulator metrics: cost', function () {
  it('latency summary: mean, p50, p99 (type-7 interpolation, as summary.ts) and max', function () {
    const s = latencySummary([400, 100, 300, 200]);
    assert.deepEqual(s, { n: 4, mean: 250, p50: 250, p99: 397, max: 400 });
    const many = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    const sorted = [...many].sort((a, b) => a - b);
    assert.equal(latencySummary(many).p99, quantile(sorted, 0.99));
    assert.equal(latencySummary(many).p99, 989.01);
    const empty = latencySummary([]);
    assert.equal(empty.n, 0);
    assert.ok(Number.isNaN(empty.mean) && Number.isNaN(empty.p50) && Number.isNaN(empty.p99));
    assert.throws(() => latencySummary([1, -1]), RangeError);
    assert.throws(() => latencySummary([Number.NaN]), RangeError);
  });

  it('traffic cost per user per second and the share of real traffic', function () {
    const c = trafficCost({ users: 10, durationMs: 60_000, packets: 1200, realPackets: 300, bytes: 1200 * 2048 });
    assert.equal(c.packetsPerUserPerSecond, 2);
    assert.equal(c.bytesPerUserPerSecond, 4096);
    assert.equal(c.realShare, 0.25);
    assert.ok(Number.isNaN(trafficCost({ users: 1, durationMs: 1, packets: 0, realPackets: 0, bytes: 0 }).realShare));
    assert.throws(() => trafficCost({ users: 0, durationMs: 1, packets: 0, realPackets: 0, bytes: 0 }), RangeError);
    assert.throws(() => trafficCost({ users: 1, durationMs: 0, packets: 0, realPackets: 0, bytes: 0 }), RangeError);
    assert.throws(() => trafficCost({ users: 1, durationMs: 1, packets: 1, realPackets: 2, bytes: 0 }), /exceeds/);
  });
});

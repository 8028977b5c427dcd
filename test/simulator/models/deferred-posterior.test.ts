import assert from 'node:assert/strict';
import { simConfigFromObject, type LoopixConfig } from '../../../simulator/config.js';
import { DeferredPosteriorTracker } from '../../../simulator/models/deferred-posterior.js';
import { runLoopix } from '../../../simulator/models/loopix.js';
import { denseDistribution, PosteriorTracker, type Posterior, type SenderPosteriors } from '../../../simulator/models/packet-posterior.js';
import { seededUniform } from '../../../simulator/random.js';

/** Relative difference, 0 for equal numbers (NaN with NaN, Infinity with Infinity). */
function relative(x: number, y: number): number {
  if (x === y || (Number.isNaN(x) && Number.isNaN(y))) return 0;
  return Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
}

/** Every number in `a` and `b` (same shape) agrees within `tolerance` (relative); returns the largest difference found. */
function assertClose(a: unknown, b: unknown, tolerance: number, path = ''): number {
  if (typeof a === 'number' && typeof b === 'number') {
    const d = relative(a, b);
    assert.ok(d <= tolerance, `${path}: ${a} against ${b}`);
    return d;
  }
  if (a === null || typeof a !== 'object') {
    assert.deepEqual(a, b, path);
    return 0;
  }
  assert.ok(b !== null && typeof b === 'object', path);
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), path);
  let worst = 0;
  for (const k of Object.keys(a)) worst = Math.max(worst, assertClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tolerance, `${path}.${k}`));
  return worst;
}

/** Sums in another order: the two trackers agree to rounding, far below any metric's noise. */
const TOLERANCE = 1e-12;

describe('simulator/models/deferred-posterior: the observer without O(users) per hop', function () {
  it('gives every packet the distribution the dense tracker gives it, across folds, holds at corrupt nodes and emptied pools', function () {
    const users = 12;
    // Nodes 0–3 honest, 4 and 5 corrupt.
    const corrupt = [0, 0, 0, 0, 1, 1];
    const trackers: SenderPosteriors[] = [new PosteriorTracker(users, corrupt), new DeferredPosteriorTracker(users, corrupt)];
    const uniform = seededUniform(7);
    const pick = (n: number): number => Math.floor(uniform() * n);
    // The same packets in both, each at a node or fresh.
    const packets: Array<{ at: number; p: [Posterior, Posterior] }> = [];
    let reads = 0;
    let skipped = 0;
    for (let step = 0; step < 6000; step++) {
      const roll = uniform();
      if (roll < 0.35 || packets.length === 0) {
        // A fresh packet from a user (or cover) enters a node.
        const sender = pick(users + 1);
        const at = pick(corrupt.length);
        const p: [Posterior, Posterior] = [
          { point: sender, dist: null },
          { point: sender, dist: null },
        ];
        trackers.forEach((t, i) => t.enter(at, p[i]));
        packets.push({ at, p });
        continue;
      }
      // A held packet leaves its node, then moves on, is read at its last hop, or simply ends.
      const k = pick(packets.length);
      const { at, p } = packets[k];
      trackers.forEach((t, i) => t.leave(at, p[i]));
      const fate = uniform();
      if (fate < 0.6) {
        const next = pick(corrupt.length);
        trackers.forEach((t, i) => t.enter(next, p[i]));
        packets[k] = { at: next, p };
      } else {
        packets.splice(k, 1);
        if (fate < 0.85) {
          const minWeight = uniform() < 0.5 ? 0.05 : 0;
          const seen: Array<Array<[number, number]>> = [[], []];
          trackers.forEach((t, i) => t.userWeights(p[i], minWeight, (u, q) => seen[i].push([u, q])));
          assert.deepEqual(
            seen[1].map(([u]) => u),
            seen[0].map(([u]) => u),
          );
          seen[0].forEach(([, q], j) => assert.ok(relative(q, seen[1][j][1]) <= TOLERANCE));
          if (seen[0].length === 0) skipped++;
          trackers.forEach((t, i) => t.settle(p[i]));
          const dense = p.map((x) => denseDistribution(x, users + 1));
          dense[0].forEach((q, id) => assert.ok(relative(q, dense[1][id]) <= TOLERANCE, `step ${step}, id ${id}: ${q} against ${dense[1][id]}`));
          reads++;
        }
      }
    }
    // The walk read many packets, and some read nothing above the threshold.
    assert.ok(reads > 500 && skipped > 0, `${reads} reads, ${skipped} with no user above the threshold`);
  });

  const BASE = { model: 'loopix', duration: 240, epoch: 60, curve_points: 2, seeds: 1, seed: 1, corrupt_gateways: 0.5, behaviour: { rate: 120 } };
  for (const [what, overrides] of [
    ['the production network (half the gateways corrupt)', {}],
    ['corrupt mixes, no decoys', { corrupt_mixes: 0.34, decoys: false }],
  ] as const) {
    it(`runs the loopix model to the dense tracker's results: ${what}`, function () {
      this.timeout(30_000);
      const config = simConfigFromObject({ ...BASE, ...overrides }) as LoopixConfig;
      const dense = runLoopix(config, 3, { posterior: 'dense' });
      const deferred = runLoopix(config, 3, { posterior: 'deferred' });
      assert.deepEqual(deferred.counts, dense.counts);
      assertClose(deferred, dense, TOLERANCE);
    });
  }
});

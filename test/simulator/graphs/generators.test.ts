import assert from 'node:assert/strict';
import { barabasiAlbert } from '../../../simulator/graphs/barabasi-albert.js';
import { erdosRenyi } from '../../../simulator/graphs/erdos-renyi.js';
import { KARATE_CLUB_FACTIONS, karateClub } from '../../../simulator/graphs/karate-club.js';
import { sampleRectanglePairs, sampleTrianglePairs } from '../../../simulator/graphs/random-pairs.js';
import { GraphError, SocialGraph } from '../../../simulator/graphs/social-graph.js';
import { blockMembership, stochasticBlockModel } from '../../../simulator/graphs/stochastic-block.js';
import { wattsStrogatz } from '../../../simulator/graphs/watts-strogatz.js';
import { seededUniform } from '../../../simulator/random.js';

const mean = (xs: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  return sum / xs.length;
};

/** Every row sorted, symmetric, no self-loops, degrees summing to 2·edges. */
function assertWellFormed(g: SocialGraph): void {
  let total = 0;
  for (let u = 0; u < g.n; u++) {
    const nb = g.neighbours(u);
    total += nb.length;
    for (let i = 0; i < nb.length; i++) {
      assert.notEqual(nb[i], u);
      if (i > 0) assert.ok(nb[i] > nb[i - 1], `row ${u} sorted`);
      assert.ok(g.hasEdge(nb[i], u), `symmetric ${u}–${nb[i]}`);
    }
  }
  assert.equal(total, 2 * g.edgeCount);
}

describe('simulator graphs: SocialGraph', function () {
  it('builds CSR adjacency with weights, degree, strength and lookups', function () {
    const g = new SocialGraph(4, [
      { source: 2, target: 0, weight: 3 },
      { source: 0, target: 1 },
      { source: 3, target: 1, weight: 0.5 },
    ]);
    assert.equal(g.edgeCount, 3);
    assert.deepEqual(g.edges, [
      { source: 0, target: 1, weight: 1 },
      { source: 0, target: 2, weight: 3 },
      { source: 1, target: 3, weight: 0.5 },
    ]);
    assert.deepEqual(Array.from(g.neighbours(0)), [1, 2]);
    assert.deepEqual(Array.from(g.neighbourWeights(0)), [1, 3]);
    assert.deepEqual(Array.from(g.neighbours(1)), [0, 3]);
    assert.deepEqual(Array.from(g.degrees()), [2, 2, 1, 1]);
    assert.equal(g.strength(0), 4);
    assert.equal(g.weight(2, 0), 3);
    assert.equal(g.weight(2, 3), 0);
    assert.equal(g.hasEdge(3, 1), true);
    assertWellFormed(g);
  });

  it('directed graphs keep out-edges only', function () {
    const g = new SocialGraph(
      3,
      [
        { source: 2, target: 0 },
        { source: 0, target: 2 },
        { source: 0, target: 1 },
      ],
      { directed: true },
    );
    assert.equal(g.edgeCount, 3);
    assert.deepEqual(Array.from(g.neighbours(0)), [1, 2]);
    assert.deepEqual(Array.from(g.neighbours(1)), []);
    assert.equal(g.hasEdge(1, 0), false);
    assert.equal(g.degree(2), 1);
  });

  it('refuses self-loops, repeats, bad ids and bad weights with GraphError', function () {
    const bad: Array<[number, Array<{ source: number; target: number; weight?: number }>]> = [
      [3, [{ source: 1, target: 1 }]],
      [
        3,
        [
          { source: 0, target: 1 },
          { source: 1, target: 0 },
        ],
      ],
      [3, [{ source: 0, target: 3 }]],
      [3, [{ source: 0.5, target: 1 }]],
      [3, [{ source: 0, target: 1, weight: 0 }]],
      [3, [{ source: 0, target: 1, weight: Number.NaN }]],
      [-1, []],
    ];
    for (const [n, edges] of bad) assert.throws(() => new SocialGraph(n, edges), GraphError, JSON.stringify(edges));
    assert.throws(() => new SocialGraph(2, []).degree(2), GraphError);
  });
});

describe('simulator graphs: generators', function () {
  it('Erdős–Rényi: mean degree ≈ p(n−1), and p = 0 / p = 1 give the empty / complete graph', function () {
    const n = 2000;
    const p = 0.005;
    const g = erdosRenyi(n, p, seededUniform(1));
    assertWellFormed(g);
    const expected = p * (n - 1);
    // Mean degree = 2E/n with E ~ Binomial(n(n−1)/2, p): sd of the mean ≈ 0.07 here.
    assert.ok(Math.abs(mean(g.degrees()) - expected) < 0.35, `mean degree ${mean(g.degrees())} vs ${expected}`);
    assert.equal(erdosRenyi(50, 0, seededUniform(1)).edgeCount, 0);
    assert.equal(erdosRenyi(50, 1, seededUniform(1)).edgeCount, (50 * 49) / 2);
    assert.throws(() => erdosRenyi(10, 1.5, seededUniform(1)), RangeError);
  });

  it('pair samplers hit each pair with probability p (counts over many draws)', function () {
    const u = seededUniform(9);
    const tri = new Float64Array(6 * 6);
    const rect = new Float64Array(3 * 4);
    for (let t = 0; t < 4000; t++) {
      sampleTrianglePairs(6, 0.3, u, (v, w) => {
        assert.ok(w < v && v < 6);
        tri[v * 6 + w]++;
      });
      sampleRectanglePairs(3, 4, 0.3, u, (r, c) => rect[r * 4 + c]++);
    }
    for (let v = 1; v < 6; v++) for (let w = 0; w < v; w++) assert.ok(Math.abs(tri[v * 6 + w] / 4000 - 0.3) < 0.04, `pair ${v},${w}`);
    for (const c of rect) assert.ok(Math.abs(c / 4000 - 0.3) < 0.04);
  });

  it('Barabási–Albert: exactly m·(n−m) edges, every newcomer has degree ≥ m, heavy-tailed degrees', function () {
    const n = 3000;
    const m = 3;
    const g = barabasiAlbert(n, m, seededUniform(2));
    assertWellFormed(g);
    assert.equal(g.edgeCount, m * (n - m));
    const d = g.degrees();
    for (let u = m; u < n; u++) assert.ok(d[u] >= m);
    const max = Math.max(...d);
    // Power law: hubs of degree ~ m·√n (≈ 160). An ER graph of the same mean degree (≈ 6) has max ≈ 16.
    assert.ok(max > 10 * mean(d), `max degree ${max}, mean ${mean(d)}`);
    const er = erdosRenyi(n, mean(d) / (n - 1), seededUniform(2));
    assert.ok(max > 4 * Math.max(...er.degrees()));
    assert.throws(() => barabasiAlbert(3, 3, seededUniform(1)), RangeError);
  });

  it('Watts–Strogatz: a k-regular ring lattice at β = 0; rewiring keeps n·k/2 edges and varies degrees', function () {
    const n = 200;
    const k = 6;
    const ring = wattsStrogatz(n, k, 0, seededUniform(3));
    assertWellFormed(ring);
    assert.equal(ring.edgeCount, (n * k) / 2);
    for (let u = 0; u < n; u++) {
      assert.equal(ring.degree(u), k);
      for (let j = 1; j <= k / 2; j++) assert.ok(ring.hasEdge(u, (u + j) % n));
    }
    const rewired = wattsStrogatz(n, k, 1, seededUniform(3));
    assertWellFormed(rewired);
    assert.equal(rewired.edgeCount, (n * k) / 2);
    assert.ok(new Set(rewired.degrees()).size > 3, 'degrees vary after rewiring');
    // At β = 0.1 about 10 % of lattice edges are gone.
    const small = wattsStrogatz(n, k, 0.1, seededUniform(3));
    const kept = ring.edges.filter((e) => small.hasEdge(e.source, e.target)).length / ring.edgeCount;
    assert.ok(kept > 0.84 && kept < 0.96, `kept ${kept}`);
    assert.throws(() => wattsStrogatz(10, 3, 0.1, seededUniform(1)), RangeError);
    assert.throws(() => wattsStrogatz(10, 10, 0.1, seededUniform(1)), RangeError);
  });

  it('stochastic block model: in-block density ≈ p_in, between-block ≈ p_out', function () {
    const sizes = [100, 150, 50];
    const g = stochasticBlockModel(sizes, 0.2, 0.01, seededUniform(4));
    assertWellFormed(g);
    const block = blockMembership(sizes);
    assert.equal(g.n, 300);
    assert.deepEqual([block[0], block[99], block[100], block[249], block[250], block[299]], [0, 0, 1, 1, 2, 2]);
    let inEdges = 0;
    let outEdges = 0;
    for (const e of g.edges) {
      if (block[e.source] === block[e.target]) inEdges++;
      else outEdges++;
    }
    const inPairs = sizes.reduce((a, s) => a + (s * (s - 1)) / 2, 0);
    const outPairs = (300 * 299) / 2 - inPairs;
    const dIn = inEdges / inPairs;
    const dOut = outEdges / outPairs;
    assert.ok(Math.abs(dIn - 0.2) < 0.015, `in-block density ${dIn}`);
    assert.ok(Math.abs(dOut - 0.01) < 0.003, `between-block density ${dOut}`);
    assert.throws(() => stochasticBlockModel([], 0.1, 0.1, seededUniform(1)), RangeError);
    assert.throws(() => stochasticBlockModel([3, -1], 0.1, 0.1, seededUniform(1)), RangeError);
  });

  it('every generator is deterministic per seed', function () {
    const make = [
      (s: number) => erdosRenyi(300, 0.02, seededUniform(s)),
      (s: number) => barabasiAlbert(300, 2, seededUniform(s)),
      (s: number) => wattsStrogatz(300, 4, 0.3, seededUniform(s)),
      (s: number) => stochasticBlockModel([100, 200], 0.05, 0.005, seededUniform(s)),
    ];
    for (const gen of make) {
      assert.deepEqual(gen(11).edges, gen(11).edges);
      assert.notDeepEqual(gen(11).edges, gen(12).edges);
    }
  });
});

describe("simulator graphs: Zachary's karate club", function () {
  it('has 34 members and 78 edges, with the known degrees', function () {
    const g = karateClub();
    assertWellFormed(g);
    assert.equal(g.n, 34);
    assert.equal(g.edgeCount, 78);
    // Members 1, 34 and 33 are the hubs (degrees 16, 17, 12); member 12 has one friend.
    assert.deepEqual([g.degree(0), g.degree(33), g.degree(32), g.degree(11)], [16, 17, 12, 1]);
    assert.equal(g.names![33], '34');
    assert.ok(g.hasEdge(0, 31) && !g.hasEdge(0, 33));
    assert.equal(KARATE_CLUB_FACTIONS.filter((f) => f === 0).length, 17);
    assert.equal(KARATE_CLUB_FACTIONS[0], 0);
    assert.equal(KARATE_CLUB_FACTIONS[33], 1);
  });
});

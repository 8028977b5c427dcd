// Watts–Strogatz small world (Watts & Strogatz, "Collective dynamics of
// 'small-world' networks", Nature 393, 1998): a ring where each user links
// to its k/2 nearest neighbours on either side, then each lattice edge
// (u, u + j) is rewired with probability β to (u, w) for a uniformly chosen
// w that is neither u nor already a neighbour of u. β = 0 keeps the
// k-regular lattice (high clustering, long paths); small β adds shortcuts
// (short paths, clustering stays high); β = 1 approaches a random graph.
// The edge count stays n·k/2. Rewiring order follows networkx's
// watts_strogatz_graph: by offset j = 1..k/2, then by u.

import type { Uniform } from '../../protocol/crypto/random.js';
import { randomIndex } from '../random.js';
import { checkProbability } from './random-pairs.js';
import { SocialGraph } from './social-graph.js';

export function wattsStrogatz(n: number, k: number, beta: number, uniform: Uniform): SocialGraph {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Watts–Strogatz: n must be a whole number ≥ 1, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k % 2 !== 0 || k >= n) {
    throw new RangeError(`Watts–Strogatz: k must be an even whole number with 0 ≤ k < n = ${n}, got ${k}`);
  }
  checkProbability(beta, 'Watts–Strogatz: β');
  const adjacency = Array.from({ length: n }, () => new Set<number>());
  const link = (u: number, v: number): void => {
    adjacency[u].add(v);
    adjacency[v].add(u);
  };
  const half = k / 2;
  for (let u = 0; u < n; u++) for (let j = 1; j <= half; j++) link(u, (u + j) % n);
  if (beta > 0) {
    for (let j = 1; j <= half; j++) {
      for (let u = 0; u < n; u++) {
        if (uniform() >= beta) continue;
        const v = (u + j) % n;
        // Still a lattice edge (an earlier rewiring may have removed it), and u has someone new to link to.
        if (!adjacency[u].has(v) || adjacency[u].size >= n - 1) continue;
        let w = randomIndex(n, uniform);
        while (w === u || adjacency[u].has(w)) w = randomIndex(n, uniform);
        adjacency[u].delete(v);
        adjacency[v].delete(u);
        link(u, w);
      }
    }
  }
  const edges: Array<{ source: number; target: number }> = [];
  for (let u = 0; u < n; u++) for (const v of adjacency[u]) if (u < v) edges.push({ source: u, target: v });
  return new SocialGraph(n, edges);
}

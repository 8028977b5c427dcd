// Barabási–Albert preferential attachment (Barabási & Albert, "Emergence of
// scaling in random networks", Science 286, 1999): users arrive one at a
// time and each links to m distinct earlier users chosen with probability
// proportional to their degree, giving a heavy-tailed (power-law, exponent
// ≈ 3) degree distribution: a few very popular users, as in real contact
// graphs.
//
// Construction (as networkx's barabasi_albert_graph): users 0..m−1 start
// with no edges; user m links to all of them; every later user picks m
// distinct targets from a list in which each user appears once per edge
// end it holds (so a draw from the list is degree-proportional). Exactly
// m·(n − m) edges.

import type { Uniform } from '../../protocol/crypto/random.js';
import { randomIndex } from '../random.js';
import { type Edge, SocialGraph } from './social-graph.js';

export function barabasiAlbert(n: number, m: number, uniform: Uniform): SocialGraph {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`Barabási–Albert: m must be a whole number ≥ 1, got ${m}`);
  if (!Number.isInteger(n) || n <= m) throw new RangeError(`Barabási–Albert: n must be a whole number > m = ${m}, got ${n}`);
  const edges: Edge[] = [];
  // Each user once per edge end: sampling an entry samples ∝ degree.
  const ends = new Int32Array(2 * m * (n - m));
  let endCount = 0;
  let targets = Array.from({ length: m }, (_, i) => i);
  const chosen = new Set<number>();
  for (let source = m; source < n; source++) {
    for (const t of targets) {
      edges.push({ source: t, target: source, weight: 1 });
      ends[endCount++] = t;
      ends[endCount++] = source;
    }
    if (source === n - 1) break;
    chosen.clear();
    while (chosen.size < m) chosen.add(ends[randomIndex(endCount, uniform)]);
    targets = [...chosen];
  }
  return new SocialGraph(n, edges);
}

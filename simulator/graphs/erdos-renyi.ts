// Erdős–Rényi random graph G(n, p): every pair of users is an edge
// independently with probability p (Erdős & Rényi, "On random graphs I",
// Publ. Math. Debrecen 6, 1959; the G(n, p) form is Gilbert's, 1959).
// Expected mean degree p·(n − 1). Generated in O(n + edges).

import type { Uniform } from '../../protocol/crypto/random.js';
import { checkProbability, sampleTrianglePairs } from './random-pairs.js';
import { type Edge, SocialGraph } from './social-graph.js';

export function erdosRenyi(n: number, p: number, uniform: Uniform): SocialGraph {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Erdős–Rényi: n must be a whole number ≥ 0, got ${n}`);
  checkProbability(p, 'Erdős–Rényi: p');
  const edges: Edge[] = [];
  sampleTrianglePairs(n, p, uniform, (v, w) => edges.push({ source: w, target: v, weight: 1 }));
  return new SocialGraph(n, edges);
}

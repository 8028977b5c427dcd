// Stochastic block model (Holland, Laskey & Leinhardt, "Stochastic
// blockmodels: first steps", Social Networks 5, 1983): users fall into
// blocks (communities) of the given sizes, numbered consecutively (block 0
// holds users 0..sizes[0]−1, and so on); two users in the same block are
// linked with probability pIn, users in different blocks with pOut, all
// pairs independently. pIn > pOut gives community structure.

import type { Uniform } from '../../protocol/crypto/random.js';
import { checkProbability, sampleRectanglePairs, sampleTrianglePairs } from './random-pairs.js';
import { type Edge, SocialGraph } from './social-graph.js';

function checkSizes(sizes: readonly number[]): void {
  if (!Array.isArray(sizes) || sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError(`stochastic block model: block sizes must be a non-empty list of whole numbers ≥ 0, got ${JSON.stringify(sizes)}`);
  }
}

/** The block of each user, for the given block sizes. */
export function blockMembership(sizes: readonly number[]): Int32Array {
  checkSizes(sizes);
  const blocks = new Int32Array(sizes.reduce((a, b) => a + b, 0));
  let u = 0;
  sizes.forEach((size, b) => {
    blocks.fill(b, u, u + size);
    u += size;
  });
  return blocks;
}

export function stochasticBlockModel(sizes: readonly number[], pIn: number, pOut: number, uniform: Uniform): SocialGraph {
  checkSizes(sizes);
  checkProbability(pIn, 'stochastic block model: p_in');
  checkProbability(pOut, 'stochastic block model: p_out');
  const starts = [0];
  for (const s of sizes) starts.push(starts[starts.length - 1] + s);
  const edges: Edge[] = [];
  for (let a = 0; a < sizes.length; a++) {
    const sa = starts[a];
    sampleTrianglePairs(sizes[a], pIn, uniform, (v, w) => edges.push({ source: sa + w, target: sa + v, weight: 1 }));
    for (let b = a + 1; b < sizes.length; b++) {
      const sb = starts[b];
      sampleRectanglePairs(sizes[a], sizes[b], pOut, uniform, (r, c) => edges.push({ source: sa + r, target: sb + c, weight: 1 }));
    }
  }
  return new SocialGraph(starts[sizes.length], edges);
}

// Sampling every pair of a set independently with probability p in time
// proportional to the pairs chosen, not the pairs possible, by skipping
// ahead a geometric number of pairs between hits (Batagelj & Brandes,
// "Efficient generation of large random networks", Phys. Rev. E 71, 036113,
// 2005, algorithm G(n, p)). Shared by the Erdős–Rényi and stochastic block
// model generators.

import type { Uniform } from '../../protocol/crypto/random.js';

export function checkProbability(p: number, what: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${what} must be a probability in [0, 1], got ${p}`);
}

/** How many pairs to skip before the next hit: Geometric(p) − 1 by inversion. */
function skip(logQ: number, uniform: Uniform): number {
  return Math.floor(Math.log(1 - uniform()) / logQ);
}

/** Calls `visit(v, w)` for each pair w < v < n chosen with probability p. */
export function sampleTrianglePairs(n: number, p: number, uniform: Uniform, visit: (v: number, w: number) => void): void {
  if (p === 0 || n < 2) return;
  if (p === 1) {
    for (let v = 1; v < n; v++) for (let w = 0; w < v; w++) visit(v, w);
    return;
  }
  const logQ = Math.log(1 - p);
  let v = 1;
  let w = -1;
  while (v < n) {
    w += 1 + skip(logQ, uniform);
    while (w >= v && v < n) {
      w -= v;
      v++;
    }
    if (v < n) visit(v, w);
  }
}

/** Calls `visit(r, c)` for each pair r < rows, c < cols chosen with probability p. */
export function sampleRectanglePairs(rows: number, cols: number, p: number, uniform: Uniform, visit: (r: number, c: number) => void): void {
  if (p === 0 || rows === 0 || cols === 0) return;
  const total = rows * cols;
  if (p === 1) {
    for (let k = 0; k < total; k++) visit(Math.floor(k / cols), k % cols);
    return;
  }
  const logQ = Math.log(1 - p);
  for (let k = skip(logQ, uniform); k < total; k += 1 + skip(logQ, uniform)) visit(Math.floor(k / cols), k % cols);
}

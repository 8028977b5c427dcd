// Seeded randomness for reproducible simulations: the same seed gives the same
// numbers on every machine (xoroshiro128+ from pure-rand, 53-bit floats).

import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Uniform } from '../protocol/crypto/random.js';

export function seededUniform(seed: number): Uniform {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const rng = xoroshiro128plus(seed);
  return () => uniformFloat64(rng);
}

/** A uniform integer in [0, n). */
export function randomIndex(n: number, uniform: Uniform): number {
  return Math.floor(uniform() * n);
}

/** `k` distinct integers from [0, n), by Floyd's algorithm (O(k) expected). */
export function sampleDistinct(n: number, k: number, uniform: Uniform): number[] {
  if (k > n) throw new RangeError(`cannot draw ${k} distinct values from ${n}`);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = randomIndex(j + 1, uniform);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen];
}

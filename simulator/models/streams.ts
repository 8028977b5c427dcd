// Independent seeded random streams for one run: the graph, the users'
// behaviour and the network each draw from their own stream, so changing a
// network parameter (λ, μ, layers) leaves the graph and every message the
// users write unchanged (common random numbers across a sweep). Stream k is
// xoroshiro128+ seeded with the run's seed and advanced by k jumps of 2^64
// steps, so the streams never overlap. Draws are 53-bit floats, as
// simulator/random.ts.

import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Uniform } from '../../protocol/crypto/random.js';

export const STREAM_GRAPH = 0;
export const STREAM_BEHAVIOUR = 1;
export const STREAM_NETWORK = 2;
export const STREAM_REPLIES = 3;

const WARM_UP_DRAWS = 16;

export function seededStream(seed: number, stream: number): Uniform {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(stream) || stream < 0 || stream > 64) throw new RangeError(`stream must be a whole number from 0 to 64, got ${stream}`);
  const rng = xoroshiro128plus(seed);
  for (let i = 0; i < stream; i++) rng.jump();
  // xoroshiro128+ seeded from a small integer starts with near-constant
  // outputs (the first draw for seed 1 is 0.99999998); skip them.
  for (let i = 0; i < WARM_UP_DRAWS; i++) rng.next();
  return () => uniformFloat64(rng);
}

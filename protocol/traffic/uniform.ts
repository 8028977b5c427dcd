// Sources of uniform random numbers in [0, 1) for traffic timing.
//
// Real clients and mixes draw their send times and delays from a CSPRNG:
// an observer who could predict them could tell cover from real traffic or
// link a packet across a mix. The simulator injects a seeded source instead,
// so the same code runs reproducibly in virtual time.

import { randomFillSync } from 'node:crypto';

/** Returns a uniform number in [0, 1). */
export type Uniform = () => number;

const POOL_WORDS = 1024;

/** A CSPRNG-backed uniform source with 53 bits of precision (batched for speed). */
export function cryptoUniform(): Uniform {
  const pool = new Uint32Array(POOL_WORDS);
  let index = POOL_WORDS;
  return () => {
    if (index + 2 > POOL_WORDS) {
      randomFillSync(pool);
      index = 0;
    }
    const high = pool[index++] >>> 5; // 27 bits
    const low = pool[index++] >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992; // (high·2^26 + low) / 2^53
  };
}

// The one source of randomness in protocol/: random bytes (keys, nonces,
// header filler, padding) and uniform numbers in [0, 1) (traffic timing,
// path choice). Every function that needs randomness takes one of the two
// types below as a parameter, so tests and the simulator inject seeded
// sources and pin bytes and schedules; production passes the system CSPRNG
// defined here, the only place protocol/ reads it. (Key pairs come from
// node:crypto's generateKeyPairSync, which draws from the same CSPRNG.)
//
// Real clients and mixes must draw send times and delays from a CSPRNG as
// well: an observer who could predict them could tell cover from real
// traffic or link a packet across a mix.

import { randomFillSync } from 'node:crypto';

/** A source of `length` random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** Returns a uniform number in [0, 1). */
export type Uniform = () => number;

/** The system CSPRNG as a RandomSource (node:crypto, i.e. the OS generator). */
export const systemRandom: RandomSource = (length) => randomFillSync(new Uint8Array(length));

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

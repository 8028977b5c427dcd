// The randomness every e2ee function takes as a parameter, so that tests can
// seed it and pin byte formats. Production uses the system CSPRNG.

import { randomBytes } from 'node:crypto';

/** A source of `length` random bytes. */
export type RandomSource = (length: number) => Uint8Array;

export const systemRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

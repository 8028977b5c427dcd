// A deterministic byte source for tests and pinned vectors:
// block i = SHA-256(seed ‖ u32be(i)). Not for keys outside tests.

import { createHash } from 'node:crypto';
import type { RandomSource } from '../../protocol/sphinx/index.js';

export function deterministicRandom(seed: string): RandomSource {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length: number) => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (pool.length === 0) {
        const c = Buffer.alloc(4);
        c.writeUInt32BE(counter++);
        pool = new Uint8Array(createHash('sha256').update(seed).update(c).digest());
      }
      const n = Math.min(pool.length, length - filled);
      out.set(pool.subarray(0, n), filled);
      pool = pool.subarray(n);
      filled += n;
    }
    return out;
  };
}

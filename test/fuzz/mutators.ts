// Mutations for the protocol fuzzer (test/fuzz/protocol-fuzzer.ts): a valid
// frame produced by the project's own encoders goes in, a damaged one comes
// out, chosen by a seeded PRNG (xoroshiro128+ from pure-rand, as the
// simulator uses), so a failure is reproduced from its seed alone.
//
// The mutations are AFL's classic set (Zalewski, "AFL technical details"):
// bit flips, overwrites with "interesting" values at 8/16/32/64 bits, random
// byte runs, truncation, extension, splicing two inputs, wholly random bytes,
// plus length-prefix corruption for the u32-framed RPC protocols.

import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded source of fuzzing decisions. */
export class FuzzRandom {
  readonly #rng: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.#rng = xoroshiro128plus(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`int(${n})`);
    return uniformInt(this.#rng, 0, n - 1);
  }

  chance(p: number): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = uniformInt(this.#rng, 0, 0xffffffff);
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** A seed for a child generator (one per protocol, so adding frames to one does not shift another). */
  fork(): FuzzRandom {
    return new FuzzRandom(uniformInt(this.#rng, 0, 0x7fffffff) * 0x200000 + uniformInt(this.#rng, 0, 0x1fffff));
  }
}

export const MUTATIONS = ['bit-flip', 'interesting', 'overwrite', 'truncate', 'extend', 'length-prefix', 'splice', 'random'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** AFL's interesting values: boundaries of signed and unsigned integers, and off-by-ones around them. */
const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x64];
const INTERESTING_16 = [0x0000, 0x0001, 0x00ff, 0x0100, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x03e8, 0x0800, 0x1000];
const INTERESTING_32 = [0x00000000, 0x00000001, 0x0000ffff, 0x00010000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x00800000, 0x01000000];

export interface MutateOptions {
  /**
   * Keep the frame's length (fixed-size frame streams such as
   * /chaff/packet/1, where the stream, not the frame, carries truncation).
   */
  keepLength?: boolean;
  /** Most bytes a mutant may have (extension stops there). */
  maxLength?: number;
  /** Offsets of the frame's u32 big-endian length prefix (0 for the RPC framing), targeted by 'length-prefix'. */
  lengthPrefixAt?: number;
  /** Offsets of other length or count fields in the frame, each with its width in bytes, targeted by 'interesting'. */
  fields?: ReadonlyArray<{ at: number; width: 1 | 2 | 4 | 8 }>;
}

export interface Mutant {
  bytes: Uint8Array;
  mutation: Mutation;
}

/** `input` damaged by one to four stacked mutations (the first one names it); `others` are splice partners. */
export function mutate(rnd: FuzzRandom, input: Uint8Array, others: readonly Uint8Array[], options: MutateOptions = {}): Mutant {
  const allowed = MUTATIONS.filter((m) => {
    if (options.keepLength && (m === 'truncate' || m === 'extend')) return false;
    if (m === 'length-prefix' && options.lengthPrefixAt === undefined) return false;
    if (m === 'splice' && others.length === 0) return false;
    return true;
  });
  const first = rnd.pick(allowed);
  let bytes = apply(rnd, first, Uint8Array.from(input), others, options);
  const stacked = rnd.int(4);
  for (let i = 0; i < stacked; i++) bytes = apply(rnd, rnd.pick(allowed.filter((m) => m !== 'random')), bytes, others, options);
  if (options.keepLength && bytes.length !== input.length) bytes = fit(bytes, input.length);
  return { bytes, mutation: first };
}

function apply(rnd: FuzzRandom, m: Mutation, b: Uint8Array, others: readonly Uint8Array[], o: MutateOptions): Uint8Array {
  const maxLength = o.maxLength ?? Math.max(64, b.length * 2);
  switch (m) {
    case 'bit-flip': {
      if (b.length === 0) return b;
      const flips = 1 + rnd.int(rnd.chance(0.8) ? 2 : 32);
      for (let i = 0; i < flips; i++) {
        const bit = rnd.int(b.length * 8);
        b[bit >> 3] ^= 1 << (bit & 7);
      }
      return b;
    }
    case 'interesting': {
      const field = o.fields && o.fields.length > 0 && rnd.chance(0.5) ? rnd.pick(o.fields) : null;
      const width = field?.width ?? rnd.pick([1, 2, 4, 8] as const);
      if (b.length < width) return b;
      const at = field && field.at + width <= b.length ? field.at : rnd.int(b.length - width + 1);
      writeInteresting(rnd, b, at, width);
      return b;
    }
    case 'overwrite': {
      if (b.length === 0) return b;
      const at = rnd.int(b.length);
      const n = Math.min(b.length - at, 1 + rnd.int(rnd.chance(0.7) ? 8 : 256));
      b.set(rnd.chance(0.5) ? rnd.bytes(n) : new Uint8Array(n).fill(rnd.pick([0x00, 0xff, rnd.int(256)])), at);
      return b;
    }
    case 'truncate': {
      if (b.length === 0) return b;
      return b.slice(0, rnd.chance(0.2) ? rnd.int(Math.min(b.length, 16)) : rnd.int(b.length));
    }
    case 'extend': {
      const room = maxLength - b.length;
      if (room <= 0) return b;
      const n = 1 + rnd.int(Math.min(room, rnd.chance(0.8) ? 64 : room));
      const out = new Uint8Array(b.length + n);
      out.set(b);
      out.set(rnd.chance(0.5) ? rnd.bytes(n) : new Uint8Array(n), b.length);
      return out;
    }
    case 'length-prefix': {
      const at = o.lengthPrefixAt ?? 0;
      if (b.length < at + 4) return b;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const actual = b.length - at - 4;
      const value = rnd.pick([0, 1, actual - 1, actual + 1, actual + rnd.int(1 << 16), 0x7fffffff, 0xffffffff, rnd.int(0x100000000), maxLength]);
      view.setUint32(at, Math.max(0, Math.min(0xffffffff, value)) >>> 0, false);
      return b;
    }
    case 'splice': {
      const other = rnd.pick(others);
      if (b.length === 0 || other.length === 0) return other.slice();
      const cut = rnd.int(b.length + 1);
      const from = rnd.int(other.length + 1);
      const out = new Uint8Array(Math.min(maxLength, cut + other.length - from));
      out.set(b.subarray(0, Math.min(cut, out.length)));
      if (out.length > cut) out.set(other.subarray(from, from + out.length - cut), cut);
      return out;
    }
    case 'random':
      return rnd.bytes(o.keepLength ? b.length : rnd.chance(0.5) ? b.length : rnd.int(maxLength + 1));
  }
}

function writeInteresting(rnd: FuzzRandom, b: Uint8Array, at: number, width: 1 | 2 | 4 | 8): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const littleEndian = rnd.chance(0.2);
  switch (width) {
    case 1:
      b[at] = rnd.pick(INTERESTING_8);
      return;
    case 2:
      view.setUint16(at, rnd.pick(INTERESTING_16), littleEndian);
      return;
    case 4:
      view.setUint32(at, rnd.pick(INTERESTING_32), littleEndian);
      return;
    case 8:
      view.setBigUint64(at, rnd.pick([0n, 1n, 0x1fffffffffffffn, 0x20000000000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn]), littleEndian);
      return;
  }
}

/** `b` cut or zero-padded to `length`. */
function fit(b: Uint8Array, length: number): Uint8Array {
  if (b.length >= length) return b.slice(0, length);
  const out = new Uint8Array(length);
  out.set(b);
  return out;
}

/** The RPC request framing of runtime/net/rpc.ts: u32 big-endian length ‖ body. */
export function rpcFrame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, 4);
  return out;
}

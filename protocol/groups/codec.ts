// Strict big-endian reading and writing for the group layer's byte formats
// (docs/groups.md). A read past the end, or bytes left over, is a
// GroupError('malformed'), so a hostile peer's bytes never raise anything else.

import { concatBytes } from '../bytes.js';
import { GroupError } from './errors.js';

export class ByteReader {
  #offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.#offset;
  }

  take(n: number): Uint8Array {
    if (n > this.remaining) throw new GroupError('malformed', `${this.what}: truncated`);
    return this.bytes.slice(this.#offset, (this.#offset += n));
  }

  u8(): number {
    return this.take(1)[0];
  }

  u16(): number {
    const b = this.take(2);
    return (b[0] << 8) | b[1];
  }

  u32(): number {
    return new DataView(this.take(4).buffer).getUint32(0);
  }

  u64(): bigint {
    return new DataView(this.take(8).buffer).getBigUint64(0);
  }

  /** A finite f64 (a time in ms). */
  f64(): number {
    const v = new DataView(this.take(8).buffer).getFloat64(0);
    if (!Number.isFinite(v)) throw new GroupError('malformed', `${this.what}: a time is not finite`);
    return v;
  }

  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  end(): void {
    if (this.remaining !== 0) throw new GroupError('malformed', `${this.what}: ${this.remaining} trailing bytes`);
  }
}

export class ByteWriter {
  readonly #parts: Uint8Array[] = [];

  bytes(b: Uint8Array): this {
    this.#parts.push(b);
    return this;
  }

  u8(v: number): this {
    return this.bytes(Uint8Array.of(v));
  }

  u16(v: number): this {
    return this.bytes(Uint8Array.of(v >>> 8, v & 0xff));
  }

  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    return this.bytes(b);
  }

  u64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v);
    return this.bytes(b);
  }

  f64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v);
    return this.bytes(b);
  }

  finish(): Uint8Array {
    return concatBytes(...this.#parts);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes strict UTF-8 (a lone surrogate or an invalid byte is malformed). */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new GroupError('malformed', `${what} is not valid UTF-8`);
  }
}

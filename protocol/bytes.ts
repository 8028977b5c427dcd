// Byte helpers shared by every protocol module: argument checks, hex codecs,
// constant-time comparisons, XOR and zeroisation. Pure functions, no I/O.

import { timingSafeEqual } from 'node:crypto';

/** Whether `value` is a Uint8Array (a Buffer counts), of exactly `length` bytes when given. */
export function isBytes(value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length);
}

/** What `value` is, for an error message: "31 bytes", "a string", "null". */
function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} byte${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Asserts that `value` is a Uint8Array, of exactly `length` bytes when given,
 * after noble-hashes' `abytes(value, length, title)`. The message names the
 * argument and what it got: "<title> must be 32 bytes, got 31 bytes",
 * "<title> must be a Uint8Array, got a string". `fail` turns the message into the
 * caller's own error (a SphinxError with its code, a format error, …); by
 * default a TypeError for the wrong type and a RangeError for the wrong length.
 */
export function abytes(value: unknown, length?: number, title = 'value', fail?: (message: string) => Error): asserts value is Uint8Array {
  const isArray = value instanceof Uint8Array;
  if (isArray && (length === undefined || value.length === length)) return;
  const message = `${title} must be ${length === undefined ? 'a Uint8Array' : `${length} bytes`}, got ${describe(value)}`;
  throw fail ? fail(message) : isArray ? new RangeError(message) : new TypeError(message);
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes hex (either case, even length, no prefix); throws a RangeError naming `what` otherwise. */
export function fromHex(hex: string, what = 'hex string'): Uint8Array {
  if (typeof hex !== 'string' || !HEX.test(hex)) {
    throw new RangeError(`${what} is not an even-length hex string`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Concatenates byte arrays into a fresh Uint8Array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Constant-time equality for MACs and tags: the time taken depends only on
 * the lengths, never on where the inputs differ.
 */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Constant-time "all bytes are zero" (no early exit). */
export function ctIsZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i];
  return acc === 0;
}

/** dst[i] ^= src[i] for i < src.length. */
export function xorInto(dst: Uint8Array, src: Uint8Array): void {
  if (src.length > dst.length) throw new RangeError('xorInto: source longer than destination');
  for (let i = 0; i < src.length; i++) dst[i] ^= src[i];
}

/** Overwrites secret material with zeros (best effort: the JS heap may hold copies). */
export function zeroize(...buffers: Array<Uint8Array | undefined>): void {
  for (const b of buffers) b?.fill(0);
}

// Codecs turn a collection's values into the bytes that get sealed, and back.
//
// jsonCodec: UTF-8 JSON, extended for the types the client stores:
//   Uint8Array (and Buffer)  →  {"$bytes": "<base64>"}
//   bigint                   →  {"$bigint": "<decimal>"}
//   an object key "$x"       →  "$$x"  (escaped, so user data can never be read back as a tag)
// Everything else follows JSON.stringify, except that values JSON would
// silently change are refused with a TypeError: NaN/±Infinity, functions,
// symbols, and class instances other than Uint8Array/Date (Map, Set, ...).
// `undefined` object fields are omitted and `undefined` array slots become
// null, as in JSON; a Date is stored as its ISO string and read back as that
// string. Decoding checks syntax only, not the shape of T.

import { fromBase64, toBase64 } from '../../protocol/util/base64.js';

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Raw bytes, copied both ways (the caller may reuse or zeroize its array). */
export const bytesCodec: Codec<Uint8Array> = {
  encode: (value) => {
    if (!(value instanceof Uint8Array)) throw new TypeError('bytesCodec encodes Uint8Array values only');
    return value.slice();
  },
  decode: (bytes) => bytes.slice(),
};

const BYTES_TAG = '$bytes';
const BIGINT_TAG = '$bigint';
const BIGINT = /^-?(0|[1-9][0-9]*)$/;
const MAX_DEPTH = 256;

/** JSON with Uint8Array and bigint support (see the header comment for the encoding). */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode: (value) => new TextEncoder().encode(JSON.stringify(toJsonTree(value, 0, '$'))),
    decode: (bytes) => fromJsonTree(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)), 0) as T,
  };
}

function toJsonTree(value: unknown, depth: number, path: string): unknown {
  if (depth > MAX_DEPTH) throw new TypeError(`jsonCodec: nesting deeper than ${MAX_DEPTH} (a cycle?) at ${path}`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`jsonCodec: ${value} at ${path} has no JSON form`);
      return value;
    case 'bigint':
      return { [BIGINT_TAG]: value.toString() };
    case 'object':
      break;
    default:
      throw new TypeError(`jsonCodec: a ${typeof value} at ${path} cannot be stored`);
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return { [BYTES_TAG]: toBase64(value) };
  if (Array.isArray(value)) return value.map((v, i) => (v === undefined ? null : toJsonTree(v, depth + 1, `${path}[${i}]`)));
  if (value instanceof Date) return value.toJSON();
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`jsonCodec: a ${proto?.constructor?.name ?? 'class'} instance at ${path} cannot be stored; convert it to a plain object`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k.startsWith('$') ? `$${k}` : k] = toJsonTree(v, depth + 1, `${path}.${k}`);
  }
  return out;
}

function fromJsonTree(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new TypeError(`jsonCodec: nesting deeper than ${MAX_DEPTH}`);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => fromJsonTree(v, depth + 1));
  const keys = Object.keys(value);
  const obj = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === BYTES_TAG) return fromBase64(obj[BYTES_TAG], 'jsonCodec $bytes');
  if (keys.length === 1 && keys[0] === BIGINT_TAG) {
    const text = obj[BIGINT_TAG];
    if (typeof text !== 'string' || !BIGINT.test(text)) throw new TypeError('jsonCodec: $bigint is not a decimal integer');
    return BigInt(text);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (k.startsWith('$') && !k.startsWith('$$')) throw new TypeError(`jsonCodec: unknown tag ${JSON.stringify(k)}`);
    const name = k.startsWith('$') ? k.slice(1) : k;
    // defineProperty: a stored "__proto__" key stays data, never a prototype.
    Object.defineProperty(out, name, { value: fromJsonTree(obj[k], depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// Hashes and MACs on node:crypto (OpenSSL).

import { createHash, createHmac } from 'node:crypto';

/** SHA-512/256 (FIPS 180-4 §6.7): the Sphinx replay-tag hash. */
export function sha512_256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512-256').update(data).digest());
}

/** SHA-256. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** HMAC-SHA256 (RFC 2104) over the concatenation of `parts`. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac('sha256', key);
  for (const p of parts) mac.update(p);
  return new Uint8Array(mac.digest());
}

/**
 * HKDF-Expand with SHA-256 (RFC 5869 §2.3), without the Extract step: the
 * input is used directly as the pseudorandom key, as Katzenpost's Sphinx KDF
 * does with the X25519 shared secret.
 */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLength = 32;
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLength) {
    throw new RangeError('hkdfExpandSha256: invalid output length');
  }
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  const counter = new Uint8Array(1);
  for (let offset = 0, i = 1; offset < length; i++, offset += hashLength) {
    counter[0] = i;
    previous = hmacSha256(prk, previous, info, counter);
    out.set(previous.subarray(0, Math.min(hashLength, length - offset)), offset);
  }
  previous.fill(0);
  return out;
}

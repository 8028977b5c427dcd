// Header nonces that double as lookup hints (docs/e2ee.md §4 Header nonces
// and the session index). A header's nonce is derived from its header key
// and message number instead of drawn at random, so a receiver that knows
// which (header key, N) pairs each of its sessions can accept next looks an
// envelope up by its first bytes, and tries one session instead of all of
// them (trial decryption against every session made the cost of each
// mailbox entry grow with the number of sessions, strangers' included).
//
//   hint key   K = HMAC-SHA256(HK, "chaff-e2ee-header-nonce-v1")
//   nonce(N)   = bytes [24·N, 24·N + 24) of the AES-256-CTR keystream under K,
//                initial counter block 0 (128-bit big-endian counter)
//
// To anyone without HK the nonces are pseudo-random and unrelated to each
// other, so envelopes stay unlinkable. A (HK, N) pair seals one header only:
// the header (the chain's ratchet key, PN, N) is a function of them, so even a
// state restored from a backup that seals N again produces the same header
// bytes, never a second plaintext under one nonce.

import { createCipheriv } from 'node:crypto';
import { AEAD_NONCE_LENGTH } from './aead.js';
import { hmacSha256 } from '../crypto/hash.js';
import { zeroize } from '../bytes.js';

const HINT_INFO = new TextEncoder().encode('chaff-e2ee-header-nonce-v1');
const BLOCK = 16;

/**
 * Bits of a header nonce used as the lookup key: its first 30 bits, a small
 * integer that JavaScript engines hash fast. A cover envelope matches some
 * indexed nonce with probability (nonces indexed) / 2^30, about 0.1 % with a
 * million indexed, and then costs one header trial.
 */
export const HEADER_HINT_BITS = 30;

/** The nonces of messages from, from + 1, …, from + count − 1 under header key `hk`, concatenated (24 bytes each). */
export function headerNonces(hk: Uint8Array, from: number, count: number): Uint8Array {
  if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(count) || count < 0) throw new RangeError('header nonces: bad range');
  if (count === 0) return new Uint8Array(0);
  const start = from * AEAD_NONCE_LENGTH;
  const firstBlock = Math.floor(start / BLOCK);
  const skip = start - firstBlock * BLOCK;
  const iv = new Uint8Array(BLOCK);
  new DataView(iv.buffer).setBigUint64(8, BigInt(firstBlock));
  const key = hmacSha256(hk, HINT_INFO);
  try {
    const cipher = createCipheriv('aes-256-ctr', key, iv);
    const stream = cipher.update(new Uint8Array(skip + count * AEAD_NONCE_LENGTH));
    return new Uint8Array(stream.buffer, stream.byteOffset + skip, count * AEAD_NONCE_LENGTH);
  } finally {
    zeroize(key);
  }
}

/** The nonce of message `n` under header key `hk`. */
export function headerNonce(hk: Uint8Array, n: number): Uint8Array {
  return headerNonces(hk, n, 1).slice();
}

/** The lookup key of a header nonce (or of an encrypted header, which starts with it): its first 30 bits. */
export function headerHint(nonceOrHeader: Uint8Array, offset = 0): number {
  const b = nonceOrHeader;
  return ((b[offset] << 22) | (b[offset + 1] << 14) | (b[offset + 2] << 6) | (b[offset + 3] >>> 2)) >>> 0;
}

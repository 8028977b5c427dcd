// The Double Ratchet message header and its encryption (Double Ratchet §3.1
// HEADER, §4 HENCRYPT/HDECRYPT; docs/e2ee.md §4 Header and its encryption).
//
// Header, 40 bytes:                         Encrypted header, 80 bytes:
//   offset  size  field                       offset  size  field
//        0    32  sender's ratchet public key      0    24  nonce of (HK, N), header-nonce.ts
//       32     4  PN, u32 big-endian              24    40  XChaCha20-Poly1305(HK, nonce, header)
//       36     4  N, u32 big-endian               64    16  Poly1305 tag
//
// The nonce is derived from the header key and N (header-nonce.ts), so that
// the receiver can find the session of an envelope by its first bytes; one
// (HK, N) pair seals one header only. No associated data: a header key
// belongs to exactly one session and chain.

import { concatBytes } from '../bytes.js';
import { X25519_KEY_LENGTH } from '../crypto/x25519.js';
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, aeadDecrypt, aeadEncrypt } from './aead.js';
import { headerNonce } from './header-nonce.js';

export const HEADER_BYTES = X25519_KEY_LENGTH + 4 + 4;
export const ENCRYPTED_HEADER_BYTES = AEAD_NONCE_LENGTH + HEADER_BYTES + AEAD_TAG_LENGTH;

export interface RatchetHeader {
  /** The sender's current ratchet public key. */
  readonly dh: Uint8Array;
  /** Number of messages in the sender's previous sending chain. */
  readonly pn: number;
  /** This message's number in the sending chain. */
  readonly n: number;
}

export function encodeHeader(header: RatchetHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out.set(header.dh, 0);
  const view = new DataView(out.buffer);
  view.setUint32(X25519_KEY_LENGTH, header.pn);
  view.setUint32(X25519_KEY_LENGTH + 4, header.n);
  return out;
}

export function decodeHeader(bytes: Uint8Array): RatchetHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dh: bytes.slice(0, X25519_KEY_LENGTH), pn: view.getUint32(X25519_KEY_LENGTH), n: view.getUint32(X25519_KEY_LENGTH + 4) };
}

/** HENCRYPT(hk, header), with the nonce of (hk, header.n). */
export function encryptHeader(headerKey: Uint8Array, header: RatchetHeader): Uint8Array {
  const nonce = headerNonce(headerKey, header.n);
  return concatBytes(nonce, aeadEncrypt(headerKey, nonce, encodeHeader(header)));
}

/** HDECRYPT(hk, encrypted header): the header, or null when this key does not open it. */
export function decryptHeader(headerKey: Uint8Array, encrypted: Uint8Array): RatchetHeader | null {
  if (encrypted.length !== ENCRYPTED_HEADER_BYTES) return null;
  const plain = aeadDecrypt(headerKey, encrypted.subarray(0, AEAD_NONCE_LENGTH), encrypted.subarray(AEAD_NONCE_LENGTH));
  return plain ? decodeHeader(plain) : null;
}

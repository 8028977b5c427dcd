// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha; @noble/ciphers), the only AEAD
// of the end-to-end layer: ratchet headers, message bodies and the sealed
// sender layer. The 24-byte nonce makes random nonces safe for header keys,
// which encrypt many headers.
//
//   ciphertext = encrypted plaintext (same length) ‖ Poly1305 tag (16)

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';

export const AEAD_KEY_LENGTH = 32;
export const AEAD_NONCE_LENGTH = 24;
export const AEAD_TAG_LENGTH = 16;

const EMPTY = new Uint8Array(0);

export function aeadEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
  return xchacha20poly1305(key, nonce, ad).encrypt(plaintext);
}

/**
 * The plaintext, or null when the tag does not verify (or the ciphertext is
 * shorter than a tag). @noble compares the tag in constant time.
 *
 * Failure is the common case here: every incoming envelope is tried against
 * every session's header keys, and all but one try fail. @noble reports a bad
 * tag by throwing, and capturing the stack trace of that Error cost about as
 * much as the decryption itself (measured ~40 % of a failed 80-byte header
 * trial), so stack capture is switched off for the duration of the call. The
 * call is synchronous and the limit is restored before returning, so no other
 * code can observe the change.
 */
export function aeadDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array | null {
  if (ciphertext.length < AEAD_TAG_LENGTH) return null;
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return xchacha20poly1305(key, nonce, ad).decrypt(ciphertext);
  } catch {
    return null;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

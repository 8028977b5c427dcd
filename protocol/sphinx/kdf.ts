// The Sphinx per-hop key schedule (docs/sphinx.md §Key derivation).
//
//   okm = HKDF-Expand(SHA-256, prk = X25519 shared secret,
//                     info = "katzenpost-kdf-v0-hkdf-sha256", L = 160)
//   okm = header MAC key (32) ‖ header AES-256-CTR key (32) ‖ header IV (16)
//         ‖ payload AEZ key (48) ‖ blinding seed (32)
//   blinding factor = first 32 bytes of ChaCha20(blinding seed, nonce 0)
//
// The blinding factor is an X25519 scalar (clamped when used).

import { zeroize } from '../bytes.js';
import { hkdfExpandSha256 } from '../crypto/hash.js';
import { chacha20KeyStream } from '../crypto/stream.js';
import { SPRP_KEY_LENGTH, SPRP_IV_LENGTH } from './geometry.js';

export const KDF_INFO = new TextEncoder().encode('katzenpost-kdf-v0-hkdf-sha256');
export const HEADER_MAC_KEY_LENGTH = 32;
export const HEADER_KEY_LENGTH = 32;
export const HEADER_IV_LENGTH = SPRP_IV_LENGTH;
export const BLINDING_SEED_LENGTH = 32;
export const BLINDING_FACTOR_LENGTH = 32;
const OKM_LENGTH = HEADER_MAC_KEY_LENGTH + HEADER_KEY_LENGTH + HEADER_IV_LENGTH + SPRP_KEY_LENGTH + BLINDING_SEED_LENGTH;

/** The keys one hop derives from its shared secret. */
export interface PacketKeys {
  readonly headerMac: Uint8Array;
  readonly headerEncryption: Uint8Array;
  /** IV of the header stream cipher, reused as the payload SPRP nonce (different key and primitive). */
  readonly headerEncryptionIV: Uint8Array;
  readonly payloadEncryption: Uint8Array;
  readonly blindingFactor: Uint8Array;
}

export function deriveKeys(sharedSecret: Uint8Array): PacketKeys {
  const okm = hkdfExpandSha256(sharedSecret, KDF_INFO, OKM_LENGTH);
  let o = 0;
  const take = (n: number): Uint8Array => okm.slice(o, (o += n));
  const headerMac = take(HEADER_MAC_KEY_LENGTH);
  const headerEncryption = take(HEADER_KEY_LENGTH);
  const headerEncryptionIV = take(HEADER_IV_LENGTH);
  const payloadEncryption = take(SPRP_KEY_LENGTH);
  const seed = take(BLINDING_SEED_LENGTH);
  const blindingFactor = chacha20KeyStream(seed, BLINDING_FACTOR_LENGTH);
  zeroize(okm, seed);
  return { headerMac, headerEncryption, headerEncryptionIV, payloadEncryption, blindingFactor };
}

export function wipeKeys(keys: PacketKeys): void {
  zeroize(keys.headerMac, keys.headerEncryption, keys.headerEncryptionIV, keys.payloadEncryption, keys.blindingFactor);
}

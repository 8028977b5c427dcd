// Every key derivation of the end-to-end layer, with its info string
// (docs/e2ee.md §8 Key derivation summary). Hash: SHA-256 throughout.
//
//   X3DH (X3DH spec §2.2, §3.3):
//     okm = HKDF(salt = 32 zero bytes, ikm = F ‖ DH1 ‖ DH2 ‖ DH3, info = "chaff-e2ee-x3dh-v1", L = 96)
//         = SK (32) ‖ shared HK_A (32) ‖ shared NHK_B (32)            F = 32 × 0xFF
//   KDF_RK (Double Ratchet §5.2; §4 with header encryption):
//     okm = HKDF(salt = RK, ikm = DH output, info = "chaff-e2ee-ratchet-root-v1", L = 96)
//         = RK' (32) ‖ CK (32) ‖ NHK (32)
//   KDF_CK (Double Ratchet §5.2):
//     MK = HMAC-SHA256(CK, 0x01),  CK' = HMAC-SHA256(CK, 0x02)
//   Message AEAD key (Double Ratchet §5.2 ENCRYPT: HKDF over MK):
//     key = HKDF(salt = 32 zero bytes, ikm = MK, info = "chaff-e2ee-message-v1", L = 32)
//     The nonce is random and travels with the body (ratchet.ts): an MK should
//     encrypt one message only, but a session state restored from a backup or
//     lost before it was saved would encrypt again with the same MK, and a
//     derived nonce would then repeat (a two-time pad and a Poly1305 forgery).
//   Sealed-sender key of a first envelope (a fresh ephemeral E per envelope):
//     okm = HKDF(salt = 32 zero bytes, ikm = F ‖ DH(E, SPK_B) ‖ DH(E, IK_B),
//                info = "chaff-e2ee-seal-v1" ‖ E as sent (32) ‖ IK_B (32) ‖ SPK_B (32), L = 56)
//         = key (32) ‖ nonce (24)

import { hkdfSync } from 'node:crypto';
import { concatBytes, zeroize } from '../bytes.js';
import { hmacSha256 } from '../crypto/hash.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export const X3DH_INFO = text('chaff-e2ee-x3dh-v1');
export const ROOT_KDF_INFO = text('chaff-e2ee-ratchet-root-v1');
export const MESSAGE_KDF_INFO = text('chaff-e2ee-message-v1');
export const SEAL_KDF_INFO = text('chaff-e2ee-seal-v1');

/** X3DH §2.2: 32 0xFF bytes prepended to the DH outputs (domain separation from XEdDSA). */
const F = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);
const KEY_LENGTH = 32;
const NONCE_LENGTH = 24;

/** HKDF-SHA256 (RFC 5869, Extract then Expand). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

function split(okm: Uint8Array, ...lengths: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let o = 0;
  for (const n of lengths) parts.push(okm.slice(o, (o += n)));
  zeroize(okm);
  return parts;
}

export interface X3dhKeys {
  /** SK, the root key both Double Ratchets start from. */
  readonly sharedKey: Uint8Array;
  /** The initiator's first sending header key (shared_hka of Double Ratchet §4, initialization). */
  readonly headerKeyA: Uint8Array;
  /** The responder's first sending header key (shared_nhkb of Double Ratchet §4, initialization). */
  readonly nextHeaderKeyB: Uint8Array;
}

export function x3dhKdf(dh1: Uint8Array, dh2: Uint8Array, dh3: Uint8Array): X3dhKeys {
  const ikm = concatBytes(F, dh1, dh2, dh3);
  const okm = hkdfSha256(ikm, ZERO_SALT, X3DH_INFO, 3 * KEY_LENGTH);
  zeroize(ikm);
  const [sharedKey, headerKeyA, nextHeaderKeyB] = split(okm, KEY_LENGTH, KEY_LENGTH, KEY_LENGTH);
  return { sharedKey, headerKeyA, nextHeaderKeyB };
}

export interface RootStep {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
  readonly nextHeaderKey: Uint8Array;
}

/** KDF_RK_HE(rk, dh_out) of Double Ratchet §4 (§5.2 recommendation: HKDF with rk as salt). */
export function kdfRoot(rootKey: Uint8Array, dhOutput: Uint8Array): RootStep {
  const okm = hkdfSha256(dhOutput, rootKey, ROOT_KDF_INFO, 3 * KEY_LENGTH);
  const [rk, ck, nhk] = split(okm, KEY_LENGTH, KEY_LENGTH, KEY_LENGTH);
  return { rootKey: rk, chainKey: ck, nextHeaderKey: nhk };
}

const MESSAGE_KEY_CONSTANT = Uint8Array.of(0x01);
const CHAIN_KEY_CONSTANT = Uint8Array.of(0x02);

/** KDF_CK(ck) of Double Ratchet §5.2: (next chain key, message key). */
export function kdfChain(chainKey: Uint8Array): { chainKey: Uint8Array; messageKey: Uint8Array } {
  return { chainKey: hmacSha256(chainKey, CHAIN_KEY_CONSTANT), messageKey: hmacSha256(chainKey, MESSAGE_KEY_CONSTANT) };
}

export interface AeadKey {
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/** The XChaCha20-Poly1305 key of one message key. */
export function messageAeadKey(messageKey: Uint8Array): Uint8Array {
  return hkdfSha256(messageKey, ZERO_SALT, MESSAGE_KDF_INFO, KEY_LENGTH);
}

/**
 * The key and nonce sealing one first envelope. `ephemeralAsSent` is E with
 * its randomised top bit, so that flipping that bit changes the key too.
 */
export function sealKdf(dhPrekey: Uint8Array, dhIdentity: Uint8Array, ephemeralAsSent: Uint8Array, recipientIdentityDhKey: Uint8Array, recipientPrekey: Uint8Array): AeadKey {
  const ikm = concatBytes(F, dhPrekey, dhIdentity);
  const info = concatBytes(SEAL_KDF_INFO, ephemeralAsSent, recipientIdentityDhKey, recipientPrekey);
  const okm = hkdfSha256(ikm, ZERO_SALT, info, KEY_LENGTH + NONCE_LENGTH);
  zeroize(ikm);
  const [key, nonce] = split(okm, KEY_LENGTH, NONCE_LENGTH);
  return { key, nonce };
}

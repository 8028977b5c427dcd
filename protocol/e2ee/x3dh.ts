// X3DH key agreement against a static signed prekey, no one-time prekeys
// ("The X3DH Key Agreement Protocol", rev 1, §2–3; docs/e2ee.md §X3DH).
//
//   initiator A (identity IK_A, fresh ephemeral EK_A), responder B (IK_B, SPK_B):
//     DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)
//     SK ‖ HK_A ‖ NHK_B = HKDF(F ‖ DH1 ‖ DH2 ‖ DH3)                     (kdf.ts)
//   associated data (X3DH §3.3 "AD = Encode(IK_A) ‖ Encode(IK_B)"), 128 bytes:
//     offset  size  field
//          0    32  A's Ed25519 identity key
//         32    32  A's X25519 identity DH key
//         64    32  B's Ed25519 identity key
//         96    32  B's X25519 identity DH key
//
// Every DH output is checked: an all-zero output (a small-order peer point,
// RFC 7748 §6.1) is rejected.

import { abytes, concatBytes, zeroize } from '../bytes.js';
import { X25519_KEY_LENGTH, X25519PrivateKey } from '../crypto/x25519.js';
import { verifyAddress, type Address } from './address.js';
import { E2eeError } from './errors.js';
import type { Identity, PublicIdentity } from './identity.js';
import { x3dhKdf, type X3dhKeys } from './kdf.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';

export const X3DH_AD_LENGTH = 128;

export interface X3dhResult extends X3dhKeys {
  /** AD = initiator's identity keys ‖ responder's identity keys (128 bytes). */
  readonly associatedData: Uint8Array;
}

export interface X3dhInitiation extends X3dhResult {
  /** EK_A's public key: the responder needs it, and it names the session on both sides. */
  readonly ephemeralKey: Uint8Array;
}

/** DH(own, peer), with every failure (small-order point, bad key) as a typed error. */
function dh(own: X25519PrivateKey, peer: Uint8Array, what: string): Uint8Array {
  abytes(peer, X25519_KEY_LENGTH, `x3dh: ${what}`, (message) => new E2eeError('malformed', message));
  try {
    return own.sharedSecret(peer);
  } catch {
    throw new E2eeError('malformed', `x3dh: ${what} is a low-order point (all-zero DH output)`);
  }
}

function associatedData(initiator: PublicIdentity, responder: PublicIdentity): Uint8Array {
  return concatBytes(initiator.identityKey, initiator.identityDhKey, responder.identityKey, responder.identityDhKey);
}

/** The initiator's side: verifies the peer's prekey signature, then agrees on SK with a fresh EK_A (32 random bytes). */
export function x3dhInitiate(own: Identity, peer: Address, random: RandomSource = systemRandom): X3dhInitiation {
  verifyAddress(peer);
  const ekSecret = random(X25519_KEY_LENGTH);
  const ek = X25519PrivateKey.fromBytes(ekSecret);
  zeroize(ekSecret);
  let dh1: Uint8Array | undefined;
  let dh2: Uint8Array | undefined;
  let dh3: Uint8Array | undefined;
  try {
    dh1 = dh(own.identityDhKey, peer.signedPrekey, "peer's signed prekey");
    dh2 = dh(ek, peer.identityDhKey, "peer's identity DH key");
    dh3 = dh(ek, peer.signedPrekey, "peer's signed prekey");
    const keys = x3dhKdf(dh1, dh2, dh3);
    const ad = associatedData({ identityKey: own.signingKey.publicKey, identityDhKey: own.identityDhKey.publicKey }, peer);
    return { ...keys, associatedData: ad, ephemeralKey: Uint8Array.from(ek.publicKey) };
  } finally {
    zeroize(dh1, dh2, dh3);
    ek.destroy();
  }
}

/** The responder's side, from the initiator's identity (out of its sealed address) and EK_A. */
export function x3dhRespond(own: Identity, initiator: PublicIdentity, ephemeralKey: Uint8Array): X3dhResult {
  let dh1: Uint8Array | undefined;
  let dh2: Uint8Array | undefined;
  let dh3: Uint8Array | undefined;
  try {
    dh1 = dh(own.signedPrekey, initiator.identityDhKey, "initiator's identity DH key");
    dh2 = dh(own.identityDhKey, ephemeralKey, "initiator's ephemeral key");
    dh3 = dh(own.signedPrekey, ephemeralKey, "initiator's ephemeral key");
    const keys = x3dhKdf(dh1, dh2, dh3);
    const ad = associatedData(initiator, { identityKey: own.signingKey.publicKey, identityDhKey: own.identityDhKey.publicKey });
    return { ...keys, associatedData: ad };
  } finally {
    zeroize(dh1, dh2, dh3);
  }
}

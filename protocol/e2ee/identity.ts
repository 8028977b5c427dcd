// A user's long-term end-to-end keys (docs/e2ee.md §Identity):
//   - an Ed25519 signing key: the identity, which signs the prekey;
//   - an X25519 identity DH key (X3DH's IK);
//   - an X25519 signed prekey (X3DH's SPK) and its Ed25519 signature.
// Chaff has no key server, so the prekey is static and published inside the
// user's address (no one-time prekeys; see docs/e2ee.md §11 Limits).
//
// Signed message (domain-separated, so the signature means nothing elsewhere):
//   "chaff-e2ee-prekey-v1\0" (21) ‖ identity DH public key (32) ‖ signed prekey public key (32)
//
// Stored form (for the client's encrypted store), 161 bytes:
//   offset  size  field
//        0     1  version = 0x01
//        1    32  Ed25519 seed
//       33    32  X25519 identity DH private key
//       65    32  X25519 signed prekey private key
//       97    64  prekey signature

import { abytes, concatBytes, zeroize } from '../bytes.js';
import { ED25519_SIGNATURE_LENGTH, Ed25519PrivateKey, verify } from '../crypto/ed25519.js';
import { X25519_KEY_LENGTH, X25519PrivateKey } from '../crypto/x25519.js';
import { E2eeError } from './errors.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';

export const IDENTITY_VERSION = 0x01;
export const IDENTITY_BYTES = 1 + 32 + X25519_KEY_LENGTH + X25519_KEY_LENGTH + ED25519_SIGNATURE_LENGTH;
export const PREKEY_SIGNATURE_DOMAIN = 'chaff-e2ee-prekey-v1\0';

const DOMAIN_BYTES = new TextEncoder().encode(PREKEY_SIGNATURE_DOMAIN);

/** A user's long-term key pairs. Zeroize with zeroizeIdentity when done. */
export interface Identity {
  readonly signingKey: Ed25519PrivateKey;
  readonly identityDhKey: X25519PrivateKey;
  readonly signedPrekey: X25519PrivateKey;
  readonly prekeySignature: Uint8Array;
}

/** The public half of an identity that the safety number and the X3DH AD cover. */
export interface PublicIdentity {
  /** Ed25519 public key (32). */
  readonly identityKey: Uint8Array;
  /** X25519 identity DH public key (32). */
  readonly identityDhKey: Uint8Array;
}

/** The bytes the prekey signature covers. */
export function prekeySignatureMessage(identityDhKey: Uint8Array, signedPrekey: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN_BYTES, identityDhKey, signedPrekey);
}

/** True when `signature` is `identityKey`'s signature over this identity DH key and prekey. */
export function verifyPrekeySignature(identityKey: Uint8Array, identityDhKey: Uint8Array, signedPrekey: Uint8Array, signature: Uint8Array): boolean {
  return verify(identityKey, prekeySignatureMessage(identityDhKey, signedPrekey), signature);
}

function fromSecrets(seed: Uint8Array, dh: Uint8Array, prekey: Uint8Array, signature?: Uint8Array): Identity {
  const signingKey = Ed25519PrivateKey.fromSeed(seed);
  const identityDhKey = X25519PrivateKey.fromBytes(dh);
  const signedPrekey = X25519PrivateKey.fromBytes(prekey);
  const prekeySignature = signature ?? signingKey.sign(prekeySignatureMessage(identityDhKey.publicKey, signedPrekey.publicKey));
  return { signingKey, identityDhKey, signedPrekey, prekeySignature };
}

/** A fresh identity: 96 bytes of randomness (seed, identity DH key, prekey, in that order). */
export function generateIdentity(random: RandomSource = systemRandom): Identity {
  const seed = random(32);
  const dh = random(X25519_KEY_LENGTH);
  const prekey = random(X25519_KEY_LENGTH);
  try {
    return fromSecrets(seed, dh, prekey);
  } finally {
    zeroize(seed, dh, prekey);
  }
}

export function publicIdentityOf(identity: Identity): PublicIdentity {
  return { identityKey: identity.signingKey.publicKey, identityDhKey: identity.identityDhKey.publicKey };
}

/** The 161-byte stored form. It holds private keys: encrypt it at rest and wipe it after use. */
export function serializeIdentity(identity: Identity): Uint8Array {
  const seed = identity.signingKey.toSeed();
  const dh = identity.identityDhKey.toBytes();
  const prekey = identity.signedPrekey.toBytes();
  try {
    return concatBytes(Uint8Array.of(IDENTITY_VERSION), seed, dh, prekey, identity.prekeySignature);
  } finally {
    zeroize(seed, dh, prekey);
  }
}

/** Parses the stored form; checks the version and that the stored signature matches the keys. */
export function deserializeIdentity(bytes: Uint8Array): Identity {
  abytes(bytes, IDENTITY_BYTES, 'identity: stored form', (message) => new E2eeError('malformed', message));
  if (bytes[0] !== IDENTITY_VERSION) throw new E2eeError('malformed', `identity: unknown version ${bytes[0]}`);
  const identity = fromSecrets(bytes.subarray(1, 33), bytes.subarray(33, 65), bytes.subarray(65, 97), bytes.slice(97, IDENTITY_BYTES));
  if (!verifyPrekeySignature(identity.signingKey.publicKey, identity.identityDhKey.publicKey, identity.signedPrekey.publicKey, identity.prekeySignature)) {
    zeroizeIdentity(identity);
    throw new E2eeError('malformed', 'identity: the prekey signature does not match the stored keys (corrupted)');
  }
  return identity;
}

/** Wipes the private keys (best effort: OpenSSL's copies go when the key objects are collected). */
export function zeroizeIdentity(identity: Identity): void {
  identity.signingKey.destroy();
  identity.identityDhKey.destroy();
  identity.signedPrekey.destroy();
}

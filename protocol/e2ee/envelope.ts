// The envelope: the fixed-size user payload of a Sphinx packet as the
// recipient's gateway stores it (docs/e2ee.md §6 Envelopes). Two kinds, both
// exactly L bytes (L = 2048 in production), both indistinguishable from random
// bytes to anyone without the keys (but see the EK note below):
//
// Later envelope (the sender has heard from the peer in this session):
//   offset  size    field
//        0    80    encrypted ratchet header (header.ts)
//       80    L−80  ratchet body = nonce 24 ‖ XChaCha20-Poly1305(body key, nonce, padded plaintext of L−120 bytes)
//
// First envelope (sealed sender; sent until the initiator hears back):
//   offset  size    field
//        0    32    E: a fresh X25519 public key per envelope, top bit of byte 31 randomised
//       32    L−32  XChaCha20-Poly1305(seal key, sealed content of L−48 bytes)   (key: kdf.ts sealKdf,
//                   from DH(E, SPK_B) and DH(E, IK_B))
//   sealed content:
//        0   225    sender's address (address.ts), so the recipient can reply
//      225    32    EK_A, the session's X3DH ephemeral key
//      257    80    encrypted ratchet header
//      337    L−385 ratchet body = nonce 24 ‖ XChaCha20-Poly1305(body key, nonce, padded plaintext of L−425 bytes)
//
// Padding (padding.ts) fills each kind exactly, so there are no unauthenticated
// bytes: flipping any bit makes the envelope fail. The plaintext limit is the
// same for both kinds, maxPlaintextLength(L) = L − 427, so a client can
// fragment at one constant size.
//
// E is fresh per first envelope (X3DH's EK_A, which is per session, travels
// inside), so two first envelopes of one session share no bytes. RFC 7748 §5
// ignores the top bit of a u-coordinate; an honest X25519 public key always
// has it 0, so it is randomised to keep first envelopes from standing out. The
// rest of E is still a curve point, which a distinguisher can test (about half
// of random strings are not); a full fix needs Elligator 2 (docs/e2ee.md §11 Limits).

import { concatBytes, zeroize } from '../bytes.js';
import { X25519_KEY_LENGTH, X25519PrivateKey, importPublicKey } from '../crypto/x25519.js';
import { AEAD_TAG_LENGTH, aeadDecrypt, aeadEncrypt } from './aead.js';
import { ADDRESS_BYTES, type Address } from './address.js';
import { ENCRYPTED_HEADER_BYTES } from './header.js';
import type { Identity } from './identity.js';
import { sealKdf } from './kdf.js';
import { PADDING_LENGTH_FIELD } from './padding.js';
import type { RandomSource } from '../crypto/random.js';
import { MESSAGE_BODY_OVERHEAD } from './ratchet.js';

export const PRODUCTION_ENVELOPE_LENGTH = 2048;
/** Envelope bytes that are not padded plaintext, later kind: header 80 + body nonce 24 + body tag 16. */
export const LATER_ENVELOPE_OVERHEAD = ENCRYPTED_HEADER_BYTES + MESSAGE_BODY_OVERHEAD;
/** Envelope bytes that are not padded plaintext, first kind: E 32 + seal tag 16 + address 225 + EK_A 32 + header 80 + body nonce 24 + body tag 16. */
export const FIRST_ENVELOPE_OVERHEAD = X25519_KEY_LENGTH + AEAD_TAG_LENGTH + ADDRESS_BYTES + X25519_KEY_LENGTH + ENCRYPTED_HEADER_BYTES + MESSAGE_BODY_OVERHEAD;
/** Offsets inside the sealed content of a first envelope. */
export const SEALED_EPHEMERAL_OFFSET = ADDRESS_BYTES;
export const SEALED_HEADER_OFFSET = SEALED_EPHEMERAL_OFFSET + X25519_KEY_LENGTH;
export const SEALED_BODY_OFFSET = SEALED_HEADER_OFFSET + ENCRYPTED_HEADER_BYTES;
/** Smallest envelope that carries at least one plaintext byte. */
export const MIN_ENVELOPE_LENGTH = FIRST_ENVELOPE_OVERHEAD + PADDING_LENGTH_FIELD + 1;
/** Largest envelope (the padding's u16 length field bounds the plaintext). */
export const MAX_ENVELOPE_LENGTH = 65536;

const TOP_BIT = 0x80;

export function isValidEnvelopeLength(length: number): boolean {
  return Number.isInteger(length) && length >= MIN_ENVELOPE_LENGTH && length <= MAX_ENVELOPE_LENGTH;
}

function checkEnvelopeLength(length: number): void {
  if (!isValidEnvelopeLength(length)) {
    throw new RangeError(`envelope length must be an integer in [${MIN_ENVELOPE_LENGTH}, ${MAX_ENVELOPE_LENGTH}], got ${length}`);
  }
}

/** The largest plaintext that fits in every kind of envelope of this length (1621 for 2048). */
export function maxPlaintextLength(envelopeLength: number): number {
  checkEnvelopeLength(envelopeLength);
  return envelopeLength - FIRST_ENVELOPE_OVERHEAD - PADDING_LENGTH_FIELD;
}

/** Size of the padded plaintext inside a later envelope. */
export function laterPaddedLength(envelopeLength: number): number {
  checkEnvelopeLength(envelopeLength);
  return envelopeLength - LATER_ENVELOPE_OVERHEAD;
}

/** Size of the padded plaintext inside a first envelope. */
export function firstPaddedLength(envelopeLength: number): number {
  checkEnvelopeLength(envelopeLength);
  return envelopeLength - FIRST_ENVELOPE_OVERHEAD;
}

/**
 * The outer layer of a first envelope: E ‖ AEAD(seal key, content). Uses 32
 * random bytes for E's secret, then 1 byte for E's top bit.
 */
export function sealToRecipient(recipient: Pick<Address, 'identityDhKey' | 'signedPrekey'>, content: Uint8Array, random: RandomSource): Uint8Array {
  const secret = random(X25519_KEY_LENGTH);
  const e = X25519PrivateKey.fromBytes(secret);
  zeroize(secret);
  const asSent = Uint8Array.from(e.publicKey);
  asSent[X25519_KEY_LENGTH - 1] |= random(1)[0] & TOP_BIT;
  let dhPrekey: Uint8Array | undefined;
  let dhIdentity: Uint8Array | undefined;
  try {
    dhPrekey = e.sharedSecret(recipient.signedPrekey);
    dhIdentity = e.sharedSecret(recipient.identityDhKey);
    const { key, nonce } = sealKdf(dhPrekey, dhIdentity, asSent, recipient.identityDhKey, recipient.signedPrekey);
    const sealed = aeadEncrypt(key, nonce, content);
    zeroize(key, nonce);
    return concatBytes(asSent, sealed);
  } finally {
    zeroize(dhPrekey, dhIdentity);
    e.destroy();
  }
}

/** Opens the outer layer of a first envelope sealed to `own`; null if it was not (or was modified). */
export function openSealed(own: Identity, envelope: Uint8Array): Uint8Array | null {
  if (envelope.length < X25519_KEY_LENGTH + AEAD_TAG_LENGTH) return null;
  const asSent = envelope.subarray(0, X25519_KEY_LENGTH);
  const point = Uint8Array.from(asSent);
  point[X25519_KEY_LENGTH - 1] &= ~TOP_BIT;
  let dhPrekey: Uint8Array | undefined;
  let dhIdentity: Uint8Array | undefined;
  try {
    const e = importPublicKey(point);
    dhPrekey = own.signedPrekey.sharedSecret(e);
    dhIdentity = own.identityDhKey.sharedSecret(e);
  } catch {
    zeroize(dhPrekey);
    return null; // a low-order "E" (random bytes can be one): nothing sealed to us
  }
  const { key, nonce } = sealKdf(dhPrekey, dhIdentity, asSent, own.identityDhKey.publicKey, own.signedPrekey.publicKey);
  zeroize(dhPrekey, dhIdentity);
  const content = aeadDecrypt(key, nonce, envelope.subarray(X25519_KEY_LENGTH));
  zeroize(key, nonce);
  return content;
}

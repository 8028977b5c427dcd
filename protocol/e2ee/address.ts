// The shareable Chaff address: everything a peer needs to open a session with
// a user and to reach their mailbox, with no key server (docs/e2ee.md §Address).
//
// Binary form, 225 bytes:
//   offset  size  field
//        0     1  version = 0x01
//        1    32  Ed25519 identity key
//       33    32  X25519 identity DH key (IK)
//       65    32  X25519 signed prekey (SPK)
//       97    64  Ed25519 signature of the prekey (identity.ts: over domain ‖ IK ‖ SPK)
//      161    32  gateway node id (opaque here; the client fills it in)
//      193    32  mailbox id (opaque here)
//
// Text form: bech32m (BIP 350) with human-readable prefix "chaff" over the
// 225 bytes (360 five-bit characters): "chaff1" ‖ 360 data chars ‖ 6 checksum
// chars = 372 characters. bech32's 90-character limit is raised for this one
// fixed length. At this length the checksum no longer guarantees catching
// every 4-character error (BIP 173 bounds that to 89 chars), but any random
// corruption still passes with probability about 2^-30, and a change to the
// keys must also forge the prekey signature, which decoding checks.

import { bech32m } from '@scure/base';
import { concatBytes, ctEqual } from '../bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH } from '../crypto/ed25519.js';
import { X25519_KEY_LENGTH } from '../crypto/x25519.js';
import { verifyPrekeySignature, type Identity, type PublicIdentity } from './identity.js';

export const ADDRESS_VERSION = 0x01;
export const ADDRESS_PREFIX = 'chaff';
export const GATEWAY_ID_LENGTH = 32;
export const MAILBOX_ID_LENGTH = 32;
export const ADDRESS_BYTES =
  1 + ED25519_PUBLIC_KEY_LENGTH + X25519_KEY_LENGTH + X25519_KEY_LENGTH + ED25519_SIGNATURE_LENGTH + GATEWAY_ID_LENGTH + MAILBOX_ID_LENGTH;
/** Characters in the text form: prefix, separator "1", data, 6 checksum characters. */
export const ADDRESS_TEXT_LENGTH = ADDRESS_PREFIX.length + 1 + Math.ceil((ADDRESS_BYTES * 8) / 5) + 6;

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

export type AddressErrorReason =
  /** Not a string, mixed case, or a character outside the bech32 alphabet. */
  | 'encoding'
  /** Does not start with "chaff1". */
  | 'prefix'
  /** The bech32m checksum does not match: a typo. */
  | 'checksum'
  /** Wrong number of characters or bytes, or a field of the wrong size. */
  | 'length'
  /** An address version this code does not know. */
  | 'version'
  /** The prekey signature does not verify under the identity key. */
  | 'signature';

export class AddressError extends Error {
  readonly reason: AddressErrorReason;

  constructor(reason: AddressErrorReason, message: string) {
    super(message);
    this.name = 'AddressError';
    this.reason = reason;
  }
}

/** A decoded, verified address. */
export interface Address extends PublicIdentity {
  readonly signedPrekey: Uint8Array;
  readonly prekeySignature: Uint8Array;
  readonly gateway: Uint8Array;
  readonly mailbox: Uint8Array;
}

/** The address of one's own identity at this gateway and mailbox. */
export function addressOf(identity: Identity, gateway: Uint8Array, mailbox: Uint8Array): Address {
  const address: Address = {
    identityKey: identity.signingKey.publicKey,
    identityDhKey: identity.identityDhKey.publicKey,
    signedPrekey: identity.signedPrekey.publicKey,
    prekeySignature: Uint8Array.from(identity.prekeySignature),
    gateway: Uint8Array.from(gateway),
    mailbox: Uint8Array.from(mailbox),
  };
  checkFieldLengths(address);
  return address;
}

function checkField(value: unknown, length: number, name: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new AddressError('length', `address: ${name} must be ${length} bytes`);
  }
}

function checkFieldLengths(a: Address): void {
  checkField(a.identityKey, ED25519_PUBLIC_KEY_LENGTH, 'identity key');
  checkField(a.identityDhKey, X25519_KEY_LENGTH, 'identity DH key');
  checkField(a.signedPrekey, X25519_KEY_LENGTH, 'signed prekey');
  checkField(a.prekeySignature, ED25519_SIGNATURE_LENGTH, 'prekey signature');
  checkField(a.gateway, GATEWAY_ID_LENGTH, 'gateway node id');
  checkField(a.mailbox, MAILBOX_ID_LENGTH, 'mailbox id');
}

/** Throws AddressError('signature') unless the prekey signature verifies (X3DH §3.3: verify before use). */
export function verifyAddress(a: Address): void {
  checkFieldLengths(a);
  if (!verifyPrekeySignature(a.identityKey, a.identityDhKey, a.signedPrekey, a.prekeySignature)) {
    throw new AddressError('signature', 'address: the prekey signature does not verify under the identity key');
  }
}

/** The 225-byte binary form. */
export function addressToBytes(a: Address): Uint8Array {
  checkFieldLengths(a);
  return concatBytes(Uint8Array.of(ADDRESS_VERSION), a.identityKey, a.identityDhKey, a.signedPrekey, a.prekeySignature, a.gateway, a.mailbox);
}

/** Parses and verifies the binary form (length, version, prekey signature). */
export function addressFromBytes(bytes: Uint8Array): Address {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ADDRESS_BYTES) {
    throw new AddressError('length', `address: must be ${ADDRESS_BYTES} bytes`);
  }
  if (bytes[0] !== ADDRESS_VERSION) {
    throw new AddressError('version', `address: unknown version ${bytes[0]} (this client knows version ${ADDRESS_VERSION})`);
  }
  let o = 1;
  const take = (n: number): Uint8Array => bytes.slice(o, (o += n));
  const address: Address = {
    identityKey: take(ED25519_PUBLIC_KEY_LENGTH),
    identityDhKey: take(X25519_KEY_LENGTH),
    signedPrekey: take(X25519_KEY_LENGTH),
    prekeySignature: take(ED25519_SIGNATURE_LENGTH),
    gateway: take(GATEWAY_ID_LENGTH),
    mailbox: take(MAILBOX_ID_LENGTH),
  };
  verifyAddress(address);
  return address;
}

/** The text form: "chaff1…" (372 lower-case characters). */
export function encodeAddress(a: Address): string {
  return bech32m.encode(ADDRESS_PREFIX, bech32m.toWords(addressToBytes(a)), ADDRESS_TEXT_LENGTH);
}

/**
 * Parses the text form (surrounding whitespace ignored; all lower or all
 * upper case), checks length, prefix, alphabet, checksum, version and the
 * prekey signature. Throws AddressError saying which check failed.
 */
export function decodeAddress(text: string): Address {
  if (typeof text !== 'string') throw new AddressError('encoding', 'address: not a string');
  const trimmed = text.trim();
  if (trimmed.length !== ADDRESS_TEXT_LENGTH) {
    throw new AddressError('length', `address: expected ${ADDRESS_TEXT_LENGTH} characters, got ${trimmed.length} (incomplete or extra characters?)`);
  }
  const lower = trimmed.toLowerCase();
  if (trimmed !== lower && trimmed !== trimmed.toUpperCase()) {
    throw new AddressError('encoding', 'address: mixes upper- and lower-case letters');
  }
  if (!lower.startsWith(`${ADDRESS_PREFIX}1`)) {
    throw new AddressError('prefix', `address: must start with "${ADDRESS_PREFIX}1"`);
  }
  for (let i = ADDRESS_PREFIX.length + 1; i < lower.length; i++) {
    if (!BECH32_CHARSET.includes(lower[i])) {
      throw new AddressError('encoding', `address: character ${i + 1} ("${trimmed[i]}") is not in the bech32 alphabet (no 1, b, i, o)`);
    }
  }
  let words: number[];
  try {
    words = bech32m.decode(lower as `${string}1${string}`, ADDRESS_TEXT_LENGTH).words;
  } catch {
    throw new AddressError('checksum', 'address: checksum mismatch (a typo somewhere in the address)');
  }
  const bytes = bech32m.fromWordsUnsafe(words);
  if (!bytes) throw new AddressError('encoding', 'address: non-zero padding bits');
  return addressFromBytes(bytes);
}

/** Same Ed25519 identity key and X25519 identity DH key (constant time). */
export function sameIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  return ctEqual(a.identityKey, b.identityKey) && ctEqual(a.identityDhKey, b.identityDhKey);
}

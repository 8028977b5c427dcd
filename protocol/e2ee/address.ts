// The shareable Chaff address: everything a peer needs to open a session with
// a user and to reach their mailbox, with no key server (docs/e2ee.md §Address).
//
// Binary form (version 2), 225 bytes:
//   offset  size  field
//        0     1  version = 0x02
//        1    32  Ed25519 identity key
//       33    32  X25519 identity DH key (IK)
//       65    32  X25519 signed prekey (SPK)
//       97    32  gateway node id (opaque here; the client fills it in)
//      129    32  mailbox id (opaque here)
//      161    64  Ed25519 signature by the identity key over
//                 "chaff-e2ee-address-v2\0" (22) ‖ bytes 0 … 160
//
// The signature covers every field, so nobody but the identity's owner can
// put its keys beside another gateway or mailbox. Version 1 (a signature over
// IK ‖ SPK only, gateway and mailbox unsigned) is refused with reason
// 'version': docs/e2ee.md §Address says why and what an old profile does.
// Note what the signature does not say: that the mailbox is the signer's.
// Anyone can sign an address of their own keys naming someone else's
// mailbox; the client never takes that as a claim on the mailbox's owner
// (docs/e2ee.md §Address, mailbox-proof.ts).
//
// Text form: bech32m (BIP 350) with human-readable prefix "chaff" over the
// 225 bytes (360 five-bit characters): "chaff1" ‖ 360 data chars ‖ 6 checksum
// chars = 372 characters. bech32's 90-character limit is raised for this one
// fixed length. At this length the checksum no longer guarantees catching
// every 4-character error (BIP 173 bounds that to 89 chars), but any random
// corruption still passes with probability about 2^-30, and a change to any
// field must also forge the signature, which decoding checks.

import { bech32m } from '@scure/base';
import { abytes, concatBytes, ctEqual } from '../bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, verify } from '../crypto/ed25519.js';
import { X25519_KEY_LENGTH } from '../crypto/x25519.js';
import type { Identity, PublicIdentity } from './identity.js';

export const ADDRESS_VERSION = 0x02;
/** The version before every field was signed; refused. */
export const LEGACY_ADDRESS_VERSION = 0x01;
export const ADDRESS_SIGNATURE_DOMAIN = 'chaff-e2ee-address-v2\0';
const DOMAIN_BYTES = new TextEncoder().encode(ADDRESS_SIGNATURE_DOMAIN);
export const ADDRESS_PREFIX = 'chaff';
export const GATEWAY_ID_LENGTH = 32;
export const MAILBOX_ID_LENGTH = 32;
export const ADDRESS_BYTES = 1 + ED25519_PUBLIC_KEY_LENGTH + X25519_KEY_LENGTH + X25519_KEY_LENGTH + ED25519_SIGNATURE_LENGTH + GATEWAY_ID_LENGTH + MAILBOX_ID_LENGTH;
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
  /** The address signature does not verify under the identity key. */
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
  readonly gateway: Uint8Array;
  readonly mailbox: Uint8Array;
  /** The identity key's signature over every other field (addressSignedBytes). */
  readonly signature: Uint8Array;
}

/** The fields an address signature covers, in wire order. */
type UnsignedAddress = Omit<Address, 'signature'>;

/** The bytes the address signature covers: domain ‖ version ‖ identity key ‖ IK ‖ SPK ‖ gateway ‖ mailbox. */
export function addressSignedBytes(a: UnsignedAddress): Uint8Array {
  return concatBytes(DOMAIN_BYTES, Uint8Array.of(ADDRESS_VERSION), a.identityKey, a.identityDhKey, a.signedPrekey, a.gateway, a.mailbox);
}

/** The address of one's own identity at this gateway and mailbox, signed by the identity key. */
export function addressOf(identity: Identity, gateway: Uint8Array, mailbox: Uint8Array): Address {
  const unsigned: UnsignedAddress = {
    identityKey: identity.signingKey.publicKey,
    identityDhKey: identity.identityDhKey.publicKey,
    signedPrekey: identity.signedPrekey.publicKey,
    gateway: Uint8Array.from(gateway),
    mailbox: Uint8Array.from(mailbox),
  };
  checkFieldLengths({ ...unsigned, signature: new Uint8Array(ED25519_SIGNATURE_LENGTH) });
  return { ...unsigned, signature: identity.signingKey.sign(addressSignedBytes(unsigned)) };
}

function checkField(value: unknown, length: number, name: string): void {
  abytes(value, length, `address: ${name}`, lengthError);
}

const lengthError = (message: string): AddressError => new AddressError('length', message);

function checkFieldLengths(a: Address): void {
  checkField(a.identityKey, ED25519_PUBLIC_KEY_LENGTH, 'identity key');
  checkField(a.identityDhKey, X25519_KEY_LENGTH, 'identity DH key');
  checkField(a.signedPrekey, X25519_KEY_LENGTH, 'signed prekey');
  checkField(a.gateway, GATEWAY_ID_LENGTH, 'gateway node id');
  checkField(a.mailbox, MAILBOX_ID_LENGTH, 'mailbox id');
  checkField(a.signature, ED25519_SIGNATURE_LENGTH, 'signature');
}

/**
 * Throws AddressError('signature') unless the identity key's signature over
 * every field verifies (X3DH §3.3: verify the prekey before use; here the
 * gateway and mailbox too).
 */
export function verifyAddress(a: Address): void {
  checkFieldLengths(a);
  if (!verify(a.identityKey, addressSignedBytes(a), a.signature)) {
    throw new AddressError('signature', 'address: the signature does not verify under the identity key');
  }
}

/** The 225-byte binary form. */
export function addressToBytes(a: Address): Uint8Array {
  checkFieldLengths(a);
  return concatBytes(Uint8Array.of(ADDRESS_VERSION), a.identityKey, a.identityDhKey, a.signedPrekey, a.gateway, a.mailbox, a.signature);
}

/** Parses and verifies the binary form (length, version, signature). */
export function addressFromBytes(bytes: Uint8Array): Address {
  abytes(bytes, ADDRESS_BYTES, 'address', lengthError);
  if (bytes[0] === LEGACY_ADDRESS_VERSION) {
    throw new AddressError('version', 'address: a version 1 address (its gateway and mailbox are not signed); ask its owner for their current address');
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
    gateway: take(GATEWAY_ID_LENGTH),
    mailbox: take(MAILBOX_ID_LENGTH),
    signature: take(ED25519_SIGNATURE_LENGTH),
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
 * signature. Throws AddressError saying which check failed.
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

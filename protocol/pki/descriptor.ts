// A node's signed descriptor: what a mix or gateway uploads to every
// directory authority for one epoch (docs/pki.md §Descriptor).
//
// Encoding: canonical JSON (keys sorted, no whitespace, lower-case hex for
// bytes, integers only where integers are meant, strings restricted to
// printable ASCII without '"' and '\' so nothing is ever escaped). Decoding
// re-encodes and insists on the same bytes, so every value has exactly one
// encoding and a signature covers one meaning.
//
// Signed form: descriptorBytes || Ed25519(identity, "chaff-descriptor-v1\0" || descriptorBytes).

import { abytes, concatBytes, ctIsZero, fromHex, toHex } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, Ed25519PrivateKey, verify } from '../crypto/ed25519.js';
import { canonicalJson, parseCanonicalJson, type CanonicalValue } from './canonical-json.js';

// ---------------------------------------------------------------- descriptor

export const DESCRIPTOR_DOMAIN = 'chaff-descriptor-v1\0';
export const MAX_DESCRIPTOR_LENGTH = 4096;
export const MAX_ADDRESSES = 8;
export const MAX_ADDRESS_LENGTH = 256;
export const MAX_NAME_LENGTH = 64;
/**
 * At most this many other nodes in a family declaration. With every other
 * field at its bound a descriptor still fits MAX_DESCRIPTOR_LENGTH
 * (test/protocol/pki/descriptor.test.ts checks it).
 */
export const MAX_FAMILY = 16;
/** A descriptor for epoch e may carry Sphinx keys for epochs e .. e + SPHINX_KEY_WINDOW - 1. */
export const SPHINX_KEY_WINDOW = 4;
export const SPHINX_PUBLIC_KEY_LENGTH = 32;

export type NodeRole = 'mix' | 'gateway';
export const NODE_ROLES: readonly NodeRole[] = ['mix', 'gateway'];

const NAME = /^[A-Za-z0-9._-]+$/;
// A multiaddr in its string form: '/'-separated, printable, no whitespace. Full parsing is the transport's job.
const ADDRESS = /^(\/[\x21-\x7e]+)+$/;

/** A node's descriptor (decoded). Sphinx keys map an epoch number to an X25519 public key. */
export interface Descriptor {
  identityKey: Uint8Array;
  name: string;
  role: NodeRole;
  addresses: string[];
  epoch: number;
  sphinxKeys: Map<number, Uint8Array>;
  /** Revision number chosen by the node: a later upload for the same epoch carries a higher one. */
  version: number;
  /**
   * The identity keys of the other nodes its operator runs (Tor's MyFamily),
   * sorted by bytes, no duplicates, not its own. Absent or empty: none. Two
   * nodes count as one family only when each declares the other
   * (protocol/pki/families.ts), so declaring someone else's node does nothing.
   */
  family?: Uint8Array[];
}

export type DescriptorErrorCode =
  'oversize' | 'malformed' | 'bad-size' | 'bad-name' | 'unknown-role' | 'bad-address' | 'too-many-addresses' | 'bad-epoch' | 'bad-sphinx-keys' | 'bad-version' | 'bad-family' | 'bad-signature';

export class DescriptorError extends Error {
  readonly code: DescriptorErrorCode;
  constructor(code: DescriptorErrorCode, message: string) {
    super(`descriptor: ${message}`);
    this.name = 'DescriptorError';
    this.code = code;
  }
}

const badSize = (message: string): DescriptorError => new DescriptorError('bad-size', message);

function fail(code: DescriptorErrorCode, message: string): never {
  throw new DescriptorError(code, message);
}

function isEpoch(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Checks every field of `d`; throws DescriptorError naming the first problem. */
export function validateDescriptor(d: Descriptor): void {
  if (d === null || typeof d !== 'object') fail('malformed', 'expected an object');
  abytes(d.identityKey, ED25519_PUBLIC_KEY_LENGTH, 'identityKey', badSize);
  if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > MAX_NAME_LENGTH || !NAME.test(d.name)) {
    fail('bad-name', `name must be 1..${MAX_NAME_LENGTH} characters of [A-Za-z0-9._-]`);
  }
  if (!NODE_ROLES.includes(d.role)) fail('unknown-role', `role must be one of ${NODE_ROLES.join(', ')}`);
  if (!Array.isArray(d.addresses)) fail('bad-address', 'addresses must be an array');
  if (d.addresses.length > MAX_ADDRESSES) fail('too-many-addresses', `at most ${MAX_ADDRESSES} addresses`);
  if (d.addresses.length === 0) fail('bad-address', 'at least one address');
  const seen = new Set<string>();
  for (const a of d.addresses) {
    if (typeof a !== 'string' || a.length > MAX_ADDRESS_LENGTH || !ADDRESS.test(a)) {
      fail('bad-address', `addresses must be multiaddr strings of at most ${MAX_ADDRESS_LENGTH} printable characters`);
    }
    if (seen.has(a)) fail('bad-address', 'duplicate address');
    seen.add(a);
  }
  if (!isEpoch(d.epoch) || !Number.isSafeInteger(d.epoch + SPHINX_KEY_WINDOW)) fail('bad-epoch', 'epoch must be a non-negative integer');
  if (!(d.sphinxKeys instanceof Map)) fail('bad-sphinx-keys', 'sphinxKeys must be a Map');
  if (d.sphinxKeys.size > SPHINX_KEY_WINDOW) fail('bad-sphinx-keys', `at most ${SPHINX_KEY_WINDOW} Sphinx keys`);
  for (const [e, key] of d.sphinxKeys) {
    if (!isEpoch(e) || e < d.epoch || e >= d.epoch + SPHINX_KEY_WINDOW) {
      fail('bad-sphinx-keys', `Sphinx key epochs must lie in [epoch, epoch + ${SPHINX_KEY_WINDOW})`);
    }
    abytes(key, SPHINX_PUBLIC_KEY_LENGTH, `Sphinx key for epoch ${e}`, badSize);
    if (ctIsZero(key)) fail('bad-sphinx-keys', 'all-zero Sphinx key');
  }
  if (!d.sphinxKeys.has(d.epoch) || !d.sphinxKeys.has(d.epoch + 1)) {
    fail('bad-sphinx-keys', 'Sphinx keys for the descriptor epoch and the next one are required');
  }
  if (!isEpoch(d.version) || d.version > 0xffffffff) fail('bad-version', 'version must be an integer in 0..2^32-1');
  if (d.family !== undefined) validateFamily(d.family, d.identityKey);
}

function validateFamily(family: Uint8Array[], self: Uint8Array): void {
  if (!Array.isArray(family)) fail('bad-family', 'family must be an array of identity keys');
  if (family.length > MAX_FAMILY) fail('bad-family', `at most ${MAX_FAMILY} nodes in a family declaration`);
  let previous: Uint8Array | undefined;
  for (const key of family) {
    abytes(key, ED25519_PUBLIC_KEY_LENGTH, 'family member (an identity key)', (message) => new DescriptorError('bad-family', message));
    if (previous && Buffer.compare(previous, key) >= 0) fail('bad-family', 'family must be sorted by bytes, without duplicates');
    if (Buffer.compare(key, self) === 0) fail('bad-family', 'a node does not list itself in its family');
    previous = key;
  }
}

/**
 * A node's family declaration as a descriptor carries it, from identity keys
 * in hex (e.g. a node's config): sorted, without duplicates and without the
 * node's own key, so one list can be pasted into the config of every node of
 * the family.
 */
export function familyDeclaration(identityKeysHex: readonly string[], self: Uint8Array): Uint8Array[] {
  const own = toHex(self);
  const keys = [...new Set(identityKeysHex.map((k) => k.toLowerCase()))].filter((k) => k !== own).sort();
  for (const k of keys) if (!HEX32.test(k)) fail('bad-family', `family member "${k}" is not a 32-byte identity key in hex`);
  return keys.map((k) => fromHex(k));
}

function toCanonical(d: Descriptor): CanonicalValue {
  const keys: { [epoch: string]: CanonicalValue } = {};
  for (const [e, key] of d.sphinxKeys) keys[String(e)] = toHex(key);
  return {
    addresses: [...d.addresses],
    epoch: d.epoch,
    // Present only when non-empty: a descriptor without a family has the
    // bytes it had before families existed, and each value one encoding.
    ...(d.family?.length ? { family: d.family.map(toHex) } : {}),
    identityKey: toHex(d.identityKey),
    name: d.name,
    role: d.role,
    sphinxKeys: keys,
    version: d.version,
  };
}

/** The canonical bytes of a descriptor (validated first). */
export function encodeDescriptor(d: Descriptor): Uint8Array {
  validateDescriptor(d);
  const bytes = canonicalJson(toCanonical(d));
  if (bytes.length > MAX_DESCRIPTOR_LENGTH) fail('oversize', `encoding exceeds ${MAX_DESCRIPTOR_LENGTH} bytes`);
  return bytes;
}

const HEX32 = /^[0-9a-f]{64}$/;
const EPOCH_KEY = /^(0|[1-9][0-9]*)$/;

function hex32(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !HEX32.test(value)) fail('bad-size', `${what} must be 32 bytes of lower-case hex`);
  return fromHex(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const FIELDS = ['addresses', 'epoch', 'identityKey', 'name', 'role', 'sphinxKeys', 'version'];
const FIELDS_WITH_FAMILY = [...FIELDS, 'family'].sort();

/** A canonical family list: a non-empty array of hex identity keys (order and the rest: validateFamily). */
export function familyFromCanonical(v: unknown, fail: (message: string) => never): Uint8Array[] {
  if (!Array.isArray(v) || v.length === 0) fail('family must be a non-empty array when present');
  return v.map((k) => {
    if (typeof k !== 'string' || !HEX32.test(k)) fail('family members must be 32 bytes of lower-case hex');
    return fromHex(k);
  });
}

/** Decodes and validates canonical descriptor bytes (no signature check). */
export function decodeDescriptor(bytes: Uint8Array): Descriptor {
  if (!(bytes instanceof Uint8Array)) fail('malformed', 'expected bytes');
  if (bytes.length > MAX_DESCRIPTOR_LENGTH) fail('oversize', `encoding exceeds ${MAX_DESCRIPTOR_LENGTH} bytes`);
  const v = parseCanonicalJson(bytes);
  if (!isPlainObject(v)) fail('malformed', 'not a canonical JSON object');
  const keys = Object.keys(v).sort();
  if (keys.join() !== FIELDS.join() && keys.join() !== FIELDS_WITH_FAMILY.join()) fail('malformed', `fields must be exactly ${FIELDS.join(', ')} and optionally family`);
  if (!Array.isArray(v.addresses)) fail('bad-address', 'addresses must be an array');
  if (!isPlainObject(v.sphinxKeys)) fail('bad-sphinx-keys', 'sphinxKeys must be an object');
  const sphinxKeys = new Map<number, Uint8Array>();
  for (const [e, key] of Object.entries(v.sphinxKeys)) {
    if (!EPOCH_KEY.test(e)) fail('bad-sphinx-keys', 'Sphinx key epochs must be decimal integers');
    sphinxKeys.set(Number(e), hex32(key, 'Sphinx key'));
  }
  const d: Descriptor = {
    identityKey: hex32(v.identityKey, 'identityKey'),
    name: v.name as string,
    role: v.role as NodeRole,
    addresses: v.addresses as string[],
    epoch: v.epoch as number,
    sphinxKeys,
    version: v.version as number,
  };
  if ('family' in v) d.family = familyFromCanonical(v.family, (m) => fail('bad-family', m));
  validateDescriptor(d);
  return d;
}

// ---------------------------------------------------------------- signatures

const DOMAIN_BYTES = new TextEncoder().encode(DESCRIPTOR_DOMAIN);

/** A descriptor as uploaded: its canonical bytes and the node's signature over them. */
export interface SignedDescriptor {
  bytes: Uint8Array;
  signature: Uint8Array;
}

/** Encodes `d` and signs it with the node's identity key (which must match d.identityKey). */
export function signDescriptor(d: Descriptor, identity: Ed25519PrivateKey): SignedDescriptor {
  const bytes = encodeDescriptor(d);
  if (toHex(identity.publicKey) !== toHex(d.identityKey)) fail('bad-signature', 'signing key does not match identityKey');
  return { bytes, signature: identity.sign(concatBytes(DOMAIN_BYTES, bytes)) };
}

/** Decodes a signed descriptor and checks its signature; returns the descriptor or throws DescriptorError. */
export function verifyDescriptor(signed: SignedDescriptor): Descriptor {
  if (signed === null || typeof signed !== 'object') fail('malformed', 'expected {bytes, signature}');
  const d = decodeDescriptor(signed.bytes);
  if (!(signed.signature instanceof Uint8Array) || signed.signature.length !== ED25519_SIGNATURE_LENGTH) {
    fail('bad-size', `signature must be ${ED25519_SIGNATURE_LENGTH} bytes`);
  }
  if (!verify(d.identityKey, concatBytes(DOMAIN_BYTES, signed.bytes), signed.signature)) {
    fail('bad-signature', 'signature does not verify under identityKey');
  }
  return d;
}

/** Wire form of a signed descriptor: bytes || 64-byte signature. */
export function encodeSignedDescriptor(signed: SignedDescriptor): Uint8Array {
  if (signed.signature.length !== ED25519_SIGNATURE_LENGTH) fail('bad-size', 'signature must be 64 bytes');
  return concatBytes(signed.bytes, signed.signature);
}

/** Splits the wire form (no verification: call verifyDescriptor). */
export function decodeSignedDescriptor(wire: Uint8Array): SignedDescriptor {
  if (!(wire instanceof Uint8Array) || wire.length <= ED25519_SIGNATURE_LENGTH) fail('malformed', 'signed descriptor too short');
  if (wire.length > MAX_DESCRIPTOR_LENGTH + ED25519_SIGNATURE_LENGTH) fail('oversize', 'signed descriptor too long');
  const cut = wire.length - ED25519_SIGNATURE_LENGTH;
  return { bytes: wire.slice(0, cut), signature: wire.slice(cut) };
}

/** SHA-256 of the descriptor's canonical bytes (the tie-break when a node uploads twice). */
export function descriptorDigest(signed: SignedDescriptor): Uint8Array {
  return sha256(signed.bytes);
}

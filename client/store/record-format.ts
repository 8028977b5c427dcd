// The byte formats of the client's sealed store: how a record's LevelDB key
// and value are computed from (collection, id, encoded value). Pure: no I/O,
// nonces come in as arguments. docs/client-storage.md has the same tables.
//
// Keys (both 32 bytes, HKDF-SHA256 of RFC 5869, empty salt):
//   valueKey = HKDF(masterKey, info = "chaff-client-store-v1 value-key")
//   indexKey = HKDF(masterKey, info = "chaff-client-store-v1 index-key")
//
// Record key (the LevelDB key), 17 bytes:
//   [0]      collection tag (u8; 0x00 is the store's own metadata)
//   [1..17)  HMAC-SHA256(indexKey, UTF-8 collection ‖ 0x00 ‖ UTF-8 id)[0..16)
// Collection names never contain 0x00, so (collection, id) pairs cannot collide.
//
// Metadata record key (the store's own records: collection registry, close
// marker), 17 bytes, the same under every master key so that a database
// opened with the wrong key is recognised as such:
//   [0]      0x00
//   [1..17)  SHA-256("chaff-client-store-v1 meta" ‖ 0x00 ‖ UTF-8 name)[0..16)
//
// Record value:
//   [0]      format 0x01
//   [1..25)  nonce (24 random bytes)
//   [25..)   XChaCha20-Poly1305(valueKey, nonce, AD = format ‖ record key)(plaintext) ‖ tag (16)
// The AD binds the value to its key: a value copied under another key fails.
//
// Plaintext:
//   [0..2)        L = id length, u16 big-endian (1..1024)
//   [2..2+L)      id, UTF-8
//   [2+L..6+L)    B = body length, u32 big-endian
//   [6+L..6+L+B)  body (the codec's bytes)
//   [6+L+B..P)    zero bytes, P = max(64, Padmé(6+L+B))
// Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
// Communication with PURBs", PETS 2019, §4) rounds a length so that it leaks
// O(log log P) bits with at most 12% overhead: a stolen disk shows size
// classes, not the exact length of a name or a message.

import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concatBytes, ctIsZero } from '../../protocol/bytes.js';

export const RECORD_FORMAT = 0x01;
export const RECORD_KEY_LENGTH = 17;
export const INDEX_TAG_LENGTH = 16;
export const NONCE_LENGTH = 24;
export const AEAD_TAG_LENGTH = 16;
/** Smallest padded plaintext, bytes. */
export const MIN_PADDED_LENGTH = 64;
export const MAX_ID_BYTES = 1024;
/** Largest encoded value of one record (files are at most 1 MiB; leave room). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Tag of the store's own metadata records (registry, close marker). */
export const META_TAG = 0x00;
const META_KEY_DOMAIN = 'chaff-client-store-v1 meta';

const VALUE_KEY_INFO = 'chaff-client-store-v1 value-key';
const INDEX_KEY_INFO = 'chaff-client-store-v1 index-key';
const MIN_VALUE_LENGTH = 1 + NONCE_LENGTH + MIN_PADDED_LENGTH + AEAD_TAG_LENGTH;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** A record id that cannot be stored (not a string, empty, too long, not well-formed Unicode). */
export class InvalidRecordIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRecordIdError';
  }
}

/** An encoded value larger than MAX_BODY_BYTES. */
export class RecordTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`a record value of ${bytes} bytes is larger than the ${MAX_BODY_BYTES} allowed`);
    this.name = 'RecordTooLargeError';
  }
}

/** A stored value that does not authenticate or does not parse; `reason` is for logs (no secrets, no ids). */
export class RecordOpenError extends Error {
  constructor(readonly reason: string) {
    super(`record cannot be opened: ${reason}`);
    this.name = 'RecordOpenError';
  }
}

export interface StoreKeys {
  valueKey: Uint8Array;
  indexKey: Uint8Array;
}

/** The two 32-byte subkeys of a master key. */
export function deriveStoreKeys(masterKey: Uint8Array): StoreKeys {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== 32) throw new RangeError('the master key must be 32 bytes');
  return {
    valueKey: hkdf(sha256, masterKey, undefined, utf8.encode(VALUE_KEY_INFO), 32),
    indexKey: hkdf(sha256, masterKey, undefined, utf8.encode(INDEX_KEY_INFO), 32),
  };
}

const COLLECTION_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** True for a valid collection name: lower-case ASCII letter, then up to 31 of [a-z0-9-]. */
export function isCollectionName(name: unknown): name is string {
  return typeof name === 'string' && COLLECTION_NAME.test(name);
}

/** UTF-8 of a record id; throws InvalidRecordIdError. */
export function encodeRecordId(id: string): Uint8Array {
  if (typeof id !== 'string') throw new InvalidRecordIdError(`a record id must be a string, got ${typeof id}`);
  if (id.length === 0) throw new InvalidRecordIdError('a record id must not be empty');
  const bytes = utf8.encode(id);
  // TextEncoder replaces lone surrogates with U+FFFD, which would map two ids to one record.
  if (utf8Strict.decode(bytes) !== id) throw new InvalidRecordIdError('a record id must be well-formed Unicode (no lone surrogates)');
  if (bytes.length > MAX_ID_BYTES) throw new InvalidRecordIdError(`a record id must be at most ${MAX_ID_BYTES} bytes of UTF-8, got ${bytes.length}`);
  return bytes;
}

/** The LevelDB key of record `id` of `collection` (tag 0..255). */
export function recordKey(indexKey: Uint8Array, tag: number, collection: string, id: string): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 255) throw new RangeError(`collection tag ${tag} is not a byte`);
  const mac = hmac(sha256, indexKey, concatBytes(utf8.encode(collection), Uint8Array.of(0), encodeRecordId(id)));
  const key = new Uint8Array(RECORD_KEY_LENGTH);
  key[0] = tag;
  key.set(mac.subarray(0, INDEX_TAG_LENGTH), 1);
  return key;
}

/** The LevelDB key of the store's metadata record `name` (independent of the keys: names are public). */
export function metaRecordKey(name: string): Uint8Array {
  const digest = sha256(concatBytes(utf8.encode(META_KEY_DOMAIN), Uint8Array.of(0), encodeRecordId(name)));
  const key = new Uint8Array(RECORD_KEY_LENGTH);
  key[0] = META_TAG;
  key.set(digest.subarray(0, INDEX_TAG_LENGTH), 1);
  return key;
}

/** Padmé(L) (PURBs §4): keep the top ⌊log2 ⌊log2 L⌋⌋ + 1 bits of L's exponent-length mantissa, round up the rest. */
export function padme(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`padme: bad length ${length}`);
  if (length < 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.ceil(length / (mask + 1)) * (mask + 1);
}

/** Length of the padded plaintext for an unpadded length. */
export function paddedLength(unpadded: number): number {
  return Math.max(MIN_PADDED_LENGTH, padme(unpadded));
}

/** Builds the stored value of a record. `nonce` must be 24 fresh random bytes. */
export function sealRecord(valueKey: Uint8Array, key: Uint8Array, id: string, body: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_LENGTH) throw new RangeError(`the nonce must be ${NONCE_LENGTH} bytes`);
  if (body.length > MAX_BODY_BYTES) throw new RecordTooLargeError(body.length);
  const idBytes = encodeRecordId(id);
  const unpadded = 2 + idBytes.length + 4 + body.length;
  const plaintext = new Uint8Array(paddedLength(unpadded));
  const view = new DataView(plaintext.buffer);
  view.setUint16(0, idBytes.length);
  plaintext.set(idBytes, 2);
  view.setUint32(2 + idBytes.length, body.length);
  plaintext.set(body, 6 + idBytes.length);
  const ciphertext = xchacha20poly1305(valueKey, nonce, associatedData(key)).encrypt(plaintext);
  plaintext.fill(0);
  return concatBytes(Uint8Array.of(RECORD_FORMAT), nonce, ciphertext);
}

/**
 * Authenticates and parses a stored value found under `key`. Returns the id
 * and the body (a fresh array). Throws RecordOpenError for anything else.
 */
export function openRecord(valueKey: Uint8Array, key: Uint8Array, value: Uint8Array): { id: string; body: Uint8Array } {
  if (key.length !== RECORD_KEY_LENGTH) throw new RecordOpenError(`key of ${key.length} bytes`);
  if (value.length < MIN_VALUE_LENGTH) throw new RecordOpenError(`value of ${value.length} bytes is too short`);
  if (value[0] !== RECORD_FORMAT) throw new RecordOpenError(`unknown record format ${value[0]}`);
  let plaintext: Uint8Array;
  try {
    plaintext = xchacha20poly1305(valueKey, value.subarray(1, 1 + NONCE_LENGTH), associatedData(key)).decrypt(value.subarray(1 + NONCE_LENGTH));
  } catch {
    throw new RecordOpenError('authentication failed');
  }
  try {
    return parsePlaintext(plaintext);
  } finally {
    plaintext.fill(0);
  }
}

function parsePlaintext(plaintext: Uint8Array): { id: string; body: Uint8Array } {
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const idLength = view.getUint16(0);
  if (idLength === 0 || idLength > MAX_ID_BYTES || 6 + idLength > plaintext.length) throw new RecordOpenError('bad id length');
  let id: string;
  try {
    id = utf8Strict.decode(plaintext.subarray(2, 2 + idLength));
  } catch {
    throw new RecordOpenError('id is not UTF-8');
  }
  const bodyLength = view.getUint32(2 + idLength);
  const end = 6 + idLength + bodyLength;
  if (end > plaintext.length) throw new RecordOpenError('bad body length');
  if (plaintext.length !== paddedLength(end) || !ctIsZero(plaintext.subarray(end))) throw new RecordOpenError('bad padding');
  return { id, body: plaintext.slice(6 + idLength, end) };
}

function associatedData(key: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(RECORD_FORMAT), key);
}

// The bytes of a profile backup (`chaff client export`, docs/client-storage.md
// §Backup file). Pure: no I/O; randomness comes in as an argument.
//
// File = header (69 bytes, clear) ‖ payload in STREAM chunks:
//   [0..8)    magic "CHAFFBAK"
//   [8]       format version, 0x01
//   [9]       KDF, 0x01 = scrypt (RFC 7914)
//   [10]      log2 N      [11] r      [12] p
//   [13..29)  scrypt salt (16 random bytes)
//   [29..45)  payload salt (16 random bytes)
//   [45..53)  L, the payload's length in bytes (u64 big endian)
//   [53..69)  header MAC
//   [69..)    chunks
// K           = scrypt(NFC UTF-8 passphrase, scrypt salt, N, r, p), 32 bytes:
//               the store's own key derivation (passphrase.ts)
// header MAC  = HMAC-SHA256(HKDF-SHA256(K, salt = empty, info = "chaff-backup-v1 header"), bytes [0..53))[0..16)
// payload key = HKDF-SHA256(K, salt = payload salt, info = "chaff-backup-v1 payload"), 32 bytes
// The header MAC is age's (C2SP age, "Header"): a wrong passphrase and a
// damaged header fail it alike, and once it holds, L is trusted, so a file
// cut short is reported as such before any chunk is opened.
// The payload is cut into 64 KiB pieces, each sealed with ChaCha20-Poly1305
// (RFC 8439) under the payload key, nonce = chunk index (11 bytes, big
// endian) ‖ 0x01 for the last chunk, 0x00 for the others: the STREAM
// construction (Hoang, Reyhanitabar, Rogaway, Vizár, CRYPTO 2015) exactly as
// age's payload uses it (C2SP age, "Payload"). A chunk moved, dropped or
// altered fails its tag.
//
// Payload (plaintext, L bytes):
//   [0..8)    when the backup was made, ms since 1970 (u64 big endian)
//   [8..12)   E, the number of entries (u32 big endian)
//   [12..)    E entries, then zero bytes up to L = max(64, Padmé(12 + entries))
// Entry:
//   kind (u8) ‖ name length (u8) ‖ name (UTF-8) ‖ id length (u16 BE) ‖ id (UTF-8) ‖ value length (u32 BE) ‖ value
//   kind 0x01 collections: name and id empty; value = UTF-8 JSON array of the
//             store's collection names in tag order (first entry, exactly once)
//   kind 0x02 record: name = collection, id = record id, value = the record's
//             encoded value (its codec's bytes, as the sealed store holds it)
//   kind 0x03 file: name = a settings file of the profile folder (client.toml), id empty, value = its bytes

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ctEqual, zeroize } from '../../protocol/bytes.js';
import { derivePassphraseKey, validateScryptParams, type ScryptParams } from './passphrase.js';
import { MAX_BODY_BYTES, MAX_ID_BYTES, encodeRecordId, isCollectionName, paddedLength } from './record-format.js';

export const BACKUP_MAGIC = new TextEncoder().encode('CHAFFBAK');
export const BACKUP_VERSION = 0x01;
export const KDF_SCRYPT = 0x01;
export const BACKUP_HEADER_LENGTH = 69;
/** Bytes of the header the MAC covers. */
const MAC_INPUT_LENGTH = 53;
export const BACKUP_SALT_LENGTH = 16;
export const HEADER_MAC_LENGTH = 16;
/** Plaintext bytes per STREAM chunk (age's size). */
export const CHUNK_LENGTH = 64 * 1024;
export const CHUNK_TAG_LENGTH = 16;
/** Fixed part of the payload before the entries. */
export const PAYLOAD_PREFIX_LENGTH = 12;
/** The payload is built in memory: a backup above this is refused (2 GiB). */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024 * 1024;
/** Settings files a backup may carry (the profile folder's client.toml). */
export const BACKUP_FILES: readonly string[] = Object.freeze(['client.toml']);
/** A settings file above this is not one (1 MiB). */
export const MAX_BACKUP_FILE_BYTES = 1024 * 1024;

export const ENTRY_COLLECTIONS = 0x01;
export const ENTRY_RECORD = 0x02;
export const ENTRY_FILE = 0x03;

const HEADER_INFO = 'chaff-backup-v1 header';
const PAYLOAD_INFO = 'chaff-backup-v1 payload';
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Produces `length` random bytes (tests pass their own, for pinned bytes). */
export type BackupRandom = (length: number) => Uint8Array;

/** Base class of the backup errors; `file` is the backup's path (or a label). */
export class BackupError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Not a chaff backup at all, or a version this chaff cannot read. */
export class NotABackupError extends BackupError {}

/** The header MAC failed: a wrong passphrase (or a damaged header). */
export class WrongBackupPassphraseError extends BackupError {
  constructor(file: string) {
    super(`wrong passphrase for the backup ${file} (or its header is damaged)`, file);
  }
}

/** The file ends before the backup does. */
export class BackupTruncatedError extends BackupError {
  constructor(
    file: string,
    readonly actualBytes: number,
    readonly expectedBytes: number | undefined,
  ) {
    super(
      expectedBytes === undefined
        ? `the backup ${file} is truncated: it ends after ${actualBytes} bytes, inside its header`
        : `the backup ${file} is truncated: it has ${actualBytes} of its ${expectedBytes} bytes (was the copy interrupted?)`,
      file,
    );
  }
}

/** A chunk fails authentication, or the decrypted payload does not parse. */
export class BackupCorruptError extends BackupError {
  constructor(file: string, detail: string) {
    super(`the backup ${file} is damaged (${detail}); it cannot be restored`, file);
  }
}

export interface BackupHeader {
  version: number;
  scrypt: ScryptParams;
  salt: Uint8Array;
  payloadSalt: Uint8Array;
  /** L, the payload's length. */
  payloadLength: number;
  mac: Uint8Array;
}

export interface BackupRecord {
  collection: string;
  id: string;
  value: Uint8Array;
}

export interface BackupContents {
  createdMs: number;
  /** The store's collection names in tag order. */
  collections: string[];
  records: BackupRecord[];
  files: Array<{ name: string; data: Uint8Array }>;
}

interface BackupKeys {
  macKey: Uint8Array;
  payloadKey: Uint8Array;
}

async function deriveBackupKeys(passphrase: string, header: Pick<BackupHeader, 'scrypt' | 'salt' | 'payloadSalt'>): Promise<BackupKeys> {
  const k = await derivePassphraseKey(passphrase, header.salt, header.scrypt);
  try {
    return {
      macKey: hkdf(sha256, k, undefined, utf8.encode(HEADER_INFO), 32),
      payloadKey: hkdf(sha256, k, header.payloadSalt, utf8.encode(PAYLOAD_INFO), 32),
    };
  } finally {
    zeroize(k);
  }
}

/** The header's first 53 bytes (everything but the MAC). */
function encodeMacInput(h: Omit<BackupHeader, 'mac'>): Uint8Array {
  const out = new Uint8Array(MAC_INPUT_LENGTH);
  out.set(BACKUP_MAGIC, 0);
  out[8] = h.version;
  out[9] = KDF_SCRYPT;
  out[10] = Math.log2(h.scrypt.N);
  out[11] = h.scrypt.r;
  out[12] = h.scrypt.p;
  out.set(h.salt, 13);
  out.set(h.payloadSalt, 29);
  new DataView(out.buffer).setBigUint64(45, BigInt(h.payloadLength));
  return out;
}

function headerMac(macKey: Uint8Array, macInput: Uint8Array): Uint8Array {
  return hmac(sha256, macKey, macInput).slice(0, HEADER_MAC_LENGTH);
}

/** Reads and checks the clear header; throws NotABackupError, BackupTruncatedError, BackupCorruptError. */
export function parseBackupHeader(file: string, bytes: Uint8Array): BackupHeader {
  const magicLength = Math.min(bytes.length, BACKUP_MAGIC.length);
  if (!ctEqual(bytes.subarray(0, magicLength), BACKUP_MAGIC.subarray(0, magicLength)) || bytes.length === 0) {
    throw new NotABackupError(`${file} is not a chaff backup (it does not start with "CHAFFBAK")`, file);
  }
  if (bytes.length < BACKUP_HEADER_LENGTH) throw new BackupTruncatedError(file, bytes.length, undefined);
  if (bytes[8] !== BACKUP_VERSION) throw new NotABackupError(`${file} is a chaff backup of format version ${bytes[8]}, which this chaff cannot read (it reads version ${BACKUP_VERSION})`, file);
  if (bytes[9] !== KDF_SCRYPT) throw new BackupCorruptError(file, `unknown key derivation ${bytes[9]}`);
  let scrypt: ScryptParams;
  try {
    scrypt = validateScryptParams({ N: 2 ** bytes[10], r: bytes[11], p: bytes[12] });
  } catch (e) {
    throw new BackupCorruptError(file, `its scrypt parameters: ${(e as Error).message}`);
  }
  const payloadLength = readU64(bytes, 45);
  if (payloadLength < PAYLOAD_PREFIX_LENGTH || payloadLength > MAX_PAYLOAD_BYTES) throw new BackupCorruptError(file, `its payload length ${payloadLength} is impossible`);
  return { version: BACKUP_VERSION, scrypt, salt: bytes.slice(13, 29), payloadSalt: bytes.slice(29, 45), payloadLength, mac: bytes.slice(MAC_INPUT_LENGTH, BACKUP_HEADER_LENGTH) };
}

/** The STREAM nonce of chunk `index`: 11-byte big-endian counter ‖ last flag. */
export function chunkNonce(index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(3, BigInt(index));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Seals an encoded payload under `passphrase` into the bytes of a backup file. */
export async function sealBackup(payload: Uint8Array, passphrase: string, scrypt: ScryptParams, random: BackupRandom): Promise<Uint8Array> {
  if (payload.length < PAYLOAD_PREFIX_LENGTH || payload.length > MAX_PAYLOAD_BYTES)
    throw new RangeError(`a backup payload must be ${PAYLOAD_PREFIX_LENGTH} to ${MAX_PAYLOAD_BYTES} bytes, got ${payload.length}`);
  const fields = { version: BACKUP_VERSION, scrypt: validateScryptParams(scrypt), salt: random(BACKUP_SALT_LENGTH), payloadSalt: random(BACKUP_SALT_LENGTH), payloadLength: payload.length };
  const keys = await deriveBackupKeys(passphrase, fields);
  try {
    const chunks = Math.ceil(payload.length / CHUNK_LENGTH);
    const out = new Uint8Array(BACKUP_HEADER_LENGTH + payload.length + chunks * CHUNK_TAG_LENGTH);
    const macInput = encodeMacInput(fields);
    out.set(macInput, 0);
    out.set(headerMac(keys.macKey, macInput), MAC_INPUT_LENGTH);
    let at = BACKUP_HEADER_LENGTH;
    for (let i = 0; i < chunks; i++) {
      const piece = payload.subarray(i * CHUNK_LENGTH, Math.min(payload.length, (i + 1) * CHUNK_LENGTH));
      const sealed = chacha20poly1305(keys.payloadKey, chunkNonce(i, i === chunks - 1)).encrypt(piece);
      out.set(sealed, at);
      at += sealed.length;
    }
    return out;
  } finally {
    zeroize(keys.macKey, keys.payloadKey);
  }
}

/** Bytes of a backup file whose payload is `payloadLength` bytes. */
export function backupFileLength(payloadLength: number): number {
  return BACKUP_HEADER_LENGTH + payloadLength + Math.ceil(payloadLength / CHUNK_LENGTH) * CHUNK_TAG_LENGTH;
}

/**
 * Checks `passphrase` against a backup file's bytes and returns its payload.
 * Throws NotABackupError, WrongBackupPassphraseError, BackupTruncatedError,
 * BackupCorruptError (and PassphraseError for an empty passphrase).
 */
export async function openBackup(file: string, bytes: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const header = parseBackupHeader(file, bytes);
  const keys = await deriveBackupKeys(passphrase, header);
  try {
    if (!ctEqual(headerMac(keys.macKey, bytes.subarray(0, MAC_INPUT_LENGTH)), header.mac)) throw new WrongBackupPassphraseError(file);
    // The MAC held, so L is the writer's: the file's length must follow from it.
    const expected = backupFileLength(header.payloadLength);
    if (bytes.length < expected) throw new BackupTruncatedError(file, bytes.length, expected);
    if (bytes.length > expected) throw new BackupCorruptError(file, `${bytes.length - expected} bytes follow its end`);
    return openChunks(file, bytes.subarray(BACKUP_HEADER_LENGTH), header.payloadLength, keys.payloadKey);
  } finally {
    zeroize(keys.macKey, keys.payloadKey);
  }
}

function openChunks(file: string, body: Uint8Array, length: number, key: Uint8Array): Uint8Array {
  const fullChunk = CHUNK_LENGTH + CHUNK_TAG_LENGTH;
  const chunks = Math.ceil(length / CHUNK_LENGTH);
  const payload = new Uint8Array(length);
  for (let i = 0; i < chunks; i++) {
    const start = i * fullChunk;
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(key, chunkNonce(i, i === chunks - 1)).decrypt(body.subarray(start, Math.min(body.length, start + fullChunk)));
    } catch {
      throw new BackupCorruptError(file, `chunk ${i + 1} of ${chunks} (bytes ${BACKUP_HEADER_LENGTH + start}…) does not authenticate`);
    }
    payload.set(plain, i * CHUNK_LENGTH);
  }
  return payload;
}

/** The payload bytes of `contents` (entries in the order given; padded). */
export function encodeBackupPayload(contents: BackupContents): Uint8Array {
  const entries: Uint8Array[] = [entry(ENTRY_COLLECTIONS, '', '', utf8.encode(JSON.stringify(contents.collections)))];
  for (const r of contents.records) entries.push(entry(ENTRY_RECORD, r.collection, r.id, r.value));
  for (const f of contents.files) entries.push(entry(ENTRY_FILE, f.name, '', f.data));
  let unpadded = PAYLOAD_PREFIX_LENGTH;
  for (const e of entries) unpadded += e.length;
  const length = paddedLength(unpadded);
  if (length > MAX_PAYLOAD_BYTES) throw new RangeError(`the profile is ${unpadded} bytes, more than a backup holds (${MAX_PAYLOAD_BYTES})`);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(contents.createdMs));
  view.setUint32(8, entries.length);
  let at = PAYLOAD_PREFIX_LENGTH;
  for (const e of entries) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}

function entry(kind: number, name: string, id: string, value: Uint8Array): Uint8Array {
  const nameBytes = utf8.encode(name);
  const idBytes = id === '' ? new Uint8Array(0) : encodeRecordId(id);
  if (nameBytes.length > 255) throw new RangeError(`backup entry name of ${nameBytes.length} bytes`);
  const out = new Uint8Array(1 + 1 + nameBytes.length + 2 + idBytes.length + 4 + value.length);
  const view = new DataView(out.buffer);
  out[0] = kind;
  out[1] = nameBytes.length;
  out.set(nameBytes, 2);
  view.setUint16(2 + nameBytes.length, idBytes.length);
  out.set(idBytes, 4 + nameBytes.length);
  view.setUint32(4 + nameBytes.length + idBytes.length, value.length);
  out.set(value, 8 + nameBytes.length + idBytes.length);
  return out;
}

/** Parses an opened payload; throws BackupCorruptError naming what is wrong (never a record's id or content). */
export function decodeBackupPayload(file: string, payload: Uint8Array): BackupContents {
  const bad = (detail: string): never => {
    throw new BackupCorruptError(file, detail);
  };
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.length < PAYLOAD_PREFIX_LENGTH) return bad('its payload is too short');
  const createdMs = readU64(payload, 0);
  const count = view.getUint32(8);
  let at = PAYLOAD_PREFIX_LENGTH;
  const need = (n: number): void => {
    if (at + n > payload.length) bad('an entry runs past the end of the payload');
  };
  const text = (bytes: Uint8Array, what: string): string => {
    try {
      return utf8Strict.decode(bytes);
    } catch {
      return bad(`${what} is not UTF-8`);
    }
  };
  const contents: BackupContents = { createdMs, collections: [], records: [], files: [] };
  const known = new Set<string>();
  for (let n = 0; n < count; n++) {
    need(2);
    const kind = payload[at];
    const nameLength = payload[at + 1];
    at += 2;
    need(nameLength + 2);
    const name = text(payload.subarray(at, at + nameLength), 'an entry name');
    at += nameLength;
    const idLength = view.getUint16(at);
    at += 2;
    need(idLength + 4);
    const id = text(payload.subarray(at, at + idLength), 'a record id');
    at += idLength;
    const valueLength = view.getUint32(at);
    at += 4;
    need(valueLength);
    const value = payload.slice(at, at + valueLength);
    at += valueLength;
    if ((n === 0) !== (kind === ENTRY_COLLECTIONS)) return bad('the collection list is not its first entry');
    if (kind === ENTRY_COLLECTIONS) {
      let names: unknown;
      try {
        names = JSON.parse(text(value, 'the collection list'));
      } catch {
        return bad('the collection list is not JSON');
      }
      if (!Array.isArray(names) || names.length > 255 || !names.every(isCollectionName) || new Set(names).size !== names.length) return bad('the collection list is malformed');
      contents.collections = names;
      for (const c of names) known.add(c);
    } else if (kind === ENTRY_RECORD) {
      if (!known.has(name)) return bad(`a record of the unlisted collection ${JSON.stringify(name)}`);
      if (idLength === 0 || idLength > MAX_ID_BYTES) return bad(`a record id of ${idLength} bytes`);
      if (valueLength > MAX_BODY_BYTES) return bad(`a record value of ${valueLength} bytes`);
      contents.records.push({ collection: name, id, value });
    } else if (kind === ENTRY_FILE) {
      if (!BACKUP_FILES.includes(name) || idLength !== 0) return bad(`an unexpected file ${JSON.stringify(name)}`);
      if (valueLength > MAX_BACKUP_FILE_BYTES) return bad(`the file ${name} is ${valueLength} bytes`);
      if (contents.files.some((f) => f.name === name)) return bad(`the file ${name} twice`);
      contents.files.push({ name, data: value });
    } else {
      return bad(`an entry of unknown kind ${kind}`);
    }
  }
  if (count === 0) return bad('it has no entries');
  if (payload.length !== paddedLength(at) || payload.subarray(at).some((b) => b !== 0)) return bad('its padding is wrong');
  return contents;
}

function readU64(bytes: Uint8Array, at: number): number {
  const value = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

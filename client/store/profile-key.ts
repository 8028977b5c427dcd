// The profile's master key, kept in `profile.json` wrapped under a key
// derived from the user's passphrase. Every other secret of the profile is
// stored under keys derived from the master key (client/store/sealed-store.ts),
// so changing the passphrase rewraps 32 bytes and leaves the data untouched.
//
// profile.json (UTF-8 JSON, mode 0600, replaced atomically):
//   {
//     "format": "chaff-profile",
//     "version": 1,
//     "kdf": { "name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": <base64, 16..64 bytes> },
//     "masterKey": { "aead": "xchacha20poly1305", "nonce": <base64, 24 bytes>, "ciphertext": <base64, 48 bytes> }
//   }
// ciphertext = XChaCha20-Poly1305(key = scrypt(passphrase, salt, N, r, p),
//                                 nonce, AD = "chaff-profile-master-key" ‖ u8 version)
//              of the 32-byte master key, followed by the 16-byte Poly1305 tag.
// A wrong passphrase and a damaged ciphertext look alike: the tag fails.

import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concatBytes, zeroize } from '../../protocol/bytes.js';
import { writeFileAtomic } from '../../runtime/fs/atomic-write.js';
import { fromBase64, toBase64 } from '../../protocol/util/base64.js';
import { DEFAULT_SCRYPT_PARAMS, KdfParamsError, SALT_LENGTH, derivePassphraseKey, passphraseBytes, validateSalt, validateScryptParams, type ScryptParams } from './passphrase.js';

export const PROFILE_FILE = 'profile.json';
export const PROFILE_FORMAT = 'chaff-profile';
export const PROFILE_FORMAT_VERSION = 1;
export const MASTER_KEY_LENGTH = 32;
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
/** profile.json is a few hundred bytes; refuse to parse anything huge. */
const MAX_PROFILE_FILE_BYTES = 64 * 1024;
const WRAP_DOMAIN = 'chaff-profile-master-key';

/** Produces `length` random bytes. Only tests pass their own (for pinned vectors). */
export type RandomBytes = (length: number) => Uint8Array;
const systemRandom: RandomBytes = (length) => new Uint8Array(randomBytes(length));

/** Base class of the profile key errors; `file` is the profile.json path. */
export class ProfileKeyError extends Error {
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The passphrase does not unwrap the master key. */
export class WrongPassphraseError extends ProfileKeyError {
  constructor(file: string) {
    super(`wrong passphrase for the profile ${file} (or its wrapped key is damaged)`, file);
  }
}

/** There is no profile.json (no profile in this folder). */
export class ProfileNotFoundError extends ProfileKeyError {
  constructor(file: string, cause?: unknown) {
    super(`no chaff profile at ${file}: the file does not exist (create a profile first, or check the profile folder)`, file, { cause });
  }
}

/** profile.json exists but cannot be used: unreadable, not JSON, wrong fields, unsupported version, absurd parameters. */
export class ProfileCorruptError extends ProfileKeyError {
  constructor(file: string, detail: string, cause?: unknown) {
    super(`the profile file ${file} is damaged or not a chaff profile (${detail}); restore it from a backup`, file, { cause });
  }
}

/** createProfileKey refused: the folder already holds a profile. */
export class ProfileExistsError extends ProfileKeyError {
  constructor(file: string) {
    super(`a chaff profile already exists at ${file}; refusing to overwrite it`, file);
  }
}

export interface ProfileKeyOptions {
  /** scrypt cost; default DEFAULT_SCRYPT_PARAMS. */
  scrypt?: ScryptParams;
  /** Source of salt, master key and nonce; default node:crypto. Tests only. */
  random?: RandomBytes;
}

/** The fields of profile.json, decoded and checked. */
export interface ProfileFile {
  version: number;
  scrypt: ScryptParams;
  salt: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

export function profileFilePath(dir: string): string {
  return join(dir, PROFILE_FILE);
}

/**
 * Creates `dir` (mode 0700) if needed and writes a new profile.json holding a
 * fresh random master key wrapped under `passphrase`. Returns the master key
 * (the caller zeroizes it when done). Throws ProfileExistsError if the folder
 * already holds a profile, PassphraseError for an empty passphrase,
 * KdfParamsError for out-of-range scrypt parameters.
 */
export async function createProfileKey(dir: string, passphrase: string, opts: ProfileKeyOptions = {}): Promise<Uint8Array> {
  const file = profileFilePath(dir);
  passphraseBytes(passphrase); // an empty passphrase fails before any work
  const scrypt = validateScryptParams(opts.scrypt ?? DEFAULT_SCRYPT_PARAMS);
  if (await exists(file)) throw new ProfileExistsError(file);
  const random = opts.random ?? systemRandom;
  const masterKey = random(MASTER_KEY_LENGTH);
  try {
    await writeWrapped(dir, masterKey, passphrase, scrypt, random);
  } catch (e) {
    zeroize(masterKey);
    throw e;
  }
  return masterKey;
}

/**
 * Reads profile.json and unwraps the master key with `passphrase`. Throws
 * WrongPassphraseError, ProfileNotFoundError or ProfileCorruptError.
 */
export async function unlockProfileKey(dir: string, passphrase: string): Promise<Uint8Array> {
  const file = profileFilePath(dir);
  const profile = await readProfileFile(dir);
  return unwrap(file, profile, passphrase);
}

/**
 * Rewraps the master key under `newPassphrase` with a fresh salt and nonce
 * (and `opts.scrypt`, default: the profile's current parameters). The
 * records are untouched. profile.json is replaced atomically: a crash leaves
 * either the old or the new file, each complete. Throws as unlockProfileKey,
 * and PassphraseError for an empty new passphrase.
 */
export async function changePassphrase(dir: string, oldPassphrase: string, newPassphrase: string, opts: ProfileKeyOptions = {}): Promise<void> {
  passphraseBytes(newPassphrase);
  const file = profileFilePath(dir);
  const profile = await readProfileFile(dir);
  const scrypt = validateScryptParams(opts.scrypt ?? profile.scrypt);
  const masterKey = await unwrap(file, profile, oldPassphrase);
  try {
    await writeWrapped(dir, masterKey, newPassphrase, scrypt, opts.random ?? systemRandom);
  } finally {
    zeroize(masterKey);
  }
}

/** Reads and checks profile.json without the passphrase (for `status`-like tooling and tests). */
export async function readProfileFile(dir: string): Promise<ProfileFile> {
  const file = profileFilePath(dir);
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ProfileNotFoundError(file, e);
    throw new ProfileCorruptError(file, `cannot read it: ${(e as Error).message}`, e);
  }
  return parseProfileFile(file, raw);
}

/** Parses the bytes of a profile.json; throws ProfileCorruptError naming `file`. */
export function parseProfileFile(file: string, raw: Uint8Array): ProfileFile {
  if (raw.length > MAX_PROFILE_FILE_BYTES) throw new ProfileCorruptError(file, `${raw.length} bytes, larger than any profile file`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    throw new ProfileCorruptError(file, 'not valid UTF-8 JSON', e);
  }
  const bad = (detail: string, cause?: unknown): never => {
    throw new ProfileCorruptError(file, detail, cause);
  };
  if (!isObject(json)) return bad('not a JSON object');
  if (json.format !== PROFILE_FORMAT) return bad(`"format" is not "${PROFILE_FORMAT}"`);
  if (json.version !== PROFILE_FORMAT_VERSION) {
    return bad(`format version ${JSON.stringify(json.version)} is not supported by this chaff (it reads version ${PROFILE_FORMAT_VERSION})`);
  }
  const kdf = json.kdf;
  if (!isObject(kdf) || kdf.name !== 'scrypt') return bad('"kdf.name" is not "scrypt"');
  let scrypt: ScryptParams;
  let salt: Uint8Array;
  try {
    scrypt = validateScryptParams({ N: kdf.N, r: kdf.r, p: kdf.p });
    salt = fromBase64(kdf.salt, 'kdf.salt');
    validateSalt(salt);
  } catch (e) {
    if (e instanceof KdfParamsError || e instanceof RangeError) return bad(`key derivation: ${e.message}`, e);
    throw e;
  }
  const wrapped = json.masterKey;
  if (!isObject(wrapped) || wrapped.aead !== 'xchacha20poly1305') return bad('"masterKey.aead" is not "xchacha20poly1305"');
  let nonce: Uint8Array;
  let ciphertext: Uint8Array;
  try {
    nonce = fromBase64(wrapped.nonce, 'masterKey.nonce');
    ciphertext = fromBase64(wrapped.ciphertext, 'masterKey.ciphertext');
  } catch (e) {
    return bad((e as Error).message, e);
  }
  if (nonce.length !== NONCE_LENGTH) return bad(`masterKey.nonce is ${nonce.length} bytes, not ${NONCE_LENGTH}`);
  if (ciphertext.length !== MASTER_KEY_LENGTH + TAG_LENGTH) {
    return bad(`masterKey.ciphertext is ${ciphertext.length} bytes, not ${MASTER_KEY_LENGTH + TAG_LENGTH}`);
  }
  return { version: PROFILE_FORMAT_VERSION, scrypt, salt, nonce, ciphertext };
}

/** The AEAD associated data: UTF-8 domain ‖ u8 format version. */
export function wrapAssociatedData(version: number = PROFILE_FORMAT_VERSION): Uint8Array {
  return concatBytes(new TextEncoder().encode(WRAP_DOMAIN), Uint8Array.of(version));
}

async function unwrap(file: string, profile: ProfileFile, passphrase: string): Promise<Uint8Array> {
  const kek = await derivePassphraseKey(passphrase, profile.salt, profile.scrypt);
  try {
    return xchacha20poly1305(kek, profile.nonce, wrapAssociatedData(profile.version)).decrypt(profile.ciphertext);
  } catch {
    // noble throws one error for every tag mismatch; lengths were checked above.
    throw new WrongPassphraseError(file);
  } finally {
    zeroize(kek);
  }
}

async function writeWrapped(dir: string, masterKey: Uint8Array, passphrase: string, scrypt: ScryptParams, random: RandomBytes): Promise<void> {
  const salt = random(SALT_LENGTH);
  const nonce = random(NONCE_LENGTH);
  const kek = await derivePassphraseKey(passphrase, salt, scrypt);
  let ciphertext: Uint8Array;
  try {
    ciphertext = xchacha20poly1305(kek, nonce, wrapAssociatedData()).encrypt(masterKey);
  } finally {
    zeroize(kek);
  }
  const json = {
    format: PROFILE_FORMAT,
    version: PROFILE_FORMAT_VERSION,
    kdf: { name: 'scrypt', N: scrypt.N, r: scrypt.r, p: scrypt.p, salt: toBase64(salt) },
    masterKey: { aead: 'xchacha20poly1305', nonce: toBase64(nonce), ciphertext: toBase64(ciphertext) },
  };
  await writeFileAtomic(profileFilePath(dir), new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'), 0o600);
  await syncFolder(dir);
}

/** fsync a folder so a rename or link in it (profile.json installed, a backup written) survives a power loss (POSIX; skipped where folders cannot be opened). */
export async function syncFolder(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Windows cannot open a folder; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    return true;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

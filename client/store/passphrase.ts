// Turning the user's passphrase into a 32-byte key with scrypt (RFC 7914).
// The parameters are stored beside the salt in profile.json, so a profile
// keeps opening after the defaults change; parameters read back from disk are
// checked against hard bounds first, so a damaged or hostile profile.json
// cannot make the daemon allocate gigabytes or spin for hours.
//
// scryptAsync (@noble/hashes) yields to the event loop every few
// milliseconds, so a daemon deriving a key keeps serving its socket.

import { basename } from 'node:path';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { zeroize } from '../../protocol/bytes.js';

/** scrypt cost parameters (RFC 7914 §2): N CPU/memory cost, r block size, p parallelism. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * N = 2^17, r = 8, p = 1: 128 MiB of memory and about 0.7 s on this
 * project's reference machine with @noble/hashes (the strength of the
 * "interactive login" setting of RFC 7914 §2, scaled to today's hardware).
 */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** Length of the derived key, bytes. */
export const PASSPHRASE_KEY_LENGTH = 32;

/** Salt length written by this version, bytes; 16 to 64 are accepted when read. */
export const SALT_LENGTH = 16;
export const MIN_SALT_LENGTH = 16;
export const MAX_SALT_LENGTH = 64;

/** Accepted bounds. N below 2^10 is a toy; the memory cap keeps a hostile file from exhausting RAM. */
export const SCRYPT_BOUNDS = Object.freeze({
  minLog2N: 10,
  maxLog2N: 22,
  maxR: 32,
  maxP: 16,
  /** 128 · N · r bytes is scrypt's working memory (RFC 7914 §5, V). */
  maxMemoryBytes: 1024 * 1024 * 1024,
  /** N · r · p bounds the work: 16 times the default. */
  maxWork: 2 ** 24,
});

/** Scrypt parameters or a salt outside the accepted bounds. */
export class KdfParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KdfParamsError';
  }
}

/** How a new passphrase is checked for strength (passphrase-strength.ts checkNewPassphrase): `chaff client init`, `passphrase`, `export --backup-passphrase-file`, and the daemon's profile.passphrase and profile.backup. */
export interface StrengthCheck {
  /** Words an attacker would try first for this profile (profilePassphraseContext). */
  context?: readonly string[];
  /** The user said to take a weak (not a refused) passphrase: --accept-weak-passphrase, a "yes" on the terminal, the API's acceptWeak. */
  acceptWeak?: boolean;
}

/** The words an attacker would try first for the profile in `profileDir`: the program's names and the folder's (given to the strength check). */
export function profilePassphraseContext(profileDir: string): string[] {
  return ['chaff', 'chaff client', basename(profileDir)];
}

/** The passphrase is unusable (empty, not a string). */
export class PassphraseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassphraseError';
  }
}

/**
 * Checks scrypt parameters (e.g. just parsed from profile.json) and returns
 * them as a fresh object; throws KdfParamsError naming the bad field.
 */
export function validateScryptParams(params: unknown): ScryptParams {
  if (typeof params !== 'object' || params === null) throw new KdfParamsError('scrypt parameters must be an object with N, r and p');
  const { N, r, p } = params as Record<string, unknown>;
  for (const [name, v] of [
    ['N', N],
    ['r', r],
    ['p', p],
  ] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new KdfParamsError(`scrypt ${name} must be a positive integer, got ${String(v)}`);
  }
  const n = N as number;
  const rr = r as number;
  const pp = p as number;
  const log2N = Math.log2(n);
  if (!Number.isInteger(log2N)) throw new KdfParamsError(`scrypt N must be a power of two, got ${n}`);
  if (log2N < SCRYPT_BOUNDS.minLog2N || log2N > SCRYPT_BOUNDS.maxLog2N) {
    throw new KdfParamsError(`scrypt N must be between 2^${SCRYPT_BOUNDS.minLog2N} and 2^${SCRYPT_BOUNDS.maxLog2N}, got 2^${log2N}`);
  }
  if (rr > SCRYPT_BOUNDS.maxR) throw new KdfParamsError(`scrypt r must be at most ${SCRYPT_BOUNDS.maxR}, got ${rr}`);
  if (pp > SCRYPT_BOUNDS.maxP) throw new KdfParamsError(`scrypt p must be at most ${SCRYPT_BOUNDS.maxP}, got ${pp}`);
  const memory = scryptMemoryBytes({ N: n, r: rr, p: pp });
  if (memory > SCRYPT_BOUNDS.maxMemoryBytes) {
    throw new KdfParamsError(`scrypt N=${n}, r=${rr} needs ${Math.round(memory / 2 ** 20)} MiB, more than the ${SCRYPT_BOUNDS.maxMemoryBytes / 2 ** 20} MiB allowed`);
  }
  if (n * rr * pp > SCRYPT_BOUNDS.maxWork) throw new KdfParamsError(`scrypt N·r·p = ${n * rr * pp} is more work than the ${SCRYPT_BOUNDS.maxWork} allowed`);
  return { N: n, r: rr, p: pp };
}

/** Checks a salt's length; throws KdfParamsError. */
export function validateSalt(salt: Uint8Array): void {
  if (!(salt instanceof Uint8Array) || salt.length < MIN_SALT_LENGTH || salt.length > MAX_SALT_LENGTH) {
    throw new KdfParamsError(`the salt must be ${MIN_SALT_LENGTH} to ${MAX_SALT_LENGTH} bytes`);
  }
}

/** scrypt's working memory in bytes: V (128·r·N) plus B (128·r·p). */
export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * params.r * params.N + 128 * params.r * params.p;
}

/**
 * The passphrase as bytes: UTF-8 of its NFC normal form, so the same
 * passphrase typed on systems that compose accents differently gives the
 * same key (the normalisation RFC 8265 §4.2 uses for passwords, minus width
 * mapping). Throws PassphraseError for an empty or non-string passphrase.
 */
export function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string') throw new PassphraseError('the passphrase must be a string');
  const bytes = new TextEncoder().encode(passphrase.normalize('NFC'));
  if (bytes.length === 0) throw new PassphraseError('the passphrase must not be empty');
  return bytes;
}

/**
 * scrypt(passphrase, salt, params) → 32-byte key. Validates the parameters
 * and salt first (KdfParamsError); the caller owns, and should zeroize, the
 * result.
 */
export async function derivePassphraseKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  const checked = validateScryptParams(params);
  validateSalt(salt);
  const password = passphraseBytes(passphrase);
  try {
    return await scryptAsync(password, salt, {
      ...checked,
      dkLen: PASSPHRASE_KEY_LENGTH,
      // validateScryptParams already bounds memory; noble's own check must not refuse what we accept.
      maxmem: SCRYPT_BOUNDS.maxMemoryBytes + 128 * checked.r * checked.p + 1024,
    });
  } finally {
    zeroize(password);
  }
}

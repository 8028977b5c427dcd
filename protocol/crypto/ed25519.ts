// Ed25519 (RFC 8032) identity keys on node:crypto: directory authorities and
// nodes sign descriptors and topology documents with them. Keys are held as
// raw bytes (32-byte seed, 32-byte public key); OpenSSL key objects are made
// per call and never cached globally.

import { abytes, isBytes } from '../bytes.js';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';

export const ED25519_SEED_LENGTH = 32;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

/** A key or seed of the wrong size (or not a Uint8Array) was given. */
export class Ed25519KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Ed25519KeyError';
  }
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7): a fixed 16-byte prefix.
// Node's JWK import of an Ed25519 private key wants `x` as well, which we
// would have to compute first; the DER form needs only the seed.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

function checkLength(bytes: unknown, length: number, what: string): asserts bytes is Uint8Array {
  abytes(bytes, length, `ed25519: ${what}`, (message) => new Ed25519KeyError(message));
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function importSeed(seed: Uint8Array): KeyObject {
  const der = Buffer.alloc(PKCS8_PREFIX.length + ED25519_SEED_LENGTH);
  der.set(PKCS8_PREFIX, 0);
  der.set(seed, PKCS8_PREFIX.length);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** Imports a raw 32-byte public key (JWK import is much faster than DER). */
function importPublic(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(raw) }, format: 'jwk' });
}

function exportJwkField(key: KeyObject, field: 'x' | 'd'): Uint8Array {
  const value = key.export({ format: 'jwk' })[field];
  if (typeof value !== 'string') throw new Ed25519KeyError(`ed25519: key has no ${field}`);
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

/** An Ed25519 signing key: the RFC 8032 32-byte seed and its public key. */
export class Ed25519PrivateKey {
  readonly publicKey: Uint8Array;
  #seed: Uint8Array;
  #keyObject: KeyObject;

  private constructor(seed: Uint8Array, keyObject: KeyObject) {
    this.#seed = seed;
    this.#keyObject = keyObject;
    this.publicKey = exportJwkField(keyObject, 'x');
  }

  /** A key from its 32-byte seed (copied). Throws Ed25519KeyError on a bad size. */
  static fromSeed(seed: Uint8Array): Ed25519PrivateKey {
    checkLength(seed, ED25519_SEED_LENGTH, 'seed');
    const copy = Uint8Array.from(seed);
    return new Ed25519PrivateKey(copy, importSeed(copy));
  }

  /** A fresh random key. */
  static generate(): Ed25519PrivateKey {
    const { privateKey } = generateKeyPairSync('ed25519');
    return new Ed25519PrivateKey(exportJwkField(privateKey, 'd'), privateKey);
  }

  /** The 32-byte seed (a copy: wipe it when done). */
  toSeed(): Uint8Array {
    return Uint8Array.from(this.#seed);
  }

  /** The 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, message, this.#keyObject));
  }

  /** Wipes the seed. The OpenSSL copy is freed when the key object is collected. */
  destroy(): void {
    this.#seed.fill(0);
  }

  /** Never print the seed. */
  toJSON(): { publicKey: string } {
    return { publicKey: Buffer.from(this.publicKey).toString('hex') };
  }
}

/** The public key of a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return Ed25519PrivateKey.fromSeed(seed).publicKey;
}

/** Signs `message` with the key of this 32-byte seed. */
export function sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return Ed25519PrivateKey.fromSeed(seed).sign(message);
}

/**
 * True when `signature` is a valid Ed25519 signature of `message` by
 * `publicKey`. A public key of the wrong size throws Ed25519KeyError; a
 * signature of the wrong size, or a public key that is not a curve point,
 * simply does not verify.
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkLength(publicKey, ED25519_PUBLIC_KEY_LENGTH, 'public key');
  if (!isBytes(signature, ED25519_SIGNATURE_LENGTH)) return false;
  let key: KeyObject;
  try {
    key = importPublic(publicKey);
  } catch {
    return false;
  }
  try {
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

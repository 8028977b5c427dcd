// X25519 (RFC 7748) for Sphinx: the per-hop Diffie-Hellman runs on OpenSSL
// through node:crypto; the per-hop blinding (a scalar multiplication by a
// scalar that exists only for this packet) runs on libsodium's raw
// crypto_scalarmult when it is available.
//
// Why two back ends: node:crypto only accepts a scalar wrapped in a private
// KeyObject, and OpenSSL derives the public key when such an object is made
// (a fixed-base scalar multiplication), so blinding through node:crypto costs
// two scalar multiplications where one suffices. libsodium (sodium-native,
// prebuilt binaries) multiplies raw bytes. When it cannot be loaded we fall
// back to node:crypto: same result, slower. Both, and @noble/curves, are
// cross-checked in test/protocol/crypto/x25519.test.ts.

import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { abytes, ctIsZero } from '../bytes.js';

export const X25519_KEY_LENGTH = 32;

/** The peer sent a point of small order: the shared secret would be all zeros (RFC 7748 §6.1). */
export class LowOrderPointError extends Error {
  constructor() {
    super('x25519: low-order point (all-zero shared secret)');
    this.name = 'LowOrderPointError';
  }
}

interface SodiumScalarMult {
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
}

function loadSodium(): SodiumScalarMult | null {
  if (process.env.CHAFF_NO_SODIUM === '1') return null;
  try {
    const sodium = createRequire(import.meta.url)('sodium-native') as SodiumScalarMult;
    return typeof sodium.crypto_scalarmult === 'function' && typeof sodium.crypto_scalarmult_base === 'function' ? sodium : null;
  } catch {
    return null;
  }
}

const sodium = loadSodium();

/** Which implementation blinds: 'libsodium' (fast path) or 'node:crypto' (fallback). */
export const blindingBackend: 'libsodium' | 'node:crypto' = sodium ? 'libsodium' : 'node:crypto';

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function checkLength(bytes: Uint8Array, what: string): void {
  abytes(bytes, X25519_KEY_LENGTH, `x25519: ${what}`, (message) => new RangeError(message));
}

/** Imports a raw public key (JWK import: ~9 µs, against ~70 µs for DER). */
export function importPublicKey(raw: Uint8Array): KeyObject {
  checkLength(raw, 'public key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(raw) }, format: 'jwk' });
}

/** RFC 8410 PKCS#8 prefix of an X25519 private key: the 32-byte scalar follows. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function importPrivateJwk(raw: Uint8Array): KeyObject {
  // Node 20 reads only `d` for an OKP private JWK (OpenSSL derives the public key itself), but insists `x` is a string.
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(raw), x: '' }, format: 'jwk' });
}

function importPrivateDer(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/**
 * Which private-key import this Node has fast: Node 20's JWK import (~46 µs;
 * its DER import is ~12× slower) refuses nothing, while Node 24 refuses a JWK
 * without the public `x` ("Invalid JWK OKP key") and imports DER at ~46 µs.
 * Probed once, on a fixed scalar.
 */
const importPrivateFast: (raw: Uint8Array) => KeyObject = (() => {
  try {
    importPrivateJwk(new Uint8Array(X25519_KEY_LENGTH).fill(9));
    return importPrivateJwk;
  } catch {
    return importPrivateDer;
  }
})();

function importPrivateKey(raw: Uint8Array): KeyObject {
  checkLength(raw, 'private key');
  return importPrivateFast(raw);
}

function exportRaw(key: KeyObject, field: 'x' | 'd'): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  const value = jwk[field];
  if (typeof value !== 'string') throw new Error(`x25519: key has no ${field}`);
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

function derive(privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  let secret: Uint8Array;
  try {
    secret = new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch {
    // OpenSSL refuses to return the all-zero output of a small-order point.
    throw new LowOrderPointError();
  }
  if (ctIsZero(secret)) throw new LowOrderPointError();
  return secret;
}

/**
 * An X25519 private key held as an OpenSSL key object, ready for repeated
 * Diffie-Hellman (a mix keeps one per epoch key). The raw scalar is kept so
 * the key can be stored and wiped.
 */
export class X25519PrivateKey {
  readonly publicKey: Uint8Array;
  readonly keyObject: KeyObject;
  #raw: Uint8Array;
  #destroyed = false;

  private constructor(raw: Uint8Array, keyObject: KeyObject) {
    this.#raw = raw;
    this.keyObject = keyObject;
    this.publicKey = exportRaw(keyObject, 'x');
  }

  /** A key from its 32 raw bytes (the bytes are copied). */
  static fromBytes(raw: Uint8Array): X25519PrivateKey {
    const copy = Uint8Array.from(raw);
    return new X25519PrivateKey(copy, importPrivateKey(copy));
  }

  /** A fresh random key. */
  static generate(): X25519PrivateKey {
    const { privateKey } = generateKeyPairSync('x25519');
    return new X25519PrivateKey(exportRaw(privateKey, 'd'), privateKey);
  }

  /** The raw 32-byte scalar (a copy: wipe it when done). */
  toBytes(): Uint8Array {
    return Uint8Array.from(this.#raw);
  }

  /**
   * X25519(this, peer). Throws LowOrderPointError for small-order peers. Raw
   * peer bytes go to libsodium with the raw scalar when it is loaded: one
   * native call, where node:crypto first imports the point as a key object
   * (together 1.7× one X25519 with ready key objects, against 0.9×).
   */
  sharedSecret(peerPublicKey: Uint8Array | KeyObject): Uint8Array {
    if (peerPublicKey instanceof Uint8Array) {
      // After destroy() the raw scalar is gone; the key object still answers.
      return x25519Sodium && !this.#destroyed ? x25519Sodium(this.#raw, peerPublicKey) : derive(this.keyObject, importPublicKey(peerPublicKey));
    }
    return derive(this.keyObject, peerPublicKey);
  }

  /** Wipes the raw scalar. The OpenSSL copy is freed when the key object is collected. */
  destroy(): void {
    this.#destroyed = true;
    this.#raw.fill(0);
  }
}

/** X25519(scalar, point) on libsodium's raw crypto_scalarmult, or null when sodium-native is unavailable. */
export const x25519Sodium: ((scalar: Uint8Array, point: Uint8Array) => Uint8Array) | null = sodium
  ? (scalar, point) => {
      checkLength(scalar, 'scalar');
      checkLength(point, 'point');
      const out = new Uint8Array(X25519_KEY_LENGTH);
      try {
        sodium.crypto_scalarmult(out, scalar, point);
      } catch {
        throw new LowOrderPointError(); // libsodium refuses an all-zero result
      }
      if (ctIsZero(out)) throw new LowOrderPointError();
      return out;
    }
  : null;

/** X25519(scalar, 9): the public key of `scalar`, on libsodium's fixed-base crypto_scalarmult_base (about half a variable-base one), or null without sodium-native. */
export const x25519BaseSodium: ((scalar: Uint8Array) => Uint8Array) | null = sodium
  ? (scalar) => {
      checkLength(scalar, 'scalar');
      const out = new Uint8Array(X25519_KEY_LENGTH);
      sodium.crypto_scalarmult_base(out, scalar);
      return out;
    }
  : null;

/** X25519(scalar, point) on node:crypto: a private key object is made for the scalar (about one extra scalar multiplication). */
export function x25519NodeCrypto(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  return derive(importPrivateKey(scalar), importPublicKey(point));
}

/**
 * X25519(scalar, point): the Sphinx blinding operation (α' = b·α). The scalar
 * is clamped as RFC 7748 requires. Throws LowOrderPointError when the result
 * is all zeros.
 */
export const x25519: (scalar: Uint8Array, point: Uint8Array) => Uint8Array = x25519Sodium ?? x25519NodeCrypto;

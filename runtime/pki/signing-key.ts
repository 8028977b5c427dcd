// The PKI signing key IS the node's libp2p identity key (docs/pki.md
// §Network protocols): the raw 32-byte Ed25519 public key is the
// descriptor's `identityKey` (or the authority key in configs), and the same
// seed signs descriptors and documents. This turns the libp2p key into the
// protocol's Ed25519PrivateKey.

import type { PrivateKey } from '@libp2p/interface';
import { ctEqual } from '../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';

export class PkiKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiKeyError';
  }
}

/**
 * The protocol signing key of a libp2p Ed25519 private key. libp2p keeps the
 * key as 64 bytes, seed ‖ public key; the seed is what RFC 8032 signs with.
 * Throws PkiKeyError for another key type or inconsistent bytes.
 */
export function pkiSigningKey(key: PrivateKey): Ed25519PrivateKey {
  if (key.type !== 'Ed25519') throw new PkiKeyError(`pki: the identity key must be Ed25519, not ${key.type}`);
  const raw = key.raw;
  if (!(raw instanceof Uint8Array) || raw.length !== 64) throw new PkiKeyError('pki: libp2p Ed25519 key is not 64 bytes (seed ‖ public key)');
  const seed = Uint8Array.from(raw.subarray(0, 32));
  try {
    const signing = Ed25519PrivateKey.fromSeed(seed);
    if (!ctEqual(signing.publicKey, raw.subarray(32)) || !ctEqual(signing.publicKey, key.publicKey.raw)) {
      signing.destroy();
      throw new PkiKeyError('pki: libp2p key bytes are inconsistent (seed does not give the public key)');
    }
    return signing;
  } finally {
    seed.fill(0);
  }
}

// The configured directory authorities as the network layer needs them:
// identity key (the PKI key), libp2p peer id (derived from that key) and
// addresses.

import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { fromHex } from '../../protocol/bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH } from '../../protocol/crypto/ed25519.js';
import { PkiKeyError } from './signing-key.js';

export interface AuthorityPeer {
  readonly name: string;
  /** Raw 32-byte Ed25519 identity public key. */
  readonly identityKey: Uint8Array;
  readonly peerId: PeerId;
  readonly addresses: readonly string[];
}

/** The libp2p peer id of a raw 32-byte Ed25519 identity key. */
export function peerIdOfIdentityKey(identityKey: Uint8Array): PeerId {
  if (!(identityKey instanceof Uint8Array) || identityKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new PkiKeyError(`pki: identity key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes`);
  }
  const key = publicKeyFromRaw(identityKey);
  if (key.type !== 'Ed25519') throw new PkiKeyError('pki: identity key is not Ed25519');
  return peerIdFromPublicKey(key);
}

/** From config entries (`[[authorities]]`: name, hex identity, addresses). */
export function authorityPeers(entries: ReadonlyArray<{ name: string; identity: string; addresses: readonly string[] }>): AuthorityPeer[] {
  return entries.map((e) => {
    const identityKey = fromHex(e.identity.toLowerCase(), `authority ${e.name} identity`);
    return { name: e.name, identityKey, peerId: peerIdOfIdentityKey(identityKey), addresses: [...e.addresses] };
  });
}

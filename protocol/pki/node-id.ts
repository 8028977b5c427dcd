// A node's 32-byte id: the Sphinx node id that NextNodeHop commands carry,
// and the key by which documents sort and balance nodes.
//
// nodeId = SHA-256("chaff-node-id-v1\0" || Ed25519 identity public key)
//
// The prefix keeps this hash from colliding in meaning with any other SHA-256
// of the same 32 bytes (docs/pki.md §Node id).

import { abytes, concatBytes } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_LENGTH, Ed25519KeyError } from '../crypto/ed25519.js';

export const NODE_ID_DOMAIN = 'chaff-node-id-v1\0';
export const NODE_ID_LENGTH = 32;

const DOMAIN_BYTES = new TextEncoder().encode(NODE_ID_DOMAIN);

/** The node id of an Ed25519 identity public key. Throws Ed25519KeyError on a bad size. */
export function nodeIdOf(identityPublicKey: Uint8Array): Uint8Array {
  abytes(identityPublicKey, ED25519_PUBLIC_KEY_LENGTH, 'node id: identity public key', (message) => new Ed25519KeyError(message));
  return sha256(concatBytes(DOMAIN_BYTES, identityPublicKey));
}

// The identity convention (docs/gateway.md §Clients): a client's libp2p
// Ed25519 key is its client identity key, so the peer that Noise
// authenticated on a connection is the client, and its mailbox is
// mailboxIdOf(the raw 32-byte public key).

import type { PeerId } from '@libp2p/interface';

/** The raw Ed25519 public key of `peer`, or null for a peer id without an Ed25519 key. */
export function clientKeyOf(peer: PeerId): Uint8Array | null {
  const key = peer.publicKey;
  if (key === undefined || key.type !== 'Ed25519' || key.raw.length !== 32) return null;
  return key.raw;
}

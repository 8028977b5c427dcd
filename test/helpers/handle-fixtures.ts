// Short-handle owners and records for the gateway's tests (docs/handles.md):
// a seeded end-to-end identity, the Ed25519 key K it registers with (its
// client key: the mailbox is mailboxIdOf(K)), its address at a gateway, and
// the records it signs. Ed25519 signatures are deterministic (RFC 8032
// §5.1.6), so a seed gives the same bytes on every run.

import { createHash } from 'node:crypto';
import { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { addressOf, type Address } from '../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../protocol/e2ee/identity.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { signHandleRecord, type HandleRecord } from '../../protocol/wire/handle.js';
import { deterministicRandom } from './drbg.js';

export interface HandleOwner {
  identity: Identity;
  /** K: the key the owner registers and fetches with. */
  mailboxKey: Ed25519PrivateKey;
  /** K's public key: the client key the gateway sees on the link. */
  clientKey: Uint8Array;
  mailboxId: Uint8Array;
  address: Address;
}

/** A seeded owner at `gateway` (a node id); `mailboxKey` replaces the seeded K (a test's libp2p client key). */
export function handleOwner(seed: string, gateway: Uint8Array, mailboxKey?: Ed25519PrivateKey): HandleOwner {
  const identity = generateIdentity(deterministicRandom(`identity ${seed}`));
  const key = mailboxKey ?? Ed25519PrivateKey.fromSeed(createHash('sha256').update(`mailbox key ${seed}`).digest());
  const mailboxId = mailboxIdOf(key.publicKey);
  return { identity, mailboxKey: key, clientKey: key.publicKey, mailboxId, address: addressOf(identity, gateway, mailboxId) };
}

/** The record binding `name` to the owner's address, signed by its identity, its mailbox proven by K. */
export function handleRecordOf(owner: HandleOwner, name: string): HandleRecord {
  return signHandleRecord(name, owner.identity, owner.address, owner.mailboxKey);
}

// What the client daemon keeps in its encrypted store (docs/client-storage.md
// §Collections): the record types and the collections. Every record is
// sealed by client/store; ids are keyed hashes on disk. The messenger reaches
// them through its record stores (client/messenger/stores.ts).
//
//   profile    "identity" → E2EE identity (bytes); "libp2p" → the gateway
//              identity key (libp2p protobuf bytes)
//   contacts   name → ContactRecord
//   sessions   session id (hex EK_A) → Session.serialize() bytes
//   messages   message id (hex) → MessageRow (history, both directions)
//   files      message id (hex) → file bytes (received and sent files)
//   outbox     fragment key → OutboxEntry (what is still to be delivered)
//   inbound    peer identity (hex) → InboundState (reassembly metadata, ordering)
//   requests   peer identity (hex) → RequestRecord (unknown senders)
//   fragments  peer (hex) ":" message id (hex) ":" index → one held chunk of an
//              incomplete incoming message (bytes), written once per fragment
//   groups, group-posts, group-peers: the groups (client/groups/group-records.ts)

import type { DeliveryState, MessageContent, MessageRecord } from './api.js';
import type { GroupPeerRecord, GroupPostRow } from './groups/group-records.js';
import { bytesCodec, jsonCodec } from './store/codecs.js';
import type { SealedCollection, SealedStore } from './store/sealed-store.js';

// Appended only (client/store/sealed-store.ts: a profile's registry grows, never reorders).
export const COLLECTIONS = ['profile', 'contacts', 'sessions', 'messages', 'files', 'outbox', 'inbound', 'requests', 'fragments', 'groups', 'group-posts', 'group-peers', 'blocked'] as const;

export interface ContactRecord {
  name: string;
  /** The address we send to (bech32m). */
  address: string;
  /** Hex Ed25519 identity key of `address`, for lookups. */
  identity: string;
  addedMs: number;
  verified: boolean;
  /**
   * Another identity proved it owns this contact's mailbox (a contact card
   * with a valid mailbox proof, docs/e2ee.md §Key changes): see
   * pendingAddress. Nothing is sent to the contact until the user accepts or
   * rejects the change.
   */
  keyChanged: boolean;
  pendingAddress: string | null;
  /** Hex identity key of pendingAddress (absent in records written before it existed). */
  pendingIdentity?: string | null;
  /** Identity keys (hex) whose key change the user rejected: never flagged again (at most 16, newest last). */
  rejectedIdentities?: string[];
  /** The contact's delivery id (hex) from its contact card: our packets go there instead of the address's mailbox. */
  deliveryId?: string | null;
  /** The delivery id the pending identity's card gave (hex): the contact's once the change is accepted. */
  pendingDeliveryId?: string | null;
  /** The next conversation sequence number for our messages to them. */
  nextSeq: bigint;
  /** The session our messages to them use (hex), or null until the first send or first receipt. */
  sessionId: string | null;
}

export interface MessageRow {
  record: MessageRecord;
  /** Hex identity key of the peer (the contact's, or an unknown sender's). */
  peer: string;
  /** Incoming, not shown: held (below). (Before version 2 of the order state, also a message waiting for an earlier one: client/messenger/order-upgrade.ts.) */
  hidden: boolean;
  /** Incoming from a contact's new identity key: held until the user accepts the key. */
  held: boolean;
  /** Outgoing: fragment indexes whose ACK came back. */
  acked: number[];
  /** Outgoing: fragment indexes transmitted at least once. */
  sent: number[];
  /** Seq in its conversation (decimal string), for ordering. */
  seq: string;
}

export interface OutboxEntry {
  /** Hex message id; receipts and cards use the id of their batch, group messages "g" and theirs. */
  messageId: string;
  kind: 'data' | 'receipt' | 'card' | 'group';
  /** The contact it goes to; "" for an entry to a group member by `address`. */
  contact: string;
  /** A group frame, or our card to a group member (docs/groups.md §11): the member's address (bech32m), sent whether or not it is a contact. */
  address?: string;
  index: number;
  frame: Uint8Array;
  /** Transmissions so far (kept across restarts; absent in entries never sent). */
  attempts?: number;
}

export interface InboundState {
  /** Reassembler.toJSON() with every chunk left out (they are records of `fragments`): [index, ""] pairs. */
  reassembler: unknown;
  /** OrderBuffer.serialize(): the conversation's sequence numbers (docs/chat.md §Ordering; version 1 is still read). */
  order: unknown;
}

export interface RequestRecord {
  address: string;
  identity: string;
  firstMs: number;
  messages: number;
  /** Content bytes held (absent in records written before it existed). */
  bytes?: number;
  /** The request's one session (hex EK_A). */
  sessionId?: string;
  /**
   * The delivery id (hex) the stranger's contact card gave: ours to write to
   * once the user adds them (a card can arrive before the user adds its
   * sender, and is sent only once).
   */
  deliveryId?: string | null;
}

/** Someone the user blocked (docs/client.md §Blocking): their envelopes are dropped unread. Keyed by identity key (hex). */
export interface BlockedRecord {
  /** Their address as the user gave it or it arrived. */
  address: string;
  /** Hex Ed25519 identity key of `address`: what is matched. */
  identity: string;
  blockedMs: number;
}

export interface Collections {
  profile: SealedCollection<Uint8Array>;
  contacts: SealedCollection<ContactRecord>;
  sessions: SealedCollection<Uint8Array>;
  messages: SealedCollection<MessageRow>;
  files: SealedCollection<Uint8Array>;
  outbox: SealedCollection<OutboxEntry>;
  inbound: SealedCollection<InboundState>;
  requests: SealedCollection<RequestRecord>;
  fragments: SealedCollection<Uint8Array>;
  groups: SealedCollection<Uint8Array>;
  groupPosts: SealedCollection<GroupPostRow>;
  groupPeers: SealedCollection<GroupPeerRecord>;
  blocked: SealedCollection<BlockedRecord>;
}

export function collectionsOf(store: SealedStore): Collections {
  return {
    profile: store.collection('profile', bytesCodec),
    contacts: store.collection('contacts', jsonCodec<ContactRecord>()),
    sessions: store.collection('sessions', bytesCodec),
    messages: store.collection('messages', jsonCodec<MessageRow>()),
    files: store.collection('files', bytesCodec),
    outbox: store.collection('outbox', jsonCodec<OutboxEntry>()),
    inbound: store.collection('inbound', jsonCodec<InboundState>()),
    requests: store.collection('requests', jsonCodec<RequestRecord>()),
    fragments: store.collection('fragments', bytesCodec),
    groups: store.collection('groups', bytesCodec),
    groupPosts: store.collection('group-posts', jsonCodec<GroupPostRow>()),
    groupPeers: store.collection('group-peers', jsonCodec<GroupPeerRecord>()),
    blocked: store.collection('blocked', jsonCodec<BlockedRecord>()),
  };
}

export function fragmentKey(peer: string, messageId: string, index: number): string {
  return `${peer}:${messageId}:${index}`;
}

export function outboxKey(messageId: string, index: number): string {
  return `${messageId}:${index}`;
}

export function newMessageRecord(fields: { id: string; contact: string; direction: 'out' | 'in'; content: MessageContent; state: DeliveryState; sentMs: number; fragments: number }): MessageRecord {
  return { ...fields, deliveredMs: null, readMs: null, retransmissions: 0 };
}

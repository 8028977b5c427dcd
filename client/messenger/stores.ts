// The record stores the messenger's parts use (client/store/unit-of-work.ts
// for the interfaces; docs/client-storage.md §Collections for the records),
// and the two ways to get all of them: over the profile's sealed store (the
// daemon), or in memory (unit tests). Messenger.load takes them and nothing
// else of the store. `begin()` starts a unit of work that
// spans all of them, so one change (a message, its fragments in the outbox
// and the contact's next sequence number) is one atomic, synced write.

import type { GroupPeerStore, GroupPostStore, GroupStore } from '../groups/group-records.js';
import { collectionsOf, type BlockedRecord, type ContactRecord, type InboundState, type MessageRow, type OutboxEntry, type RequestRecord } from '../state.js';
import { MemoryRecordStore, MemoryUnitOfWork } from '../store/memory-record-store.js';
import { SealedRecordStore, SealedUnitOfWork } from '../store/sealed-record-store.js';
import type { SealedStore } from '../store/sealed-store.js';
import type { RecordStore, UnitOfWork } from '../store/unit-of-work.js';

/** The profile's own records by name: the identity, the libp2p key, the delivery id (client/delivery-id.ts), the short handle's name (client/daemon/handle-admin.ts). */
export type ProfileStore = RecordStore<Uint8Array>;
/** Contacts by name. */
export type ContactStore = RecordStore<ContactRecord>;
/** End-to-end sessions (Session.serialize() bytes) by session id. */
export type SessionStore = RecordStore<Uint8Array>;
/** Fragments still to be delivered, by outbox key. */
export type OutboxStore = RecordStore<OutboxEntry>;
/** The history (both directions), by message id. */
export type MessageStore = RecordStore<MessageRow>;
/** Files of messages, by message id. */
export type FileStore = RecordStore<Uint8Array>;
/** Contact requests from strangers, by their identity key (hex). */
export type RequestStore = RecordStore<RequestRecord>;
/** Each peer's reassembly and ordering state (without chunks), by identity key (hex). */
export type InboundStore = RecordStore<InboundState>;
/** Held chunks of incomplete incoming messages, by fragmentKey(). */
export type FragmentStore = RecordStore<Uint8Array>;
/** Blocked senders, by identity key (hex). */
export type BlockedStore = RecordStore<BlockedRecord>;

export interface MessengerStores {
  profile: ProfileStore;
  contacts: ContactStore;
  sessions: SessionStore;
  outbox: OutboxStore;
  messages: MessageStore;
  files: FileStore;
  requests: RequestStore;
  inbound: InboundStore;
  fragments: FragmentStore;
  /** The groups (client/groups/group-records.ts). */
  groups: GroupStore;
  groupPosts: GroupPostStore;
  groupPeers: GroupPeerStore;
  blocked: BlockedStore;
  /** A unit of work over all of the stores above. */
  begin(): UnitOfWork;
}

/** The stores over the profile's encrypted database (what the daemon uses). */
export function sealedMessengerStores(store: SealedStore): MessengerStores {
  const c = collectionsOf(store);
  return {
    profile: new SealedRecordStore(c.profile),
    contacts: new SealedRecordStore(c.contacts),
    sessions: new SealedRecordStore(c.sessions),
    outbox: new SealedRecordStore(c.outbox),
    messages: new SealedRecordStore(c.messages),
    files: new SealedRecordStore(c.files),
    requests: new SealedRecordStore(c.requests),
    inbound: new SealedRecordStore(c.inbound),
    fragments: new SealedRecordStore(c.fragments),
    groups: new SealedRecordStore(c.groups),
    groupPosts: new SealedRecordStore(c.groupPosts),
    groupPeers: new SealedRecordStore(c.groupPeers),
    blocked: new SealedRecordStore(c.blocked),
    begin: () => SealedUnitOfWork.begin(store),
  };
}

/** Empty stores in memory (unit tests). */
export function memoryMessengerStores(): MessengerStores {
  return {
    profile: new MemoryRecordStore(),
    contacts: new MemoryRecordStore(),
    sessions: new MemoryRecordStore(),
    outbox: new MemoryRecordStore(),
    messages: new MemoryRecordStore(),
    files: new MemoryRecordStore(),
    requests: new MemoryRecordStore(),
    inbound: new MemoryRecordStore(),
    fragments: new MemoryRecordStore(),
    groups: new MemoryRecordStore(),
    groupPosts: new MemoryRecordStore(),
    groupPeers: new MemoryRecordStore(),
    blocked: new MemoryRecordStore(),
    begin: () => new MemoryUnitOfWork(),
  };
}

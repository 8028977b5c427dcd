// The record stores the messenger's parts use (client/store/unit-of-work.ts
// for the interfaces; docs/client-storage.md §Collections for the records),
// and the two ways to get all of them: over the profile's sealed store (the
// daemon), or in memory (unit tests). `begin()` starts a unit of work that
// spans all of them, so one change (a message, its fragments in the outbox
// and the contact's next sequence number) is one atomic, synced write.

import type { Collections, ContactRecord, InboundState, MessageRow, OutboxEntry, RequestRecord } from '../state.js';
import { MemoryRecordStore, MemoryUnitOfWork } from '../store/memory-record-store.js';
import { SealedRecordStore, SealedUnitOfWork } from '../store/sealed-record-store.js';
import type { SealedStore } from '../store/sealed-store.js';
import type { RecordStore, UnitOfWork } from '../store/unit-of-work.js';

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

export interface MessengerStores {
  contacts: ContactStore;
  sessions: SessionStore;
  outbox: OutboxStore;
  messages: MessageStore;
  files: FileStore;
  requests: RequestStore;
  inbound: InboundStore;
  fragments: FragmentStore;
  /** A unit of work over all of the stores above. */
  begin(): UnitOfWork;
}

/** The stores over the profile's encrypted database (what the daemon uses). */
export function sealedMessengerStores(store: SealedStore, c: Collections): MessengerStores {
  return {
    contacts: new SealedRecordStore(c.contacts),
    sessions: new SealedRecordStore(c.sessions),
    outbox: new SealedRecordStore(c.outbox),
    messages: new SealedRecordStore(c.messages),
    files: new SealedRecordStore(c.files),
    requests: new SealedRecordStore(c.requests),
    inbound: new SealedRecordStore(c.inbound),
    fragments: new SealedRecordStore(c.fragments),
    begin: () => SealedUnitOfWork.begin(store),
  };
}

/** Empty stores in memory (unit tests). */
export function memoryMessengerStores(): MessengerStores {
  return {
    contacts: new MemoryRecordStore(),
    sessions: new MemoryRecordStore(),
    outbox: new MemoryRecordStore(),
    messages: new MemoryRecordStore(),
    files: new MemoryRecordStore(),
    requests: new MemoryRecordStore(),
    inbound: new MemoryRecordStore(),
    fragments: new MemoryRecordStore(),
    begin: () => new MemoryUnitOfWork(),
  };
}

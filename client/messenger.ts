// The chat logic of the client daemon (docs/client.md): a facade over its
// parts in client/messenger/. It knows nothing of the network: the daemon
// asks it for the next envelope to send (prepareNext), tells it what the ARQ
// learnt (fragmentSent / Acked / Failed) and hands it every mailbox entry
// that is not one of our loops (receive). Everything it changes is written
// to the encrypted store before the change is reported, and an incoming
// entry is acknowledged to the gateway only after receive() resolved, so a
// crash at any point loses nothing.
//
//   ContactBook       contacts, key changes, who sent an envelope
//   ContactRequests   strangers' contact requests, within their bounds
//   Outbox            queued / sent / acknowledged / failed fragments; seals the next one
//   Inbox             opens envelopes; reassembly, ordering, receipts, cards
//   MessageHistory    the messages, both directions
//   SessionBook       the end-to-end sessions
//   ContactDirectory  contacts by name and by identity key
//   InboundStates     each peer's reassembly and order buffer (client/receiver/)
//   MessengerStores   the record stores under all of them (sealed, or in memory for tests)
// messenger/messenger-parts.ts wires them; this class only forwards.

import type { ChatContent } from '../protocol/chat/content.js';
import type { ContactInfo, ContactRequest, MessageRecord } from './api.js';
import { loadMessengerParts, type MessengerParts, type MessengerPartsOptions } from './messenger/messenger-parts.js';
import type { PreparedEnvelope } from './messenger/outbox.js';
import type { MessengerStats } from './messenger/stats.js';
import { sealedMessengerStores } from './messenger/stores.js';
import type { Collections, ContactRecord } from './state.js';
import type { SealedStore } from './store/sealed-store.js';

export type { PreparedEnvelope } from './messenger/outbox.js';
export type { MessengerStats } from './messenger/stats.js';

/** The parts' options (documented where they are used: client/messenger/outbox.ts, contact-book.ts, inbox.ts), and the profile's store. */
export interface MessengerOptions extends MessengerPartsOptions {
  store: SealedStore;
  collections: Collections;
}

export class Messenger {
  private constructor(private readonly parts: MessengerParts) {}

  /** Loads the profile's state and re-queues every undelivered fragment. */
  static async load(options: MessengerOptions): Promise<Messenger> {
    return new Messenger(await loadMessengerParts(sealedMessengerStores(options.store, options.collections), options));
  }

  stop(): void {
    this.parts.inbox.stop();
  }

  stats(): MessengerStats {
    return this.parts.counters.snapshot({ sessions: this.parts.sessions.size, headerNonces: this.parts.sessions.headerNonces, requests: this.parts.requests.size });
  }

  get queuedFragments(): number {
    return this.parts.outbox.size;
  }

  get failedMessages(): number {
    return this.parts.messages.failedCount();
  }

  // ---------------------------------------------------------------- contacts

  contactInfo(c: ContactRecord): ContactInfo {
    return this.parts.book.info(c);
  }

  listContacts(): ContactInfo[] {
    return this.parts.book.list();
  }

  addContact(name: string, addressText: string): Promise<ContactInfo> {
    return this.parts.book.add(name, addressText);
  }

  removeContact(name: string): Promise<void> {
    return this.parts.book.remove(name);
  }

  /** Accepts a contact's new identity key (a verified contact only with `unverify`: docs/client.md §Key changes). */
  acceptContactKey(name: string, unverify = false): Promise<ContactInfo> {
    return this.parts.book.acceptKey(name, unverify);
  }

  /** Rejects a contact's pending key change; that identity is never taken for the contact again. */
  rejectContactKey(name: string): Promise<ContactInfo> {
    return this.parts.book.rejectKey(name);
  }

  /** A new delivery id (rotated, docs/client.md §Delivery id): every contact gets our card again. The caller registers it with the gateway first. */
  announceDeliveryId(deliveryId: Uint8Array | null): Promise<void> {
    return this.parts.outbox.announceDeliveryId(deliveryId);
  }

  markVerified(name: string, verified: boolean): Promise<ContactInfo> {
    return this.parts.book.markVerified(name, verified);
  }

  verify(name: string): { safetyNumber: string; verified: boolean } {
    return this.parts.book.verify(name);
  }

  // ----------------------------------------------------------------- sending

  /** Queues a message: stored with every fragment before this resolves. */
  send(name: string, content: ChatContent): Promise<MessageRecord> {
    return this.parts.outbox.send(name, content);
  }

  /** Seals the next queued fragment (its session state saved first); null when nothing is queued. */
  prepareNext(): Promise<PreparedEnvelope | null> {
    return this.parts.outbox.prepareNext();
  }

  /** The fragment left in a packet. */
  fragmentSent(key: string, attempt: number): void {
    this.parts.outbox.fragmentSent(key, attempt);
  }

  /** The fragment's SURB-ACK came back: it is stored at the recipient's gateway. */
  fragmentAcked(key: string): Promise<void> {
    return this.parts.outbox.fragmentAcked(key);
  }

  /** The ARQ gave up on a fragment: its whole message failed. */
  fragmentFailed(key: string, attempts: number): Promise<void> {
    return this.parts.outbox.fragmentFailed(key, attempts);
  }

  // --------------------------------------------------------------- receiving

  /** One mailbox entry that is not our loop. Resolves once its effects are stored. */
  receive(envelope: Uint8Array): Promise<void> {
    return this.parts.inbox.receive(envelope);
  }

  // ----------------------------------------------------------------- queries

  history(name: string, limit = 50): MessageRecord[] {
    this.parts.contacts.require(name);
    return this.parts.messages.history(name, limit);
  }

  inbox(): { unread: MessageRecord[]; requests: ContactRequest[] } {
    const unread = this.parts.messages.unread().map((r) => r.record);
    return { unread: unread.sort((a, b) => a.sentMs - b.sentMs), requests: this.parts.requests.list() };
  }

  /** Marks `name`'s delivered messages read and queues read receipts for them. */
  markRead(name: string): Promise<number> {
    return this.parts.inbox.markRead(name);
  }

  fileData(messageId: string): Promise<{ name: string; data: Uint8Array }> {
    return this.parts.messages.fileData(messageId);
  }
}

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
//   BlockList         blocked identities, whose envelopes are dropped
//   Outbox            queued / sent / acknowledged / failed fragments; seals the next one
//   Inbox             opens envelopes; reassembly, ordering, receipts, cards
//   MessageHistory    the messages, both directions
//   SessionBook       the end-to-end sessions
//   ContactDirectory  contacts by name and by identity key
//   InboundStates     each peer's reassembly and order buffer (client/receiver/)
//   GroupChats        the groups (client/groups/): group frames in and out, posts
//   MessengerStores   the record stores under all of them (sealed, or in memory for tests)
// messenger/messenger-parts.ts wires them; this class only forwards. It
// takes the store interfaces only (messenger/stores.ts), so the same code
// runs on the profile's encrypted store and on memory.

import type { ChatContent } from '../protocol/chat/content.js';
import { ClientError, type BlockedInfo, type ContactInfo, type ContactRequest, type HistoryPage, type MessageRecord } from './api.js';
import type { GroupChats } from './groups/group-chats.js';
import { loadMessengerParts, type MessengerParts, type MessengerPartsOptions } from './messenger/messenger-parts.js';
import type { PreparedEnvelope } from './messenger/outbox.js';
import type { MessengerStats } from './messenger/stats.js';
import type { MessengerStores } from './messenger/stores.js';
import type { ContactRecord } from './state.js';

export type { PreparedEnvelope } from './messenger/outbox.js';
export type { MessengerStats } from './messenger/stats.js';

/** The parts' options (documented where they are used: client/messenger/outbox.ts, contact-book.ts, inbox.ts). */
export type MessengerOptions = Omit<MessengerPartsOptions, 'sendReadReceipts'> & {
  /** Reading sends read receipts (client.toml `read_receipts`); default true. Changed later with `readReceipts`. */
  readReceipts?: boolean;
};

export class Messenger {
  private constructor(
    private readonly parts: MessengerParts,
    private readonly receipts: { on: boolean },
  ) {}

  /**
   * Loads the state in `stores` (our delivery id among it), re-queues every
   * undelivered fragment, and asks one member of each group for what we
   * missed while away (docs/groups.md §11.5).
   */
  static async load(stores: MessengerStores, options: MessengerOptions): Promise<Messenger> {
    const { readReceipts = true, ...rest } = options;
    const receipts = { on: readReceipts };
    const parts = await loadMessengerParts(stores, { ...rest, sendReadReceipts: () => receipts.on });
    await parts.groups.syncAll();
    return new Messenger(parts, receipts);
  }

  /** Whether reading a conversation (or a group) sends read receipts; set while running, it applies to the next read. */
  get readReceipts(): boolean {
    return this.receipts.on;
  }

  set readReceipts(on: boolean) {
    this.receipts.on = on;
  }

  /** The group chats (client/groups/group-chats.ts). */
  get groups(): GroupChats {
    return this.parts.groups;
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

  /** A new delivery id (rotated, docs/client.md §Delivery id): kept in the profile store, and every contact gets our card again. The caller registers it with the gateway first. */
  announceDeliveryId(deliveryId: Uint8Array | null): Promise<void> {
    return this.parts.outbox.announceDeliveryId(deliveryId);
  }

  markVerified(name: string, verified: boolean): Promise<ContactInfo> {
    return this.parts.book.markVerified(name, verified);
  }

  verify(name: string): { safetyNumber: string; verified: boolean } {
    return this.parts.book.verify(name);
  }

  // ---------------------------------------------------------------- blocking

  /** Blocks the address's identity (docs/client.md §Blocking). */
  block(address: string): Promise<BlockedInfo> {
    return this.parts.blocked.block(address);
  }

  unblock(address: string): Promise<void> {
    return this.parts.blocked.unblock(address);
  }

  listBlocked(): BlockedInfo[] {
    return this.parts.blocked.list();
  }

  // ----------------------------------------------------------------- sending

  /** Queues a message: stored with every fragment before this resolves. */
  send(name: string, content: ChatContent): Promise<MessageRecord> {
    const c = this.parts.contacts.get(name);
    if (c && this.parts.blocked.has(c.identity)) return Promise.reject(new ClientError('blocked', `you blocked ${name}: unblock them to write to them`));
    return this.parts.outbox.send(name, content);
  }

  /** Seals the next queued fragment (its session state saved first); null when nothing is queued. */
  prepareNext(): Promise<PreparedEnvelope | null> {
    return this.parts.outbox.prepareNext();
  }

  /** Seals up to `max` queued fragments, their session states saved first in one synced write; empty when nothing is queued. */
  prepareUpTo(max: number): Promise<PreparedEnvelope[]> {
    return this.parts.outbox.prepareUpTo(max);
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

  /** A page of the history (MessageHistory.page): the `limit` messages before the message `before`, or the newest. */
  historyPage(name: string, limit = 50, before?: string): HistoryPage {
    this.parts.contacts.require(name);
    return this.parts.messages.page(name, limit, before);
  }

  inbox(): { unread: MessageRecord[]; requests: ContactRequest[] } {
    const unread = this.parts.messages.unread().map((r) => r.record);
    return { unread: unread.sort((a, b) => a.sentMs - b.sentMs), requests: this.parts.requests.list() };
  }

  /** Marks `name`'s delivered messages read and queues read receipts for them (unless readReceipts is off). */
  markRead(name: string): Promise<number> {
    return this.parts.inbox.markRead(name);
  }

  /** A message's or a group post's file. */
  async fileData(messageId: string): Promise<{ name: string; data: Uint8Array }> {
    return (await this.parts.groups.fileData(messageId)) ?? this.parts.messages.fileData(messageId);
  }
}

// The chat logic of the client daemon: contacts, end-to-end sessions, the
// durable outbox and the history (docs/client.md). It knows nothing of the
// network: the daemon asks it for the next envelope to send (prepareNext),
// tells it what the ARQ learnt (fragmentSent / Acked / Failed) and hands it
// every mailbox entry that is not one of our loops (receive). Everything it
// changes is written to the encrypted store before the change is reported,
// and an incoming entry is acknowledged to the gateway only after receive()
// resolved, so a crash at any point loses nothing.

import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../protocol/bytes.js';
import { decodeContent, encodeContent, type ChatContent } from '../protocol/chat/content.js';
import { fragment } from '../protocol/chat/fragmenter.js';
import { decodeFrame, encodeFrame, encodeReadReceipts, type CardFrame, type ChatFrame, type DataFragment, type ReceiptFrame } from '../protocol/chat/frames.js';
import { AddressError, decodeAddress, encodeAddress, type Address } from '../protocol/e2ee/address.js';
import { E2eeError } from '../protocol/e2ee/errors.js';
import type { Identity } from '../protocol/e2ee/identity.js';
import { verifyMailboxProof } from '../protocol/e2ee/mailbox-proof.js';
import { formatSafetyNumber, safetyNumber } from '../protocol/e2ee/safety-number.js';
import { openEnvelope, Session } from '../protocol/e2ee/session.js';
import type { Clock, TimerHandle } from '../protocol/traffic/clock.js';
import { ClientError, MAX_MESSAGE_BYTES, type ClientEvent, type ContactInfo, type ContactRequest, type MessageContent, type MessageRecord } from './api.js';
import { InboundStates } from './receiver/inbound-states.js';
import { SessionIndex } from './receiver/session-index.js';
import { newMessageRecord, outboxKey, type Collections, type ContactRecord, type MessageRow, type OutboxEntry, type RequestRecord } from './state.js';
import { StrangerPolicy, type StrangerLimits } from './stranger-policy.js';
import type { SealedBatch, SealedStore } from './store/sealed-store.js';

export interface MessengerOptions {
  store: SealedStore;
  collections: Collections;
  identity: Identity;
  ownAddress: Address;
  clock: Clock;
  /** Bytes of every envelope (the geometry's user payload). */
  envelopeLength: number;
  /** Largest chat frame an envelope carries. */
  maxFrameLength: number;
  orderHoldMs: number;
  /** Puts a fragment in the send queue (the ARQ), with the transmissions it already had. */
  enqueue: (key: string, attempts?: number) => void;
  /** Takes a fragment out of the send queue. */
  dequeue: (key: string) => void;
  /** The next fragment key to send, or undefined. */
  nextKey: () => string | undefined;
  /**
   * Whether a packet to `gateway` can be routed now (it is in the current
   * document). A fragment that cannot is not sealed (sealing takes a
   * ratchet step): `unroutable` takes it, and the next one is prepared.
   * Default: every gateway is routable.
   */
  routable?: (gateway: Uint8Array) => boolean;
  unroutable?: (key: string, gateway: Uint8Array) => void;
  emit: (event: ClientEvent) => void;
  /** A message was queued (trace mode's ground truth: docs/simulator.md §Trace mode). */
  onQueued?: (info: { to: Uint8Array; id: string; fragments: number }) => void;
  log: (level: 'debug' | 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
  /**
   * The proof that our address's mailbox is ours (protocol/e2ee/mailbox-proof.ts),
   * sent to every contact in our contact card. Without it no card is sent.
   */
  mailboxProof?: Uint8Array;
  /** Our delivery id (32 bytes), told to contacts in our card: they write to it instead of our address's mailbox. */
  deliveryId?: Uint8Array | null;
  /** Bounds on what strangers may make us keep (client/stranger-policy.ts). */
  strangerLimits?: Partial<StrangerLimits>;
}

/** A sealed envelope ready to leave, and where to. */
export interface PreparedEnvelope {
  key: string;
  envelope: Uint8Array;
  gateway: Uint8Array;
  mailbox: Uint8Array;
}

export interface MessengerStats {
  /** sessionsTried: sessions whose keys were tried on later envelopes' headers, over all envelopes (one lookup names at most one, as a rule). */
  received: { envelopes: number; messages: number; receipts: number; cards: number; sessionsTried: number };
  rejected: Record<string, number>;
  sent: { messages: number; fragments: number; failed: number };
  /** What is held now: sessions (contacts' and strangers'), their indexed header nonces, contact requests. */
  held: { sessions: number; headerNonces: number; requests: number };
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;
const REQUEST_PREFIX = '?';
/** Rejected key changes remembered per contact. */
const MAX_REJECTED_IDENTITIES = 16;
const RELEASE_PERIOD_MS = 5_000;

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name) || name.startsWith(REQUEST_PREFIX)) {
    throw new ClientError('bad-name', `a contact name is 1–64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit: ${JSON.stringify(name)}`);
  }
}

function parseAddress(text: string): Address {
  try {
    return decodeAddress(text.trim());
  } catch (err) {
    if (err instanceof AddressError) throw new ClientError('bad-address', err.message);
    throw err;
  }
}

/** Whether a stored address still decodes (a version 1 address no longer does). */
function isReadableAddress(text: string): boolean {
  try {
    decodeAddress(text);
    return true;
  } catch {
    return false;
  }
}

function displayOf(content: ChatContent): MessageContent {
  return content.kind === 'text' ? { text: content.text } : { file: { name: content.name, size: content.data.length } };
}

export class Messenger {
  readonly #o: MessengerOptions;
  readonly #c: Collections;
  readonly #contacts = new Map<string, ContactRecord>();
  readonly #byIdentity = new Map<string, string>();
  readonly #sessions = new SessionIndex();
  readonly #rows = new Map<string, MessageRow>();
  readonly #outbox = new Map<string, OutboxEntry>();
  #inbound!: InboundStates;
  readonly #requests = new Map<string, RequestRecord>();
  readonly #policy: StrangerPolicy;
  #deliveryId: Uint8Array | null;
  readonly #stats: Omit<MessengerStats, 'held'> = { received: { envelopes: 0, messages: 0, receipts: 0, cards: 0, sessionsTried: 0 }, rejected: {}, sent: { messages: 0, fragments: 0, failed: 0 } };
  #releaseTimer: TimerHandle | null = null;
  #preparing: Promise<PreparedEnvelope | null> | null = null;
  /** Serialises receive() calls: one envelope at a time changes sessions and inbound state. */
  #receiving: Promise<void> = Promise.resolve();

  private constructor(options: MessengerOptions) {
    this.#o = options;
    this.#c = options.collections;
    this.#policy = new StrangerPolicy(options.strangerLimits, options.clock.now());
    this.#deliveryId = options.deliveryId ?? null;
  }

  /** Loads the profile's state and re-queues every undelivered fragment. */
  static async load(options: MessengerOptions): Promise<Messenger> {
    const m = new Messenger(options);
    const c = options.collections;
    for (const [name, contact] of await c.contacts.list()) {
      m.#contacts.set(name, contact);
      m.#byIdentity.set(contact.identity, name);
    }
    for (const [id, bytes] of await c.sessions.list()) {
      try {
        m.#sessions.update(Session.deserialize(bytes));
      } catch (err) {
        options.log('warn', 'a stored session could not be read; it is skipped', { error: (err as Error).message });
      }
    }
    for (const [id, row] of await c.messages.list()) m.#rows.set(id, row);
    m.#inbound = await InboundStates.load(c, options.orderHoldMs, options.log);
    for (const [peer, r] of await c.requests.list()) m.#requests.set(peer, r);
    const pending = [...(await c.outbox.list())];
    // Oldest message first, fragments in order: the ids sort by insertion only
    // through the rows' timestamps.
    pending.sort(([, a], [, b]) => (m.#rows.get(a.messageId)?.record.sentMs ?? 0) - (m.#rows.get(b.messageId)?.record.sentMs ?? 0) || a.index - b.index);
    for (const [key, entry] of pending) {
      m.#outbox.set(key, entry);
      options.enqueue(key, entry.attempts ?? 0);
    }
    m.#scheduleRelease();
    return m;
  }

  stop(): void {
    this.#releaseTimer?.cancel();
    this.#releaseTimer = null;
  }

  stats(): MessengerStats {
    return { ...structuredClone(this.#stats), held: { sessions: this.#sessions.size, headerNonces: this.#sessions.hints, requests: this.#requests.size } };
  }

  get queuedFragments(): number {
    return this.#outbox.size;
  }

  get failedMessages(): number {
    let n = 0;
    for (const r of this.#rows.values()) if (r.record.direction === 'out' && r.record.state === 'failed') n++;
    return n;
  }

  // ---------------------------------------------------------------- contacts

  contactInfo(c: ContactRecord): ContactInfo {
    let held = 0;
    for (const r of this.#rows.values()) if (r.held && r.record.contact === c.name) held++;
    let pendingSafetyNumber: string | undefined;
    if (c.keyChanged && c.pendingAddress) {
      try {
        pendingSafetyNumber = formatSafetyNumber(safetyNumber(this.#o.ownAddress, parseAddress(c.pendingAddress)));
      } catch {
        // an unreadable pending address (written by an older version): nothing to compare
      }
    }
    return { name: c.name, address: c.address, verified: c.verified, keyChanged: c.keyChanged, held, addedMs: c.addedMs, ...(pendingSafetyNumber ? { pendingSafetyNumber } : {}) };
  }

  listContacts(): ContactInfo[] {
    return [...this.#contacts.values()].sort((a, b) => a.name.localeCompare(b.name)).map((c) => this.contactInfo(c));
  }

  #contact(name: string): ContactRecord {
    const c = this.#contacts.get(name);
    if (!c) throw new ClientError('unknown-contact', `no contact named ${JSON.stringify(name)} (see \`chaff client contacts list\`)`);
    return c;
  }

  async addContact(name: string, addressText: string): Promise<ContactInfo> {
    checkName(name);
    const address = parseAddress(addressText);
    const identity = toHex(address.identityKey);
    if (this.#contacts.has(name)) throw new ClientError('contact-exists', `a contact named ${JSON.stringify(name)} exists already`);
    const other = this.#byIdentity.get(identity);
    if (other) throw new ClientError('contact-exists', `this address is already your contact ${JSON.stringify(other)}`);
    if (identity === toHex(this.#o.ownAddress.identityKey)) throw new ClientError('bad-address', 'this is your own address');
    const request = this.#requests.get(identity);
    const session = (request?.sessionId && this.#sessions.byId(request.sessionId)) || [...this.#sessions.values()].find((s) => toHex(s.peerIdentityKey) === identity);
    const contact: ContactRecord = {
      name,
      address: encodeAddress(address),
      identity,
      addedMs: this.#o.clock.now(),
      verified: false,
      keyChanged: false,
      pendingAddress: null,
      // Their card may have come before we added them (while they were a request).
      deliveryId: request?.deliveryId ?? null,
      nextSeq: 0n,
      sessionId: session?.id ?? null,
    };
    const batch = this.#o.store.batch().put(this.#c.contacts, name, contact);
    const card = this.#cardEntries(name);
    for (const [key, entry] of card) batch.put(this.#c.outbox, key, entry);
    // A contact request from this address becomes this contact's history.
    const adopted: MessageRow[] = [];
    if (this.#requests.has(identity)) {
      for (const row of this.#rows.values()) {
        if (row.peer === identity && row.record.contact === REQUEST_PREFIX + identity) {
          row.record.contact = name;
          row.held = false;
          row.hidden = false;
          batch.put(this.#c.messages, row.record.id, row);
          adopted.push(row);
        }
      }
      batch.del(this.#c.requests, identity);
    }
    await batch.write({ sync: true });
    this.#requests.delete(identity);
    this.#inbound.promote(identity);
    this.#contacts.set(name, contact);
    this.#byIdentity.set(identity, name);
    this.#enqueueAll(card);
    const info = this.contactInfo(contact);
    this.#o.emit({ type: 'contact', contact: info });
    for (const row of adopted) if (!row.hidden) this.#o.emit({ type: 'message', message: row.record });
    return info;
  }

  async removeContact(name: string): Promise<void> {
    const c = this.#contact(name);
    const batch = this.#o.store.batch().del(this.#c.contacts, name);
    for (const [key, entry] of this.#outbox) {
      if (entry.contact === name) {
        batch.del(this.#c.outbox, key);
        this.#outbox.delete(key);
        this.#o.dequeue(key);
      }
    }
    await batch.write({ sync: true });
    this.#contacts.delete(name);
    this.#byIdentity.delete(c.identity);
  }

  /**
   * Accepts a contact's new identity key; held messages are then shown. A
   * verified contact changes only with `unverify` (the loud, explicit step:
   * docs/client.md §Key changes): the verification is gone with the old key.
   */
  async acceptContactKey(name: string, unverify = false): Promise<ContactInfo> {
    const c = this.#contact(name);
    if (!c.keyChanged || !c.pendingAddress) throw new ClientError('bad-request', `${name}'s key has not changed`);
    if (c.verified && !unverify) {
      throw new ClientError(
        'verified-contact',
        `${name} is a verified contact: accepting a new key removes the verification. Compare the new safety number with ${name} in person, then \`chaff client contacts accept ${name} --unverify\`; or \`chaff client contacts reject ${name}\``,
      );
    }
    const address = parseAddress(c.pendingAddress);
    const identity = toHex(address.identityKey);
    const session = [...this.#sessions.values()].find((s) => toHex(s.peerIdentityKey) === identity);
    const updated: ContactRecord = {
      ...c,
      address: c.pendingAddress,
      identity,
      keyChanged: false,
      pendingAddress: null,
      pendingIdentity: null,
      deliveryId: c.pendingDeliveryId ?? null,
      pendingDeliveryId: null,
      verified: false,
      nextSeq: 0n,
      sessionId: session?.id ?? null,
    };
    const batch = this.#o.store.batch().put(this.#c.contacts, name, updated);
    const card = this.#cardEntries(name);
    for (const [key, entry] of card) batch.put(this.#c.outbox, key, entry);
    const shown: MessageRow[] = [];
    for (const row of this.#rows.values()) {
      if (row.held && row.record.contact === name && row.peer === identity) {
        row.held = false;
        row.hidden = false;
        batch.put(this.#c.messages, row.record.id, row);
        shown.push(row);
      }
    }
    await batch.write({ sync: true });
    this.#byIdentity.delete(c.identity);
    this.#contacts.set(name, updated);
    this.#byIdentity.set(identity, name);
    this.#inbound.promote(identity);
    this.#enqueueAll(card);
    const info = this.contactInfo(updated);
    this.#o.emit({ type: 'contact', contact: info });
    for (const row of shown.sort((a, b) => a.record.sentMs - b.record.sentMs)) this.#o.emit({ type: 'message', message: row.record });
    return info;
  }

  /**
   * Rejects a contact's pending key change: the contact keeps its key (and
   * its verification), the new identity's held messages and session are
   * deleted, and that identity is never taken for this contact again.
   */
  async rejectContactKey(name: string): Promise<ContactInfo> {
    const c = this.#contact(name);
    if (!c.keyChanged) throw new ClientError('bad-request', `${name}'s key has not changed: nothing to reject`);
    let pending = c.pendingIdentity ?? null;
    if (!pending && c.pendingAddress) {
      try {
        pending = toHex(parseAddress(c.pendingAddress).identityKey);
      } catch {
        pending = null;
      }
    }
    const rejected = pending ? [...(c.rejectedIdentities ?? []).filter((x) => x !== pending), pending].slice(-MAX_REJECTED_IDENTITIES) : (c.rejectedIdentities ?? []);
    const updated: ContactRecord = { ...c, keyChanged: false, pendingAddress: null, pendingIdentity: null, pendingDeliveryId: null, rejectedIdentities: rejected };
    const batch = this.#o.store.batch().put(this.#c.contacts, name, updated);
    if (pending) this.#forgetPeer(pending, name, batch);
    await batch.write({ sync: true });
    this.#contacts.set(name, updated);
    const info = this.contactInfo(updated);
    this.#o.emit({ type: 'contact', contact: info });
    return info;
  }

  /** Deletes a peer's held rows (shown under `owner`), reassembly state and sessions, into `batch`. */
  #forgetPeer(peer: string, owner: string, batch: SealedBatch): void {
    for (const [id, row] of this.#rows) {
      if (row.peer === peer && row.record.contact === owner && row.hidden) {
        batch.del(this.#c.messages, id);
        if (row.record.content.file) batch.del(this.#c.files, id);
        this.#rows.delete(id);
      }
    }
    this.#inbound.drop(peer, batch);
    for (const session of [...this.#sessions.values()]) {
      if (toHex(session.peerIdentityKey) !== peer) continue;
      this.#sessions.delete(session.id);
      batch.del(this.#c.sessions, session.id);
      session.destroy();
    }
  }

  /** Drops a contact request: its messages, reassembly state and session. */
  #dropRequest(peer: string, batch: SealedBatch): void {
    this.#forgetPeer(peer, REQUEST_PREFIX + peer, batch);
    batch.del(this.#c.requests, peer);
    this.#requests.delete(peer);
  }

  /** Our contact card for `contact`, as outbox entries (none without a mailbox proof). */
  #cardEntries(contact: string): Array<[string, OutboxEntry]> {
    if (!this.#o.mailboxProof) return [];
    const frame = encodeFrame({ kind: 'card', deliveryId: this.#deliveryId, mailboxProof: this.#o.mailboxProof }, this.#o.maxFrameLength);
    const id = `c${toHex(randomBytes(8))}`;
    return [[outboxKey(id, 0), { messageId: id, kind: 'card', contact, index: 0, frame }]];
  }

  #enqueueAll(entries: Array<[string, OutboxEntry]>): void {
    for (const [key, entry] of entries) {
      this.#outbox.set(key, entry);
      this.#o.enqueue(key);
    }
  }

  /**
   * A new delivery id (rotated, docs/client.md §Delivery id): every contact
   * gets our card again. The caller registers it with the gateway first.
   */
  async announceDeliveryId(deliveryId: Uint8Array | null): Promise<void> {
    this.#deliveryId = deliveryId === null ? null : Uint8Array.from(deliveryId);
    const entries = [...this.#contacts.keys()].flatMap((name) => this.#cardEntries(name));
    if (entries.length === 0) return;
    const batch = this.#o.store.batch();
    for (const [key, entry] of entries) batch.put(this.#c.outbox, key, entry);
    await batch.write({ sync: true });
    this.#enqueueAll(entries);
  }

  async markVerified(name: string, verified: boolean): Promise<ContactInfo> {
    const c = { ...this.#contact(name), verified };
    await this.#c.contacts.put(name, c, { sync: true });
    this.#contacts.set(name, c);
    return this.contactInfo(c);
  }

  verify(name: string): { safetyNumber: string; verified: boolean } {
    const c = this.#contact(name);
    const peer = parseAddress(c.address);
    return { safetyNumber: formatSafetyNumber(safetyNumber(this.#o.ownAddress, peer)), verified: c.verified };
  }

  // ----------------------------------------------------------------- sending

  /** Queues a message: stored with every fragment before this resolves. */
  async send(name: string, content: ChatContent): Promise<MessageRecord> {
    const c = this.#contact(name);
    if (c.keyChanged) throw new ClientError('key-changed', `${name}'s identity key changed: compare safety numbers, then \`chaff client contacts accept ${name}\``);
    const size = content.kind === 'text' ? new TextEncoder().encode(content.text).length : content.data.length;
    if (size > MAX_MESSAGE_BYTES) throw new ClientError('too-large', `the message is ${size} bytes; at most ${MAX_MESSAGE_BYTES} (1 MiB)`);
    const encoded = encodeContent(content);
    const id = randomBytes(16);
    const idHex = toHex(id);
    const now = this.#o.clock.now();
    const frames = fragment(id, c.nextSeq, now, encoded, this.#o.maxFrameLength);
    const row: MessageRow = {
      record: newMessageRecord({ id: idHex, contact: name, direction: 'out', content: displayOf(content), state: 'queued', sentMs: now, fragments: frames.length }),
      peer: c.identity,
      hidden: false,
      held: false,
      acked: [],
      sent: [],
      seq: c.nextSeq.toString(),
    };
    const updated = { ...c, nextSeq: c.nextSeq + 1n };
    const batch = this.#o.store.batch().put(this.#c.contacts, name, updated).put(this.#c.messages, idHex, row);
    if (content.kind === 'file') batch.put(this.#c.files, idHex, content.data);
    const entries = frames.map((frame, index): [string, OutboxEntry] => [outboxKey(idHex, index), { messageId: idHex, kind: 'data', contact: name, index, frame }]);
    for (const [key, entry] of entries) batch.put(this.#c.outbox, key, entry);
    await batch.write({ sync: true });
    this.#contacts.set(name, updated);
    this.#rows.set(idHex, row);
    for (const [key, entry] of entries) {
      this.#outbox.set(key, entry);
      this.#o.enqueue(key);
    }
    this.#stats.sent.messages++;
    this.#o.onQueued?.({ to: parseAddress(c.address).mailbox, id: idHex, fragments: frames.length });
    return row.record;
  }

  /**
   * Seals the next queued fragment into an envelope, its session state saved
   * first (a restart must never reuse a ratchet step). Null when nothing is
   * queued. One preparation at a time.
   */
  prepareNext(): Promise<PreparedEnvelope | null> {
    this.#preparing ??= this.#prepare().finally(() => (this.#preparing = null));
    return this.#preparing;
  }

  async #prepare(): Promise<PreparedEnvelope | null> {
    for (;;) {
      const key = this.#o.nextKey();
      if (key === undefined) return null;
      const entry = this.#outbox.get(key);
      const contact = entry && this.#contacts.get(entry.contact);
      if (!entry || !contact) {
        this.#o.dequeue(key);
        continue;
      }
      const peer = parseAddress(contact.address);
      if (this.#o.routable && !this.#o.routable(peer.gateway)) {
        this.#o.unroutable?.(key, peer.gateway);
        continue;
      }
      let session = contact.sessionId ? this.#sessions.byId(contact.sessionId) : undefined;
      const batch = this.#o.store.batch();
      if (!session) {
        session = Session.initiate(this.#o.identity, this.#o.ownAddress, peer);
        const updated = { ...contact, sessionId: session.id };
        this.#contacts.set(contact.name, updated);
        batch.put(this.#c.contacts, contact.name, updated);
      }
      const envelope = session.seal(entry.frame, this.#o.envelopeLength);
      this.#sessions.update(session);
      batch.put(this.#c.sessions, session.id, session.serialize());
      await batch.write({ sync: true });
      // A contact that told us its delivery id gets our packets there, not at its address's public mailbox.
      return { key, envelope, gateway: peer.gateway, mailbox: contact.deliveryId ? fromHex(contact.deliveryId) : peer.mailbox };
    }
  }

  /** The fragment left in a packet. */
  fragmentSent(key: string, attempt: number): void {
    this.#stats.sent.fragments++;
    const entry = this.#outbox.get(key);
    if (!entry) return;
    // The attempt count and the message's state go to the store in one write.
    entry.attempts = attempt;
    const batch = this.#o.store.batch().put(this.#c.outbox, key, entry);
    const row = this.#rows.get(entry.messageId);
    let changed = false;
    if (row && entry.kind === 'data') {
      if (attempt > 1) row.record.retransmissions++;
      if (!row.sent.includes(entry.index)) row.sent.push(entry.index);
      if (row.record.state === 'queued' && row.sent.length === row.record.fragments) {
        row.record.state = 'sent';
        changed = true;
      }
      batch.put(this.#c.messages, row.record.id, row);
    }
    void batch.write().catch((err) => this.#o.log('warn', 'could not save a message state', { error: (err as Error).message }));
    if (changed) this.#o.emit({ type: 'state', message: row!.record });
  }

  /** The fragment's SURB-ACK came back: it is stored at the recipient's gateway. */
  async fragmentAcked(key: string): Promise<void> {
    const entry = this.#outbox.get(key);
    if (!entry) return;
    this.#outbox.delete(key);
    const batch = this.#o.store.batch().del(this.#c.outbox, key);
    const row = this.#rows.get(entry.messageId);
    let changed = false;
    if (row && entry.kind === 'data' && !row.acked.includes(entry.index)) {
      row.acked.push(entry.index);
      if (!row.sent.includes(entry.index)) row.sent.push(entry.index);
      if (row.acked.length === row.record.fragments && (row.record.state === 'queued' || row.record.state === 'sent')) {
        row.record.state = 'delivered';
        row.record.deliveredMs = this.#o.clock.now();
        changed = true;
      }
      batch.put(this.#c.messages, row.record.id, row);
    }
    await batch.write({ sync: true });
    if (changed) this.#o.emit({ type: 'state', message: row!.record });
  }

  /** The ARQ gave up on a fragment: its whole message failed. */
  async fragmentFailed(key: string, attempts: number): Promise<void> {
    const entry = this.#outbox.get(key);
    if (!entry) return;
    const batch = this.#o.store.batch();
    for (const [k, e] of this.#outbox) {
      if (e.messageId === entry.messageId) {
        this.#outbox.delete(k);
        this.#o.dequeue(k);
        batch.del(this.#c.outbox, k);
      }
    }
    const row = this.#rows.get(entry.messageId);
    if (row && entry.kind === 'data') {
      row.record.state = 'failed';
      row.record.error = `fragment ${entry.index + 1} of ${row.record.fragments} was not acknowledged after ${attempts} transmissions`;
      batch.put(this.#c.messages, row.record.id, row);
      this.#stats.sent.failed++;
    }
    await batch.write({ sync: true });
    this.#o.log('warn', 'a message could not be delivered', { fragments: row?.record.fragments, attempts });
    if (row && entry.kind === 'data') this.#o.emit({ type: 'state', message: row.record });
  }

  // --------------------------------------------------------------- receiving

  /** One mailbox entry that is not our loop. Resolves once its effects are stored. */
  receive(envelope: Uint8Array): Promise<void> {
    const next = this.#receiving.then(() => this.#receive(envelope));
    this.#receiving = next.catch(() => undefined);
    return next;
  }

  #reject(reason: string, fields?: Record<string, unknown>): void {
    this.#stats.rejected[reason] = (this.#stats.rejected[reason] ?? 0) + 1;
    this.#o.log(reason === 'undecryptable' ? 'debug' : 'info', 'incoming envelope rejected', { reason, ...fields });
  }

  async #receive(envelope: Uint8Array): Promise<void> {
    this.#stats.received.envelopes++;
    let opened;
    try {
      opened = openEnvelope(this.#o.identity, this.#sessions, envelope, undefined, { onTried: (n) => (this.#stats.received.sessionsTried += n) });
    } catch (err) {
      if (err instanceof E2eeError) return this.#reject(err.code);
      throw err;
    }
    const { session, plaintext, created } = opened;
    const peer = toHex(session.peerIdentityKey);
    const now = this.#o.clock.now();
    const batch = this.#o.store.batch();
    const events: ClientEvent[] = [];
    let frame: ChatFrame | null = null;
    let frameError: Error | null = null;
    try {
      frame = decodeFrame(plaintext);
    } catch (err) {
      frameError = err as Error;
    }

    // Who sent it: a contact, the pending new key of a contact, or a stranger.
    // A stranger's address may name a contact's gateway and mailbox: that
    // claim is signed only by the stranger's own key, so it says nothing
    // about the contact (docs/e2ee.md §Key changes) and changes nothing.
    let owner: string;
    let hidden = false;
    let request: RequestRecord | undefined;
    const known = this.#byIdentity.get(peer);
    const pendingOf = known ? undefined : [...this.#contacts.values()].find((c) => c.keyChanged && c.pendingIdentity === peer);
    if (known) {
      owner = known;
      const c = this.#contacts.get(known)!;
      const ours = c.sessionId ? this.#sessions.byId(c.sessionId) : undefined;
      // Answer on their session when we have none, when they started a new
      // one (they lost their state) while ours already works, or when both
      // sides started one at once: then both keep the session with the
      // smaller id (equal on both sides), so they converge on one.
      const switchTo = !ours || (created && c.sessionId !== session.id && (!ours.awaitingReply || session.id < ours.id));
      let updated = switchTo ? { ...c, sessionId: session.id } : c;
      // A contact stored with a version 1 address (unsigned gateway and
      // mailbox) takes the signed address its own identity sent.
      if (created && !isReadableAddress(c.address)) updated = { ...updated, address: encodeAddress(session.peerAddress) };
      if (updated !== c) {
        this.#contacts.set(known, updated);
        batch.put(this.#c.contacts, known, updated);
      }
    } else if (pendingOf) {
      owner = pendingOf.name;
      hidden = true;
    } else if ([...this.#contacts.values()].some((c) => c.rejectedIdentities?.includes(peer))) {
      this.#discard(session, created);
      return this.#reject('rejected-key');
    } else {
      // A stranger (they have our address): held as a contact request,
      // shown once the user adds them as a contact; bounded by the policy.
      request = this.#requests.get(peer);
      if (!request) {
        const verdict = this.#policy.admitNew(this.#requests, now);
        if (!verdict.admit) {
          this.#discard(session, created);
          return this.#reject(verdict.reason);
        }
        for (const id of verdict.evict) this.#dropRequest(id, batch);
        if (verdict.evict.length > 0) this.#o.log('info', 'contact requests dropped to make room (count or age bound)', { dropped: verdict.evict.length });
        request = { address: encodeAddress(session.peerAddress), identity: peer, firstMs: now, messages: 0, bytes: 0, sessionId: session.id };
      } else if (created && request.sessionId !== session.id) {
        // One session per stranger: a new one replaces the old.
        const old = request.sessionId ? this.#sessions.byId(request.sessionId) : undefined;
        if (old) {
          this.#sessions.delete(old.id);
          batch.del(this.#c.sessions, old.id);
          old.destroy();
        }
        request = { ...request, sessionId: session.id };
      }
      this.#requests.set(peer, request);
      batch.put(this.#c.requests, peer, request);
      owner = REQUEST_PREFIX + peer;
      hidden = true;
    }
    this.#sessions.update(session);
    batch.put(this.#c.sessions, session.id, session.serialize());

    if (!frame) {
      await batch.write({ sync: true });
      return this.#reject('bad-frame', { error: frameError?.message });
    }
    if (frame.kind === 'data') this.#receiveData(peer, owner, hidden, request, frame, batch, events);
    else if (frame.kind === 'receipt') this.#receiveReceipt(peer, frame, batch, events);
    else this.#receiveCard(peer, known, pendingOf?.name, request, frame, batch, events);
    await batch.write({ sync: true });
    for (const e of events) this.#o.emit(e);
  }

  /** A session we will not keep: forgotten (and wiped) if this envelope created it. */
  #discard(session: Session, created: boolean): void {
    if (created) session.destroy();
  }

  #receiveData(peer: string, owner: string, hidden: boolean, request: RequestRecord | undefined, frame: DataFragment, batch: SealedBatch, events: ClientEvent[]): void {
    const result = this.#inbound.accept(peer, request !== undefined, frame, batch);
    for (const e of result.evicted) this.#o.log('warn', 'an incomplete message was given up (memory bound)', { reason: e.reason });
    if (result.status === 'rejected') this.#reject(`fragment-${result.reason}`);
    if (result.status === 'duplicate') this.#stats.rejected.duplicate = (this.#stats.rejected.duplicate ?? 0) + 1;
    if (result.status !== 'complete') return;
    const m = result.message;
    const id = toHex(m.messageId);
    let content: ChatContent | null = null;
    try {
      content = decodeContent(m.content);
    } catch (err) {
      this.#reject('bad-content', { error: (err as Error).message });
    }
    if (!content || this.#rows.has(id)) return;
    if (request && !this.#policy.fits(request, m.content.length)) return this.#reject('request-full');
    const row: MessageRow = {
      record: { ...newMessageRecord({ id, contact: owner, direction: 'in', content: displayOf(content), state: 'delivered', sentMs: m.sentMs, fragments: m.count }), deliveredMs: this.#o.clock.now() },
      peer,
      // Shown once the order buffer releases it (and, after a key change, once accepted).
      hidden: true,
      held: hidden,
      acked: [],
      sent: [],
      seq: m.seq.toString(),
    };
    this.#rows.set(id, row);
    batch.put(this.#c.messages, id, row);
    if (content.kind === 'file') batch.put(this.#c.files, id, content.data);
    this.#stats.received.messages++;
    if (request) {
      request.messages++;
      request.bytes = (request.bytes ?? 0) + m.content.length;
      batch.put(this.#c.requests, peer, request);
      if (request.messages === 1) events.push({ type: 'request', request: this.#requestInfo(request) });
    }
    const inbound = this.#inbound.of(peer, request !== undefined);
    this.#deliverOrdered(inbound.order.push(m.seq, id, this.#o.clock.now()), batch, events);
    this.#inbound.save(peer, batch);
  }

  /**
   * A contact card. From a contact: its delivery id. From a stranger whose
   * address names a contact's gateway and mailbox, with a mailbox proof that
   * verifies: that contact's key change, held until the user accepts or
   * rejects it (without the proof the stranger stays a stranger).
   */
  #receiveCard(peer: string, known: string | undefined, pendingOf: string | undefined, request: RequestRecord | undefined, card: CardFrame, batch: SealedBatch, events: ClientEvent[]): void {
    this.#stats.received.cards++;
    const deliveryId = card.deliveryId ? toHex(card.deliveryId) : null;
    if (known || pendingOf) {
      const name = (known ?? pendingOf)!;
      const c = this.#contacts.get(name)!;
      const updated = known ? { ...c, deliveryId } : { ...c, pendingDeliveryId: deliveryId };
      this.#contacts.set(name, updated);
      batch.put(this.#c.contacts, name, updated);
      return;
    }
    if (!request) return;
    const claimed = parseAddress(request.address);
    const target = [...this.#contacts.values()].find((c) => {
      if (!isReadableAddress(c.address)) return false;
      const a = parseAddress(c.address);
      return toHex(a.mailbox) === toHex(claimed.mailbox) && toHex(a.gateway) === toHex(claimed.gateway);
    });
    if (!target) {
      // A stranger's card: kept with the request, the contact's delivery id once the user adds them.
      request.deliveryId = deliveryId;
      batch.put(this.#c.requests, peer, request);
      return;
    }
    if (!verifyMailboxProof(claimed, card.mailboxProof)) return this.#reject('bad-mailbox-proof');
    const owner = target.name;
    const updated: ContactRecord = { ...target, keyChanged: true, pendingAddress: request.address, pendingIdentity: peer, pendingDeliveryId: deliveryId };
    this.#contacts.set(owner, updated);
    batch.put(this.#c.contacts, owner, updated);
    // What the new identity sent so far becomes the contact's, held.
    for (const row of this.#rows.values()) {
      if (row.peer === peer && row.record.contact === REQUEST_PREFIX + peer) {
        row.record.contact = owner;
        row.held = true;
        batch.put(this.#c.messages, row.record.id, row);
      }
    }
    batch.del(this.#c.requests, peer);
    this.#requests.delete(peer);
    this.#o.log('warn', "a contact's identity key changed; their messages are held until accepted or rejected"); // no name: logs are plain text (docs/client-storage.md)
    events.push({ type: 'contact', contact: this.contactInfo(updated) });
    events.push({
      type: 'warning',
      text: target.verified
        ? `WARNING: ${owner} is a VERIFIED contact and a new identity key now claims their mailbox. Nothing is sent to ${owner} until you decide. Compare the new safety number with ${owner} in person; accept with \`chaff client contacts accept ${owner} --unverify\` or reject with \`chaff client contacts reject ${owner}\`.`
        : `${owner}'s identity key changed. Compare safety numbers, then accept with \`chaff client contacts accept ${owner}\` or reject with \`chaff client contacts reject ${owner}\`.`,
    });
  }

  #deliverOrdered(result: { delivered: Array<{ item: string; late: boolean }>; skipped: Array<{ from: bigint; to: bigint }> }, batch: SealedBatch, events: ClientEvent[]): void {
    for (const gap of result.skipped) this.#o.log('warn', 'messages never arrived and were skipped in order', { from: gap.from.toString(), to: gap.to.toString() });
    for (const d of result.delivered) {
      const row = this.#rows.get(d.item);
      if (!row) continue;
      if (row.held) continue;
      row.hidden = false;
      batch.put(this.#c.messages, row.record.id, row);
      events.push({ type: 'message', message: row.record });
    }
  }

  #receiveReceipt(peer: string, frame: ReceiptFrame, batch: SealedBatch, events: ClientEvent[]): void {
    this.#stats.received.receipts++;
    const now = this.#o.clock.now();
    for (const idBytes of frame.messageIds) {
      const row = this.#rows.get(toHex(idBytes));
      if (!row || row.record.direction !== 'out' || row.peer !== peer || row.record.state === 'read') continue;
      row.record.state = 'read';
      row.record.readMs = now;
      row.record.deliveredMs ??= now;
      batch.put(this.#c.messages, row.record.id, row);
      events.push({ type: 'state', message: row.record });
    }
  }

  /** Gives up on gaps that waited longer than the hold time; drops contact requests past their age. */
  #scheduleRelease(): void {
    this.#releaseTimer = this.#o.clock.at(this.#o.clock.now() + Math.min(RELEASE_PERIOD_MS, Math.max(100, this.#o.orderHoldMs)), () => {
      void this.#release().finally(() => this.#scheduleRelease());
    });
  }

  async #release(): Promise<void> {
    const now = this.#o.clock.now();
    const batch = this.#o.store.batch();
    const events: ClientEvent[] = [];
    for (const [peer, s] of this.#inbound.peers()) {
      const deadline = s.order.nextDeadline();
      if (deadline === null || deadline > now) continue;
      this.#deliverOrdered(s.order.release(now), batch, events);
      this.#inbound.save(peer, batch);
    }
    for (const peer of this.#policy.expired(this.#requests, now)) this.#dropRequest(peer, batch);
    if (batch.length === 0) return;
    await batch.write({ sync: true }).catch((err) => this.#o.log('warn', 'could not save released messages', { error: (err as Error).message }));
    for (const e of events) this.#o.emit(e);
  }

  // ----------------------------------------------------------------- queries

  history(name: string, limit = 50): MessageRecord[] {
    this.#contact(name);
    return [...this.#rows.values()]
      .filter((r) => r.record.contact === name && !r.hidden)
      .sort((a, b) => (a.record.direction === b.record.direction && a.record.direction === 'in' ? Number(BigInt(a.seq) - BigInt(b.seq)) : 0) || a.record.sentMs - b.record.sentMs)
      .slice(-Math.max(1, limit))
      .map((r) => r.record);
  }

  #requestInfo(r: RequestRecord): ContactRequest {
    return { address: r.address, safetyNumber: formatSafetyNumber(safetyNumber(this.#o.ownAddress, parseAddress(r.address))), firstMs: r.firstMs, messages: r.messages };
  }

  inbox(): { unread: MessageRecord[]; requests: ContactRequest[] } {
    const unread = [...this.#rows.values()].filter((r) => r.record.direction === 'in' && !r.hidden && r.record.state === 'delivered').map((r) => r.record);
    return { unread: unread.sort((a, b) => a.sentMs - b.sentMs), requests: [...this.#requests.values()].map((r) => this.#requestInfo(r)) };
  }

  /** Marks `name`'s delivered messages read and queues read receipts for them. */
  async markRead(name: string): Promise<number> {
    const c = this.#contact(name);
    const rows = [...this.#rows.values()].filter((r) => r.record.contact === name && r.record.direction === 'in' && !r.hidden && r.record.state === 'delivered');
    if (rows.length === 0) return 0;
    const now = this.#o.clock.now();
    const batch = this.#o.store.batch();
    for (const r of rows) {
      r.record.state = 'read';
      r.record.readMs = now;
      batch.put(this.#c.messages, r.record.id, r);
    }
    const keys: Array<[string, OutboxEntry]> = [];
    if (!c.keyChanged) {
      const frames = encodeReadReceipts(rows.map((r) => fromHex(r.record.id)), this.#o.maxFrameLength);
      const batchId = `r${toHex(randomBytes(8))}`;
      frames.forEach((frame, index) => keys.push([outboxKey(batchId, index), { messageId: batchId, kind: 'receipt', contact: name, index, frame }]));
      for (const [key, entry] of keys) batch.put(this.#c.outbox, key, entry);
    }
    await batch.write({ sync: true });
    for (const [key, entry] of keys) {
      this.#outbox.set(key, entry);
      this.#o.enqueue(key);
    }
    return rows.length;
  }

  async fileData(messageId: string): Promise<{ name: string; data: Uint8Array }> {
    const row = this.#rows.get(messageId);
    const data = row?.record.content.file ? await this.#c.files.get(messageId) : undefined;
    if (!row || row.hidden || !data) throw new ClientError('not-found', `no file in message ${messageId}`);
    return { name: row.record.content.file!.name, data };
  }
}

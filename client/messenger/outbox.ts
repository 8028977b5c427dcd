// The durable outbox (docs/client.md §Sending): what is queued, sent,
// acknowledged or failed. A message is stored with all its fragments before
// send() resolves; the send queue (the ARQ, outside) holds only keys, and
// tells the outbox what happened through fragmentSent / Acked / Failed.
// prepareUpTo() seals the next queued fragments, their session states saved
// first, so a restart never reuses a ratchet step.

import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { encodeContent, type ChatContent } from '../../protocol/chat/content.js';
import { fragment } from '../../protocol/chat/fragmenter.js';
import { encodeFrame, encodeReadReceipts } from '../../protocol/chat/frames.js';
import type { Address } from '../../protocol/e2ee/address.js';
import type { Identity } from '../../protocol/e2ee/identity.js';
import { Session } from '../../protocol/e2ee/session.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { ClientError, MAX_MESSAGE_BYTES, type ClientEvent, type MessageRecord } from '../api.js';
import { stageDeliveryId } from '../delivery-id.js';
import { newMessageRecord, outboxKey, type MessageRow, type OutboxEntry } from '../state.js';
import type { GroupPeers } from '../groups/group-peers.js';
import type { QueuedFragment } from '../sender/send-order.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { ContactDirectory } from './contact-directory.js';
import { parseAddress } from './contact-names.js';
import { displayOf } from './display.js';
import type { MessageHistory } from './message-history.js';
import type { MessengerLog } from './messenger-log.js';
import type { SessionBook } from './session-book.js';
import type { MessengerCounters } from './stats.js';
import type { MessengerStores } from './stores.js';

/** A sealed envelope ready to leave, and where to. */
export interface PreparedEnvelope {
  key: string;
  envelope: Uint8Array;
  gateway: Uint8Array;
  mailbox: Uint8Array;
}

/** The send queue (the ARQ) and the routing check, as the outbox drives them. */
export interface SendQueue {
  /**
   * Puts a fragment in the send queue (the ARQ): `fragment` places it in the
   * send order (its recipient and message), `attempts` are the transmissions
   * it already had.
   */
  enqueue: (key: string, fragment: QueuedFragment, attempts?: number) => void;
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
}

export interface OutboxOptions {
  identity: Identity;
  ownAddress: Address;
  clock: Clock;
  /** Bytes of every envelope (the geometry's user payload). */
  envelopeLength: number;
  /** Largest chat frame an envelope carries. */
  maxFrameLength: number;
  queue: SendQueue;
  emit: (event: ClientEvent) => void;
  /** A message was queued (trace mode's ground truth: docs/simulator.md §Trace mode). */
  onQueued?: (info: { to: Uint8Array; id: string; fragments: number }) => void;
  log: MessengerLog;
  /**
   * The proof that our address's mailbox is ours (protocol/e2ee/mailbox-proof.ts),
   * sent to every contact in our contact card. Without it no card is sent.
   */
  mailboxProof?: Uint8Array;
  /** Our delivery id, told in our contact card (null: none). */
  deliveryId: Uint8Array | null;
}

type Entries = Array<[string, OutboxEntry]>;

/** Where an entry goes: the peer's address, the session to seal in (none yet: one is started), and the mailbox. */
interface Route {
  peer: Address;
  session: Session | undefined;
  /** Stages that a session started for this route is the one to use. */
  adopt: (work: UnitOfWork, session: Session) => void;
  mailbox: Uint8Array;
}

export class Outbox {
  readonly #entries = new Map<string, OutboxEntry>();
  #deliveryId: Uint8Array | null;

  private constructor(
    private readonly o: OutboxOptions,
    private readonly stores: MessengerStores,
    private readonly contacts: ContactDirectory,
    private readonly messages: MessageHistory,
    private readonly sessions: SessionBook,
    private readonly counters: MessengerCounters,
    private readonly groupPeers: GroupPeers,
  ) {
    this.#deliveryId = o.deliveryId;
  }

  /** Loads the stored entries and re-queues every one, oldest message first, fragments in order. */
  static async load(
    o: OutboxOptions,
    stores: MessengerStores,
    contacts: ContactDirectory,
    messages: MessageHistory,
    sessions: SessionBook,
    counters: MessengerCounters,
    groupPeers: GroupPeers,
  ): Promise<Outbox> {
    const outbox = new Outbox(o, stores, contacts, messages, sessions, counters, groupPeers);
    const pending = [...(await stores.outbox.list())];
    // The ids sort by insertion only through the rows' timestamps.
    pending.sort(([, a], [, b]) => (messages.get(a.messageId)?.record.sentMs ?? 0) - (messages.get(b.messageId)?.record.sentMs ?? 0) || a.index - b.index);
    outbox.#enqueue(pending);
    return outbox;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Stages the entries; call queue() with them once the unit of work committed. */
  stage(work: UnitOfWork, entries: Entries): void {
    for (const [key, entry] of entries) this.stores.outbox.put(work, key, entry);
  }

  /** Puts committed entries in the send queue. */
  queue(entries: Entries): void {
    this.#enqueue(entries);
  }

  /**
   * Puts entries in the send queue, each message's with its place in the
   * send order: its recipient, and how many of the entries are its fragments
   * (`entries` holds every pending fragment of each message it names: a new
   * message's all, a reloaded one's not yet acknowledged).
   */
  #enqueue(entries: Entries): void {
    const fragments = new Map<string, QueuedFragment>();
    for (const [, entry] of entries) {
      const queued = fragments.get(entry.messageId);
      if (queued) queued.fragments++;
      else fragments.set(entry.messageId, { flow: this.#flowOf(entry), message: entry.messageId, fragments: 1 });
    }
    for (const [key, entry] of entries) {
      this.#entries.set(key, entry);
      // Each receipt frame is whole on its own (nothing to reassemble): a one-fragment message.
      const fragment = entry.kind === 'receipt' ? { ...fragments.get(entry.messageId)!, fragments: 1 } : fragments.get(entry.messageId)!;
      this.o.queue.enqueue(key, fragment, entry.attempts ?? 0);
    }
  }

  /**
   * The send order's flow of an entry: its recipient's identity key (hex),
   * one peer as its receiver counts them (a group frame to a contact shares
   * the contact's flow); the contact's name or the address when unknown.
   */
  #flowOf(entry: OutboxEntry): string {
    if (entry.address === undefined) return this.contacts.get(entry.contact)?.identity ?? `contact ${entry.contact}`;
    try {
      return toHex(parseAddress(entry.address).identityKey);
    } catch {
      return `address ${entry.address}`;
    }
  }

  /** Our contact card for `contact`, as outbox entries (none without a mailbox proof). */
  cardEntries(contact: string): Entries {
    if (!this.o.mailboxProof) return [];
    const id = `c${toHex(randomBytes(8))}`;
    return [[outboxKey(id, 0), { messageId: id, kind: 'card', contact, index: 0, frame: this.#cardFrame(this.o.mailboxProof) }]];
  }

  /** Our contact card for a group member who is not a contact, by its address (docs/groups.md §11.6); none without a mailbox proof. */
  memberCardEntries(address: string): Entries {
    if (!this.o.mailboxProof) return [];
    const id = `c${toHex(randomBytes(8))}`;
    return [[outboxKey(id, 0), { messageId: id, kind: 'card', contact: '', address, index: 0, frame: this.#cardFrame(this.o.mailboxProof) }]];
  }

  /** The group frames of one group message to a member, by its address (docs/groups.md §11.2), as outbox entries. */
  groupEntries(address: string, frames: readonly Uint8Array[]): Entries {
    const id = `g${toHex(randomBytes(8))}`;
    return frames.map((frame, index) => [outboxKey(id, index), { messageId: id, kind: 'group', contact: '', address, index, frame }]);
  }

  #cardFrame(mailboxProof: Uint8Array): Uint8Array {
    return encodeFrame({ kind: 'card', deliveryId: this.#deliveryId, mailboxProof }, this.o.maxFrameLength);
  }

  /** Read receipts for `messageIds` to `contact`, as outbox entries. */
  receiptEntries(contact: string, messageIds: string[]): Entries {
    const frames = encodeReadReceipts(
      messageIds.map((id) => fromHex(id)),
      this.o.maxFrameLength,
    );
    const batchId = `r${toHex(randomBytes(8))}`;
    return frames.map((frame, index) => [outboxKey(batchId, index), { messageId: batchId, kind: 'receipt', contact, index, frame }]);
  }

  /** Takes every entry to `contact` out of the queue and stages their deletion. */
  dropContact(work: UnitOfWork, contact: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.contact !== contact) continue;
      this.stores.outbox.del(work, key);
      this.#entries.delete(key);
      this.o.queue.dequeue(key);
    }
  }

  /**
   * A new delivery id (docs/client.md §Delivery id): kept in the profile
   * store and every contact gets our card again, in one write (so a crash
   * never leaves the stored id and the queued cards disagreeing).
   */
  async announceDeliveryId(deliveryId: Uint8Array | null): Promise<void> {
    this.#deliveryId = deliveryId === null ? null : Uint8Array.from(deliveryId);
    const entries = [...this.contacts.names().flatMap((name) => this.cardEntries(name)), ...this.groupPeers.carded().flatMap((address) => this.memberCardEntries(address))];
    const work = this.stores.begin();
    stageDeliveryId(this.stores.profile, work, this.#deliveryId);
    this.stage(work, entries);
    await work.commit({ sync: true });
    this.queue(entries);
  }

  /** Queues a message: stored with every fragment before this resolves. */
  async send(name: string, content: ChatContent): Promise<MessageRecord> {
    const c = this.contacts.require(name);
    if (c.keyChanged) throw new ClientError('key-changed', `${name}'s identity key changed: compare safety numbers, then \`chaff client contacts accept ${name}\``);
    const size = content.kind === 'text' ? new TextEncoder().encode(content.text).length : content.data.length;
    if (size > MAX_MESSAGE_BYTES) throw new ClientError('too-large', `the message is ${size} bytes; at most ${MAX_MESSAGE_BYTES} (1 MiB)`);
    const encoded = encodeContent(content);
    const id = randomBytes(16);
    const idHex = toHex(id);
    const now = this.o.clock.now();
    const frames = fragment(id, c.nextSeq, now, encoded, this.o.maxFrameLength);
    const row: MessageRow = {
      record: newMessageRecord({ id: idHex, contact: name, direction: 'out', content: displayOf(content), state: 'queued', sentMs: now, fragments: frames.length }),
      peer: c.identity,
      hidden: false,
      held: false,
      acked: [],
      sent: [],
      seq: c.nextSeq.toString(),
    };
    const work = this.stores.begin();
    // In place, at once (contact-directory.ts): a card or a second send
    // while this commit runs is kept. A failed commit leaves a gap in
    // nextSeq: harmless, as the receiver shows each message once complete
    // and places it by seq (docs/chat.md §Ordering).
    this.contacts.update(work, name, (current) => ({ nextSeq: current.nextSeq + 1n }));
    this.messages.save(work, row);
    if (content.kind === 'file') this.messages.saveFile(work, idHex, content.data);
    const entries = frames.map((frame, index): [string, OutboxEntry] => [outboxKey(idHex, index), { messageId: idHex, kind: 'data', contact: name, index, frame }]);
    this.stage(work, entries);
    await work.commit({ sync: true });
    this.messages.remember(row);
    this.queue(entries);
    this.counters.sent.messages++;
    this.o.onQueued?.({ to: parseAddress(c.address).mailbox, id: idHex, fragments: frames.length });
    return row.record;
  }

  /**
   * Seals the next queued fragment into an envelope, its session state saved
   * first (a restart must never reuse a ratchet step). Null when nothing is
   * queued.
   */
  async prepareNext(): Promise<PreparedEnvelope | null> {
    return (await this.prepareUpTo(1))[0] ?? null;
  }

  /**
   * Seals up to `max` queued fragments, in queue order, and saves their
   * sessions' states in one synced write; resolves with them once that write
   * is on disk, and only then may they leave. One fsync for the lot, not one
   * each: where an fsync takes 40 ms, one at a time would seal 25 a second
   * at most, fewer than the λP slots. Sealing happens in the call, so calls
   * seal in the order they are made; a call does not wait for the write of
   * the one before (the store commits writes in the order they were issued,
   * and those issued meanwhile share an fsync). Empty when nothing is queued.
   */
  prepareUpTo(max: number): Promise<PreparedEnvelope[]> {
    if (!Number.isInteger(max) || max < 1) return Promise.reject(new RangeError(`prepareUpTo: max must be a positive integer, not ${max}`));
    let sealed: { envelopes: PreparedEnvelope[]; written: Promise<void> };
    try {
      sealed = this.#seal(max);
    } catch (e) {
      return Promise.reject(e);
    }
    return sealed.written.then(() => sealed.envelopes);
  }

  #seal(max: number): { envelopes: PreparedEnvelope[]; written: Promise<void> } {
    const q = this.o.queue;
    const envelopes: PreparedEnvelope[] = [];
    const work = this.stores.begin();
    while (envelopes.length < max) {
      const key = q.nextKey();
      if (key === undefined) break;
      const entry = this.#entries.get(key);
      const route = entry && (entry.address !== undefined ? this.#memberRoute(entry.address) : this.#contactRoute(entry.contact));
      if (!entry || !route) {
        q.dequeue(key);
        continue;
      }
      const peer = route.peer;
      // Not sealed when its gateway cannot be routed: sealing takes a ratchet step.
      if (q.routable && !q.routable(peer.gateway)) {
        q.unroutable?.(key, peer.gateway);
        continue;
      }
      let session = route.session;
      if (!session) {
        session = Session.initiate(this.o.identity, this.o.ownAddress, peer);
        route.adopt(work, session);
      }
      const envelope = session.seal(entry.frame, this.o.envelopeLength);
      // Staged once per envelope: the last put of a session (its newest state) wins in the batch.
      this.sessions.save(work, session);
      envelopes.push({ key, envelope, gateway: peer.gateway, mailbox: route.mailbox });
    }
    return { envelopes, written: work.length > 0 ? work.commit({ sync: true }) : Promise.resolve() };
  }

  #contactRoute(name: string): Route | undefined {
    const contact = this.contacts.get(name);
    if (!contact) return undefined;
    const peer = parseAddress(contact.address);
    return {
      peer,
      session: this.sessions.byId(contact.sessionId),
      adopt: (work, session) => this.contacts.update(work, name, () => ({ sessionId: session.id })),
      // A contact that told us its delivery id gets our packets there, not at its address's public mailbox.
      mailbox: contact.deliveryId ? fromHex(contact.deliveryId) : peer.mailbox,
    };
  }

  /**
   * A group member, by the address its signed add op carries (docs/groups.md
   * §11.2): a contact with that identity (and no pending key change) is sent
   * to as a contact; anyone else in any session we hold with that identity,
   * at the delivery id its card gave, if any.
   */
  #memberRoute(addressText: string): Route | undefined {
    let peer: Address;
    try {
      peer = parseAddress(addressText);
    } catch {
      return undefined;
    }
    const identity = toHex(peer.identityKey);
    const name = this.contacts.nameOf(identity);
    if (name && !this.contacts.get(name)?.keyChanged) return this.#contactRoute(name);
    const deliveryId = this.groupPeers.deliveryIdOf(identity);
    return { peer, session: this.sessions.ofPeer(identity), adopt: () => undefined, mailbox: deliveryId ? fromHex(deliveryId) : peer.mailbox };
  }

  /** The fragment left in a packet. */
  fragmentSent(key: string, attempt: number): void {
    this.counters.sent.fragments++;
    const entry = this.#entries.get(key);
    if (!entry) return;
    // The attempt count and the message's state go to the store in one write.
    entry.attempts = attempt;
    const work = this.stores.begin();
    this.stores.outbox.put(work, key, entry);
    const row = this.messages.get(entry.messageId);
    let changed = false;
    if (row && entry.kind === 'data') {
      if (attempt > 1) row.record.retransmissions++;
      if (!row.sent.includes(entry.index)) row.sent.push(entry.index);
      if (row.record.state === 'queued' && row.sent.length === row.record.fragments) {
        row.record.state = 'sent';
        changed = true;
      }
      this.messages.save(work, row);
    }
    void work.commit().catch((err) => this.o.log('warn', 'could not save a message state', { error: (err as Error).message }));
    if (changed) this.o.emit({ type: 'state', message: row!.record });
  }

  /** The fragment's SURB-ACK came back: it is stored at the recipient's gateway. */
  async fragmentAcked(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const work = this.stores.begin();
    this.stores.outbox.del(work, key);
    const row = this.messages.get(entry.messageId);
    let changed = false;
    if (row && entry.kind === 'data' && !row.acked.includes(entry.index)) {
      row.acked.push(entry.index);
      if (!row.sent.includes(entry.index)) row.sent.push(entry.index);
      if (row.acked.length === row.record.fragments && (row.record.state === 'queued' || row.record.state === 'sent')) {
        row.record.state = 'delivered';
        row.record.deliveredMs = this.o.clock.now();
        changed = true;
      }
      this.messages.save(work, row);
    }
    await work.commit({ sync: true });
    if (changed) this.o.emit({ type: 'state', message: row!.record });
  }

  /** The ARQ gave up on a fragment: its whole message failed. */
  async fragmentFailed(key: string, attempts: number): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    const work = this.stores.begin();
    for (const [k, e] of this.#entries) {
      if (e.messageId === entry.messageId) {
        this.#entries.delete(k);
        this.o.queue.dequeue(k);
        this.stores.outbox.del(work, k);
      }
    }
    const row = this.messages.get(entry.messageId);
    if (row && entry.kind === 'data') {
      row.record.state = 'failed';
      row.record.error = `fragment ${entry.index + 1} of ${row.record.fragments} was not acknowledged after ${attempts} transmissions`;
      this.messages.save(work, row);
      this.counters.sent.failed++;
    }
    await work.commit({ sync: true });
    this.o.log('warn', 'a message could not be delivered', { fragments: row?.record.fragments, attempts });
    if (row && entry.kind === 'data') this.o.emit({ type: 'state', message: row.record });
  }
}

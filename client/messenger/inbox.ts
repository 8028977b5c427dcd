// The inbox (docs/client.md §Receiving): one mailbox entry at a time, it
// opens the envelope (the session index names its session), asks the
// contact book who sent it, and takes the frame: a data fragment into
// reassembly and, once its message is complete, the conversation's order
// buffer (client/receiver/inbound-states.ts), a read receipt, or a contact
// card. A complete message is shown at once, whatever its place in the
// conversation: the history places it by its sequence number (docs/chat.md
// §Ordering); the order buffer drops a duplicate seq. Everything an
// envelope changes is one synced unit of work, written before receive()
// resolves, so the daemon acknowledges the entry to the gateway only once
// nothing can be lost. Reading a conversation queues read receipts. A
// timer reports the gaps in a conversation open longer than the hold time
// (messages that never arrived) and drops contact requests past their age.

import { toHex } from '../../protocol/bytes.js';
import { decodeContent, type ChatContent } from '../../protocol/chat/content.js';
import { decodeFrame, type ChatFrame, type DataFragment, type ReceiptFrame } from '../../protocol/chat/frames.js';
import type { SeqRange } from '../../protocol/chat/order.js';
import { E2eeError } from '../../protocol/e2ee/errors.js';
import type { Identity } from '../../protocol/e2ee/identity.js';
import { openEnvelope, type OpenedEnvelope } from '../../protocol/e2ee/session.js';
import { isGroupFrame } from '../../protocol/groups/frame.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { ClientEvent } from '../api.js';
import type { GroupChats } from '../groups/group-chats.js';
import type { InboundStates } from '../receiver/inbound-states.js';
import { newMessageRecord, type MessageRow } from '../state.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { BlockList } from './block-list.js';
import type { ContactBook } from './contact-book.js';
import type { ContactDirectory } from './contact-directory.js';
import type { ContactRequests } from './contact-requests.js';
import { displayOf } from './display.js';
import type { MessageHistory } from './message-history.js';
import type { MessengerLog } from './messenger-log.js';
import type { Outbox } from './outbox.js';
import { messageContactField, type SenderResolution } from './sender-resolution.js';
import type { SessionBook } from './session-book.js';
import type { MessengerCounters } from './stats.js';
import type { MessengerStores } from './stores.js';

const RELEASE_PERIOD_MS = 5_000;

export interface InboxOptions {
  identity: Identity;
  clock: Clock;
  /** How long a gap in a conversation's sequence numbers is waited for before it is reported as messages that never arrived. */
  orderHoldMs: number;
  emit: (event: ClientEvent) => void;
  log: MessengerLog;
  /** Whether reading sends read receipts now (the user's `read_receipts`, changeable while the daemon runs); default: always. */
  sendReadReceipts?: () => boolean;
}

export interface InboxParts {
  stores: MessengerStores;
  book: ContactBook;
  contacts: ContactDirectory;
  requests: ContactRequests;
  outbox: Outbox;
  messages: MessageHistory;
  sessions: SessionBook;
  inbound: InboundStates;
  counters: MessengerCounters;
  /** Blocked senders: their envelopes are dropped once opened (docs/client.md §Blocking). */
  blocked: Pick<BlockList, 'has' | 'countDrop'>;
  /** Where group frames, and cards from group members who are not contacts, go (docs/groups.md §11.3). */
  groups: Pick<GroupChats, 'takeFrame' | 'takeCard' | 'isMember'>;
}

export class Inbox {
  #releaseTimer: TimerHandle | null = null;
  /**
   * Serialises receive() calls: one envelope at a time changes sessions and
   * inbound state. The next one starts once this one's write is issued, not
   * committed: the store commits writes in the order they were issued, so
   * when an envelope's write is on disk so are those of the envelopes before
   * it, and writes issued while one commits share its fsync (group commit,
   * client/store/sealed-store.ts). One fsync per envelope would cap a slow
   * disk (40 ms) at 25 envelopes a second.
   */
  #receiving: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: InboxOptions,
    private readonly p: InboxParts,
  ) {}

  /** Starts the timer that gives up order gaps and expires contact requests. */
  start(): void {
    this.#scheduleRelease();
  }

  stop(): void {
    this.#releaseTimer?.cancel();
    this.#releaseTimer = null;
  }

  /** One mailbox entry that is not our loop. Resolves once its effects are stored. */
  receive(envelope: Uint8Array): Promise<void> {
    // Wrapped, so that `then` does not wait for the commit the stage issued.
    const staged = this.#receiving.then(() => ({ committed: this.#receive(envelope) }));
    this.#receiving = staged.then(
      () => undefined,
      () => undefined,
    );
    return staged.then((s) => s.committed);
  }

  /**
   * Applies the envelope in memory and issues its write, all before it
   * returns; the promise is of the write and of what follows it (events).
   */
  #receive(envelope: Uint8Array): Promise<void> {
    const { counters, sessions } = this.p;
    counters.received.envelopes++;
    let opened: OpenedEnvelope;
    try {
      opened = openEnvelope(this.o.identity, sessions.lookup, envelope, undefined, { onTried: (n) => (counters.received.sessionsTried += n) });
    } catch (err) {
      if (err instanceof E2eeError) return rejected(() => counters.reject(err.code));
      throw err;
    }
    const { session, plaintext, created } = opened;
    const peer = toHex(session.peerIdentityKey);
    // Blocked: nothing of it is kept, not even the session it may have opened.
    if (this.p.blocked.has(peer)) {
      if (created) session.destroy();
      this.p.blocked.countDrop(peer);
      return rejected(() => counters.reject('blocked'));
    }
    if (isGroupFrame(plaintext)) return this.#receiveGroupFrame(opened);
    const work = this.p.stores.begin();
    const events: ClientEvent[] = [];
    let frame: ChatFrame | null = null;
    let frameError: Error | null = null;
    try {
      frame = decodeFrame(plaintext);
    } catch (err) {
      frameError = err as Error;
    }

    // A group member who is not a contact tells us its delivery id: not a contact request.
    if (frame?.kind === 'card' && !this.#isContact(peer) && this.p.groups.isMember(peer)) {
      this.p.groups.takeCard(work, peer, frame);
      sessions.save(work, session);
      return work.commit({ sync: true });
    }
    const verdict = this.p.book.resolveSender(work, session, created, this.o.clock.now());
    if (!verdict.accepted) {
      // A session we will not keep: wiped if this envelope created it.
      if (created) session.destroy();
      return rejected(() => counters.reject(verdict.reason));
    }
    sessions.save(work, session);

    if (!frame) return work.commit({ sync: true }).then(() => counters.reject('bad-frame', { error: frameError?.message }));
    if (frame.kind === 'data') this.#receiveData(work, peer, verdict.sender, frame, events);
    else if (frame.kind === 'receipt') this.#receiveReceipt(work, peer, frame, events);
    else this.p.book.takeCard(work, verdict.sender, frame, events);
    return work.commit({ sync: true }).then(() => {
      for (const e of events) this.o.emit(e);
    });
  }

  /**
   * A group frame (docs/groups.md §11.3): a contact's session is taken as for
   * any of its envelopes; anyone else's is kept only if the group layer
   * accepts the frame (a member's, or a first invitation within its bound);
   * a stranger's session is forgotten when its message proves no invitation.
   */
  #receiveGroupFrame({ session, plaintext, created }: OpenedEnvelope): Promise<void> {
    const peer = toHex(session.peerIdentityKey);
    const work = this.p.stores.begin();
    const known = this.#isContact(peer);
    if (known) this.p.book.resolveSender(work, session, created, this.o.clock.now());
    else if (this.p.contacts.isRejected(peer)) {
      if (created) session.destroy();
      return rejected(() => this.p.counters.reject('rejected-key'));
    }
    const verdict = this.p.groups.takeFrame(work, peer, known, plaintext);
    if (verdict.accepted || known) this.p.sessions.save(work, session);
    else if (created) session.destroy();
    // A stranger whose frames came to nothing keeps no session (unless it is also a contact request).
    else if (!this.p.requests.get(peer) && !this.p.groups.isMember(peer)) this.p.sessions.forgetPeer(work, peer);
    return work.commit({ sync: true }).then(() => {
      if (verdict.accepted) verdict.after();
      else this.p.counters.reject(verdict.reason);
    });
  }

  /** A contact's current identity, or the pending identity of a contact's key change. */
  #isContact(peer: string): boolean {
    return this.p.contacts.nameOf(peer) !== undefined || this.p.contacts.pendingOf(peer) !== undefined;
  }

  /**
   * Marks `name`'s shown, unread messages read and queues read receipts for
   * them: none while its key changed, nor while the user turned read
   * receipts off (the messages are read here all the same, and no receipt
   * follows later for them).
   */
  async markRead(name: string): Promise<number> {
    const { contacts, messages, outbox } = this.p;
    const c = contacts.require(name);
    const rows = messages.unread(name);
    if (rows.length === 0) return 0;
    const now = this.o.clock.now();
    const work = this.p.stores.begin();
    for (const r of rows) {
      r.record.state = 'read';
      r.record.readMs = now;
      messages.save(work, r);
    }
    const receipts =
      c.keyChanged || this.o.sendReadReceipts?.() === false
        ? []
        : outbox.receiptEntries(
            name,
            rows.map((r) => r.record.id),
          );
    outbox.stage(work, receipts);
    await work.commit({ sync: true });
    outbox.queue(receipts);
    return rows.length;
  }

  #receiveData(work: UnitOfWork, peer: string, sender: SenderResolution, frame: DataFragment, events: ClientEvent[]): void {
    const { counters, inbound, messages } = this.p;
    const stranger = sender.kind === 'stranger';
    const result = inbound.accept(peer, stranger, frame, work);
    for (const e of result.evicted) this.o.log('warn', 'an incomplete message was given up (memory bound)', { reason: e.reason });
    if (result.status === 'rejected') counters.reject(`fragment-${result.reason}`);
    if (result.status === 'duplicate') counters.rejected.duplicate = (counters.rejected.duplicate ?? 0) + 1;
    if (result.status !== 'complete') return;
    const m = result.message;
    const id = toHex(m.messageId);
    let content: ChatContent | null = null;
    try {
      content = decodeContent(m.content);
    } catch (err) {
      counters.reject('bad-content', { error: (err as Error).message });
    }
    if (!content || messages.has(id)) return;
    if (stranger && !this.p.requests.admitMessage(work, sender.request, m.content.length, events)) return counters.reject('request-full');
    const order = inbound.of(peer, stranger).order.push(m.seq, this.o.clock.now());
    this.#logSkipped(order.skipped);
    inbound.save(peer, work);
    if (!order.deliver) {
      // Its seq was delivered already: a late copy of a message whose id reassembly no longer remembers.
      counters.rejected.duplicate = (counters.rejected.duplicate ?? 0) + 1;
      return;
    }
    // After a key change or from a stranger: held (hidden) until the user accepts; otherwise shown at once.
    const held = sender.kind !== 'contact';
    const row: MessageRow = {
      record: {
        ...newMessageRecord({ id, contact: messageContactField(sender), direction: 'in', content: displayOf(content), state: 'delivered', sentMs: m.sentMs, fragments: m.count }),
        deliveredMs: this.o.clock.now(),
      },
      peer,
      hidden: held,
      held,
      acked: [],
      sent: [],
      // The history shows incoming messages by seq, so one that came after a later one (late) takes its place.
      seq: m.seq.toString(),
    };
    messages.remember(row);
    messages.save(work, row);
    if (content.kind === 'file') messages.saveFile(work, id, content.data);
    // A message held by a key change: the front ends show how many wait with the warning.
    if (sender.kind === 'key-changed') events.push({ type: 'contact', contact: this.p.book.info(this.p.contacts.require(sender.name)) });
    counters.received.messages++;
    if (!held) events.push({ type: 'message', message: row.record });
  }

  #logSkipped(skipped: SeqRange[]): void {
    for (const gap of skipped) this.o.log('warn', 'messages never arrived and were skipped in order', { from: gap.from.toString(), to: gap.to.toString() });
  }

  #receiveReceipt(work: UnitOfWork, peer: string, frame: ReceiptFrame, events: ClientEvent[]): void {
    this.p.counters.received.receipts++;
    const now = this.o.clock.now();
    for (const idBytes of frame.messageIds) {
      const row = this.p.messages.get(toHex(idBytes));
      if (!row || row.record.direction !== 'out' || row.peer !== peer || row.record.state === 'read') continue;
      row.record.state = 'read';
      row.record.readMs = now;
      row.record.deliveredMs ??= now;
      this.p.messages.save(work, row);
      events.push({ type: 'state', message: row.record });
    }
  }

  /** Gives up on gaps open longer than the hold time; drops contact requests past their age. */
  #scheduleRelease(): void {
    this.#releaseTimer = this.o.clock.at(this.o.clock.now() + Math.min(RELEASE_PERIOD_MS, Math.max(100, this.o.orderHoldMs)), () => {
      void this.#release().finally(() => this.#scheduleRelease());
    });
  }

  async #release(): Promise<void> {
    const now = this.o.clock.now();
    const work = this.p.stores.begin();
    for (const [peer, s] of this.p.inbound.peers()) {
      const deadline = s.order.nextDeadline();
      if (deadline === null || deadline > now) continue;
      this.#logSkipped(s.order.release(now).skipped);
      this.p.inbound.save(peer, work);
    }
    this.p.requests.expire(work, now);
    if (work.length === 0) return;
    await work.commit({ sync: true }).catch((err) => this.o.log('warn', 'could not save the given-up gaps and expired requests', { error: (err as Error).message }));
  }
}

/** An envelope refused before anything was written: counted now, nothing to wait for. */
function rejected(count: () => void): Promise<void> {
  count();
  return Promise.resolve();
}

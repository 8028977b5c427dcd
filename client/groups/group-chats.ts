// The client's group chats (docs/groups.md §11): one `Group` (protocol/groups,
// pure) per group id, kept in the encrypted store, and what connects it to
// the messenger:
//   - what a Group returns to send (`Outgoing`) is split into group frames and
//     queued in the outbox for each member, sealed in the pairwise session
//     with it like a chat fragment (acknowledged and retransmitted by the ARQ);
//   - a group frame the inbox opened is reassembled per (group, sender) in the
//     messenger's inbound states, and the whole message goes to
//     `group.receive`, or becomes an invitation when the group is unknown;
//   - posts are kept (group-posts) and shown in the order every member shows
//     them; events go to the API's subscribers.
// Everything one action or envelope changes is one unit of work, committed
// before its frames are queued and its events emitted, as in the rest of the
// messenger. Bad input is dropped and counted by reason (`group-…` in the
// messenger's rejected counters), never thrown at the caller.

import { fromHex, toHex } from '../../protocol/bytes.js';
import type { ChatContent } from '../../protocol/chat/content.js';
import type { CardFrame, DataFragment } from '../../protocol/chat/frames.js';
import { systemRandom, type RandomSource } from '../../protocol/crypto/random.js';
import { encodeAddress, type Address } from '../../protocol/e2ee/address.js';
import type { Identity } from '../../protocol/e2ee/identity.js';
import { decodeGroupFrame, encodeGroupFrames, Group, GroupError, type GroupEvent, type GroupKeys, type Outgoing } from '../../protocol/groups/index.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { ClientError, MAX_MESSAGE_BYTES, type ClientEvent, type GroupInfo, type GroupPostInfo } from '../api.js';
import type { ContactDirectory } from '../messenger/contact-directory.js';
import { parseAddress } from '../messenger/contact-names.js';
import { displayOf } from '../messenger/display.js';
import type { MessengerLog } from '../messenger/messenger-log.js';
import type { Outbox } from '../messenger/outbox.js';
import type { MessengerCounters } from '../messenger/stats.js';
import type { MessengerStores } from '../messenger/stores.js';
import type { InboundStates } from '../receiver/inbound-states.js';
import type { OutboxEntry } from '../state.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { GroupPeers } from './group-peers.js';
import { groupPostKey, type GroupPostRow } from './group-records.js';
import { changesBetween, comparePostRows, groupChanges, groupInfo, postInfo } from './group-views.js';

/** Invitations waiting for the user's answer; a further one is dropped (`group-invitations-full`) until the user answers some. */
export const MAX_PENDING_INVITATIONS = 50;
/** Incomplete messages from senders who are neither contacts nor members (a first invitation, at most this many at once). */
export const MAX_STRANGER_REASSEMBLIES = 16;
/** A stranger's incomplete message older than this gives its place to a new one (so unfinished ones cannot hold every place). */
export const STRANGER_REASSEMBLY_MS = 3600_000;

export interface GroupChatsOptions {
  identity: Identity;
  ownAddress: Address;
  clock: Clock;
  /** Largest frame an envelope carries (maxPlaintextLength of the envelope). */
  maxFrameLength: number;
  emit: (event: ClientEvent) => void;
  log: MessengerLog;
  /** Post ids, group salts (default: the system's). */
  random?: RandomSource;
  /** Whether reading sends read receipts now (the user's `read_receipts`, client/messenger/inbox.ts); default: always. */
  sendReadReceipts?: () => boolean;
}

export interface GroupChatsParts {
  stores: MessengerStores;
  contacts: ContactDirectory;
  inbound: InboundStates;
  outbox: Outbox;
  peers: GroupPeers;
  counters: MessengerCounters;
}

/** What the inbox does with an envelope that carried a group frame. */
export type GroupFrameVerdict = { accepted: true; after: () => void } | { accepted: false; reason: string };

type Entries = Array<[string, OutboxEntry]>;

/** What one change stages besides the group: frames to queue and events to emit once committed. */
interface Staged {
  entries: Entries;
  events: ClientEvent[];
}

export class GroupChats {
  readonly #keys: GroupKeys;
  readonly #groups = new Map<string, Group>();
  /** Posts by group id (hex), then post id (hex). */
  readonly #posts = new Map<string, Map<string, GroupPostRow>>();
  /** Reassembly keys of senders who are neither contacts nor members, with when their first fragment came. */
  readonly #strangerKeys = new Map<string, number>();

  private constructor(
    private readonly o: GroupChatsOptions,
    private readonly p: GroupChatsParts,
  ) {
    this.#keys = { signer: o.identity.signingKey, address: o.ownAddress, random: o.random ?? systemRandom };
  }

  /** Every stored group and post; a group that cannot be read is skipped (and logged). */
  static async load(o: GroupChatsOptions, p: GroupChatsParts): Promise<GroupChats> {
    const chats = new GroupChats(o, p);
    for (const [id, bytes] of await p.stores.groups.list()) {
      try {
        chats.#groups.set(id, Group.deserialize(chats.#keys, bytes));
      } catch (err) {
        o.log('warn', 'a stored group could not be read; it is skipped', { error: (err as Error).message });
      }
    }
    for (const [, row] of await p.stores.groupPosts.list()) chats.#postsOf(row.group).set(row.id, row);
    // Unfinished messages for groups we do not hold (invitations under way when the daemon stopped) take their places again, for an hour.
    for (const [key] of p.inbound.peers()) {
      const gid = /^g([0-9a-f]{32}):/.exec(key)?.[1];
      if (gid && !chats.#groups.has(gid)) chats.#strangerKeys.set(key, o.clock.now());
    }
    return chats;
  }

  // ------------------------------------------------------------------ views

  list(): GroupInfo[] {
    return [...this.#groups.values()].map((g) => this.#info(g)).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  info(ref: string): GroupInfo {
    return this.#info(this.#require(ref));
  }

  /** The last `limit` posts, in display order. */
  history(ref: string, limit = 50): GroupPostInfo[] {
    const group = this.#require(ref);
    const rows = [...this.#postsOf(toHex(group.groupId)).values()].sort(comparePostRows);
    return rows.slice(-limit).map((r) => postInfo(r, group, this.#nameOf));
  }

  /** A post's file, if `postId` (hex) is one of a group's posts with a file. */
  async fileData(postId: string): Promise<{ name: string; data: Uint8Array } | undefined> {
    for (const posts of this.#posts.values()) {
      const row = posts.get(postId);
      if (!row?.content.file) continue;
      const data = await this.p.stores.files.get(postId);
      return data && { name: row.content.file.name, data };
    }
    return undefined;
  }

  /** Whether `peer` (hex identity) is a member, invited or joined, of a group we hold. */
  isMember(peer: string): boolean {
    for (const g of this.#groups.values()) if (g.members().some((m) => toHex(m.key) === peer)) return true;
    return false;
  }

  get size(): number {
    return this.#groups.size;
  }

  // ---------------------------------------------------------- user actions

  async create(name: string): Promise<GroupInfo> {
    let group: Group;
    try {
      group = Group.create(this.#keys, name, this.o.clock.now());
    } catch (err) {
      throw clientErrorOf(err);
    }
    this.#groups.set(toHex(group.groupId), group);
    await this.#commit(group, { entries: [], events: [] }, () => undefined);
    const info = this.#info(group);
    this.o.emit({ type: 'group', group: info, changes: [] });
    return info;
  }

  /** Invites a contact (admins only). */
  invite(ref: string, contact: string): Promise<GroupInfo> {
    const c = this.p.contacts.require(contact);
    if (c.keyChanged) throw new ClientError('key-changed', `${contact}'s identity key changed: compare safety numbers, then \`chaff client contacts accept ${contact}\``);
    const address = parseAddress(c.address);
    return this.#act(ref, (g, now) => g.invite(address, now));
  }

  accept(ref: string): Promise<GroupInfo> {
    return this.#act(
      ref,
      (g, now) => g.accept(now),
      (g, staged, work) => this.#cardsToMembers(g, staged, work),
    );
  }

  /** Declines the invitation; the group is then forgotten (a new invitation may come). */
  async decline(ref: string): Promise<void> {
    const group = this.#require(ref);
    let outgoing: Outgoing[];
    try {
      outgoing = group.decline(this.o.clock.now());
    } catch (err) {
      throw clientErrorOf(err);
    }
    const id = toHex(group.groupId);
    const staged: Staged = { entries: this.#entriesOf(group, outgoing), events: [] };
    const work = this.p.stores.begin();
    this.p.stores.groups.del(work, id);
    for (const postId of this.#postsOf(id).keys()) this.p.stores.groupPosts.del(work, groupPostKey(id, postId));
    this.p.outbox.stage(work, staged.entries);
    await work.commit({ sync: true });
    this.#groups.delete(id);
    this.#posts.delete(id);
    this.p.outbox.queue(staged.entries);
  }

  leave(ref: string): Promise<GroupInfo> {
    return this.#act(ref, (g, now) => g.leave(now));
  }

  /** Removes a member or withdraws an invitation (admins only): `member` is a contact's name or an identity key (hex). */
  remove(ref: string, member: string): Promise<GroupInfo> {
    const group = this.#require(ref);
    const key = this.#memberKey(group, member);
    return this.#act(ref, (g, now) => g.remove(key, now));
  }

  rename(ref: string, name: string): Promise<GroupInfo> {
    return this.#act(ref, (g, now) => g.rename(name, now));
  }

  /** Posts text or a file to the members joined now. */
  async post(ref: string, content: ChatContent): Promise<GroupPostInfo> {
    const group = this.#require(ref);
    const size = content.kind === 'text' ? new TextEncoder().encode(content.text).length : content.data.length;
    if (size > MAX_MESSAGE_BYTES) throw new ClientError('too-large', `the message is ${size} bytes; at most ${MAX_MESSAGE_BYTES} (1 MiB)`);
    const now = this.o.clock.now();
    let result: ReturnType<Group['post']>;
    try {
      result = group.post(content, now);
    } catch (err) {
      throw clientErrorOf(err);
    }
    const gid = toHex(group.groupId);
    const row: GroupPostRow = {
      group: gid,
      id: toHex(result.post.id),
      author: toHex(group.self),
      seq: result.post.seq.toString(),
      sentMs: now,
      direction: 'out',
      content: displayOf(content),
      receivedMs: now,
      readMs: null,
    };
    const staged: Staged = { entries: this.#entriesOf(group, result.outgoing), events: [] };
    await this.#commit(group, staged, (work) => {
      this.p.stores.groupPosts.put(work, groupPostKey(gid, row.id), row);
      if (content.kind === 'file') this.p.stores.files.put(work, row.id, content.data);
    });
    this.#postsOf(gid).set(row.id, row);
    const info = postInfo(row, group, this.#nameOf);
    this.o.emit({ type: 'group-post', post: info });
    return info;
  }

  /** Marks the group's incoming posts read and sends read receipts to their authors (unless the user turned read receipts off). */
  async markRead(ref: string): Promise<number> {
    const group = this.#require(ref);
    const gid = toHex(group.groupId);
    const unread = [...this.#postsOf(gid).values()].filter((r) => r.direction === 'in' && r.readMs === null);
    if (unread.length === 0) return 0;
    const now = this.o.clock.now();
    const outgoing = this.o.sendReadReceipts?.() === false ? [] : group.markRead(unread.map((r) => ({ id: fromHex(r.id), author: fromHex(r.author) })));
    const staged: Staged = { entries: this.#entriesOf(group, outgoing), events: [] };
    await this.#commit(group, staged, (work) => {
      for (const r of unread) this.p.stores.groupPosts.put(work, groupPostKey(gid, r.id), { ...r, readMs: now });
    });
    for (const r of unread) r.readMs = now;
    return unread.length;
  }

  /**
   * Asks one joined member of each joined group for the ops we lack (docs/groups.md
   * §5 Sync): the daemon calls it on start, after being offline.
   */
  async syncAll(): Promise<number> {
    const random = this.#keys.random;
    let asked = 0;
    for (const group of this.#groups.values()) {
      if (group.status !== 'joined') continue;
      const others = group.members().filter((m) => m.status === 'joined' && toHex(m.key) !== toHex(group.self));
      if (others.length === 0) continue;
      const pick = others[random(4).reduce((n, b) => n * 256 + b, 0) % others.length];
      await this.#commit(group, { entries: this.#entriesOf(group, group.syncWith(pick.key)), events: [] }, () => undefined);
      asked++;
    }
    return asked;
  }

  // ------------------------------------------------------------- receiving

  /**
   * One group frame (its envelope opened) from `peer` (hex identity;
   * `known`: a contact's, so its session is kept whatever we decide). Staged
   * in `work`; `after` queues the frames and emits the events once `work`
   * is committed. Refused (the envelope's session is then not kept unless
   * known) when the sender is neither a contact nor a member and the frame
   * is not for a group we hold: a first invitation, bounded.
   */
  takeFrame(work: UnitOfWork, peer: string, known: boolean, plaintext: Uint8Array): GroupFrameVerdict {
    let frame: { groupId: Uint8Array; fragment: DataFragment };
    try {
      frame = decodeGroupFrame(plaintext);
    } catch (err) {
      return { accepted: false, reason: `group-${err instanceof GroupError ? err.code : 'malformed'}` };
    }
    const gid = toHex(frame.groupId);
    const group = this.#groups.get(gid);
    const key = `g${gid}:${peer}`;
    // Only members and former members know a group's id; anyone else's frame can only be an invitation.
    const stranger = !known && !group && !this.isMember(peer);
    if (stranger && !this.#strangerKeys.has(key)) {
      if (this.#strangerKeys.size >= MAX_STRANGER_REASSEMBLIES && !this.#evictStale(work)) return { accepted: false, reason: 'group-strangers-full' };
      if (this.#pendingInvitations() >= MAX_PENDING_INVITATIONS) return { accepted: false, reason: 'group-invitations-full' };
    }
    const result = this.p.inbound.accept(key, stranger, frame.fragment, work);
    const staged: Staged = { entries: [], events: [] };
    const after = (): void => {
      this.p.outbox.queue(staged.entries);
      for (const e of staged.events) this.o.emit(e);
    };
    if (result.status === 'rejected') this.p.counters.reject(`group-fragment-${result.reason}`);
    if (result.status === 'duplicate') this.p.counters.reject('group-duplicate');
    if (result.status === 'partial' && stranger && !this.#strangerKeys.has(key)) this.#strangerKeys.set(key, this.o.clock.now());
    if (result.status !== 'complete') return { accepted: true, after };
    if (stranger) {
      this.#strangerKeys.delete(key);
      this.p.inbound.drop(key, work);
    }
    const message = result.message.content;
    if (group) this.#receive(work, group, peer, message, staged);
    else {
      const refused = this.#invitation(work, gid, peer, message, staged);
      // A stranger's session is kept for an invitation only.
      if (refused && stranger) return { accepted: false, reason: refused };
      if (refused) this.p.counters.reject(refused);
    }
    return { accepted: true, after };
  }

  /** A contact card from a member who is not a contact: its delivery id, where our packets to it go from now on. */
  takeCard(work: UnitOfWork, peer: string, card: CardFrame): void {
    this.p.counters.received.cards++;
    const member = this.#anyMember(peer);
    if (!member) return;
    this.p.peers.update(work, peer, encodeAddress(member), { deliveryId: card.deliveryId ? toHex(card.deliveryId) : null });
  }

  #receive(work: UnitOfWork, group: Group, peer: string, message: Uint8Array, staged: Staged): void {
    const gid = toHex(group.groupId);
    const result = group.receive(fromHex(peer), message);
    let changed = false;
    for (const e of result.events) changed = this.#take(work, group, e, staged) || changed;
    staged.entries.push(...this.#entriesOf(group, result.outgoing));
    if (changed) {
      const info = this.#info(group);
      for (const e of staged.events) if (e.type === 'group' && e.group.id === gid) e.group = info;
    }
    this.p.stores.groups.put(work, gid, group.serialize());
    this.p.outbox.stage(work, staged.entries);
  }

  /** One event of `group.receive`; true when the group's view changed. */
  #take(work: UnitOfWork, group: Group, e: GroupEvent, staged: Staged): boolean {
    const gid = toHex(group.groupId);
    switch (e.type) {
      case 'membership': {
        staged.events.push({ type: 'group', group: this.#info(group), changes: groupChanges(e.changes, this.#nameOf) });
        // A member who joined after us gets our card if it is not a contact (docs/groups.md §11.6).
        if (group.status === 'joined' && e.changes.some((c) => c.type === 'joined')) this.#cardsToMembers(group, staged, work);
        return true;
      }
      case 'post': {
        const id = toHex(e.post.id);
        if (this.#postsOf(gid).has(id)) return false;
        const row: GroupPostRow = {
          group: gid,
          id,
          author: toHex(e.post.author),
          seq: e.post.seq.toString(),
          sentMs: e.post.sentMs,
          direction: 'in',
          content: displayOf(e.post.content),
          receivedMs: this.o.clock.now(),
          readMs: null,
        };
        this.#postsOf(gid).set(id, row);
        this.p.stores.groupPosts.put(work, groupPostKey(gid, id), row);
        if (e.post.content.kind === 'file') this.p.stores.files.put(work, id, e.post.content.data);
        this.p.counters.received.messages++;
        staged.events.push({ type: 'group-post', post: postInfo(row, group, this.#nameOf) });
        return true;
      }
      case 'receipt':
        this.p.counters.received.receipts++;
        staged.events.push({ type: 'group-delivery', group: gid, post: toHex(e.post), member: toHex(e.member), state: e.state });
        return false;
      case 'dropped':
        this.p.counters.reject(`group-${e.reason}`);
        return false;
    }
  }

  /** A whole message for a group we do not hold: an invitation (kept, announced), or the reason it is dropped. */
  #invitation(work: UnitOfWork, gid: string, peer: string, message: Uint8Array, staged: Staged): string | null {
    if (this.#pendingInvitations() >= MAX_PENDING_INVITATIONS) return 'group-invitations-full';
    let group: Group;
    try {
      group = Group.fromInvitation(this.#keys, fromHex(peer), message);
    } catch (err) {
      return err instanceof GroupError && err.code !== 'malformed' ? `group-invitation-${err.code}` : 'group-unknown';
    }
    if (toHex(group.groupId) !== gid) return 'group-invitation-wrong-group';
    this.#groups.set(gid, group);
    this.p.stores.groups.put(work, gid, group.serialize());
    staged.events.push({ type: 'group', group: this.#info(group), changes: [] });
    return null;
  }

  // --------------------------------------------------------------- helpers

  /** Runs a user action on a group: its frames queued and the change announced once stored. */
  async #act(ref: string, action: (group: Group, now: number) => Outgoing[], extra?: (group: Group, staged: Staged, work: UnitOfWork) => void): Promise<GroupInfo> {
    const group = this.#require(ref);
    const before = this.#info(group);
    let outgoing: Outgoing[];
    try {
      outgoing = action(group, this.o.clock.now());
    } catch (err) {
      throw clientErrorOf(err);
    }
    const staged: Staged = { entries: this.#entriesOf(group, outgoing), events: [] };
    await this.#commit(group, staged, (work) => extra?.(group, staged, work));
    const info = this.#info(group);
    this.o.emit({ type: 'group', group: info, changes: changesBetween(before, info) });
    return info;
  }

  /** Drops the oldest stranger's incomplete message if it is older than STRANGER_REASSEMBLY_MS; true if one was dropped. */
  #evictStale(work: UnitOfWork): boolean {
    const [key, since] = [...this.#strangerKeys].reduce((a, b) => (b[1] < a[1] ? b : a));
    if (this.o.clock.now() - since < STRANGER_REASSEMBLY_MS) return false;
    this.#strangerKeys.delete(key);
    this.p.inbound.drop(key, work);
    this.p.counters.reject('group-stranger-expired');
    return true;
  }

  /** Stores the group (and what `stage` adds) with the staged frames, then queues them and emits the staged events. */
  async #commit(group: Group, staged: Staged, stage: (work: UnitOfWork) => void): Promise<void> {
    const work = this.p.stores.begin();
    stage(work);
    this.p.stores.groups.put(work, toHex(group.groupId), group.serialize());
    this.p.outbox.stage(work, staged.entries);
    await work.commit({ sync: true });
    this.p.outbox.queue(staged.entries);
    for (const e of staged.events) this.o.emit(e);
  }

  /** Our card to each joined member who is not a contact and has not had it (docs/groups.md §11.6). */
  #cardsToMembers(group: Group, staged: Staged, work: UnitOfWork): void {
    const self = toHex(group.self);
    for (const m of group.members()) {
      const key = toHex(m.key);
      if (key === self || m.status !== 'joined' || this.p.contacts.nameOf(key) || this.p.peers.cardSent(key)) continue;
      const address = encodeAddress(m.address);
      const card = this.p.outbox.memberCardEntries(address);
      if (card.length === 0) continue;
      staged.entries.push(...card);
      this.p.peers.update(work, key, address, { cardSent: true });
    }
  }

  /** Each Outgoing as the group frames of one message to its member (docs/groups.md §11.2). */
  #entriesOf(group: Group, outgoing: readonly Outgoing[]): Entries {
    const now = this.o.clock.now();
    return outgoing.flatMap((out) => {
      // The frame's sequence number is read by nobody (the group layer orders posts itself): 0.
      const frames = encodeGroupFrames(group.groupId, this.#keys.random(16), 0n, now, out.message, this.o.maxFrameLength);
      return this.p.outbox.groupEntries(encodeAddress(out.address), frames);
    });
  }

  #info(group: Group): GroupInfo {
    const unread = [...this.#postsOf(toHex(group.groupId)).values()].filter((r) => r.direction === 'in' && r.readMs === null).length;
    return groupInfo(group, unread, this.#nameOf);
  }

  readonly #nameOf = (identity: string): string | undefined => this.p.contacts.nameOf(identity);

  #postsOf(gid: string): Map<string, GroupPostRow> {
    let posts = this.#posts.get(gid);
    if (!posts) this.#posts.set(gid, (posts = new Map()));
    return posts;
  }

  #pendingInvitations(): number {
    let n = 0;
    for (const g of this.#groups.values()) if (g.status === 'invited') n++;
    return n;
  }

  /** A member's address in any group we hold. */
  #anyMember(peer: string): Address | undefined {
    for (const g of this.#groups.values()) for (const m of g.members()) if (toHex(m.key) === peer) return m.address;
    return undefined;
  }

  /** A group by id (hex), or by name when exactly one group has it. */
  #require(ref: string): Group {
    const byId = /^[0-9a-f]{32}$/i.test(ref) ? this.#groups.get(ref.toLowerCase()) : undefined;
    if (byId) return byId;
    const named = [...this.#groups.values()].filter((g) => g.name === ref);
    if (named.length === 1) return named[0];
    if (named.length > 1) throw new ClientError('bad-request', `${named.length} groups are named ${JSON.stringify(ref)}: name one by its id (\`chaff client group list\`)`);
    throw new ClientError('not-found', `no group ${JSON.stringify(ref)} (\`chaff client group list\` shows them)`);
  }

  /** A member named by contact name or identity key (hex). */
  #memberKey(group: Group, member: string): Uint8Array {
    const identity = /^[0-9a-f]{64}$/i.test(member) ? member.toLowerCase() : this.p.contacts.get(member)?.identity;
    if (!identity) throw new ClientError('unknown-contact', `${JSON.stringify(member)} is neither a contact nor a member's key`);
    const m = group.members().find((x) => toHex(x.key) === identity);
    if (!m) throw new ClientError('not-found', `${JSON.stringify(member)} is not a member of ${JSON.stringify(group.name)}`);
    return m.key;
  }
}

/** A group layer refusal as the API's error: not allowed now, a bound, or a bad argument. */
function clientErrorOf(err: unknown): unknown {
  if (!(err instanceof GroupError)) return err;
  const message = err.message.replace(/^group: /, '');
  return new ClientError(err.code === 'limit' ? 'too-large' : 'bad-request', message);
}

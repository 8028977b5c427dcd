// One group as one member holds it (docs/groups.md §State machine): the op
// log and the membership it resolves to, the posts seen, posts waiting for
// ops, and the delivery and read state of one's own posts. Pure: no I/O, no
// clock (every call takes the time), randomness passed in.
//
// Every method returns the group messages to send as `Outgoing`: one encoded
// group message per recipient, which the client splits into group frames
// (frame.ts) and seals in its pairwise session with that member (docs/e2ee.md):
// one envelope per member and fragment, in the sender's λP stream.
//
// Who gets what:
//   - an op goes to every joined member but the author; an add also sends the
//     whole log to the invitee (an invitation); a remove also goes to its
//     target, so it knows; a decline goes to the joined members.
//   - a post goes to the members joined in the author's view, minus the author;
//     receipts go back to the post's author only.
//   - a member joined in our view but not in an op's author's view missed
//     the op: its inviter sends it (even after leaving), and while the
//     inviter is gone, so does its stand-in (the first joined admin). When a
//     member becomes joined in our view, for whatever reason, they send it
//     what it may lack (catch-up); if its inviter is gone, every member also
//     sends it the ops it wrote itself.
//   - a message that names ops we lack (a post's heads, an op's dependencies)
//     waits, and we ask its sender for them (sync), once we can address it;
//     a sync from a current member is answered with the ops outside the past
//     of its heads, from anyone else with the past of the ops it names.

import { fromHex, toHex } from '../bytes.js';
import { encodeContent, type ChatContent } from '../chat/content.js';
import type { Ed25519PrivateKey } from '../crypto/ed25519.js';
import type { RandomSource } from '../crypto/random.js';
import type { Address } from '../e2ee/address.js';
import { ByteReader, ByteWriter } from './codec.js';
import { GroupError } from './errors.js';
import { joinedKeys, MAX_MEMBERS, resolveMembership, type Member, type Membership } from './membership.js';
import { decodeGroupMessage, encodeGroupMessage, MAX_RECEIPT_IDS, POST_ID_LENGTH, type GroupMessage, type ReceiptType } from './messages.js';
import { OpLog } from './op-log.js';
import { compareBytes, decodeOp, GROUP_ID_LENGTH, GROUP_SALT_LENGTH, groupIdOf, MAX_OP_DEPS, signOp, verifyOp, type Op, type OpBody, type ParsedOp } from './op.js';

export const GROUP_STATE_VERSION = 1;
/** Posts whose ops have not arrived yet, held per group. */
export const MAX_PENDING_POSTS = 256;
/** Post ids remembered against duplicates, per group (FIFO). */
export const MAX_REMEMBERED_POSTS = 10_000;
/** Own posts whose per-member delivery and read state is kept (the oldest are forgotten). */
export const MAX_TRACKED_POSTS = 1000;
/** Heads a post names; with more concurrent heads, the author first signs a merge op (docs/groups.md §Merge). */
export const MAX_POST_HEADS = 4;
/** Senders we owe a sync but cannot address yet (their add is among the ops we lack), per group. */
export const MAX_DEFERRED_ASKS = 64;

/** A group message for one member. */
export interface Outgoing {
  readonly to: Uint8Array;
  readonly address: Address;
  readonly message: Uint8Array;
}

export interface Post {
  readonly id: Uint8Array;
  readonly author: Uint8Array;
  readonly seq: bigint;
  readonly sentMs: number;
  readonly heads: readonly Uint8Array[];
  readonly content: ChatContent;
}

/** Display order, the same for every member: sent time, then author, then the author's sequence number. */
export function comparePosts(a: Post, b: Post): number {
  return a.sentMs - b.sentMs || compareBytes(a.author, b.author) || (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0);
}

export type Delivery = 'sent' | 'delivered' | 'read';
const DELIVERY_RANK: Record<Delivery, number> = { sent: 0, delivered: 1, read: 2 };

export type MembershipChange = { type: 'invited' | 'joined' | 'left' | 'removed' | 'declined' | 'admin' | 'not-admin'; member: Uint8Array } | { type: 'renamed'; name: string };

export type GroupEvent =
  | { type: 'membership'; changes: MembershipChange[] }
  | { type: 'post'; post: Post }
  | { type: 'receipt'; post: Uint8Array; member: Uint8Array; state: Delivery }
  /** Something from `from` was refused or dropped; the client counts it by reason. */
  | { type: 'dropped'; from: Uint8Array; reason: string };

export interface Received {
  events: GroupEvent[];
  outgoing: Outgoing[];
}

export interface GroupKeys {
  /** The member's Ed25519 identity key (docs/e2ee.md §1): it signs ops. */
  readonly signer: Ed25519PrivateKey;
  /** The member's own address (its identity key must be the signer's). */
  readonly address: Address;
  readonly random: RandomSource;
}

interface PendingPost {
  from: Uint8Array;
  post: Post;
}

export class Group {
  readonly groupId: Uint8Array;
  readonly #keys: GroupKeys;
  readonly #log: OpLog;
  #view: Membership;
  #nextSeq = 0n;
  readonly #seen = new Set<string>();
  readonly #pendingPosts: PendingPost[] = [];
  /** Own posts: id (hex) → member (hex) → delivery state. */
  readonly #tracked = new Map<string, Map<string, Delivery>>();
  /** Resolved membership at a post's heads, by the heads' hex (cleared when the log changes). */
  readonly #cutCache = new Map<string, Membership>();
  /**
   * Asks for ops we could not send yet, by the sender's key (hex): the
   * sender's address is in an op we lack too (its add). Sent once an admitted
   * op names it. Not stored: after a restart the client syncs (§Using it).
   */
  readonly #deferredAsks = new Map<string, { from: Uint8Array; want: Uint8Array[]; askedAdmins: boolean }>();

  private constructor(groupId: Uint8Array, keys: GroupKeys) {
    if (compareBytes(keys.signer.publicKey, keys.address.identityKey) !== 0) throw new GroupError('bad-argument', "the address is not the signer's");
    this.groupId = groupId;
    this.#keys = keys;
    this.#log = new OpLog(groupId);
    this.#view = resolveMembership(this.#log);
  }

  // ── Creating and joining ────────────────────────────────────────────────

  /** A new group with its creator as the only member and admin. */
  static create(keys: GroupKeys, name: string, nowMs: number): Group {
    const salt = keys.random(GROUP_SALT_LENGTH);
    const groupId = groupIdOf(keys.signer.publicKey, salt);
    const group = new Group(groupId, keys);
    group.#admitOwn(signOp({ groupId, author: keys.signer, deps: [], timeMs: nowMs, body: { kind: 'create', salt, creator: keys.address, name } }));
    return group;
  }

  /**
   * The group an invitation from `from` describes (type 'invitation', every
   * op of the group). The local user is then 'invited' and may accept or
   * decline. Throws GroupError when it is no valid invitation for us.
   */
  static fromInvitation(keys: GroupKeys, from: Uint8Array, bytes: Uint8Array): Group {
    const message = decodeGroupMessage(bytes);
    if (message.type !== 'invitation') throw new GroupError('malformed', `a ${message.type} message is not an invitation`);
    const create = message.ops.find((op) => op.body.kind === 'create');
    if (!create) throw new GroupError('malformed', 'an invitation without the group’s create op');
    const group = new Group(create.groupId, keys);
    for (const op of message.ops) group.#log.admit(verifyOp(op));
    group.#refresh();
    const self = group.#view.members.get(toHex(keys.signer.publicKey));
    if (self?.status !== 'invited') throw new GroupError('not-allowed', 'the invitation does not invite us');
    if (group.#view.members.get(toHex(from))?.status !== 'joined') throw new GroupError('not-allowed', 'the invitation comes from someone who is not a member');
    return group;
  }

  // ── What the group is ───────────────────────────────────────────────────

  get self(): Uint8Array {
    return this.#keys.signer.publicKey;
  }

  get name(): string {
    return this.#view.name;
  }

  get creator(): Uint8Array {
    return this.#view.creator;
  }

  /** Current members, invited or joined, ascending by identity key. */
  members(): Member[] {
    return [...this.#view.members.values()].sort((a, b) => compareBytes(a.key, b.key)).map((m) => ({ ...m }));
  }

  /** The local user's standing: 'invited', 'joined', or why they are no longer a member. */
  get status(): 'invited' | 'joined' | 'left' | 'removed' | 'declined' {
    const key = toHex(this.self);
    return this.#view.members.get(key)?.status ?? this.#view.departed.get(key) ?? 'removed';
  }

  get isAdmin(): boolean {
    const me = this.#view.members.get(toHex(this.self));
    return me?.status === 'joined' && me.admin;
  }

  /** The op ids of the DAG's heads, ascending: two members with the same heads hold the same ops. */
  heads(): Uint8Array[] {
    return this.#log.heads().map((op) => op.id);
  }

  get opCount(): number {
    return this.#log.size;
  }

  /** The admitted ops, in the order this member admitted them. */
  get ops(): readonly Op[] {
    return this.#log.ops;
  }

  get pendingPostCount(): number {
    return this.#pendingPosts.length;
  }

  /** The delivery and read state of an own post, per recipient (hex identity key), or undefined if not tracked. */
  deliveryOf(postId: Uint8Array): Map<string, Delivery> | undefined {
    const t = this.#tracked.get(toHex(postId));
    return t && new Map(t);
  }

  // ── Membership changes by the local user ────────────────────────────────

  /** Invites `invitee` (admins only). */
  invite(invitee: Address, nowMs: number): Outgoing[] {
    this.#require(this.isAdmin, 'only an admin invites');
    const key = toHex(invitee.identityKey);
    this.#require(!this.#view.members.has(key), 'already a member or invited');
    if (this.#view.members.size >= MAX_MEMBERS) throw new GroupError('limit', `a group holds at most ${MAX_MEMBERS} members`);
    const op = this.#sign({ kind: 'add', invitee }, nowMs);
    const invitation = encodeGroupMessage({ type: 'invitation', ops: [...this.#log.ops] });
    return [...this.#toJoined([op]), { to: invitee.identityKey, address: invitee, message: invitation }];
  }

  /** Accepts the invitation: the local user becomes joined and is told of every post from now on. */
  accept(nowMs: number): Outgoing[] {
    this.#require(this.status === 'invited', 'there is no open invitation');
    return this.#answer('accept', nowMs);
  }

  /** Declines the invitation. */
  decline(nowMs: number): Outgoing[] {
    this.#require(this.status === 'invited', 'there is no open invitation');
    return this.#answer('decline', nowMs);
  }

  /**
   * An answer to an invitation goes to the joined members and to the
   * inviter, even one that has left since (docs/groups.md §5): the inviter
   * answers for us, and when we see nobody joined it is the only one who
   * can tell the others.
   */
  #answer(kind: 'accept' | 'decline', nowMs: number): Outgoing[] {
    const inviterKey = this.#view.members.get(toHex(this.self))!.invitedBy;
    const recipients: Array<{ key: Uint8Array; address: Address }> = this.#joinedOthers();
    const op = this.#sign({ kind }, nowMs);
    const inviter = this.#anyKnownAddress(inviterKey);
    if (inviter && compareBytes(inviterKey, this.self) !== 0 && !recipients.some((m) => compareBytes(m.key, inviterKey) === 0)) recipients.push(inviter);
    return this.#send(recipients, { type: 'ops', ops: [op] });
  }

  /** Leaves the group. */
  leave(nowMs: number): Outgoing[] {
    this.#require(this.status === 'joined', 'not a joined member');
    const joined = this.#joinedOthers();
    return this.#send(joined, { type: 'ops', ops: [this.#sign({ kind: 'leave' }, nowMs)] });
  }

  /** Removes a member or withdraws an invitation (admins only); the target is told. */
  remove(member: Uint8Array, nowMs: number): Outgoing[] {
    this.#require(this.isAdmin, 'only an admin removes');
    const target = this.#view.members.get(toHex(member));
    this.#require(target !== undefined && compareBytes(member, this.self) !== 0, 'not a member (to leave, use leave)');
    const joined = this.#joinedOthers();
    const op = this.#sign({ kind: 'remove', target: member }, nowMs);
    return this.#send([...joined.filter((m) => compareBytes(m.key, member) !== 0), target!], { type: 'ops', ops: [op] });
  }

  /** Renames the group (admins only): a signed op, so every member converges on one name. */
  rename(name: string, nowMs: number): Outgoing[] {
    this.#require(this.isAdmin, 'only an admin renames');
    return this.#toJoined([this.#sign({ kind: 'rename', name }, nowMs)]);
  }

  promote(member: Uint8Array, nowMs: number): Outgoing[] {
    this.#require(this.isAdmin, 'only an admin promotes');
    const t = this.#view.members.get(toHex(member));
    this.#require(t?.status === 'joined' && !t.admin, 'not a joined member who is not an admin');
    return this.#toJoined([this.#sign({ kind: 'promote', target: member }, nowMs)]);
  }

  demote(member: Uint8Array, nowMs: number): Outgoing[] {
    this.#require(this.isAdmin, 'only an admin demotes');
    const t = this.#view.members.get(toHex(member));
    this.#require(t?.admin === true && compareBytes(member, this.self) !== 0, 'not another admin');
    return this.#toJoined([this.#sign({ kind: 'demote', target: member }, nowMs)]);
  }

  /** Asks `member` for the ops we lack (after being offline, or when the client suspects a gap). */
  syncWith(member: Uint8Array): Outgoing[] {
    const m = this.#view.members.get(toHex(member));
    this.#require(m !== undefined && compareBytes(member, this.self) !== 0, 'not another member');
    return this.#send([m!], { type: 'sync', heads: this.heads().slice(0, MAX_OP_DEPS), want: [] });
  }

  // ── Posts and receipts ──────────────────────────────────────────────────

  /** Posts text or a file to the members joined now. */
  post(content: ChatContent, nowMs: number): { post: Post; outgoing: Outgoing[] } {
    this.#require(this.status === 'joined', 'only a joined member posts');
    encodeContent(content); // throws ChatContentError before anything changes
    const outgoing: Outgoing[] = [];
    while (this.#log.heads().length > MAX_POST_HEADS) outgoing.push(...this.#toJoined([this.#sign({ kind: 'merge' }, nowMs)]));
    const post: Post = { id: this.#keys.random(POST_ID_LENGTH), author: this.self, seq: this.#nextSeq, sentMs: nowMs, heads: this.heads(), content };
    this.#nextSeq += 1n;
    this.#remember(post.id);
    const recipients = this.#joinedOthers();
    this.#track(post.id, recipients);
    outgoing.push(...this.#send(recipients, { type: 'post', ...post }));
    return { post, outgoing };
  }

  /** Tells the authors of these posts (ours to read) that the user read them. */
  markRead(posts: ReadonlyArray<Pick<Post, 'id' | 'author'>>): Outgoing[] {
    const byAuthor = new Map<string, Uint8Array[]>();
    for (const p of posts) {
      if (compareBytes(p.author, this.self) === 0) continue;
      const k = toHex(p.author);
      byAuthor.set(k, [...(byAuthor.get(k) ?? []), p.id]);
    }
    const out: Outgoing[] = [];
    for (const [author, ids] of byAuthor) out.push(...this.#receipts(ids, fromHex(author), 'read'));
    return out;
  }

  // ── Receiving ───────────────────────────────────────────────────────────

  /** Handles one reassembled group message from `from` (the pairwise session's peer). */
  receive(from: Uint8Array, bytes: Uint8Array): Received {
    const result: Received = { events: [], outgoing: [] };
    if (compareBytes(from, this.self) === 0) return this.#drop(result, from, 'from-self');
    let message: GroupMessage;
    try {
      message = decodeGroupMessage(bytes);
    } catch (e) {
      return this.#drop(result, from, e instanceof GroupError ? e.code : 'malformed');
    }
    switch (message.type) {
      case 'ops':
      case 'invitation':
        this.#receiveOps(from, message.ops, result);
        break;
      case 'post':
        this.#receivePost({ from, post: { id: message.id, author: from, seq: message.seq, sentMs: message.sentMs, heads: message.heads, content: message.content } }, result, true);
        break;
      case 'receipt':
        this.#receiveReceipt(from, message.receipt, message.ids, result);
        break;
      case 'sync':
        this.#receiveSync(from, message.heads, message.want, result);
        break;
    }
    return result;
  }

  #receiveOps(from: Uint8Array, ops: readonly ParsedOp[], result: Received): void {
    const before = this.#view;
    const missing: Uint8Array[] = [];
    let admitted = 0;
    for (const parsed of ops) {
      if (this.#log.has(parsed.id) || this.#log.isPending(parsed.id)) continue;
      let op: Op;
      try {
        op = verifyOp(parsed);
      } catch (e) {
        this.#drop(result, from, e instanceof GroupError ? `op-${e.code}` : 'op-malformed');
        continue;
      }
      const r = this.#log.admit(op);
      if (r.status === 'admitted') admitted += r.admitted.length;
      else if (r.status === 'pending') {
        missing.push(...r.missing);
        if (r.dropped > 0) this.#drop(result, from, 'pending-ops-full');
      } else if (r.status === 'rejected') this.#drop(result, from, `op-${r.reason}`);
    }
    if (admitted > 0) {
      const newOps = this.#log.ops.slice(this.#log.size - admitted);
      this.#refresh();
      const changes = diffMembership(before, this.#view);
      if (changes.length > 0) result.events.push({ type: 'membership', changes });
      const caughtUp = this.#catchUp(before, result);
      for (const op of newOps) this.#forward(op, result, caughtUp);
      this.#retryPendingPosts(result);
      this.#sendDeferredAsks(result);
    }
    if (missing.length > 0) this.#askForOps(from, result, missing);
  }

  #receivePost(p: PendingPost, result: Received, fresh: boolean): boolean {
    const id = toHex(p.post.id);
    if (this.#seen.has(id)) {
      // A copy (the sender retransmitted): confirm delivery again, the first receipt may have been lost.
      if (fresh) result.outgoing.push(...this.#receipts([p.post.id], p.from, 'delivered'));
      return true;
    }
    if (!p.post.heads.every((h) => this.#log.has(h))) {
      if (!fresh) return false;
      if (this.#pendingPosts.some((q) => toHex(q.post.id) === id)) return false;
      this.#pendingPosts.push(p);
      if (this.#pendingPosts.length > MAX_PENDING_POSTS) {
        const dropped = this.#pendingPosts.shift()!;
        this.#drop(result, dropped.from, 'pending-posts-full');
      }
      this.#askForOps(p.from, result, p.post.heads);
      return false;
    }
    this.#explainCancellation(p, result);
    const cut = this.#membershipAt(p.post.heads);
    const author = cut.members.get(toHex(p.post.author));
    const me = cut.members.get(toHex(this.self));
    if (author?.status !== 'joined' || me?.status !== 'joined') {
      this.#drop(result, p.from, 'post-not-member');
      return true;
    }
    this.#remember(p.post.id);
    result.events.push({ type: 'post', post: p.post });
    result.outgoing.push(...this.#receipts([p.post.id], p.from, 'delivered'));
    return true;
  }

  /**
   * Whether we answer for `member` getting the ops it was not sent
   * (docs/groups.md §5, Repair): its inviter does, even after leaving (it
   * acts on what it still receives); while the inviter is no longer a joined
   * member, its stand-in does too: the first joined admin other than the member.
   */
  #dutyTowards(view: Membership, member: Member): 'inviter' | 'stand-in' | undefined {
    if (compareBytes(member.invitedBy, this.self) === 0) return 'inviter';
    const standIn = standInFor(view, member);
    return standIn && compareBytes(standIn.key, this.self) === 0 ? 'stand-in' : undefined;
  }

  /**
   * Catch-up follows the membership, not the arrival of accepts: a member
   * becomes joined in our view when its accept arrives, but also when an op
   * that had cancelled or outranked its accept turns out to have no effect
   * (its author was not an admin after all); and we become a member's
   * stand-in when its inviter departs. Then we send it every op it may lack:
   * all outside its accept's past (the inviter), or, as a stand-in, also
   * outside what its inviter held when it last wrote, if it saw the member
   * joined then (it sent those itself). Returns the members caught up.
   */
  #catchUp(before: Membership, result: Received): Set<string> {
    const caughtUp = new Set<string>();
    for (const member of this.#joinedOthers()) {
      const key = toHex(member.key);
      const accept = effectiveAccept(this.#view, this.#log, member.key);
      if (accept === undefined) continue;
      const old = before.members.get(key);
      const newlyJoined = old?.status !== 'joined' || effectiveAccept(before, this.#log, member.key) !== accept;
      const duty = this.#dutyTowards(this.#view, member);
      if (duty === undefined) {
        // Nobody may have sent it what we wrote while it was not joined in our
        // view, if its inviter has gone: we send it that ourselves, even after
        // we left (our own leave may have gone to nobody).
        if (newlyJoined && this.#view.members.get(toHex(member.invitedBy))?.status !== 'joined') {
          const ours = this.#log.missingFor([this.#log.ops[accept].id]).filter((op) => compareBytes(op.author, this.self) === 0);
          if (ours.length > 0) result.outgoing.push(...this.#send([member], { type: 'ops', ops: ours }));
        }
        continue;
      }
      if (!newlyJoined && old && this.#dutyTowards(before, old) !== undefined) continue;
      const have = this.#log.closure([this.#log.ops[accept].id]);
      if (duty === 'stand-in') {
        const inviterOps = this.#log.byAuthor(member.invitedBy);
        const last = inviterOps[inviterOps.length - 1];
        if (last !== undefined) {
          const inviterSaw = this.#log.closure([this.#log.ops[last].id]);
          if (effectiveAccept(resolveMembership(this.#log, inviterSaw), this.#log, member.key) === accept) for (const i of inviterSaw) have.add(i);
        }
      }
      const missing = this.#log.ops.filter((_, i) => !have.has(i));
      if (missing.length > 0) result.outgoing.push(...this.#send([member], { type: 'ops', ops: missing }));
      caughtUp.add(key);
    }
    return caughtUp;
  }

  /**
   * An op's author sent it to the members joined in its own view (the
   * resolution of the op's dependencies). A member joined in ours but not in
   * that view missed it: whoever answers for that member forwards it.
   */
  #forward(op: Op, result: Received, caughtUp: ReadonlySet<string>): void {
    if (compareBytes(op.author, this.self) === 0) return;
    const ours = this.#joinedOthers().filter((m) => compareBytes(m.key, op.author) !== 0 && !caughtUp.has(toHex(m.key)) && this.#dutyTowards(this.#view, m) !== undefined);
    if (ours.length === 0) return;
    const authorsView = resolveMembership(this.#log, this.#log.closure(op.deps));
    const missed = ours.filter((m) => authorsView.members.get(toHex(m.key))?.status !== 'joined');
    if (missed.length > 0) result.outgoing.push(...this.#send(missed, { type: 'ops', ops: [op] }));
  }

  /**
   * Someone who believes it joined, but whose invitation was cancelled (its
   * inviter was removed or demoted at the same time), posts: send it the ops
   * that cancelled what it saw, with their past, and nothing else.
   */
  #explainCancellation(p: PendingPost, result: Received): void {
    if (this.#view.members.has(toHex(p.from))) return;
    const to = this.#anyKnownAddress(p.from);
    const seen = this.#log.closure(p.post.heads);
    const causes = [...this.#view.cancelled].filter(([c]) => seen.has(c)).map(([, by]) => this.#log.ops[by].id);
    if (!to || causes.length === 0) return;
    const explain = this.#log.closure(causes);
    const ops = this.#log.ops.filter((_, i) => explain.has(i) && !seen.has(i));
    if (ops.length > 0) result.outgoing.push(...this.#send([to], { type: 'ops', ops }));
  }

  #retryPendingPosts(result: Received): void {
    for (let i = 0; i < this.#pendingPosts.length;) {
      if (this.#receivePost(this.#pendingPosts[i], result, false)) this.#pendingPosts.splice(i, 1);
      else i++;
    }
  }

  #receiveReceipt(from: Uint8Array, receipt: ReceiptType, ids: readonly Uint8Array[], result: Received): void {
    const member = toHex(from);
    for (const id of ids) {
      const states = this.#tracked.get(toHex(id));
      const current = states?.get(member);
      if (!states || current === undefined) {
        this.#drop(result, from, 'receipt-unknown-post');
        continue;
      }
      if (DELIVERY_RANK[receipt] <= DELIVERY_RANK[current]) continue;
      states.set(member, receipt);
      result.events.push({ type: 'receipt', post: id, member: from, state: receipt });
    }
  }

  /**
   * A current member gets every op outside the past of its heads. Someone who
   * is no longer a member (a post or op it was sent names ops it lacks) gets
   * only the past of the ops it names: what it was entitled to when it was
   * sent, never what happened after (it cannot name an op it was never told of).
   */
  #receiveSync(from: Uint8Array, heads: readonly Uint8Array[], want: readonly Uint8Array[], result: Received): void {
    const peer = this.#view.members.get(toHex(from));
    let missing: Op[];
    if (peer) missing = this.#log.missingFor(heads);
    else {
      const have = this.#log.closure(heads);
      const wanted = this.#log.closure(want);
      missing = this.#log.ops.filter((_, i) => wanted.has(i) && !have.has(i));
    }
    const to = peer ?? this.#anyKnownAddress(from);
    if (!to) {
      this.#drop(result, from, 'sync-unknown');
      return;
    }
    if (missing.length > 0) result.outgoing.push(...this.#send([to], { type: 'ops', ops: missing }));
    if (peer && !heads.every((h) => this.#log.has(h))) this.#askForOps(from, result);
  }

  // ── Helpers ─────────────────────────────────────────────────────────────

  /**
   * Asks `from` for the ops we lack, naming the ones we know we want. When we
   * cannot address `from` yet (its add is among the ops we lack, e.g. a post
   * from a member whose add has not reached us), the ask waits until an op
   * that names it is admitted (docs/groups.md §5, Sync).
   */
  #askForOps(from: Uint8Array, result: Received, want: readonly Uint8Array[] = []): void {
    const key = toHex(from);
    const peer = this.#view.members.get(key) ?? this.#anyKnownAddress(from);
    const wanted = want.filter((id) => !this.#log.has(id));
    if (peer) {
      result.outgoing.push(...this.#send([peer], { type: 'sync', heads: this.heads().slice(0, MAX_OP_DEPS), want: wanted.slice(0, MAX_OP_DEPS) }));
      return;
    }
    const deferred = this.#deferredAsks.get(key) ?? { from, want: [], askedAdmins: false };
    const known = new Set(deferred.want.map(toHex));
    deferred.want.push(...wanted.filter((id) => !known.has(toHex(id))));
    deferred.want.splice(0, Math.max(0, deferred.want.length - MAX_OP_DEPS));
    this.#deferredAsks.delete(key);
    this.#deferredAsks.set(key, deferred);
    if (this.#deferredAsks.size > MAX_DEFERRED_ASKS) this.#deferredAsks.delete(this.#deferredAsks.keys().next().value!);
    this.#askAdmins(deferred, result);
  }

  /**
   * A member who is no longer joined is sent no more ops, so nothing would
   * make a sender it cannot address addressable: it asks the joined admins of
   * its view instead, once per such sender. (A joined member waits: the
   * sender's add reaches it, sent or forwarded, §5.)
   */
  #askAdmins(deferred: { want: Uint8Array[]; askedAdmins: boolean }, result: Received): void {
    if (deferred.askedAdmins || this.status === 'joined' || this.status === 'invited') return;
    const admins = this.#joinedOthers().filter((m) => m.admin);
    if (admins.length === 0) return;
    deferred.askedAdmins = true;
    result.outgoing.push(...this.#send(admins, { type: 'sync', heads: this.heads().slice(0, MAX_OP_DEPS), want: deferred.want.slice(0, MAX_OP_DEPS) }));
  }

  /** Sends the deferred asks whose sender we can now address and whose wanted ops we still lack. */
  #sendDeferredAsks(result: Received): void {
    for (const [key, deferred] of [...this.#deferredAsks]) {
      if (deferred.want.every((id) => this.#log.has(id))) {
        this.#deferredAsks.delete(key);
        continue;
      }
      if (!this.#view.members.has(key) && !this.#anyKnownAddress(deferred.from)) {
        this.#askAdmins(deferred, result);
        continue;
      }
      this.#deferredAsks.delete(key);
      this.#askForOps(deferred.from, result, deferred.want);
    }
  }

  /** A departed member may still hold ops we lack (e.g. its own leave); its address is in the log. */
  #anyKnownAddress(key: Uint8Array): { key: Uint8Array; address: Address } | undefined {
    for (const op of this.#log.ops) {
      if (op.body.kind === 'add' && compareBytes(op.body.invitee.identityKey, key) === 0) return { key, address: op.body.invitee };
      if (op.body.kind === 'create' && compareBytes(op.author, key) === 0) return { key, address: op.body.creator };
    }
    return undefined;
  }

  #receipts(ids: readonly Uint8Array[], author: Uint8Array, receipt: ReceiptType): Outgoing[] {
    const to = this.#view.members.get(toHex(author)) ?? this.#anyKnownAddress(author);
    if (!to || ids.length === 0) return [];
    const out: Outgoing[] = [];
    for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) out.push(...this.#send([to], { type: 'receipt', receipt, ids: ids.slice(i, i + MAX_RECEIPT_IDS) }));
    return out;
  }

  #membershipAt(heads: readonly Uint8Array[]): Membership {
    const current = this.heads();
    if (heads.length === current.length && heads.every((h, i) => compareBytes(h, current[i]) === 0)) return this.#view;
    const key = heads.map(toHex).join('');
    let m = this.#cutCache.get(key);
    if (!m) {
      m = resolveMembership(this.#log, this.#log.closure(heads));
      if (this.#cutCache.size >= 64) this.#cutCache.clear();
      this.#cutCache.set(key, m);
    }
    return m;
  }

  #sign(body: OpBody, nowMs: number): Op {
    const deps = this.#log.heads().slice(0, MAX_OP_DEPS);
    const op = signOp({ groupId: this.groupId, author: this.#keys.signer, deps, timeMs: nowMs, body });
    this.#admitOwn(op);
    return op;
  }

  #admitOwn(op: Op): void {
    const r = this.#log.admit(op);
    if (r.status !== 'admitted') throw new GroupError('limit', `own op not admitted (${r.status === 'rejected' ? r.reason : r.status})`);
    this.#refresh();
  }

  #refresh(): void {
    this.#view = resolveMembership(this.#log);
    this.#cutCache.clear();
  }

  #joinedOthers(): Member[] {
    const me = toHex(this.self);
    return joinedKeys(this.#view)
      .filter((k) => toHex(k) !== me)
      .map((k) => this.#view.members.get(toHex(k))!);
  }

  #toJoined(ops: Op[]): Outgoing[] {
    return this.#send(this.#joinedOthers(), { type: 'ops', ops });
  }

  #send(to: ReadonlyArray<{ key: Uint8Array; address: Address }>, message: GroupMessage): Outgoing[] {
    const bytes = encodeGroupMessage(message);
    return to.map((m) => ({ to: m.key, address: m.address, message: bytes }));
  }

  #track(id: Uint8Array, recipients: readonly Member[]): void {
    this.#tracked.set(toHex(id), new Map(recipients.map((m) => [toHex(m.key), 'sent' as Delivery])));
    while (this.#tracked.size > MAX_TRACKED_POSTS) this.#tracked.delete(this.#tracked.keys().next().value!);
  }

  #remember(id: Uint8Array): void {
    this.#seen.add(toHex(id));
    while (this.#seen.size > MAX_REMEMBERED_POSTS) this.#seen.delete(this.#seen.values().next().value!);
  }

  #drop(result: Received, from: Uint8Array, reason: string): Received {
    result.events.push({ type: 'dropped', from, reason });
    return result;
  }

  #require(ok: boolean, why: string): void {
    if (!ok) throw new GroupError('not-allowed', why);
  }

  // ── Stored form ─────────────────────────────────────────────────────────

  /**
   * The stored form (docs/groups.md §Stored form). It holds no secret key:
   * a group's secrecy is its members' pairwise sessions.
   */
  serialize(): Uint8Array {
    const w = new ByteWriter().u8(GROUP_STATE_VERSION).bytes(this.groupId).bytes(this.self).u64(this.#nextSeq);
    const ops = this.#log.ops;
    w.u32(ops.length);
    for (const op of ops) w.u16(op.bytes.length).bytes(op.bytes);
    const pendingOps = this.#log.pending;
    w.u16(pendingOps.length);
    for (const op of pendingOps) w.u16(op.bytes.length).bytes(op.bytes);
    w.u16(this.#pendingPosts.length);
    for (const p of this.#pendingPosts) {
      const bytes = encodeGroupMessage({ type: 'post', ...p.post });
      w.bytes(p.from).u32(bytes.length).bytes(bytes);
    }
    w.u32(this.#seen.size);
    for (const id of this.#seen) w.bytes(fromHex(id));
    w.u16(this.#tracked.size);
    for (const [id, states] of this.#tracked) {
      w.bytes(fromHex(id)).u16(states.size);
      for (const [member, state] of states) w.bytes(fromHex(member)).u8(DELIVERY_RANK[state]);
    }
    return w.finish();
  }

  /** Restores a group from its stored form; throws GroupError('malformed') on anything inconsistent. */
  static deserialize(keys: GroupKeys, bytes: Uint8Array): Group {
    const r = new ByteReader(bytes, 'group state');
    const version = r.u8();
    if (version !== GROUP_STATE_VERSION) throw new GroupError('unsupported', `group state version ${version}`);
    const group = new Group(r.take(GROUP_ID_LENGTH), keys);
    if (compareBytes(r.take(32), keys.signer.publicKey) !== 0) throw new GroupError('malformed', "group state: another member's state");
    group.#nextSeq = r.u64();
    const opCount = r.u32();
    for (let i = 0; i < opCount; i++) {
      const res = group.#log.admit(decodeOp(r.take(r.u16())));
      if (res.status !== 'admitted') throw new GroupError('malformed', `group state: stored op ${i} not admitted (${res.status})`);
    }
    const pendingOps = r.u16();
    for (let i = 0; i < pendingOps; i++) group.#log.admit(decodeOp(r.take(r.u16())));
    group.#refresh();
    const pendingPosts = r.u16();
    for (let i = 0; i < pendingPosts; i++) {
      const from = r.take(32);
      const m = decodeGroupMessage(r.take(r.u32()));
      if (m.type !== 'post') throw new GroupError('malformed', 'group state: a pending entry is not a post');
      group.#pendingPosts.push({ from, post: { id: m.id, author: from, seq: m.seq, sentMs: m.sentMs, heads: m.heads, content: m.content } });
    }
    const seen = r.u32();
    for (let i = 0; i < seen; i++) group.#seen.add(toHex(r.take(POST_ID_LENGTH)));
    const tracked = r.u16();
    const byRank: Delivery[] = ['sent', 'delivered', 'read'];
    for (let i = 0; i < tracked; i++) {
      const id = toHex(r.take(POST_ID_LENGTH));
      const n = r.u16();
      const states = new Map<string, Delivery>();
      for (let j = 0; j < n; j++) {
        const member = toHex(r.take(32));
        const state = byRank[r.u8()];
        if (!state) throw new GroupError('malformed', 'group state: a delivery state out of range');
        states.set(member, state);
      }
      group.#tracked.set(id, states);
    }
    r.end();
    return group;
  }
}

/** The two joined members first in line to stand in (admins first, then by joining order), per resolution. */
const standInLine = new WeakMap<Membership, Member[]>();

/**
 * Who answers for a member whose inviter is no longer joined: the joined admin
 * other than the member who joined first (there is one: succession, §3.2),
 * else the first other joined member. Undefined while the inviter is joined.
 */
function standInFor(view: Membership, member: Member): Member | undefined {
  if (view.members.get(toHex(member.invitedBy))?.status === 'joined') return undefined;
  let line = standInLine.get(view);
  if (!line) {
    line = [...view.members.values()]
      .filter((m) => m.status === 'joined')
      .sort((a, b) => Number(b.admin) - Number(a.admin) || a.joinedAt - b.joinedAt)
      .slice(0, 2);
    standInLine.set(view, line);
  }
  return line.find((m) => compareBytes(m.key, member.key) !== 0);
}

/** The index of `member`'s latest accept that took effect in `m` (undefined for the creator). */
function effectiveAccept(m: Membership, log: OpLog, member: Uint8Array): number | undefined {
  let found: number | undefined;
  for (const i of log.byAuthor(member)) if (log.ops[i].body.kind === 'accept' && m.applied.has(i) && (found === undefined || log.ops[i].lamport > log.ops[found].lamport)) found = i;
  return found;
}

/** What changed between two resolutions, for the user's timeline. */
export function diffMembership(before: Membership, after: Membership): MembershipChange[] {
  const changes: MembershipChange[] = [];
  if (before.name !== after.name && after.name !== '') changes.push({ type: 'renamed', name: after.name });
  for (const [k, m] of after.members) {
    const old = before.members.get(k);
    if (!old || old.status !== m.status) changes.push({ type: m.status, member: m.key });
    if (m.status === 'joined' && (old?.admin ?? false) !== m.admin) changes.push({ type: m.admin ? 'admin' : 'not-admin', member: m.key });
  }
  for (const [k, old] of before.members) {
    if (after.members.has(k)) continue;
    changes.push({ type: after.departed.get(k) ?? 'removed', member: old.key });
  }
  return changes;
}

// What a set of ops means (docs/groups.md §Resolution): who is invited,
// joined or an admin, and the group's name. A pure function of the set of
// admitted ops, so every member who holds the same ops computes the same
// membership, whatever order they arrived in: no sequencer, no server.
//
//   1. Replay the ops in (Lamport time, op id) order, a topological order of
//      the DAG. An op that its author may not make at that point is kept but
//      has no effect (it stays in the set, so every member agrees on that too).
//   2. Remove(X) cancels every op by X concurrent with it (neither before nor
//      after it in the DAG); Demote(X) cancels X's concurrent admin ops. So a
//      removed member cannot undo its removal with an op it back-dates to
//      before it, and of two admins who remove each other at once, the one
//      whose op comes first in the order wins. If a cancelled op had already
//      been applied, the replay starts again without it (the cancelled set only
//      grows, so this ends after at most one restart per op).
//   3. When the last admin leaves or is removed, the joined member who joined
//      first (by the order of its accept) becomes admin.

import { toHex } from '../bytes.js';
import type { Address } from '../e2ee/address.js';
import type { OpLog } from './op-log.js';
import { compareBytes, type Op, type OpKind } from './op.js';

/** Most members, invited or joined, a group holds (the issue asks for at least 100). */
export const MAX_MEMBERS = 1000;

export type MemberStatus = 'invited' | 'joined';

export interface Member {
  readonly key: Uint8Array;
  readonly address: Address;
  status: MemberStatus;
  admin: boolean;
  /** The admin whose add invited this member. */
  readonly invitedBy: Uint8Array;
  /** Place in the replay order of the op that made this member joined (its accept, or the create), for succession. */
  joinedAt: number;
}

export interface Membership {
  name: string;
  creator: Uint8Array;
  /** By identity key (hex). */
  readonly members: Map<string, Member>;
  /** Those who were members and are no longer, by identity key (hex), and why. */
  readonly departed: Map<string, 'left' | 'removed' | 'declined'>;
  /** Indices of the ops that took effect. */
  readonly applied: Set<number>;
  /** Indices of the ops cancelled by a concurrent remove or demote, each with the index of the op that cancelled it. */
  readonly cancelled: Map<number, number>;
}

const ADMIN_KINDS: ReadonlySet<OpKind> = new Set(['add', 'remove', 'rename', 'promote', 'demote']);

export function emptyMembership(): Membership {
  return { name: '', creator: new Uint8Array(32), members: new Map(), departed: new Map(), applied: new Set(), cancelled: new Map() };
}

/** Resolves the admitted ops of `log` (or only those in `subset`, a causally closed set of indices). */
export function resolveMembership(log: OpLog, subset?: ReadonlySet<number>): Membership {
  const ops = log.ops;
  const order = ops
    .map((_, i) => i)
    .filter((i) => !subset || subset.has(i))
    .sort((a, b) => ops[a].lamport - ops[b].lamport || compareBytes(ops[a].id, ops[b].id));
  const cancelled = new Map<number, number>();
  for (;;) {
    const m = emptyMembership();
    let restart = false;
    for (const [rank, i] of order.entries()) {
      if (cancelled.has(i)) continue;
      const op = ops[i];
      if (!allowed(m, op)) continue;
      if (op.body.kind === 'remove' || op.body.kind === 'demote') {
        const removal = op.body.kind === 'remove';
        for (const j of log.byAuthor(op.body.target)) {
          if (subset && !subset.has(j)) continue;
          if (cancelled.has(j) || !log.concurrent(i, j) || (!removal && !ADMIN_KINDS.has(ops[j].body.kind))) continue;
          cancelled.set(j, i);
          if (m.applied.has(j)) restart = true;
        }
        if (restart) break;
      }
      apply(m, op, rank);
      m.applied.add(i);
    }
    if (!restart) {
      for (const [c, by] of cancelled) m.cancelled.set(c, by);
      return m;
    }
  }
}

function allowed(m: Membership, op: Op): boolean {
  const author = m.members.get(toHex(op.author));
  const isAdmin = author?.status === 'joined' && author.admin;
  const b = op.body;
  switch (b.kind) {
    case 'create':
      return m.applied.size === 0;
    case 'add': {
      const target = toHex(b.invitee.identityKey);
      return isAdmin && !m.members.has(target) && m.members.size < MAX_MEMBERS;
    }
    case 'accept':
    case 'decline':
      return author?.status === 'invited';
    case 'leave':
    case 'merge':
      return author?.status === 'joined';
    case 'remove': {
      const t = m.members.get(toHex(b.target));
      return isAdmin && t !== undefined && compareBytes(b.target, op.author) !== 0;
    }
    case 'rename':
      return isAdmin;
    case 'promote': {
      const t = m.members.get(toHex(b.target));
      return isAdmin && t?.status === 'joined' && !t.admin;
    }
    case 'demote': {
      const t = m.members.get(toHex(b.target));
      return isAdmin && t?.admin === true && compareBytes(b.target, op.author) !== 0;
    }
  }
}

/** Applies an allowed op; `rank` is its place in the replay order (the same for every member). */
function apply(m: Membership, op: Op, rank: number): void {
  const b = op.body;
  const authorKey = toHex(op.author);
  switch (b.kind) {
    case 'create':
      m.name = b.name;
      m.creator = op.author;
      m.members.set(authorKey, { key: op.author, address: b.creator, status: 'joined', admin: true, invitedBy: op.author, joinedAt: rank });
      return;
    case 'add': {
      const key = toHex(b.invitee.identityKey);
      m.departed.delete(key);
      m.members.set(key, { key: b.invitee.identityKey, address: b.invitee, status: 'invited', admin: false, invitedBy: op.author, joinedAt: -1 });
      return;
    }
    case 'accept': {
      const member = m.members.get(authorKey)!;
      member.status = 'joined';
      member.joinedAt = rank;
      return;
    }
    case 'decline':
      depart(m, authorKey, 'declined');
      return;
    case 'leave':
      depart(m, authorKey, 'left');
      return;
    case 'remove':
      depart(m, toHex(b.target), 'removed');
      return;
    case 'rename':
      m.name = b.name;
      return;
    case 'merge':
      return;
    case 'promote':
      m.members.get(toHex(b.target))!.admin = true;
      return;
    case 'demote':
      m.members.get(toHex(b.target))!.admin = false;
      ensureAdmin(m);
      return;
  }
}

function depart(m: Membership, key: string, why: 'left' | 'removed' | 'declined'): void {
  m.members.delete(key);
  m.departed.set(key, why);
  ensureAdmin(m);
}

/** Succession: with no joined admin left, the first joined member becomes one. */
function ensureAdmin(m: Membership): void {
  let first: Member | undefined;
  for (const member of m.members.values()) {
    if (member.status !== 'joined') continue;
    if (member.admin) return;
    if (!first || member.joinedAt < first.joinedAt) first = member;
  }
  if (first) first.admin = true;
}

/** The joined members' identity keys, ascending (the recipients of a post, minus oneself). */
export function joinedKeys(m: Membership): Uint8Array[] {
  return [...m.members.values()]
    .filter((x) => x.status === 'joined')
    .map((x) => x.key)
    .sort(compareBytes);
}

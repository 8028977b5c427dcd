// What the API shows of a group and its posts (client/api.ts GroupInfo,
// GroupPostInfo, GroupChange): identity keys in hex, each with its contact
// name when it is one, and the display order of posts (docs/groups.md §4.1).

import { fromHex, toHex } from '../../protocol/bytes.js';
import { comparePosts, type Group, type MembershipChange, type Post } from '../../protocol/groups/index.js';
import type { GroupChange, GroupInfo, GroupMemberInfo, GroupPostInfo } from '../api.js';
import type { GroupPostRow } from './group-records.js';

/** A contact's name by identity key (hex), or undefined. */
export type ContactNameOf = (identity: string) => string | undefined;

export function groupInfo(group: Group, unread: number, nameOf: ContactNameOf): GroupInfo {
  const self = toHex(group.self);
  const members: GroupMemberInfo[] = group.members().map((m) => {
    const key = toHex(m.key);
    return { key, contact: nameOf(key) ?? null, status: m.status, admin: m.admin, self: key === self };
  });
  return { id: toHex(group.groupId), name: group.name, status: group.status, admin: group.isAdmin, members, unread };
}

export function groupChanges(changes: readonly MembershipChange[], nameOf: ContactNameOf): GroupChange[] {
  return changes.map((c) => {
    if (c.type === 'renamed') return { type: 'renamed', name: c.name };
    const member = toHex(c.member);
    return { type: c.type, member, contact: nameOf(member) ?? null };
  });
}

/**
 * What changed between two views of a group the local user changed itself
 * (the group layer reports changes only for what it receives): members by
 * status and role, and the name.
 */
export function changesBetween(before: GroupInfo, after: GroupInfo): GroupChange[] {
  const changes: GroupChange[] = [];
  if (before.name !== after.name) changes.push({ type: 'renamed', name: after.name });
  const old = new Map(before.members.map((m) => [m.key, m]));
  for (const m of after.members) {
    const was = old.get(m.key);
    if (!was || was.status !== m.status) changes.push({ type: m.status, member: m.key, contact: m.contact });
    if (m.status === 'joined' && (was?.admin ?? false) !== m.admin) changes.push({ type: m.admin ? 'admin' : 'not-admin', member: m.key, contact: m.contact });
  }
  const now = new Set(after.members.map((m) => m.key));
  for (const m of before.members) {
    if (now.has(m.key)) continue;
    const gone = m.self && after.status !== 'invited' && after.status !== 'joined' ? after.status : 'removed';
    changes.push({ type: gone, member: m.key, contact: m.contact });
  }
  return changes;
}

export function postInfo(row: GroupPostRow, group: Group | undefined, nameOf: ContactNameOf): GroupPostInfo {
  const info: GroupPostInfo = {
    id: row.id,
    group: row.group,
    author: row.author,
    authorContact: nameOf(row.author) ?? null,
    direction: row.direction,
    content: row.content,
    sentMs: row.sentMs,
    receivedMs: row.receivedMs,
    readMs: row.readMs,
  };
  const delivery = row.direction === 'out' ? group?.deliveryOf(fromHex(row.id)) : undefined;
  if (delivery) info.delivery = Object.fromEntries(delivery);
  return info;
}

/** The display order of posts, the same at every member (comparePosts: sent time, author, author's sequence number). */
export function comparePostRows(a: GroupPostRow, b: GroupPostRow): number {
  return comparePosts(orderKey(a), orderKey(b));
}

function orderKey(row: GroupPostRow): Post {
  return { id: fromHex(row.id), author: fromHex(row.author), seq: BigInt(row.seq), sentMs: row.sentMs, heads: [], content: { kind: 'text', text: '' } };
}

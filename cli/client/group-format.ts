// How `chaff client group …` prints groups, members and posts (plain text;
// --json prints the API's records instead). Every name and text from the
// network goes through printable(): a member chooses its group's name.

import type { GroupChange, GroupInfo, GroupMemberInfo, GroupPostInfo } from '../../client/api.js';
import { chatLine, excerpt, formatBytes, printable, type LineLayout } from './format.js';
import { PLAIN, type Paint } from './terminal-text.js';

/** A member as the user knows it: "you", the contact's name, or the start of its identity key. */
export function memberName(m: Pick<GroupMemberInfo, 'key' | 'contact' | 'self'>): string {
  if (m.self) return 'you';
  return m.contact !== null ? printable(m.contact) : `key:${m.key.slice(0, 12)}…`;
}

/** One line per group: `friends  3 members, joined, admin, 2 unread  (id 0123…)`. */
export function groupLine(g: GroupInfo): string {
  const joined = g.members.filter((m) => m.status === 'joined').length;
  const invited = g.members.length - joined;
  const parts = [`${joined} member${joined === 1 ? '' : 's'}${invited > 0 ? ` + ${invited} invited` : ''}`, g.status];
  if (g.admin) parts.push('admin');
  if (g.unread > 0) parts.push(`${g.unread} unread`);
  return `${printable(g.name)}  ${parts.join(', ')}  (id ${g.id})`;
}

export function memberLine(m: GroupMemberInfo): string {
  return `  ${memberName(m)}${m.status === 'invited' ? ' (invited)' : ''}${m.admin ? ' (admin)' : ''}`;
}

/**
 * One post as a chat line: `[12:03] bob: hello`, our own with its delivery
 * per member: `✓✓ 2/3 read` (all read), else delivered and read counts.
 */
export function postLine(p: GroupPostInfo, members: readonly GroupMemberInfo[], now = Date.now(), layout: LineLayout = {}): string {
  const own = p.direction === 'out';
  const author = own ? 'you' : memberName({ key: p.author, contact: p.authorContact, self: false });
  const body = p.content.file ? `[file ${printable(p.content.file.name)}, ${formatBytes(p.content.file.size)}${own ? '' : `; chaff client save ${p.id}`}]` : printable(p.content.text ?? '');
  return chatLine({ sentMs: p.sentMs, own, who: author, body, mark: own ? groupDeliveryMark(p, members, layout.paint) : '' }, now, layout);
}

/** `·` nobody has it yet, `✓✓ 1/2` delivered to one of two, `✓✓ read 2/2` read by all. */
export function groupDeliveryMark(p: GroupPostInfo, members: readonly GroupMemberInfo[], paint: Paint = PLAIN): string {
  if (!p.delivery) return '';
  const states = Object.values(p.delivery);
  if (states.length === 0) return paint.dim('(nobody else in the group)');
  const read = states.filter((s) => s === 'read').length;
  const delivered = states.filter((s) => s !== 'sent').length;
  if (read === states.length) return paint.good(`✓✓ read ${read}/${states.length}`);
  if (delivered === 0) return paint.dim(`· 0/${states.length}`);
  const readers = Object.entries(p.delivery)
    .filter(([, s]) => s === 'read')
    .map(([key]) => memberName(members.find((m) => m.key === key) ?? { key, contact: null, self: false }));
  return `✓✓ ${delivered}/${states.length}${readers.length > 0 ? `, read by ${readers.join(', ')}` : ''}`;
}

/** The line after a post is queued. */
export function postedLine(group: string, p: GroupPostInfo): string {
  const n = Object.keys(p.delivery ?? {}).length;
  return `posted to ${printable(group)}: ${excerpt(p.content)} (post ${p.id}, to ${n} member${n === 1 ? '' : 's'}; chaff client group show ${group} shows who has it)`;
}

/** A membership change as a line: `bob joined`, `key:ab12… was removed`, `renamed to readers`. */
export function changeLine(c: GroupChange, self: string | undefined): string {
  if (c.type === 'renamed') return `* renamed to ${printable(c.name)}`;
  if (c.member === self) {
    const yours = {
      invited: 'you are invited',
      joined: 'you joined',
      left: 'you left',
      removed: 'you were removed',
      declined: 'you declined',
      admin: 'you are an admin now',
      'not-admin': 'you are no longer an admin',
    };
    return `* ${yours[c.type]}`;
  }
  const who = memberName({ key: c.member, contact: c.contact, self: false });
  const verb = { invited: 'was invited', joined: 'joined', left: 'left', removed: 'was removed', declined: 'declined the invitation', admin: 'is an admin now', 'not-admin': 'is no longer an admin' }[
    c.type
  ];
  return `* ${who} ${verb}`;
}

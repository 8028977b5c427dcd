// How the client's records look on a terminal: chat lines, delivery marks,
// contact lines and the status page.
//
// Everything shown that a contact could have chosen (texts, file names,
// addresses in requests) goes through `printable`, so a message cannot carry
// terminal escape sequences to the reader's screen.

import type { ClientStatus, ContactInfo, MessageContent, MessageRecord } from '../../client/api.js';
import { formatDuration } from '../../protocol/util/format-duration.js';

// C0 and C1 controls except tab and newline, and the bidirectional overrides
// that could make a text read differently from what it is.
export const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `text` safe to write to a terminal: control characters shown as \u{…}. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** HH:MM today, else YYYY-MM-DD HH:MM (local time). */
export function clock(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return new Date(now).toDateString() === d.toDateString() ? hm : `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}`;
}

/** Delivery marks of an outgoing message: queued ·, sent ✓, delivered ✓✓, read ✓✓ read, failed ✗. */
export function deliveryMark(m: MessageRecord): string {
  switch (m.state) {
    case 'queued':
      return '·';
    case 'sent':
      return '✓';
    case 'delivered':
      return '✓✓';
    case 'read':
      return '✓✓ read';
    case 'failed':
      return m.error ? `✗ ${printable(m.error)}` : '✗';
  }
}

function describeContent(content: MessageContent, id?: string): string {
  if (content.file) {
    const f = content.file;
    return `[file ${printable(f.name)}, ${formatBytes(f.size)}${id ? `; chaff client save ${id}` : ''}]${content.text ? ` ${printable(content.text)}` : ''}`;
  }
  return printable(content.text ?? '');
}

/** One message as a chat line: `[12:03] you: hello ✓✓`. Continuation lines are indented. */
export function messageLine(m: MessageRecord, now = Date.now()): string {
  const who = m.direction === 'out' ? 'you' : printable(m.contact);
  const body = describeContent(m.content, m.direction === 'in' ? m.id : undefined).replace(/\n/g, '\n    ');
  return `[${clock(m.sentMs, now)}] ${who}: ${body}${m.direction === 'out' ? `  ${deliveryMark(m)}` : ''}`;
}

export function excerpt(content: MessageContent): string {
  const text = content.file ? content.file.name : (content.text ?? '');
  const flat = printable(text.replace(/\s+/g, ' '));
  return flat.length > 24 ? `${flat.slice(0, 23)}…` : flat;
}

/** The line shown when a message of ours changes state: `→ delivered (1.2 s): "hello"`. */
export function stateLine(m: MessageRecord): string {
  const about = `"${excerpt(m.content)}"`;
  switch (m.state) {
    case 'delivered':
      return `→ delivered${m.deliveredMs !== null ? ` (${formatDuration(m.deliveredMs - m.sentMs)})` : ''}: ${about}`;
    case 'read':
      return `→ read${m.readMs !== null ? ` (${formatDuration(m.readMs - m.sentMs)})` : ''}: ${about}`;
    case 'failed':
      return `→ failed: ${about}${m.error ? `: ${printable(m.error)}` : ''}`;
    default:
      return `→ ${m.state}: ${about}`;
  }
}

/** An address cut to its ends for lists (the full one: --json, or `chaff client address`). */
function shortAddress(address: string): string {
  return address.length > 24 ? `${address.slice(0, 14)}…${address.slice(-8)}` : address;
}

export function contactLine(c: ContactInfo): string {
  const notes = [c.verified ? 'verified' : 'not verified'];
  if (c.keyChanged) notes.push(`KEY CHANGED, ${c.held} held (chaff client contacts accept${c.verified ? ' --unverify' : ''} ${c.name}, or contacts reject ${c.name})`);
  return `${printable(c.name)}  ${printable(shortAddress(c.address))}  ${notes.join(', ')}`;
}

export function keyChangedWarning(name: string): string {
  return `! ${printable(name)}'s identity key changed. Their messages are held and nothing is sent to them until you accept it: compare safety numbers (chaff client verify ${name}), then chaff client contacts accept ${name} (or reject it: chaff client contacts reject ${name})`;
}

export function statusText(s: ClientStatus): string {
  const r = s.rates;
  const t = s.traffic;
  const l = s.loops;
  const per = (x: number) => `${Number(x.toPrecision(3))}/s`;
  return [
    `profile   ${s.profile}`,
    `address   ${s.address}`,
    `gateway   ${printable(s.gateway.name)} (${s.gateway.nodeId.slice(0, 16)}…), ${s.gateway.connected ? 'connected' : 'NOT CONNECTED'}`,
    `epoch     ${s.epoch ?? 'none yet'}${s.documentAgeMs !== null ? ` (began ${formatDuration(s.documentAgeMs)} ago)` : ''}`,
    `queue     ${s.queue.queued} queued, ${s.queue.inFlight} in flight, ${s.queue.failed} failed${s.queue.waitingForGateway ? `, ${s.queue.waitingForGateway} waiting for a contact's gateway to return to the network` : ''}`,
    `cover     λP ${per(r.lambdaP)} (real or decoy), λL ${per(r.lambdaL)} (loops), λD ${per(r.lambdaD)} (drop); mean hop delay ${r.mu > 0 ? formatDuration(1000 / r.mu) : '—'}; mailbox fetches ${per(r.fetchPerSecond)}`,
    `sent      ${t.packetsSent.real + t.packetsSent.decoy + t.packetsSent.drop + t.packetsSent.loop} packets: ${t.packetsSent.real} real, ${t.packetsSent.decoy} decoy, ${t.packetsSent.drop} drop, ${t.packetsSent.loop} loop; ${t.retransmissions} retransmissions, ${t.acksReceived} acks`,
    `bandwidth ${formatBytes(t.bytesSent)} sent, ${formatBytes(t.bytesReceived)} received, now ${formatBytes(t.sendRateBps)}/s out`,
    `loops     ${l.sent} sent, ${l.returned} returned, ${l.late} late, ${l.lost} lost, ${l.outstanding} outstanding`,
    `decoys    ${s.decoys.sent} sent, ${s.decoys.returned} ACKs back, ${s.decoys.lost} lost, ${s.decoys.outstanding} outstanding`,
    `uptime    ${formatDuration(s.uptimeMs)}`,
  ].join('\n');
}

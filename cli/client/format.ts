// How the client's records look on a terminal: chat lines, delivery marks,
// contact lines and the status page.
//
// Everything shown that a contact could have chosen (texts, file names,
// addresses in requests) goes through `printable`, so a message cannot carry
// terminal escape sequences to the reader's screen.

import type { ClientStatus, ConnectionInfo, ContactInfo, MessageContent, MessageRecord } from '../../client/api.js';
import { formatDuration } from '../../protocol/util/format-duration.js';
import { PLAIN, widthRange, type Paint } from './terminal-text.js';

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

/** HH:MM (local time). */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** YYYY-MM-DD (local time). */
export function isoDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** HH:MM today, else YYYY-MM-DD HH:MM (local time). */
export function clock(ms: number, now = Date.now()): string {
  return sameDay(ms, now) ? timeOfDay(ms) : `${isoDay(ms)} ${timeOfDay(ms)}`;
}

export function sameDay(a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

/** The same time of day, a calendar day earlier (not 24 h: days around a clock change are not). */
function dayBefore(ms: number): number {
  const d = new Date(ms);
  d.setDate(d.getDate() - 1);
  return d.getTime();
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * The line a chat prints above the first message of a day:
 * `── Saturday 5 December 2026 ──`, or `── today ──` / `── yesterday ──`
 * when `now` is given (a saved chat gives none: it is read on other days).
 */
export function dayLine(ms: number, now: number | null, paint: Paint = PLAIN): string {
  const d = new Date(ms);
  let name = `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
  if (now !== null && sameDay(ms, now)) name = 'today';
  else if (now !== null && sameDay(ms, dayBefore(now))) name = 'yesterday';
  return paint.dim(`── ${name} ──`);
}

/** Delivery marks of an outgoing message: queued ·, sent ✓, delivered ✓✓, read ✓✓ read, failed ✗. */
export function deliveryMark(m: MessageRecord, paint: Paint = PLAIN): string {
  switch (m.state) {
    case 'queued':
      return paint.dim('·');
    case 'sent':
      return '✓';
    case 'delivered':
      return '✓✓';
    case 'read':
      return paint.good('✓✓ read');
    case 'failed':
      return paint.bad(m.error ? `✗ ${printable(m.error)}` : '✗');
  }
}

function describeContent(content: MessageContent, id?: string): string {
  if (content.file) {
    const f = content.file;
    return `[file ${printable(f.name)}, ${formatBytes(f.size)}${id ? `; chaff client save ${id}` : ''}]${content.text ? ` ${printable(content.text)}` : ''}`;
  }
  return printable(content.text ?? '');
}

/** How a chat lays its lines out (the defaults: as `inbox` prints them). */
export interface LineLayout {
  /** Names padded to this many columns, so that every text starts in one column (its continuation lines too). */
  nameWidth?: number;
  /** 'time': HH:MM only (a chat prints a dayLine above each day); default: the date too when not today. */
  clock?: 'time' | 'date-unless-today';
  paint?: Paint;
}

/** The columns a chat's names take: the widest, within reason (a longer one just pushes its text along). */
export function nameColumn(names: readonly string[]): number {
  return Math.min(20, Math.max(...names.map((n) => widthRange(n).min)));
}

/**
 * A chat line: `[12:03] you: hello  ✓✓`. `who` and `body` are printable
 * already; the body's continuation lines are indented under its start.
 */
export function chatLine(line: { sentMs: number; own: boolean; who: string; body: string; mark: string }, now: number, layout: LineLayout): string {
  const paint = layout.paint ?? PLAIN;
  const time = layout.clock === 'time' ? timeOfDay(line.sentMs) : clock(line.sentMs, now);
  const pad = ' '.repeat(Math.max(0, (layout.nameWidth ?? 0) - widthRange(line.who).min));
  const indent = layout.nameWidth === undefined ? '    ' : ' '.repeat(time.length + 3 + widthRange(line.who).min + 1 + pad.length + 1);
  const body = line.body.replace(/\n/g, `\n${indent}`);
  return `${paint.dim(`[${time}]`)} ${(line.own ? paint.own : paint.other)(line.who)}:${pad} ${body}${line.mark ? `  ${line.mark}` : ''}`;
}

/** One message as a chat line: `[12:03] you: hello  ✓✓`. Continuation lines are indented. */
export function messageLine(m: MessageRecord, now = Date.now(), layout: LineLayout = {}): string {
  const own = m.direction === 'out';
  const body = describeContent(m.content, own ? undefined : m.id);
  return chatLine({ sentMs: m.sentMs, own, who: own ? 'you' : printable(m.contact), body, mark: own ? deliveryMark(m, layout.paint) : '' }, now, layout);
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

// The daemon's hold on the network in words (docs/client.md §Offline), for `status` and the chats.

/** "online since 14:02 (3m 5s)", or "OFFLINE: gateway not reached since 14:02 (12.0 s): … ". */
export function connectionText(c: ConnectionInfo, now = Date.now()): string {
  const since = (ms: number): string => `since ${clock(ms, now)} (${formatDuration(Math.max(0, now - ms))})`;
  if (c.online) return `online ${since(Math.max(c.document.sinceMs, c.gateway.sinceMs))}`;
  const missing: string[] = [];
  if (!c.document.verified) missing.push(`no verified network document for the epoch now ${since(c.document.sinceMs)}${c.document.epoch !== null ? ` (the newest is epoch ${c.document.epoch})` : ''}`);
  if (!c.gateway.connected) missing.push(`gateway not reached ${since(c.gateway.sinceMs)}${c.gateway.error ? `: ${printable(c.gateway.error)}` : ''}`);
  return `OFFLINE: ${missing.join('; ')}. Messages wait in the queue; the daemon keeps retrying`;
}

/** A chat's line when the daemon's hold on the network changes (a `connection` event), or when a chat opens offline. */
export function connectionChangeLine(c: ConnectionInfo, now = Date.now()): string {
  return c.online ? `✓ ${connectionText(c, now)}: queued messages go out now` : `! ${connectionText(c, now)}`;
}

export function statusText(s: ClientStatus): string {
  const r = s.rates;
  const t = s.traffic;
  const l = s.loops;
  const per = (x: number) => `${Number(x.toPrecision(3))}/s`;
  return [
    `profile   ${s.profile}`,
    `address   ${s.address}`,
    ...(s.handle ? [`handle    ${printable(s.handle)}`] : []),
    ...(s.connection ? [`network   ${connectionText(s.connection)}`] : []),
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

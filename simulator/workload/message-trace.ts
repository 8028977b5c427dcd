// A message log read as a workload (docs/simulator.md §Trace workload):
//
//   sender,recipient,time
//   alice,bob,1700000000
//   bob,alice,2023-11-14T22:13:45Z
//
// - A header line names the columns; `sender`, `recipient` and `time` must
//   be among them (any order, any case); other columns are ignored (an
//   export often has more: sizes, kinds).
// - Users are named by any text (quoted to hold a comma, as in
//   graphs/csv-edge-list.ts); names get ids in order of first appearance.
// - A time is Unix seconds (a decimal number, fractions allowed) or an ISO
//   8601 date-time: YYYY-MM-DD, then optionally T or a space, hh:mm, :ss,
//   a fraction and a zone (Z or ±hh:mm). A date-time without a zone is UTC,
//   so a trace means the same on every machine of a distributed sweep.
// - Blank lines and lines starting with '#' are ignored; rows need not be
//   in time order (they are sorted, stably).
// Every problem is a MessageTraceError naming the 1-based line.

import { readFileSync, statSync } from 'node:fs';
import { csvRows, EdgeListFormatError, nameIds } from '../graphs/csv-edge-list.js';

export class MessageTraceError extends Error {
  /** 1-based line number; 0 when the error is not about one line. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'MessageTraceError';
    this.line = line;
  }
}

export interface MessageTrace {
  /** User names by id. */
  names: string[];
  /** Per message, in time order: sender id, recipient id, seconds after the first message. */
  from: Int32Array;
  to: Int32Array;
  offsetS: Float64Array;
  /** Time of the first message, Unix seconds. */
  startUnixS: number;
  /** Seconds from the first message to the last. */
  spanS: number;
}

/** Most messages one trace may hold (about 40 bytes each in memory). */
export const MAX_TRACE_MESSAGES = 20_000_000;

const UNIX_SECONDS = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Unix seconds of a trace time, or null when it is neither Unix seconds nor ISO 8601. */
export function parseTraceTime(text: string): number | null {
  if (UNIX_SECONDS.test(text)) {
    const s = Number(text);
    return Number.isFinite(s) ? s : null;
  }
  const m = ISO_8601.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2023-02-30 over into March: a day that does not exist is refused.
  if (new Date(ms).getUTCDate() !== day) return null;
  let zoneMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2));
    if (hours > 23 || minutes > 59) return null;
    zoneMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return ms / 1000 + (m[7] ? Number(m[7]) : 0) - zoneMinutes * 60;
}

/** The data rows, with a quoting error as a MessageTraceError. */
function* rowsOf(text: string): Generator<{ line: number; fields: string[] }> {
  try {
    yield* csvRows(text);
  } catch (err) {
    if (err instanceof EdgeListFormatError) throw new MessageTraceError(err.line, err.message.replace(/^edge list line \d+: /, ''));
    throw err;
  }
}

export function parseMessageTrace(text: string): MessageTrace {
  const { names, idOf } = nameIds();
  const from: number[] = [];
  const to: number[] = [];
  const times: number[] = [];
  let columns: { sender: number; recipient: number; time: number; count: number } | null = null;

  for (const { line, fields } of rowsOf(text)) {
    if (columns === null) {
      const header = fields.map((f) => f.toLowerCase());
      const find = (name: string): number => {
        const at = header.indexOf(name);
        if (at < 0) throw new MessageTraceError(line, `the header ${JSON.stringify(fields.join(','))} has no column "${name}"; expected sender,recipient,time`);
        if (header.indexOf(name, at + 1) >= 0) throw new MessageTraceError(line, `the header names the column "${name}" twice`);
        return at;
      };
      columns = { sender: find('sender'), recipient: find('recipient'), time: find('time'), count: fields.length };
      continue;
    }
    if (fields.length !== columns.count) throw new MessageTraceError(line, `expected ${columns.count} fields as the header has, got ${fields.length}`);
    const sender = fields[columns.sender];
    const recipient = fields[columns.recipient];
    if (sender === '') throw new MessageTraceError(line, 'the sender is empty');
    if (recipient === '') throw new MessageTraceError(line, 'the recipient is empty');
    if (sender === recipient) throw new MessageTraceError(line, `${JSON.stringify(sender)} writes to itself`);
    const time = parseTraceTime(fields[columns.time]);
    if (time === null) throw new MessageTraceError(line, `time ${JSON.stringify(fields[columns.time])} is neither Unix seconds nor an ISO 8601 date-time (e.g. 2024-03-01T12:00:00Z)`);
    if (times.length >= MAX_TRACE_MESSAGES) throw new MessageTraceError(line, `more than ${MAX_TRACE_MESSAGES} messages`);
    from.push(idOf(sender));
    to.push(idOf(recipient));
    times.push(time);
  }
  if (columns === null) throw new MessageTraceError(0, 'the trace is empty; expected a header sender,recipient,time and one line per message');
  if (times.length === 0) throw new MessageTraceError(0, 'the trace has a header but no messages');

  // Stable sort by time: messages logged at the same second keep their order.
  const order = Array.from(times.keys()).sort((a, b) => times[a] - times[b] || a - b);
  const startUnixS = times[order[0]];
  const trace: MessageTrace = {
    names,
    from: Int32Array.from(order, (i) => from[i]),
    to: Int32Array.from(order, (i) => to[i]),
    offsetS: Float64Array.from(order, (i) => times[i] - startUnixS),
    startUnixS,
    spanS: times[order[order.length - 1]] - startUnixS,
  };
  return trace;
}

const cache = new Map<string, { mtimeMs: number; size: number; trace: MessageTrace }>();

/**
 * Reads a trace file. Parsed traces are kept per path while the file's size
 * and modification time stay the same: a sweep checks every job's
 * configuration, and each would otherwise parse the file again.
 */
export function loadMessageTrace(path: string): MessageTrace {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new MessageTraceError(0, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const cached = cache.get(path);
  if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.trace;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MessageTraceError(0, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const trace = parseMessageTrace(text);
  // A handful of traces at most in one process; the oldest goes first.
  if (cache.size >= 4) cache.delete(cache.keys().next().value as string);
  cache.set(path, { mtimeMs: stat.mtimeMs, size: stat.size, trace });
  return trace;
}

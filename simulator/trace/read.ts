// Reading traces of a real network (protocol/trace/events.ts; docs/simulator.md
// §Trace mode) for `chaff sim attack`.
//
// - A path is a trace file or a folder; a folder stands for every `*.jsonl`
//   directly inside it (sorted by name). A file named twice is read once.
// - Every non-blank line is one event, decoded with decodeTraceEvent; a bad
//   line is a TraceReadError naming the file and its 1-based line number.
// - A file's role comes from its events, not its name: `observer` (send,
//   fetch, deposit: a gateway's view), `truth` (message: a client's ground
//   truth) or `empty` (no events, e.g. a client that wrote nothing). A file
//   with both kinds is refused: the two sides come from different processes.
// - The events of all files are merged into one list ordered by time; equal
//   times keep the order of the files (sorted paths) and of their lines.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeTraceEvent, TraceFormatError, type TraceEvent } from '../../protocol/trace/events.js';

export class TraceReadError extends Error {
  constructor(message: string) {
    super(`trace: ${message}`);
    this.name = 'TraceReadError';
  }
}

export type TraceFileRole = 'observer' | 'truth' | 'empty';

export interface TraceFile {
  /** As resolved (absolute). */
  path: string;
  role: TraceFileRole;
  events: number;
}

export interface TracedEvent {
  event: TraceEvent;
  /** Index into TraceSet.files. */
  file: number;
}

export interface TraceSet {
  /** Sorted by path. */
  files: TraceFile[];
  /** Every event of every file, ordered by time (stable). */
  events: TracedEvent[];
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The files that `paths` name: files as given, folders as their `*.jsonl` files; resolved, unique, sorted. */
export function traceFilePaths(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new TraceReadError('no trace files given');
  const out = new Set<string>();
  for (const given of paths) {
    const path = resolve(given);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (err) {
      throw new TraceReadError(`cannot read ${given} (${errorCode(err)})`);
    }
    if (!isDir) {
      out.add(path);
      continue;
    }
    const inside = readdirSync(path, { withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.jsonl'))
      .map((d) => join(path, d.name));
    if (inside.length === 0) throw new TraceReadError(`folder ${given} holds no *.jsonl files`);
    for (const p of inside) out.add(p);
  }
  return [...out].sort();
}

/** The events of one file's text, in line order; `name` is used in errors. */
export function parseTraceText(text: string, name: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  let observerLine = 0;
  let truthLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let event: TraceEvent;
    try {
      event = decodeTraceEvent(line);
    } catch (err) {
      if (err instanceof TraceFormatError) throw new TraceReadError(`${name} line ${i + 1}: ${err.message.replace(/^trace: /, '')}`);
      throw err;
    }
    if (event.ev === 'message') truthLine ||= i + 1;
    else observerLine ||= i + 1;
    if (observerLine && truthLine) {
      throw new TraceReadError(
        `${name} line ${i + 1}: the file mixes observer events (line ${observerLine}) and truth events (line ${truthLine}); a gateway's trace and a client's truth are separate files`,
      );
    }
    events.push(event);
  }
  return events;
}

/** Reads every trace file that `paths` name (files or folders) and merges their events by time. */
export function readTraces(paths: readonly string[]): TraceSet {
  const files: TraceFile[] = [];
  const perFile: TraceEvent[][] = [];
  for (const path of traceFilePaths(paths)) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new TraceReadError(`cannot read ${path} (${errorCode(err)})`);
    }
    const events = parseTraceText(text, path);
    const role: TraceFileRole = events.length === 0 ? 'empty' : events[0].ev === 'message' ? 'truth' : 'observer';
    files.push({ path, role, events: events.length });
    perFile.push(events);
  }
  const events: TracedEvent[] = perFile.flatMap((list, file) => list.map((event) => ({ event, file })));
  // Array.prototype.sort is stable (a merge sort): ties keep file and line order.
  events.sort((a, b) => a.event.t - b.event.t);
  return { files, events };
}

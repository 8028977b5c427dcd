// Loads a social graph from a CSV edge list, e.g. an exported contact or
// message log:
//
//   source,target[,weight]      one edge per line; weight defaults to 1
//
// - Users are named by any text; names get ids 0, 1, … in order of first
//   appearance (graph.names maps ids back to names).
// - Fields are separated by commas, with surrounding spaces trimmed. A field
//   may be double-quoted to hold commas; "" inside quotes is a quote.
// - Blank lines and lines starting with '#' are ignored.
// - Header: with `header: 'auto'` (the default) the first data line is a
//   header when its fields are source,target or source,target,weight (any
//   case); `true` always skips the first data line, `false` never does.
// - A weight must be a positive finite decimal number (e.g. 3, 0.5, 1e3).
// - Self-loops (a user to itself) are skipped and counted by default, since
//   messages to oneself say nothing about the social graph; `selfLoops:
//   'error'` refuses them. A user seen only in a self-loop still gets an id.
// - Duplicate edges (in an undirected graph, b,a repeats a,b) have their
//   weights summed by default, so a log with one line per message becomes
//   a graph weighted by message counts; 'max' and 'first' keep the largest
//   or the first weight, 'error' refuses the file.
// Every error is an EdgeListFormatError naming the 1-based line number.

import { readFileSync } from 'node:fs';
import { SocialGraph } from './social-graph.js';

export class EdgeListFormatError extends Error {
  /** 1-based line number; 0 when the error is not about one line. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(line > 0 ? `edge list line ${line}: ${message}` : `edge list: ${message}`);
    this.name = 'EdgeListFormatError';
    this.line = line;
  }
}

export interface EdgeListOptions {
  directed?: boolean;
  header?: 'auto' | boolean;
  selfLoops?: 'skip' | 'error';
  duplicates?: 'sum' | 'max' | 'first' | 'error';
}

export interface EdgeListResult {
  graph: SocialGraph;
  /** Self-loop lines skipped. */
  selfLoopsSkipped: number;
  /** Lines that repeated an earlier edge and were merged into it. */
  duplicatesMerged: number;
}

const NUMBER = /^\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Splits one CSV line into trimmed fields (RFC 4180 quoting within a line). */
function splitFields(text: string, line: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new EdgeListFormatError(line, 'unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',') throw new EdgeListFormatError(line, 'unexpected text after a quoted field');
    } else {
      const end = text.indexOf(',', i);
      const raw = end === -1 ? text.slice(i) : text.slice(i, end);
      if (raw.includes('"')) throw new EdgeListFormatError(line, 'a quote inside an unquoted field (quote the whole field)');
      field = raw.trim();
      i = end === -1 ? text.length : end;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** Ids for names in order of first appearance: `names[idOf(x)] === x`. */
export function nameIds(): { names: string[]; idOf: (name: string) => number } {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const idOf = (name: string): number => {
    let id = ids.get(name);
    if (id === undefined) {
      id = names.length;
      ids.set(name, id);
      names.push(name);
    }
    return id;
  };
  return { names, idOf };
}

/** The lines of a CSV text that hold data, with their 1-based numbers, split into fields (blank lines and '#' comments skipped, a BOM dropped). */
export function* csvRows(text: string): Generator<{ line: number; fields: string[] }> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const trimmed = lines[index].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    yield { line: index + 1, fields: splitFields(lines[index], index + 1) };
  }
}

function isHeader(fields: string[]): boolean {
  const f = fields.map((x) => x.toLowerCase());
  return f[0] === 'source' && f[1] === 'target' && (f.length === 2 || f[2] === 'weight');
}

export function parseEdgeListCsv(text: string, options: EdgeListOptions = {}): EdgeListResult {
  const directed = options.directed ?? false;
  const header = options.header ?? 'auto';
  const selfLoops = options.selfLoops ?? 'skip';
  const duplicates = options.duplicates ?? 'sum';
  const { names, idOf } = nameIds();
  // key "u v" (u < v when undirected) → index into `edges`
  const seen = new Map<string, number>();
  const edges: Array<{ source: number; target: number; weight: number; line: number }> = [];
  let selfLoopsSkipped = 0;
  let duplicatesMerged = 0;
  let firstDataLine = true;

  for (const { line, fields } of csvRows(text)) {
    if (firstDataLine) {
      firstDataLine = false;
      if (header === true || (header === 'auto' && isHeader(fields))) continue;
    }
    if (fields.length < 2 || fields.length > 3) {
      throw new EdgeListFormatError(line, `expected source,target[,weight], got ${fields.length} field${fields.length === 1 ? '' : 's'}`);
    }
    const [sourceName, targetName] = fields;
    if (sourceName === '' || targetName === '') throw new EdgeListFormatError(line, 'empty user name');
    let weight = 1;
    if (fields.length === 3) {
      weight = NUMBER.test(fields[2]) ? Number(fields[2]) : Number.NaN;
      if (!Number.isFinite(weight) || weight <= 0) throw new EdgeListFormatError(line, `weight ${JSON.stringify(fields[2])} is not a positive number`);
    }
    let u = idOf(sourceName);
    let v = idOf(targetName);
    if (u === v) {
      if (selfLoops === 'error') throw new EdgeListFormatError(line, `self-loop: ${JSON.stringify(sourceName)} to itself`);
      selfLoopsSkipped++;
      continue;
    }
    if (!directed && u > v) [u, v] = [v, u];
    const key = `${u} ${v}`;
    const earlier = seen.get(key);
    if (earlier === undefined) {
      seen.set(key, edges.length);
      edges.push({ source: u, target: v, weight, line });
      continue;
    }
    const edge = edges[earlier];
    if (duplicates === 'error') throw new EdgeListFormatError(line, `duplicate of the edge on line ${edge.line}`);
    duplicatesMerged++;
    if (duplicates === 'sum') edge.weight += weight;
    else if (duplicates === 'max') edge.weight = Math.max(edge.weight, weight);
  }
  const graph = new SocialGraph(names.length, edges, { directed, names });
  return { graph, selfLoopsSkipped, duplicatesMerged };
}

export function loadEdgeListCsv(path: string, options: EdgeListOptions = {}): EdgeListResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EdgeListFormatError(0, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseEdgeListCsv(text, options);
}

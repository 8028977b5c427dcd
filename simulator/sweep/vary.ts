// `--vary KEY=V1,V2,…`: which configuration key a sweep changes and to what.
// Each value is read as a TOML value (smol-toml), so 20 and 1_000 are
// integers, 0.5 and 1e-3 floats, true/false booleans, "a,b" a quoted string
// and [250, 500] an array; anything TOML cannot read is taken as a bare
// string (e.g. `mode=pool,loopix`). Commas inside quotes or brackets do not
// split. Several --vary options make a cartesian product (cartesian.ts).

import { parse as parseToml } from 'smol-toml';

export type VaryScalar = string | number | boolean;
export type VaryValue = VaryScalar | VaryScalar[];

export interface VaryAxis {
  /** A configuration key; dotted for a nested table ("client.rate"). */
  key: string;
  values: VaryValue[];
}

export class VaryError extends Error {
  /** The key the error is about ("" when the option has none). */
  readonly key: string;
  constructor(key: string, message: string) {
    super(key ? `--vary ${key}: ${message}` : `--vary: ${message}`);
    this.name = 'VaryError';
    this.key = key;
  }
}

/** TOML bare keys, dot-separated. */
const KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Splits at commas that are outside double quotes and brackets. */
function splitValues(key: string, text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw new VaryError(key, `unbalanced "]" in ${JSON.stringify(text)}`);
  }
  if (quoted) throw new VaryError(key, `unterminated quote in ${JSON.stringify(text)}`);
  if (depth !== 0) throw new VaryError(key, `unbalanced "[" in ${JSON.stringify(text)}`);
  out.push(text.slice(start));
  return out;
}

function isScalar(v: unknown): v is VaryScalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** One value, typed as TOML types it; a bare word stays a string. */
export function parseVaryValue(key: string, text: string): VaryValue {
  const trimmed = text.trim();
  if (trimmed === '') throw new VaryError(key, 'a value is empty (two commas in a row, or a trailing comma?)');
  let parsed: unknown;
  try {
    parsed = parseToml(`v = ${trimmed}`).v;
  } catch {
    if (/^["'[]/.test(trimmed)) throw new VaryError(key, `${trimmed} is not a valid TOML string or array`);
    return trimmed;
  }
  if (typeof parsed === 'number' && !Number.isFinite(parsed)) throw new VaryError(key, `${trimmed} is not a finite number`);
  if (isScalar(parsed)) return parsed;
  if (Array.isArray(parsed) && parsed.every(isScalar)) return parsed;
  // A TOML date, an inline table or a nested array: not something a sweep varies.
  if (Array.isArray(parsed)) throw new VaryError(key, `${trimmed}: only arrays of numbers, strings or booleans are supported`);
  return trimmed;
}

function sameValue(a: VaryValue, b: VaryValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One `KEY=V1,V2,…` option. */
export function parseVaryOption(option: string): VaryAxis {
  const eq = option.indexOf('=');
  if (eq < 0) throw new VaryError('', `${JSON.stringify(option)} has no "=": expected KEY=V1,V2,…`);
  const key = option.slice(0, eq).trim();
  if (key === '') throw new VaryError('', `${JSON.stringify(option)} has no key before "="`);
  if (!KEY.test(key)) throw new VaryError(key, 'not a configuration key (letters, digits, _ and -, dot-separated)');
  const text = option.slice(eq + 1);
  if (text.trim() === '') throw new VaryError(key, 'no values after "="');
  const values = splitValues(key, text).map((v) => parseVaryValue(key, v));
  values.forEach((v, i) => {
    if (values.findIndex((w) => sameValue(v, w)) !== i) throw new VaryError(key, `value ${JSON.stringify(v)} is listed twice`);
  });
  return { key, values };
}

/** All `--vary` options of one sweep; a key may be varied only once. */
export function parseVary(options: readonly string[]): VaryAxis[] {
  if (options.length === 0) throw new VaryError('', 'a sweep needs at least one --vary KEY=V1,V2,…');
  const axes = options.map(parseVaryOption);
  axes.forEach((a, i) => {
    const clash = axes.findIndex((b) => b.key === a.key || b.key.startsWith(`${a.key}.`) || a.key.startsWith(`${b.key}.`));
    // findIndex finds `a` itself at i at the latest, so clash ≤ i.
    if (clash !== i) throw new VaryError(a.key, axes[clash].key === a.key ? 'the key is varied twice' : `overlaps --vary ${axes[clash].key}`);
  });
  return axes;
}

/** How a value is written in labels, file names and CSV: arrays as "[a, b]". */
export function formatVaryValue(value: VaryValue): string {
  return Array.isArray(value) ? `[${value.map((v) => formatVaryValue(v)).join(', ')}]` : String(value);
}

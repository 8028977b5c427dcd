// One authority's admission list: which node identities its operator admits
// (docs/pki.md §Admission, docs/operators.md §Admitting nodes). It lives in
// the authority's data folder as `admissions.toml`, is edited with
// `chaff node admit|suspend|revoke` (or by hand) while the authority runs,
// and is re-read when it changes.
//
//   [[admission]]
//   identity = "3b6a…"            # the node's Ed25519 identity key, 64 hex digits
//   status = "admitted"           # "admitted" | "suspended" | "revoked"
//   role = "mix"                  # optional: "mix" | "gateway" (absent: either)
//   note = "alice's mix, asked on 2026-12-01"   # optional, for the operators
//   changed = "2026-12-06T19:00:00.000Z"        # set by the CLI
//
// Only "admitted" entries admit. "suspended" is a pause (admit again at any
// time); "revoked" is final: `admit` refuses a revoked key unless forced.

import { stat, readFile } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { MAX_ADMITTED, type AdmissionEntry, type AdmittedRole } from '../../protocol/pki/admission.js';
import type { NodeRole } from '../../protocol/pki/descriptor.js';
import { writeFileAtomic } from '../../runtime/fs/atomic-write.js';

export const ADMISSIONS_FILE = 'admissions.toml';
export const ADMISSION_STATUSES = ['admitted', 'suspended', 'revoked'] as const;
export type AdmissionStatus = (typeof ADMISSION_STATUSES)[number];

export interface AdmissionRecord {
  /** Lower-case hex Ed25519 identity key. */
  identity: string;
  status: AdmissionStatus;
  role: AdmittedRole;
  note: string;
  /** RFC 3339 time of the last change, or '' when written by hand without one. */
  changed: string;
}

export class AdmissionFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdmissionFileError';
  }
}

const HEX_KEY = /^[0-9a-f]{64}$/;
const NOTE = /^[^\x00-\x1f\x7f]{0,200}$/;

/** Checks and normalises an identity key given by an operator (hex, any case). */
export function parseIdentity(text: string): string {
  const key = text.trim().toLowerCase();
  if (!HEX_KEY.test(key)) throw new AdmissionFileError(`"${text}" is not an identity key: expected 64 hex digits (the "identity" printed by chaff node identity)`);
  return key;
}

/** Parses the admission file's text. Throws AdmissionFileError naming the entry and field. */
export function parseAdmissions(text: string): AdmissionRecord[] {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new AdmissionFileError(`not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  for (const k of Object.keys(raw)) if (k !== 'admission') throw new AdmissionFileError(`unknown key "${k}": only [[admission]] tables are allowed`);
  const list = raw.admission ?? [];
  if (!Array.isArray(list)) throw new AdmissionFileError('admission must be an array of tables ([[admission]])');
  const seen = new Set<string>();
  let admitted = 0;
  const out = list.map((e: unknown, i: number): AdmissionRecord => {
    const where = `admission #${i + 1}`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new AdmissionFileError(`${where} is not a table`);
    const t = e as Record<string, unknown>;
    for (const k of Object.keys(t)) if (!['identity', 'status', 'role', 'note', 'changed'].includes(k)) throw new AdmissionFileError(`${where}: unknown key "${k}"`);
    if (typeof t.identity !== 'string') throw new AdmissionFileError(`${where}: identity is missing`);
    const identity = parseIdentity(t.identity);
    if (seen.has(identity)) throw new AdmissionFileError(`${where}: identity ${identity} is listed twice`);
    seen.add(identity);
    const status = t.status ?? 'admitted';
    if (typeof status !== 'string' || !(ADMISSION_STATUSES as readonly string[]).includes(status)) throw new AdmissionFileError(`${where}: status must be one of ${ADMISSION_STATUSES.join(', ')}`);
    const role = t.role ?? null;
    if (role !== null && role !== 'mix' && role !== 'gateway') throw new AdmissionFileError(`${where}: role must be "mix" or "gateway" (or absent for either)`);
    const note = t.note ?? '';
    if (typeof note !== 'string' || !NOTE.test(note)) throw new AdmissionFileError(`${where}: note must be a one-line string of at most 200 characters`);
    const changed = t.changed ?? '';
    if (typeof changed !== 'string') throw new AdmissionFileError(`${where}: changed must be a string`);
    if (status === 'admitted') admitted++;
    return { identity, status: status as AdmissionStatus, role: role as AdmittedRole, note, changed };
  });
  if (admitted > MAX_ADMITTED) throw new AdmissionFileError(`${admitted} admitted nodes, at most ${MAX_ADMITTED}`);
  return out;
}

const str = (s: string): string => JSON.stringify(s);

/** The file's text for `records` (a header comment, then one table per record). */
export function formatAdmissions(records: readonly AdmissionRecord[]): string {
  const lines = [
    '# Chaff authority admission list (docs/operators.md §Admitting nodes).',
    '# Edit with `chaff node admit|suspend|revoke --config <authority.toml> <identity>`;',
    '# the running authority re-reads this file when it changes.',
    '',
  ];
  for (const r of records) {
    lines.push('[[admission]]', `identity = ${str(r.identity)}`, `status = ${str(r.status)}`);
    if (r.role) lines.push(`role = ${str(r.role)}`);
    if (r.note) lines.push(`note = ${str(r.note)}`);
    if (r.changed) lines.push(`changed = ${str(r.changed)}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Reads the file; a missing file is an empty list. */
export async function readAdmissions(path: string): Promise<AdmissionRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AdmissionFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parseAdmissions(text);
}

export interface AdmissionChange {
  status: AdmissionStatus;
  /** undefined keeps the role already recorded. */
  role?: AdmittedRole;
  /** undefined keeps the note already recorded. */
  note?: string;
  /** Admit a revoked key again. */
  force?: boolean;
}

/**
 * Sets one identity's status in the file at `path` (created if missing),
 * written atomically (temporary file, fsync, rename), so the running
 * authority reads either the old list or the new one. Returns the record.
 */
export async function editAdmission(path: string, identity: string, change: AdmissionChange, now: Date): Promise<AdmissionRecord> {
  const key = parseIdentity(identity);
  if (change.note !== undefined && !NOTE.test(change.note)) throw new AdmissionFileError('the note must be one line of at most 200 characters');
  const records = await readAdmissions(path);
  let record = records.find((r) => r.identity === key);
  if (record?.status === 'revoked' && change.status === 'admitted' && !change.force) {
    throw new AdmissionFileError(`${key} was revoked; revocation is final (use --force to admit it again)`);
  }
  if (!record) {
    record = { identity: key, status: change.status, role: null, note: '', changed: '' };
    records.push(record);
  }
  record.status = change.status;
  if (change.role !== undefined) record.role = change.role;
  if (change.note !== undefined) record.note = change.note;
  record.changed = now.toISOString();
  const text = formatAdmissions(records);
  parseAdmissions(text); // never write a file the authority would refuse (e.g. too many admitted)
  await writeFileAtomic(path, new TextEncoder().encode(text), 0o644);
  return record;
}

/**
 * The list a running authority admits by: loaded at start, re-read by
 * `refresh()` when the file's size, mtime or inode changed. A file that does
 * not parse leaves the last good list in force (and is reported).
 */
export class AdmissionList {
  readonly path: string;
  #admitted = new Map<string, AdmittedRole>();
  #stamp = '';
  #records: AdmissionRecord[] = [];
  /** Reloads that found a broken file (the previous list stayed in force). */
  errors = 0;
  reloads = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Re-reads the file if it changed; returns the error if the new file is refused. */
  async refresh(): Promise<{ changed: boolean; error?: string }> {
    let stamp: string;
    try {
      const s = await stat(this.path);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.#stamp) return { changed: false };
    try {
      const records = stamp === 'missing' ? [] : await readAdmissions(this.path);
      this.#stamp = stamp;
      this.#records = records;
      this.#admitted = new Map(records.filter((r) => r.status === 'admitted').map((r) => [r.identity, r.role]));
      this.reloads++;
      return { changed: true };
    } catch (err) {
      this.#stamp = stamp; // report a broken file once, not on every refresh
      this.errors++;
      return { changed: false, error: (err as Error).message };
    }
  }

  /** Whether `identityKey` is admitted in `role` now. */
  admits(identityKey: Uint8Array, role: NodeRole): boolean {
    const r = this.#admitted.get(toHex(identityKey));
    return r !== undefined && (r === null || r === role);
  }

  /** The admitted identities now, for this authority's signed view. */
  entries(): AdmissionEntry[] {
    return [...this.#admitted].map(([k, role]) => ({ identityKey: fromHex(k), role }));
  }

  records(): readonly AdmissionRecord[] {
    return this.#records;
  }

  get size(): number {
    return this.#admitted.size;
  }
}

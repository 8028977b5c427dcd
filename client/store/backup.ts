// Exporting a whole profile to one encrypted file, and importing it into a
// new profile folder (`chaff client export` / `import`; the bytes are in
// backup-format.ts, docs/client-storage.md §Backup file).
//
// The backup is logical: every record of every collection (keys, contacts,
// sessions, history, files, queues, groups, settings records) as its
// encoded value, plus the folder's settings file. Import writes them into a
// new database under a new master key, so the copy shares nothing with the
// original's profile.json. It is built in a hidden folder beside the target
// and renamed into place only when complete: a failed or interrupted import
// leaves no half profile where the user asked for one.

import { existsSync, readdirSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { bytesCodec } from './codecs.js';
import {
  BACKUP_FILES,
  BackupError,
  MAX_PAYLOAD_BYTES,
  backupFileLength,
  decodeBackupPayload,
  encodeBackupPayload,
  openBackup,
  parseBackupHeader,
  sealBackup,
  type BackupContents,
  type BackupRandom,
} from './backup-format.js';
import type { ScryptParams } from './passphrase.js';
import { PROFILE_FILE, ProfileExistsError, readProfileFile, syncFolder } from './profile-key.js';
import { createProfile, openProfile } from './profile.js';
import { DB_FOLDER, type SealedStore } from './sealed-store.js';

/** Records written per LevelDB batch on import (a batch is held in memory until written). */
const IMPORT_BATCH_RECORDS = 256;
const IMPORT_BATCH_BYTES = 8 * 1024 * 1024;

export interface ExportOptions {
  /** The collections the caller knows (the daemon's list); the store's own registry is exported in full. */
  collections: readonly string[];
  /** The backup's passphrase; default the profile's. */
  backupPassphrase?: string;
  /** scrypt cost of the backup; default the profile's own (profile.json). */
  scrypt?: ScryptParams;
  /** When the backup is made (ms); default now. */
  nowMs?: number;
  /** Salts; default node:crypto. Tests only. */
  random?: BackupRandom;
}

export interface BackupSummary {
  /** Records per collection. */
  records: Record<string, number>;
  /** Settings files carried. */
  files: string[];
  /** Records that failed authentication in the profile and were left out (export only). */
  skippedCorrupt: number;
  /** Bytes of the backup file. */
  bytes: number;
  createdMs: number;
}

/** The backup file exists; export never replaces a file. */
export class BackupExistsError extends BackupError {
  constructor(file: string) {
    super(`${file} exists; export writes a new file (choose another name, or remove that one)`, file);
  }
}

/** The import target holds something other than nothing. */
export class ImportTargetError extends BackupError {
  constructor(
    readonly folder: string,
    detail: string,
  ) {
    super(`cannot import into ${folder}: ${detail}`, folder);
  }
}

const systemRandom: BackupRandom = (length) => new Uint8Array(randomBytes(length));

/**
 * Writes a backup of the profile in `dir` to `file` (a new file, mode 0600).
 * Opens the profile with `passphrase`, so the daemon must not hold it
 * (ProfileInUseError). Throws the errors of openProfile, BackupExistsError,
 * and fs errors.
 */
export async function exportProfile(dir: string, passphrase: string, file: string, opts: ExportOptions): Promise<BackupSummary> {
  if (existsSync(file)) throw new BackupExistsError(file);
  const store = await openProfile(dir, passphrase, { collections: opts.collections });
  try {
    return await exportStore(store, dir, file, { ...opts, backupPassphrase: opts.backupPassphrase ?? passphrase });
  } finally {
    await store.close();
  }
}

/**
 * Writes a backup of an open profile store (a running daemon's: its
 * passphrase is not kept, so the backup's is given) and of the settings
 * files of its folder `dir`. The records are read in one consistent state
 * (SealedStore.quiesced): the store's writes wait for the read, not for the
 * key derivation and encryption after it.
 */
export async function exportStore(store: SealedStore, dir: string, file: string, opts: StoreBackupOptions): Promise<BackupSummary> {
  if (existsSync(file)) throw new BackupExistsError(file);
  const { sealed, summary } = await backupStore(store, dir, opts);
  await writeNewFile(file, sealed);
  return summary;
}

export type StoreBackupOptions = Omit<ExportOptions, 'collections' | 'backupPassphrase'> & { backupPassphrase: string };

/**
 * The bytes of a backup file of an open profile store and the settings files
 * of its folder `dir`, as exportStore writes them (the daemon's API hands
 * them to a front end: profile.backup). Held in memory whole: the caller
 * bounds what it can carry.
 */
export async function backupStore(store: SealedStore, dir: string, opts: StoreBackupOptions): Promise<{ sealed: Uint8Array; summary: BackupSummary }> {
  const scrypt = opts.scrypt ?? (await readProfileFile(dir)).scrypt;
  const contents: BackupContents = { createdMs: opts.nowMs ?? Date.now(), collections: [...store.collections], records: [], files: [] };
  let skippedCorrupt = 0;
  await store.quiesced(async () => {
    for (const name of store.collections) {
      const collection = store.collection(name, bytesCodec);
      const records = await collection.list();
      // count() sees every key; list() only the records that authenticate.
      skippedCorrupt += (await collection.count()) - records.length;
      for (const [id, value] of records) contents.records.push({ collection: name, id, value });
    }
  });
  for (const name of BACKUP_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) contents.files.push({ name, data: new Uint8Array(await readFile(path)) });
  }
  const sealed = await sealBackup(encodeBackupPayload(contents), opts.backupPassphrase, scrypt, opts.random ?? systemRandom);
  return { sealed, summary: { ...summarize(contents), skippedCorrupt, bytes: sealed.length } };
}

/**
 * Restores the backup `file` into the new profile folder `dir` (absent or
 * empty), protected by the backup's passphrase and scrypt cost. Throws
 * ImportTargetError or ProfileExistsError when `dir` holds anything, the
 * errors of openBackup (NotABackupError, WrongBackupPassphraseError,
 * BackupTruncatedError, BackupCorruptError), and fs errors.
 */
export async function importProfile(file: string, passphrase: string, dir: string): Promise<BackupSummary> {
  checkTarget(dir);
  const bytes = await readBackupFile(file);
  const header = parseBackupHeader(file, bytes);
  const contents = decodeBackupPayload(file, await openBackup(file, bytes, passphrase));
  const target = resolve(dir);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const staging = join(dirname(target), `.${basename(target)}.import-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  try {
    await writeProfile(staging, passphrase, header.scrypt, contents);
    checkTarget(dir); // again: something may have appeared while the key was derived
    try {
      await rename(staging, target); // replaces an empty folder; fails on a non-empty one
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new ImportTargetError(dir, 'it is not empty');
      throw e;
    }
    await syncFolder(dirname(target));
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  return { ...summarize(contents), skippedCorrupt: 0, bytes: bytes.length };
}

async function writeProfile(dir: string, passphrase: string, scrypt: ScryptParams, contents: BackupContents): Promise<void> {
  const store = await createProfile(dir, passphrase, { collections: contents.collections, scrypt });
  try {
    const handles = new Map(contents.collections.map((name) => [name, store.collection(name, bytesCodec)]));
    let batch = store.batch();
    let batchBytes = 0;
    for (const r of contents.records) {
      batch.put(handles.get(r.collection)!, r.id, r.value);
      batchBytes += r.value.length;
      if (batch.length >= IMPORT_BATCH_RECORDS || batchBytes >= IMPORT_BATCH_BYTES) {
        await batch.write();
        batch = store.batch();
        batchBytes = 0;
      }
    }
    await batch.write({ sync: true });
  } finally {
    await store.close();
  }
  for (const f of contents.files) await writeFile(join(dir, f.name), f.data, { mode: 0o600, flag: 'wx' });
}

function checkTarget(dir: string): void {
  if (!existsSync(dir)) return;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new ImportTargetError(dir, `it is not a folder that can be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (entries.includes(PROFILE_FILE)) throw new ProfileExistsError(join(dir, PROFILE_FILE));
  if (entries.includes(DB_FOLDER)) throw new ProfileExistsError(join(dir, DB_FOLDER));
  if (entries.length > 0) throw new ImportTargetError(dir, 'it is not empty; import into a new folder');
}

async function readBackupFile(file: string): Promise<Uint8Array> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new BackupError(`cannot read the backup ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  if (size > backupFileLength(MAX_PAYLOAD_BYTES)) throw new BackupError(`${file} is ${size} bytes, larger than any chaff backup`, file);
  return new Uint8Array(await readFile(file));
}

/** Writes `bytes` to a new file: a temporary file, flushed, then linked to `file` (which fails if it exists, so nothing is replaced). */
async function writeNewFile(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupExistsError(file);
      throw e;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncFolder(dirname(resolve(file)));
}

function summarize(contents: BackupContents): Omit<BackupSummary, 'skippedCorrupt' | 'bytes'> {
  const records: Record<string, number> = {};
  for (const name of contents.collections) records[name] = 0;
  for (const r of contents.records) records[r.collection] = (records[r.collection] ?? 0) + 1;
  return { records, files: contents.files.map((f) => f.name), createdMs: contents.createdMs };
}

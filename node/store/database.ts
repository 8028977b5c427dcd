// Opening and closing one LevelDB folder for a node store, with typed errors
// an operator can act on (folder in use, store corrupt) instead of LevelDB's
// generic "Database failed to open". Also the byte helpers every store's key
// layout uses. Layouts are written down in docs/storage.md.

import { existsSync, readdirSync } from 'node:fs';
import { Level } from 'level';

/** A LevelDB with raw byte keys and values. */
export type Db = Level<Uint8Array, Uint8Array>;

/** First key byte: each namespace of a store folder (see docs/storage.md). */
export const Namespace = {
  /** Store metadata: kind, sequence high-water mark, close marker. */
  meta: 0x00,
  /** Replay cache: epoch ‖ tag. */
  replay: 0x01,
  /** Mailbox messages: mailboxId ‖ sequence. */
  mailbox: 0x02,
  /** Mailbox deposit-time index: depositMs ‖ mailboxId ‖ sequence (empty values). */
  mailboxByTime: 0x04,
} as const;

/** Base class of every store error; names the data folder. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly folder: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The folder is locked by another process, or already open in this one. */
export class DataFolderLockedError extends StoreError {
  constructor(folder: string, cause?: unknown) {
    super(`another node is using the data folder ${folder} (its LevelDB LOCK is held); stop that node or choose another folder`, folder, { cause });
  }
}

/** LevelDB's own files are damaged; opening would lose or misread data. */
export class StoreCorruptError extends StoreError {
  constructor(folder: string, detail: string, cause?: unknown) {
    super(
      `the store in ${folder} is corrupt (${detail}); the node will not start on it. ` +
        'Restore the folder from a backup, or repair a copy with ClassicLevel.repair(folder) and check what it recovered, ' +
        'or move the folder aside to start empty',
      folder,
      { cause },
    );
  }
}

/** The folder holds a different kind of store (e.g. a mailbox store opened as a replay cache). */
export class StoreKindError extends StoreError {
  constructor(folder: string, expected: string, found: string) {
    super(`the data folder ${folder} holds a ${found} store, not a ${expected} store`, folder);
  }
}

/** The store was closed; the call did nothing. */
export class StoreClosedError extends StoreError {
  constructor(folder: string) {
    super(`the store in ${folder} is closed`, folder);
  }
}

/** Any other failure to open (permissions, disk full, ...). */
export class StoreOpenError extends StoreError {
  constructor(folder: string, cause: unknown) {
    super(`cannot open the store in ${folder}: ${causeMessage(cause)}`, folder, { cause });
  }
}

function causeMessage(e: unknown): string {
  const cause = (e as { cause?: { message?: string } }).cause;
  return cause?.message ?? (e as Error).message ?? String(e);
}

const KIND_KEY = metaKey('kind');
const CLOSE_KEY = metaKey('last-close');

/** A key in the metadata namespace: 0x00 ‖ UTF-8 name. */
export function metaKey(name: string): Uint8Array {
  const n = new TextEncoder().encode(name);
  const k = new Uint8Array(1 + n.length);
  k[0] = Namespace.meta;
  k.set(n, 1);
  return k;
}

// LevelDB files that exist only in a store that has been written to.
const LEVELDB_FILE = /^(MANIFEST-\d+|\d+\.(log|ldb|sst))$/;

/** An open store folder. */
export class Database {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly folder: string,
    readonly db: Db,
  ) {}

  /**
   * Opens (creating if needed) the LevelDB in `folder`, which must hold a
   * store of `kind` or be new. Throws DataFolderLockedError,
   * StoreCorruptError, StoreKindError or StoreOpenError.
   */
  static async open(folder: string, kind: string): Promise<Database> {
    // Without CURRENT, LevelDB's createIfMissing would start a fresh store
    // and then delete the old table files as obsolete: refuse instead.
    if (existsSync(folder)) {
      const files = readdirSync(folder);
      if (!files.includes('CURRENT') && files.some((f) => LEVELDB_FILE.test(f))) {
        throw new StoreCorruptError(folder, 'CURRENT is missing but LevelDB files are present');
      }
    }
    const db: Db = new Level<Uint8Array, Uint8Array>(folder, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open({ createIfMissing: true });
    } catch (e) {
      throw classifyOpenError(folder, e);
    }
    const database = new Database(folder, db);
    try {
      const found = await db.get(KIND_KEY);
      if (found === undefined) await db.put(KIND_KEY, new TextEncoder().encode(kind), { sync: true });
      else if (new TextDecoder().decode(found) !== kind) throw new StoreKindError(folder, kind, new TextDecoder().decode(found));
    } catch (e) {
      await db.close().catch(() => {});
      if (e instanceof StoreError) throw e;
      throw classifyOpenError(folder, e);
    }
    return database;
  }

  get isOpen(): boolean {
    return this.db.status === 'open';
  }

  /**
   * Flushes and closes; idempotent. The last write is synchronous: fsync of
   * LevelDB's log makes every earlier write durable too (the log is one
   * append-only file), so a gracefully closed store survives a power loss.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.db.status !== 'open') return;
      try {
        await this.db.put(CLOSE_KEY, new Uint8Array(0), { sync: true });
      } finally {
        await this.db.close();
      }
    })();
    return this.closing;
  }
}

function classifyOpenError(folder: string, e: unknown): StoreError {
  const code = (e as { cause?: { code?: string }; code?: string }).cause?.code ?? (e as { code?: string }).code;
  const message = causeMessage(e);
  if (code === 'LEVEL_LOCKED') return new DataFolderLockedError(folder, e);
  if (code === 'LEVEL_CORRUPTION') return new StoreCorruptError(folder, message, e);
  // A CURRENT that names a missing MANIFEST (garbage in CURRENT, a lost file)
  // surfaces as an I/O error about a file inside the folder.
  if (code === 'LEVEL_IO_ERROR' && /No such file or directory/.test(message) && existsSync(folder)) {
    return new StoreCorruptError(folder, message, e);
  }
  return new StoreOpenError(folder, e);
}

/** u64 big-endian of a non-negative safe integer (keys sort numerically). */
export function u64(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a u64 in the safe integer range: ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** Reads a u64 big-endian at `offset`; throws RangeError if beyond 2^53 − 1. */
export function readU64(bytes: Uint8Array, offset: number): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('u64 beyond the safe integer range');
  return Number(v);
}

// The client's encrypted record store: a LevelDB in `<profile>/db` where no
// record id, name, text or key is stored in clear. Byte layouts are in
// record-format.ts and docs/client-storage.md; in short:
//   LevelDB key   = collection tag (1) ‖ HMAC-SHA256(indexKey, collection ‖ 0 ‖ id)[0..16)
//   LevelDB value = 0x01 ‖ nonce (24) ‖ XChaCha20-Poly1305(valueKey, AD = 0x01 ‖ key)(id ‖ value ‖ padding)
//
// Collections are registered by position: tag = index in `collections` + 1.
// The list is stored (encrypted) in the database at the first open, and
// later opens must pass the same names in the same order (appending new
// ones is allowed), so a tag never changes meaning.
//
// Writes (puts, deletes, batches) commit in the order they were issued, so
// the newest state of a record is the one on disk; those issued while one
// commits go to disk together, with one fsync (group commit: StoreCore).
//
// A record that fails authentication or decoding is never returned as data:
// get() throws CorruptRecordError, list() skips it; both count it in stats(),
// so one damaged record never stops the daemon.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ctEqual, toHex, zeroize } from '../../protocol/bytes.js';
import type { Codec } from './codecs.js';
import { openLevelFolder, type RawDb } from './level-folder.js';
import { NONCE_LENGTH, RecordOpenError, deriveStoreKeys, isCollectionName, metaRecordKey, openRecord, recordKey, sealRecord, type StoreKeys } from './record-format.js';
import { CollectionRegistryError, CorruptRecordError, DatabaseCorruptError, SealedStoreError, StoreClosedError, StoreKeyMismatchError, UnknownCollectionError } from './store-errors.js';

/** The database folder inside a profile folder. */
export const DB_FOLDER = 'db';
const MAX_COLLECTIONS = 255;
const REGISTRY_ID = 'registry';
const CLOSE_MARKER_ID = 'clean-close';

export interface SealedStoreOptions {
  /** Collection names (lower-case, [a-z][a-z0-9-]*); their order fixes their tags. Append only. */
  collections: readonly string[];
  /**
   * Create `<dir>/db` if it does not exist (when a profile is created).
   * Default false: a missing database is StoreMissingError rather than a
   * silently empty profile.
   */
  create?: boolean;
  /** Called for every corrupt record met (with the collection, never the id): for the daemon's log. */
  onCorruptRecord?: (error: CorruptRecordError) => void;
}

export interface WriteOptions {
  /**
   * Wait until the write is on disk (fsync of LevelDB's log) before
   * resolving. Without it the write has reached the operating system, which
   * survives a crash of the daemon but not a power loss. Use it for the
   * outgoing queue and acknowledgement state (docs/client-storage.md).
   */
  sync?: boolean;
}

export interface SealedStoreStats {
  /** Bytes of keys and sealed values written since open (puts and batches; deletes count their keys). */
  bytesWritten: number;
  /** Writes (puts, deletes, batches) since open, and the LevelDB commits that carried them (fewer: group commit). */
  writes: number;
  commits: number;
  /** Distinct records found corrupt since open (and not since overwritten or deleted). */
  corruptRecords: number;
  corruptByCollection: Record<string, number>;
}

/** A write waiting its turn in StoreCore's queue. */
interface WriteJob {
  kind: 'write';
  ops: BatchOp[];
  bytes: number;
  sync: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A read that needs one state of the store (quiesced): it runs alone, between writes. */
interface BarrierJob {
  kind: 'barrier';
  run: () => Promise<void>;
}

/** A group commit takes queued writes up to this many bytes (one write alone may be larger). */
const MAX_GROUP_BYTES = 4 * 1024 * 1024;

/**
 * Shared state of an open store, used by the store, its collections and
 * batches. The keys sit in a private field, which util.inspect and
 * console.log do not print.
 */
class StoreCore {
  readonly corrupt = new Map<string, string>();
  private readonly pending = new Set<Promise<unknown>>();
  closing: Promise<void> | undefined;
  /** Bytes handed to LevelDB by puts and batches (keys and sealed values) since open. */
  bytesWritten = 0;
  /** Writes issued, and LevelDB commits made, since open. */
  writes = 0;
  commits = 0;
  /**
   * Writes and barriers waiting their turn, oldest first. Writes go to
   * LevelDB one commit after another, in the order they were issued:
   * classic-level runs each write on libuv's thread pool, so two writes in
   * flight at once could commit in either order, and an older record (a
   * ratchet state) could land after a newer one.
   *
   * Group commit: the writes that queued up while a commit ran go to LevelDB
   * together, as one atomic batch with one fsync if any of them asked for
   * `sync` (LevelDB's own group commit, DBImpl::Write, only merges writes
   * that are in flight at once, which the order above rules out). A synced
   * write costs one fsync; where that takes 40 ms (a cloud disk, an SD card),
   * one write at a time would cap the daemon at 25 writes a second, shared
   * by the messages queued, the fragments sealed and the ACKs recorded.
   */
  readonly #queue: Array<WriteJob | BarrierJob> = [];
  #draining = false;
  readonly #keys: StoreKeys;

  constructor(
    readonly folder: string,
    readonly db: RawDb,
    keys: StoreKeys,
    readonly onCorruptRecord: ((error: CorruptRecordError) => void) | undefined,
  ) {
    this.#keys = keys;
  }

  /** Runs a database operation unless closed; close() waits for it. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined || this.db.status !== 'open') throw new StoreClosedError(this.folder);
    const p = fn();
    this.pending.add(p);
    try {
      return await p;
    } finally {
      this.pending.delete(p);
    }
  }

  /**
   * Applies `ops` atomically after every write issued before has committed,
   * possibly in one LevelDB batch with writes issued meanwhile (group commit).
   */
  write(ops: BatchOp[], opts: WriteOptions): Promise<void> {
    return this.run(() => {
      let bytes = 0;
      for (const op of ops) bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
      this.bytesWritten += bytes;
      this.writes++;
      const done = new Promise<void>((resolve, reject) => this.#queue.push({ kind: 'write', ops, bytes, sync: opts.sync ?? false, resolve, reject }));
      void this.#drain();
      return done;
    });
  }

  /**
   * Runs `fn` after every write issued before it has committed; writes issued
   * meanwhile wait until it ends.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(() => {
      const done = new Promise<T>((resolve, reject) =>
        this.#queue.push({
          kind: 'barrier',
          run: async () => {
            try {
              resolve(await fn());
            } catch (e) {
              reject(e);
            }
          },
        }),
      );
      void this.#drain();
      return done;
    });
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        if (job.kind === 'barrier') {
          await job.run();
          continue;
        }
        const group = [job];
        let bytes = job.bytes;
        for (let next = this.#queue[0]; next?.kind === 'write' && bytes + next.bytes <= MAX_GROUP_BYTES; next = this.#queue[0]) {
          group.push(this.#queue.shift() as WriteJob);
          bytes += next.bytes;
        }
        const ops = group.length === 1 ? job.ops : group.flatMap((j) => j.ops);
        try {
          await this.db.batch(ops, { sync: group.some((j) => j.sync) });
          this.commits++;
        } catch (e) {
          // The batch is atomic: none of the group's writes is on disk.
          for (const j of group) j.reject(e);
          continue;
        }
        for (const op of ops) this.clearCorrupt(op.key);
        for (const j of group) j.resolve();
      }
    } finally {
      this.#draining = false;
    }
  }

  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  key(tag: number, collection: string, id: string): Uint8Array {
    return recordKey(this.#keys.indexKey, tag, collection, id);
  }

  seal(key: Uint8Array, id: string, body: Uint8Array): Uint8Array {
    return sealRecord(this.#keys.valueKey, key, id, body, new Uint8Array(randomBytes(NONCE_LENGTH)));
  }

  /** openRecord with the value key: throws RecordOpenError. */
  open(key: Uint8Array, raw: Uint8Array): { id: string; body: Uint8Array } {
    return openRecord(this.#keys.valueKey, key, raw);
  }

  zeroizeKeys(): void {
    zeroize(this.#keys.valueKey, this.#keys.indexKey);
  }

  flagCorrupt(key: Uint8Array, collection: string, reason: string): CorruptRecordError {
    this.corrupt.set(toHex(key), collection);
    const error = new CorruptRecordError(this.folder, collection, reason);
    try {
      this.onCorruptRecord?.(error);
    } catch {
      // a failing log hook must not turn one bad record into a failed call
    }
    return error;
  }

  clearCorrupt(key: Uint8Array): void {
    this.corrupt.delete(toHex(key));
  }
}

/** One open profile database. */
export class SealedStore {
  private constructor(
    private readonly core: StoreCore,
    private readonly registry: readonly string[],
  ) {}

  /**
   * Opens `<dir>/db` with keys derived from `masterKey` (32 bytes; the store
   * keeps only the derived keys, so the caller may zeroize it afterwards).
   * Throws StoreMissingError, ProfileInUseError, DatabaseCorruptError,
   * StoreOpenError, StoreKeyMismatchError, CollectionRegistryError.
   */
  static async open(dir: string, masterKey: Uint8Array, opts: SealedStoreOptions): Promise<SealedStore> {
    const folder = join(dir, DB_FOLDER);
    checkCollectionNames(folder, opts.collections);
    const keys = deriveStoreKeys(masterKey);
    let db: RawDb;
    try {
      db = await openLevelFolder(folder, opts.create ?? false);
    } catch (e) {
      zeroize(keys.valueKey, keys.indexKey);
      throw e;
    }
    const core = new StoreCore(folder, db, keys, opts.onCorruptRecord);
    try {
      const registry = await reconcileRegistry(core, opts.collections);
      return new SealedStore(core, Object.freeze([...registry]));
    } catch (e) {
      await db.close().catch(() => undefined);
      core.zeroizeKeys();
      throw e;
    }
  }

  /** The LevelDB folder, `<dir>/db`. */
  get folder(): string {
    return this.core.folder;
  }

  /** Registered collection names; tag = index + 1. */
  get collections(): readonly string[] {
    return this.registry;
  }

  get isOpen(): boolean {
    return this.core.closing === undefined && this.core.db.status === 'open';
  }

  /** A typed handle on collection `name` (UnknownCollectionError if not registered). */
  collection<T>(name: string, codec: Codec<T>): SealedCollection<T> {
    const index = this.registry.indexOf(name);
    if (index < 0) throw new UnknownCollectionError(this.core.folder, name);
    return new SealedCollection<T>(this.core, name, index + 1, codec);
  }

  /** Puts and deletes across collections, written atomically by `write()`. */
  batch(): SealedBatch {
    return new SealedBatch(this.core);
  }

  /**
   * Runs `fn` (which reads) on one consistent state of the whole store: after
   * every write issued before this call has committed, with the writes issued
   * while it runs held back until it ends (they then commit in their order).
   * Separate list() calls see separate moments otherwise; a backup of a
   * profile in use needs one (backup.ts).
   */
  quiesced<T>(fn: () => Promise<T>): Promise<T> {
    return this.core.exclusive(fn);
  }

  stats(): SealedStoreStats {
    const corruptByCollection: Record<string, number> = {};
    for (const c of this.core.corrupt.values()) corruptByCollection[c] = (corruptByCollection[c] ?? 0) + 1;
    return { bytesWritten: this.core.bytesWritten, writes: this.core.writes, commits: this.core.commits, corruptRecords: this.core.corrupt.size, corruptByCollection };
  }

  /**
   * Waits for operations in flight, writes a marker with `sync: true` (which
   * makes every earlier write durable too: LevelDB's log is one append-only
   * file), closes, and zeroizes the derived keys. Idempotent.
   */
  close(): Promise<void> {
    const core = this.core;
    core.closing ??= (async () => {
      try {
        await core.settle();
        if (core.db.status !== 'open') return;
        try {
          const key = metaRecordKey(CLOSE_MARKER_ID);
          await core.db.put(key, core.seal(key, CLOSE_MARKER_ID, new Uint8Array(0)), { sync: true });
        } finally {
          await core.db.close();
        }
      } finally {
        core.zeroizeKeys();
      }
    })();
    return core.closing;
  }
}

/** Records of one collection, values encoded with the collection's codec. */
export class SealedCollection<T> {
  /** @internal */
  constructor(
    /** @internal */ readonly core: StoreCore,
    readonly name: string,
    readonly tag: number,
    readonly codec: Codec<T>,
  ) {}

  /** The record, undefined if absent; CorruptRecordError if it fails authentication or decoding. */
  get(id: string): Promise<T | undefined> {
    return this.core.run(async () => {
      const key = this.key(id);
      const raw = await this.core.db.get(key);
      if (raw === undefined) return undefined;
      const result = this.open(key, raw);
      if (result instanceof CorruptRecordError) throw result;
      // The AD binds the value to its key, so only an HMAC collision could get here.
      if (result[0] !== id) throw this.core.flagCorrupt(key, this.name, 'stored id differs');
      return result[1];
    });
  }

  /** Stores `value` under `id`, replacing any previous record. */
  put(id: string, value: T, opts: WriteOptions = {}): Promise<void> {
    let key: Uint8Array;
    let sealed: Uint8Array;
    try {
      key = this.key(id);
      sealed = this.seal(key, id, value);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.core.write([{ type: 'put', key, value: sealed }], opts);
  }

  /** Deletes the record (no error if absent). */
  del(id: string, opts: WriteOptions = {}): Promise<void> {
    let key: Uint8Array;
    try {
      key = this.key(id);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.core.write([{ type: 'del', key }], opts);
  }

  /** Whether a record is stored under `id` (its value is not opened, so a corrupt record counts). */
  has(id: string): Promise<boolean> {
    return this.core.run(async () => this.core.db.has(this.key(id)));
  }

  /**
   * Every readable record as [id, value], sorted by id (UTF-16 code units).
   * Corrupt records are skipped and counted in stats().
   */
  list(): Promise<Array<[string, T]>> {
    return this.core.run(async () => {
      const out: Array<[string, T]> = [];
      for await (const [key, raw] of this.core.db.iterator(this.range())) {
        const result = this.open(key, raw);
        if (result instanceof CorruptRecordError) continue;
        // Recompute the key from the id inside: a record must sit where its id says.
        if (!ctEqual(this.core.key(this.tag, this.name, result[0]), key)) {
          this.core.flagCorrupt(key, this.name, 'stored id does not match its key');
          continue;
        }
        out.push(result);
      }
      return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    });
  }

  /** Records stored in the collection, without opening them (corrupt ones included). */
  count(): Promise<number> {
    return this.core.run(async () => {
      let n = 0;
      for await (const _ of this.core.db.keys(this.range())) n++;
      return n;
    });
  }

  /** @internal */
  key(id: string): Uint8Array {
    return this.core.key(this.tag, this.name, id);
  }

  /** @internal */
  seal(key: Uint8Array, id: string, value: T): Uint8Array {
    const body = this.codec.encode(value);
    try {
      return this.core.seal(key, id, body);
    } finally {
      zeroize(body);
    }
  }

  private open(key: Uint8Array, raw: Uint8Array): [string, T] | CorruptRecordError {
    let opened: { id: string; body: Uint8Array };
    try {
      opened = this.core.open(key, raw);
    } catch (e) {
      if (e instanceof RecordOpenError) return this.core.flagCorrupt(key, this.name, e.reason);
      throw e;
    }
    try {
      return [opened.id, this.codec.decode(opened.body)];
    } catch {
      return this.core.flagCorrupt(key, this.name, 'the value does not decode');
    } finally {
      zeroize(opened.body);
    }
  }

  private range(): { gte: Uint8Array; lt?: Uint8Array } {
    return this.tag < 255 ? { gte: Uint8Array.of(this.tag), lt: Uint8Array.of(this.tag + 1) } : { gte: Uint8Array.of(this.tag) };
  }
}

type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** Puts and deletes over any collections of one store, applied all or none. */
export class SealedBatch {
  private readonly ops: BatchOp[] = [];
  private written = false;

  /** @internal */
  constructor(private readonly core: StoreCore) {}

  /** Queues a put; the value is encoded and sealed now (codec errors throw here). */
  put<T>(collection: SealedCollection<T>, id: string, value: T): this {
    this.check(collection);
    const key = collection.key(id);
    this.ops.push({ type: 'put', key, value: collection.seal(key, id, value) });
    return this;
  }

  del<T>(collection: SealedCollection<T>, id: string): this {
    this.check(collection);
    this.ops.push({ type: 'del', key: collection.key(id) });
    return this;
  }

  get length(): number {
    return this.ops.length;
  }

  /** Writes every queued operation atomically (LevelDB write batch). A batch is written once. */
  write(opts: WriteOptions = {}): Promise<void> {
    if (this.written) return Promise.reject(new SealedStoreError('this batch was already written', this.core.folder));
    this.written = true;
    if (this.ops.length === 0) return this.core.run(async () => undefined);
    return this.core.write(this.ops, opts);
  }

  private check(collection: SealedCollection<unknown>): void {
    if (this.written) throw new SealedStoreError('this batch was already written', this.core.folder);
    if (collection.core !== this.core) throw new SealedStoreError('a batch takes collections of its own store only', this.core.folder);
  }
}

function checkCollectionNames(folder: string, names: readonly string[]): void {
  if (!Array.isArray(names)) throw new CollectionRegistryError(folder, 'collections must be an array of names');
  if (names.length > MAX_COLLECTIONS) throw new CollectionRegistryError(folder, `at most ${MAX_COLLECTIONS} collections`);
  const seen = new Set<string>();
  for (const name of names) {
    if (!isCollectionName(name)) {
      throw new CollectionRegistryError(folder, `${JSON.stringify(name)} is not a collection name (a lower-case letter, then up to 31 of a-z, 0-9, -)`);
    }
    if (seen.has(name)) throw new CollectionRegistryError(folder, `${JSON.stringify(name)} is listed twice`);
    seen.add(name);
  }
}

/**
 * Reads the stored registry (or writes it into a new database) and checks
 * `names` against it; returns the effective registry.
 */
async function reconcileRegistry(core: StoreCore, names: readonly string[]): Promise<readonly string[]> {
  const key = metaRecordKey(REGISTRY_ID);
  const raw = await core.db.get(key);
  let stored: string[];
  if (raw === undefined) {
    // A new database has no keys at all; records without a registry mean damage.
    for await (const _ of core.db.keys({ limit: 1 })) throw new DatabaseCorruptError(core.folder, 'the collection registry record is missing');
    stored = [];
  } else {
    let body: Uint8Array;
    try {
      body = core.open(key, raw).body;
    } catch (e) {
      if (e instanceof RecordOpenError) throw new StoreKeyMismatchError(core.folder);
      throw e;
    }
    stored = parseRegistry(core.folder, body);
  }
  for (let i = 0; i < Math.min(stored.length, names.length); i++) {
    if (stored[i] !== names[i]) {
      throw new CollectionRegistryError(
        core.folder,
        `collection ${JSON.stringify(names[i])} is listed at position ${i + 1}, where this database has ${JSON.stringify(stored[i])}; ` +
          'collections may only be appended, never reordered, renamed or removed from the middle',
      );
    }
  }
  if (names.length <= stored.length && raw !== undefined) return stored;
  const registry = [...names];
  await core.db.put(key, core.seal(key, REGISTRY_ID, new TextEncoder().encode(JSON.stringify(registry))), { sync: true });
  return registry;
}

function parseRegistry(folder: string, body: Uint8Array): string[] {
  let names: unknown;
  try {
    names = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new DatabaseCorruptError(folder, 'the collection registry record does not parse');
  }
  if (!Array.isArray(names) || names.length > MAX_COLLECTIONS || !names.every(isCollectionName) || new Set(names).size !== names.length) {
    throw new DatabaseCorruptError(folder, 'the collection registry record is malformed');
  }
  return names;
}

// The mix's replay cache: the Sphinx replay tags (SHA-512/256 of α, 32 bytes)
// it has seen, per epoch of the Sphinx key that unwrapped the packet. A
// replayed packet would make the hop emit the same output again and link its
// input to its output (docs/sphinx.md §11), so a repeat is dropped.
//
// Each live epoch's tags are kept in memory as 64-bit fingerprints (the check
// is a lookup in a compact hash table, fingerprint-set.ts) and in full in LevelDB, written before checkAndInsert resolves true, so a restarted node
// still refuses the replay. Layout and durability: docs/storage.md.

import { Database, Namespace, StoreClosedError, StoreError, metaKey, readU64, u64, type Db } from './database.js';
import { FingerprintSet } from './fingerprint-set.js';

export const REPLAY_TAG_LENGTH = 32;
const KEY_LENGTH = 1 + 8 + REPLAY_TAG_LENGTH;
const FLOOR_KEY = metaKey('replay-floor');

/** A tag of the wrong length or an epoch that is not a u64: a caller bug, not a replay. */
export class ReplayInputError extends StoreError {}

export interface ReplayCacheOptions {
  /**
   * The oldest epoch whose key may still unwrap packets. Older epochs are
   * pruned on open; newer ones are loaded into memory.
   */
  liveFrom?: number;
  /**
   * fsync every insert (default false). Without it a write reaches the
   * operating system before the promise resolves: it survives a crash of the
   * node process (SIGKILL, OOM kill) but not of the machine. A power loss
   * can forget the last tags written before it; with fsync each packet costs
   * a disk flush (milliseconds on most disks), which would cap a mix at a few
   * hundred packets per second. The close marker is always fsynced.
   */
  sync?: boolean;
}

export interface ReplayCounters {
  /** Tags recorded (checkAndInsert returned true). */
  inserted: number;
  /** Replays refused (the tag was already recorded). */
  replays: number;
  /** Packets refused because their epoch was already pruned. */
  staleEpoch: number;
  /** Stored keys of the wrong shape skipped on open. */
  corruptEntries: number;
}

export class ReplayCache {
  private readonly epochs = new Map<number, FingerprintSet>();
  private readonly inflight = new Set<Promise<unknown>>();
  private floor: number;
  private closed = false;
  readonly counters: ReplayCounters = { inserted: 0, replays: 0, staleEpoch: 0, corruptEntries: 0 };

  private constructor(
    private readonly database: Database,
    floor: number,
    private readonly sync: boolean,
  ) {
    this.floor = floor;
  }

  /** Opens the cache in `folder` and loads the tags of every epoch ≥ the live floor. */
  static async open(folder: string, options: ReplayCacheOptions = {}): Promise<ReplayCache> {
    const database = await Database.open(folder, 'replay-cache');
    try {
      const stored = await database.db.get(FLOOR_KEY);
      const storedFloor = stored !== undefined && stored.length === 8 ? readU64(stored, 0) : 0;
      const cache = new ReplayCache(database, storedFloor, options.sync ?? false);
      if (options.liveFrom !== undefined && options.liveFrom > storedFloor) await cache.pruneBefore(options.liveFrom);
      // A crash between persisting the floor and the range delete leaves old tags behind.
      else if (storedFloor > 0) await database.db.clear({ gte: new Uint8Array([Namespace.replay]), lt: epochPrefix(storedFloor) });
      await cache.load();
      return cache;
    } catch (e) {
      await database.close().catch(() => {});
      throw e;
    }
  }

  private async load(): Promise<void> {
    const prefix = new Uint8Array([Namespace.replay]);
    for await (const key of this.database.db.keys({ gte: epochPrefix(this.floor), lt: new Uint8Array([prefix[0] + 1]) })) {
      if (key.length !== KEY_LENGTH) {
        this.counters.corruptEntries++;
        continue;
      }
      const epoch = readU64(key, 1);
      this.setFor(epoch).add(key.subarray(9));
    }
  }

  private setFor(epoch: number): FingerprintSet {
    let set = this.epochs.get(epoch);
    if (set === undefined) {
      set = new FingerprintSet();
      this.epochs.set(epoch, set);
    }
    return set;
  }

  /**
   * True if `tag` is new under `epoch`, and it is now recorded (on disk before
   * this resolves); false for a replay, or for an epoch already pruned. The
   * check-and-add on the in-memory set happens synchronously, so of two
   * concurrent calls for one tag exactly one sees it as new. If the write
   * fails the tag is removed again and the call rejects; a concurrent call for
   * the same tag may already have answered false (it fails closed: drop).
   */
  async checkAndInsert(epoch: number, tag: Uint8Array): Promise<boolean> {
    if (this.closed) throw new StoreClosedError(this.database.folder);
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new ReplayInputError(`epoch ${epoch} is not a u64`, this.database.folder);
    if (!(tag instanceof Uint8Array) || tag.length !== REPLAY_TAG_LENGTH) {
      throw new ReplayInputError(`a replay tag is ${REPLAY_TAG_LENGTH} bytes, got ${tag?.length}`, this.database.folder);
    }
    if (epoch < this.floor) {
      this.counters.staleEpoch++;
      return false;
    }
    const set = this.setFor(epoch);
    if (!set.add(tag)) {
      this.counters.replays++;
      return false;
    }
    const write = this.#queueWrite(tagKey(epoch, tag));
    this.inflight.add(write);
    try {
      await write;
    } catch (e) {
      set.delete(tag);
      throw new StoreError(`cannot record a replay tag in ${this.database.folder}: ${(e as Error).message}`, this.database.folder, { cause: e });
    } finally {
      this.inflight.delete(write);
    }
    this.counters.inserted++;
    return true;
  }

  // Tags recorded in the same turn of the event loop go to LevelDB in one
  // batch: a mix unwraps packets back to back, and one native call per
  // batch instead of per packet is cheaper. Every caller still resolves
  // only after its tag was written.
  #batch: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array }> = [];
  #batchDone: Promise<void> | null = null;

  #queueWrite(key: Uint8Array): Promise<void> {
    this.#batch.push({ type: 'put', key, value: EMPTY });
    this.#batchDone ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const ops = this.#batch;
      this.#batch = [];
      this.#batchDone = null;
      return this.database.db.batch(ops, { sync: this.sync });
    });
    return this.#batchDone;
  }

  /**
   * Drops every epoch before `epoch`, in memory and on disk: their keys are
   * gone, so their packets cannot be unwrapped anyway. Persists the floor so
   * a restarted node keeps refusing those epochs.
   */
  async pruneBefore(epoch: number): Promise<void> {
    if (this.closed) throw new StoreClosedError(this.database.folder);
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new ReplayInputError(`epoch ${epoch} is not a u64`, this.database.folder);
    if (epoch <= this.floor) return;
    this.floor = epoch;
    for (const e of [...this.epochs.keys()]) if (e < epoch) this.epochs.delete(e);
    await this.database.db.put(FLOOR_KEY, u64(epoch), { sync: this.sync });
    // LevelDB keeps deleted tags and their tombstones on disk until a
    // compaction merges them, and its write-ahead log until the 4 MiB write
    // buffer fills: at a few packets a second, for weeks. A manual
    // compaction flushes the write buffer, then merges the range down to
    // (not within) the deepest level holding it; so the tags are flushed
    // first, and the tombstones written after them then meet them in the
    // second compaction, which drops both.
    const from = new Uint8Array([Namespace.replay]);
    const to = epochPrefix(epoch);
    const db = this.database.db as Db & { compactRange?(start: Uint8Array, end: Uint8Array): Promise<void> };
    const compact = db.supports.additionalMethods.compactRange && db.compactRange ? () => db.compactRange!(from, to) : async () => {};
    await compact();
    await db.clear({ gte: from, lt: to });
    await compact();
  }

  /** Tags recorded under `epoch`. */
  size(epoch: number): number {
    return this.epochs.get(epoch)?.size ?? 0;
  }

  /** Bytes of memory the live epochs' tables take (for metrics). */
  memoryBytes(): number {
    let n = 0;
    for (const set of this.epochs.values()) n += set.bytes;
    return n;
  }

  /** Tags per live epoch (for metrics). */
  sizes(): Map<number, number> {
    return new Map([...this.epochs].map(([e, set]) => [e, set.size]));
  }

  /** Epochs before this one are refused and no longer stored. */
  get liveFrom(): number {
    return this.floor;
  }

  /** Waits for writes in flight, then flushes and closes. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    await this.database.close();
  }
}

const EMPTY = new Uint8Array(0);

/** 0x01 ‖ epoch (u64 BE): the first key of an epoch. */
function epochPrefix(epoch: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = Namespace.replay;
  k.set(u64(epoch), 1);
  return k;
}

/** 0x01 ‖ epoch (u64 BE) ‖ tag (32 bytes). */
function tagKey(epoch: number, tag: Uint8Array): Uint8Array {
  const k = new Uint8Array(KEY_LENGTH);
  k[0] = Namespace.replay;
  k.set(u64(epoch), 1);
  k.set(tag, 9);
  return k;
}

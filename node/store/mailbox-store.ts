// The gateway's store-and-forward mailboxes. A delivered message is written
// here before anything else is done with it, and stays until its recipient
// acknowledges it or the retention runs out. A full mailbox, or a full
// store (the total over all mailboxes), refuses new messages (counted,
// typed) rather than dropping older ones.
//
// Key layout (docs/storage.md):
//   message:   0x02 ‖ mailboxId (32) ‖ sequence (u64 BE)  →  depositMs (u64 BE) ‖ message
//   sequence:  0x00 ‖ "mailbox-seq"                      →  next sequence (u64 BE)
//   by time:   0x04 ‖ depositMs (u64 BE) ‖ mailboxId ‖ sequence  →  (empty)
//   marker:    0x00 ‖ "mailbox-time-index"               →  (empty): every message has its index key
// The sequence is one counter for the whole store, so keys of one mailbox
// iterate in arrival order and a message id is never reused.

import { toHex } from '../../protocol/bytes.js';
import { Database, Namespace, StoreClosedError, StoreError, metaKey, readU64, u64 } from './database.js';

export const MAILBOX_ID_LENGTH = 32;
const KEY_LENGTH = 1 + MAILBOX_ID_LENGTH + 8;
const HEADER_LENGTH = 8;
const SEQ_KEY = metaKey('mailbox-seq');
const TIME_INDEX_MARKER = metaKey('mailbox-time-index');
const TIME_KEY_LENGTH = 1 + 8 + MAILBOX_ID_LENGTH + 8;
const DELETE_CHUNK = 1000;

export interface MailboxLimits {
  /** Largest message accepted, in bytes. */
  maxMessageBytes: number;
  /** Messages one mailbox may hold. */
  maxMessagesPerMailbox: number;
  /** Message bytes one mailbox may hold. */
  maxBytesPerMailbox: number;
  /** How long an unacknowledged message is kept, in milliseconds. */
  retentionMs: number;
  /** Message bytes all mailboxes together may hold (the gateway's storage cap). */
  maxTotalBytes: number;
}

/** A mailbox's own quota, overriding the store's per-mailbox limits for one deposit (a contact-request allowance). */
export interface MailboxQuota {
  messages: number;
  bytes: number;
}

export const DEFAULT_MAILBOX_LIMITS: Readonly<MailboxLimits> = {
  maxMessageBytes: 64 * 1024,
  maxMessagesPerMailbox: 10_000,
  maxBytesPerMailbox: 64 * 1024 * 1024,
  retentionMs: 14 * 24 * 3600 * 1000,
  maxTotalBytes: 16 * 1024 ** 3,
};

export interface MailboxStoreOptions extends Partial<MailboxLimits> {
  /**
   * fsync every deposit (default false). Without it the message reaches the
   * operating system before deposit resolves, which survives a crash of the
   * node process but not a power loss or kernel crash; with it every deposit
   * waits for a disk flush. See docs/storage.md.
   */
  sync?: boolean;
}

export type DepositRejection = 'too-large' | 'over-quota-messages' | 'over-quota-bytes' | 'over-total-bytes';

/** deposit refused: the message was not stored; `reason` says why. */
export class DepositRejectedError extends StoreError {
  constructor(
    readonly reason: DepositRejection,
    folder: string,
    detail: string,
  ) {
    super(`deposit refused (${reason}): ${detail}`, folder);
  }
}

/** A malformed argument (mailbox id length, message type, count): a caller bug. */
export class MailboxInputError extends StoreError {}

export interface StoredMessage {
  /** The store-wide sequence number; pass it to ack. */
  id: number;
  depositedMs: number;
  message: Uint8Array;
}

export interface MailboxCounters {
  deposited: number;
  rejected: Record<DepositRejection, number>;
  acked: number;
  /** Acked ids that were not (or no longer) in the mailbox. */
  ackUnknown: number;
  expired: number;
  /** Messages deleted with their whole mailbox (deleteMailbox: an expired registration). */
  evicted: number;
  /** Stored entries of the wrong shape, skipped (and left in place). */
  corruptEntries: number;
}

export interface MailboxStats {
  mailboxes: number;
  messages: number;
  /** Message bytes, without keys and headers. */
  bytes: number;
}

export interface ExpireResult {
  /** Deleted because older than the retention. */
  retention: number;
}

interface Usage {
  messages: number;
  bytes: number;
}

export class MailboxStore {
  private readonly usage = new Map<string, Usage>();
  private readonly inflight = new Set<Promise<unknown>>();
  private totals: Usage = { messages: 0, bytes: 0 };
  private nextSeq = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly limits: Readonly<MailboxLimits>;
  readonly counters: MailboxCounters = {
    deposited: 0,
    rejected: { 'too-large': 0, 'over-quota-messages': 0, 'over-quota-bytes': 0, 'over-total-bytes': 0 },
    acked: 0,
    ackUnknown: 0,
    expired: 0,
    evicted: 0,
    corruptEntries: 0,
  };

  private constructor(
    private readonly database: Database,
    options: MailboxStoreOptions,
    private readonly sync: boolean,
  ) {
    const { sync: _sync, ...limits } = options;
    this.limits = { ...DEFAULT_MAILBOX_LIMITS, ...limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`mailbox limit ${name} must be a positive integer, got ${value}`);
    }
  }

  /**
   * Opens the store in `folder`. Reads every message key once to rebuild the
   * per-mailbox usage and the sequence high-water mark.
   */
  static async open(folder: string, options: MailboxStoreOptions = {}): Promise<MailboxStore> {
    const database = await Database.open(folder, 'mailbox');
    try {
      const store = new MailboxStore(database, options, options.sync ?? false);
      await store.load();
      return store;
    } catch (e) {
      await database.close().catch(() => {});
      throw e;
    }
  }

  private async load(): Promise<void> {
    const db = this.database.db;
    const stored = await db.get(SEQ_KEY);
    let next = stored !== undefined && stored.length === 8 ? readU64(stored, 0) : 0;
    // A store written before the deposit-time index existed gets it now, in
    // the same pass that rebuilds the usage counters.
    const indexed = (await db.get(TIME_INDEX_MARKER)) !== undefined;
    let missing: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array }> = [];
    for await (const [key, value] of db.iterator({ gte: new Uint8Array([Namespace.mailbox]), lt: new Uint8Array([Namespace.mailbox + 1]) })) {
      if (key.length !== KEY_LENGTH || value.length < HEADER_LENGTH) {
        this.counters.corruptEntries++;
        continue;
      }
      if (!indexed) {
        missing.push({ type: 'put', key: timeKey(readU64(value, 0), key), value: EMPTY });
        if (missing.length >= DELETE_CHUNK) {
          await db.batch(missing);
          missing = [];
        }
      }
      this.charge(toHex(key.subarray(1, 1 + MAILBOX_ID_LENGTH)), value.length - HEADER_LENGTH);
      // Concurrent deposits may land out of order: never trust the stored
      // high-water mark below a key that exists.
      next = Math.max(next, readU64(key, 1 + MAILBOX_ID_LENGTH) + 1);
    }
    if (!indexed) await db.batch([...missing, { type: 'put', key: TIME_INDEX_MARKER, value: EMPTY }], { sync: true });
    this.nextSeq = next;
  }

  private charge(mailbox: string, bytes: number): void {
    let u = this.usage.get(mailbox);
    if (u === undefined) {
      u = { messages: 0, bytes: 0 };
      this.usage.set(mailbox, u);
    }
    u.messages++;
    u.bytes += bytes;
    this.totals.messages++;
    this.totals.bytes += bytes;
  }

  private refund(mailbox: string, bytes: number): void {
    const u = this.usage.get(mailbox);
    if (u === undefined) return;
    u.messages--;
    u.bytes -= bytes;
    this.totals.messages--;
    this.totals.bytes -= bytes;
    if (u.messages <= 0) this.usage.delete(mailbox);
  }

  /**
   * Stores `message` in `mailboxId` and resolves with its id once written
   * (to the OS, or to disk with `sync`). Rejects with DepositRejectedError
   * (counted) if the message is too large, the mailbox is full (its
   * `quota`, else the store's per-mailbox limits) or the store is full
   * (maxTotalBytes); nothing already stored is dropped to make room.
   */
  async deposit(mailboxId: Uint8Array, message: Uint8Array, nowMs: number, quota?: MailboxQuota): Promise<number> {
    this.checkOpen();
    this.checkMailboxId(mailboxId);
    if (!(message instanceof Uint8Array)) throw new MailboxInputError('a message is a Uint8Array', this.database.folder);
    if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new MailboxInputError(`nowMs ${nowMs} is not a u64`, this.database.folder);
    const { maxMessageBytes, maxTotalBytes } = this.limits;
    const maxMessagesPerMailbox = quota?.messages ?? this.limits.maxMessagesPerMailbox;
    const maxBytesPerMailbox = quota?.bytes ?? this.limits.maxBytesPerMailbox;
    if (message.length > maxMessageBytes) return this.reject('too-large', `${message.length} bytes > ${maxMessageBytes}`);
    const mailbox = toHex(mailboxId);
    const u = this.usage.get(mailbox) ?? { messages: 0, bytes: 0 };
    if (u.messages + 1 > maxMessagesPerMailbox) return this.reject('over-quota-messages', `mailbox holds ${u.messages} messages (max ${maxMessagesPerMailbox})`);
    if (u.bytes + message.length > maxBytesPerMailbox) {
      return this.reject('over-quota-bytes', `mailbox holds ${u.bytes} bytes, +${message.length} > ${maxBytesPerMailbox}`);
    }
    if (this.totals.bytes + message.length > maxTotalBytes) {
      return this.reject('over-total-bytes', `the store holds ${this.totals.bytes} bytes, +${message.length} > ${maxTotalBytes}`);
    }
    // Reserve before awaiting so concurrent deposits cannot overshoot the quota.
    this.charge(mailbox, message.length);
    const id = this.nextSeq++;
    const value = new Uint8Array(HEADER_LENGTH + message.length);
    value.set(u64(nowMs), 0);
    value.set(message, HEADER_LENGTH);
    const key = messageKey(mailboxId, id);
    const write = this.database.db.batch(
      [
        { type: 'put', key, value },
        { type: 'put', key: timeKey(nowMs, key), value: EMPTY },
        { type: 'put', key: SEQ_KEY, value: u64(this.nextSeq) },
      ],
      { sync: this.sync },
    );
    this.inflight.add(write);
    try {
      await write;
    } catch (e) {
      this.refund(mailbox, message.length);
      throw new StoreError(`cannot store a message in ${this.database.folder}: ${(e as Error).message}`, this.database.folder, { cause: e });
    } finally {
      this.inflight.delete(write);
    }
    this.counters.deposited++;
    return id;
  }

  private reject(reason: DepositRejection, detail: string): never {
    this.counters.rejected[reason]++;
    throw new DepositRejectedError(reason, this.database.folder, detail);
  }

  /** The oldest `max` messages of `mailboxId`, in arrival order, without deleting them. Unknown mailbox: empty. */
  async fetch(mailboxId: Uint8Array, max: number): Promise<StoredMessage[]> {
    this.checkOpen();
    this.checkMailboxId(mailboxId);
    if (!Number.isSafeInteger(max) || max < 0) throw new MailboxInputError(`max ${max} is not a count`, this.database.folder);
    if (max === 0 || !this.usage.has(toHex(mailboxId))) return [];
    const out: StoredMessage[] = [];
    const it = this.database.db.iterator({ gte: messageKey(mailboxId, 0), lte: lastKey(mailboxId), limit: max });
    for await (const [key, value] of it) {
      if (key.length !== KEY_LENGTH || value.length < HEADER_LENGTH) {
        this.counters.corruptEntries++;
        continue;
      }
      out.push({ id: readU64(key, 1 + MAILBOX_ID_LENGTH), depositedMs: readU64(value, 0), message: plainBytes(value, HEADER_LENGTH) });
    }
    return out;
  }

  /**
   * The message `id` of `mailboxId` while it is stored (not acknowledged,
   * expired or evicted), else null. One read by key: a message of another
   * mailbox is never returned, whatever its id.
   */
  async get(mailboxId: Uint8Array, id: number): Promise<StoredMessage | null> {
    this.checkOpen();
    this.checkMailboxId(mailboxId);
    if (!Number.isSafeInteger(id) || id < 0) throw new MailboxInputError(`message id ${id} is not a u64`, this.database.folder);
    if (!this.usage.has(toHex(mailboxId))) return null;
    const value = await this.database.db.get(messageKey(mailboxId, id));
    if (value === undefined) return null;
    if (value.length < HEADER_LENGTH) {
      this.counters.corruptEntries++;
      return null;
    }
    return { id, depositedMs: readU64(value, 0), message: plainBytes(value, HEADER_LENGTH) };
  }

  /**
   * Deletes exactly the messages `ids` of `mailboxId` (or of any of several
   * mailboxes of one client); ids not there are ignored and counted.
   */
  async ack(mailboxId: Uint8Array | readonly Uint8Array[], ids: readonly number[]): Promise<{ acked: number; unknown: number }> {
    this.checkOpen();
    const mailboxIds = mailboxId instanceof Uint8Array ? [mailboxId] : [...mailboxId];
    for (const m of mailboxIds) this.checkMailboxId(m);
    const unique = [...new Set(ids)];
    const bad = unique.find((id) => !Number.isSafeInteger(id) || id < 0);
    if (bad !== undefined) throw new MailboxInputError(`message id ${bad} is not a u64`, this.database.folder);
    return this.exclusive(async () => {
      const candidates = mailboxIds.flatMap((m) => unique.map((id) => ({ mailboxId: m, key: messageKey(m, id) })));
      const values = candidates.length === 0 ? [] : await this.database.db.getMany(candidates.map((c) => c.key));
      const found = candidates.flatMap((c, i) => {
        const v = values[i];
        return v === undefined || v.length < HEADER_LENGTH ? [] : [{ mailboxId: c.mailboxId, key: c.key, bytes: v.length - HEADER_LENGTH, depositedMs: readU64(v, 0) }];
      });
      if (found.length > 0) await this.deleteMessages(undefined, found);
      const unknown = unique.length - found.length;
      this.counters.acked += found.length;
      this.counters.ackUnknown += unknown;
      return { acked: found.length, unknown };
    });
  }

  /** Deletes every message deposited at or before nowMs − retention. */
  async expire(nowMs: number): Promise<ExpireResult> {
    this.checkOpen();
    if (!Number.isSafeInteger(nowMs)) throw new MailboxInputError(`nowMs ${nowMs} is not an integer`, this.database.folder);
    return this.exclusive(async () => {
      const cutoff = nowMs - this.limits.retentionMs;
      let expired: Array<{ mailboxId: Uint8Array; key: Uint8Array; bytes: number; depositedMs: number }> = [];
      let total = 0;
      const flush = async () => {
        await this.deleteMessages(undefined, expired);
        total += expired.length;
        this.counters.expired += expired.length;
        expired = [];
      };
      // The deposit-time index lists exactly the expired messages, oldest first.
      const end = new Uint8Array(9);
      end[0] = Namespace.mailboxByTime;
      end.set(u64(Math.max(0, cutoff + 1)), 1);
      if (cutoff >= 0) {
        for await (const index of this.database.db.keys({ gte: new Uint8Array([Namespace.mailboxByTime]), lt: end })) {
          if (index.length !== TIME_KEY_LENGTH) continue;
          const key = new Uint8Array(KEY_LENGTH);
          key[0] = Namespace.mailbox;
          key.set(index.subarray(9), 1);
          const value = await this.database.db.get(key);
          if (value === undefined || value.length < HEADER_LENGTH) {
            // An index key whose message is gone (a crash between the two): drop it.
            await this.database.db.del(index);
            continue;
          }
          expired.push({ mailboxId: key.subarray(1, 1 + MAILBOX_ID_LENGTH), key, bytes: value.length - HEADER_LENGTH, depositedMs: readU64(value, 0) });
          if (expired.length >= DELETE_CHUNK) await flush();
        }
      }
      if (expired.length > 0) await flush();
      return { retention: total };
    });
  }

  /** Deletes every message of `mailboxId` (its registration expired); returns how many. */
  async deleteMailbox(mailboxId: Uint8Array): Promise<number> {
    this.checkOpen();
    this.checkMailboxId(mailboxId);
    if (!this.usage.has(toHex(mailboxId))) return 0;
    return this.exclusive(async () => {
      let batch: Array<{ mailboxId: Uint8Array; key: Uint8Array; bytes: number; depositedMs: number }> = [];
      let total = 0;
      const flush = async () => {
        await this.deleteMessages(mailboxId, batch);
        total += batch.length;
        this.counters.evicted += batch.length;
        batch = [];
      };
      for await (const [key, value] of this.database.db.iterator({ gte: messageKey(mailboxId, 0), lte: lastKey(mailboxId) })) {
        if (key.length !== KEY_LENGTH || value.length < HEADER_LENGTH) continue;
        batch.push({ mailboxId, key: Uint8Array.from(key), bytes: value.length - HEADER_LENGTH, depositedMs: readU64(value, 0) });
        if (batch.length >= DELETE_CHUNK) await flush();
      }
      if (batch.length > 0) await flush();
      return total;
    });
  }

  /** Messages and bytes `mailboxId` holds now. */
  usageOf(mailboxId: Uint8Array): { messages: number; bytes: number } {
    const u = this.usage.get(toHex(mailboxId));
    return { messages: u?.messages ?? 0, bytes: u?.bytes ?? 0 };
  }

  // Every delete also rewrites the sequence high-water mark, so a mark that
  // landed out of order is repaired before the keys that prove it are gone.
  private async deleteMessages(mailboxId: Uint8Array | undefined, entries: ReadonlyArray<{ key: Uint8Array; bytes: number; depositedMs: number; mailboxId?: Uint8Array }>): Promise<void> {
    const ops = entries.flatMap((e) => [
      { type: 'del' as const, key: e.key },
      { type: 'del' as const, key: timeKey(e.depositedMs, e.key) },
    ]);
    await this.database.db.batch([...ops, { type: 'put', key: SEQ_KEY, value: u64(this.nextSeq) }], { sync: this.sync });
    for (const e of entries) this.refund(toHex((mailboxId ?? e.mailboxId)!), e.bytes);
  }

  stats(): MailboxStats {
    return { mailboxes: this.usage.size, messages: this.totals.messages, bytes: this.totals.bytes };
  }

  /** Waits for writes in flight, then flushes and closes. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight, this.lock]);
    await this.database.close();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError(this.database.folder);
  }

  private checkMailboxId(id: Uint8Array): void {
    if (!(id instanceof Uint8Array) || id.length !== MAILBOX_ID_LENGTH) {
      throw new MailboxInputError(`a mailbox id is ${MAILBOX_ID_LENGTH} bytes, got ${id?.length}`, this.database.folder);
    }
  }
}

/** 0x02 ‖ mailboxId ‖ seq (u64 BE). */
function messageKey(mailboxId: Uint8Array, seq: number): Uint8Array {
  const k = new Uint8Array(KEY_LENGTH);
  k[0] = Namespace.mailbox;
  k.set(mailboxId, 1);
  k.set(u64(seq), 1 + MAILBOX_ID_LENGTH);
  return k;
}

const EMPTY = new Uint8Array(0);

/** 0x04 ‖ depositMs ‖ mailboxId ‖ sequence: the time-index key of message key `key`. */
function timeKey(depositedMs: number, key: Uint8Array): Uint8Array {
  const k = new Uint8Array(TIME_KEY_LENGTH);
  k[0] = Namespace.mailboxByTime;
  k.set(u64(depositedMs), 1);
  k.set(key.subarray(1), 9);
  return k;
}

/** The greatest possible key of a mailbox. */
function lastKey(mailboxId: Uint8Array): Uint8Array {
  const k = messageKey(mailboxId, 0);
  k.fill(0xff, 1 + MAILBOX_ID_LENGTH);
  return k;
}

// classic-level hands back Buffers; callers get a plain Uint8Array view.
function plainBytes(value: Uint8Array, offset: number): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset + offset, value.byteLength - offset);
}

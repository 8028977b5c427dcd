// The short handles this gateway hosts (docs/handles.md, docs/gateway.md
// §Short handles): `name@this-gateway` → the handle record its owner signed.
// First come, first served: a name belongs to the first registered client
// that claims it, until that client releases it, claims another name, or its
// registration expires. One name per client, so the registry is bounded by
// the registered clients.
//
// Its own LevelDB folder (kind 'handle-registry'), beside the client registry:
//   handle:  0x05 ‖ owner's mailbox id (32)  →  the handle record (protocol/wire/handle.ts)
// Keyed by the owner's mailbox id, so one client holds one name and a new
// claim replaces the old one in a single write. The owner is proven by the
// record itself: its mailbox proof's key K is the client's key and its
// address's mailbox is mailboxIdOf(K) (checked by claim, and again on load).
// Every claim and release is written with sync before it resolves, so a
// client told "ok" keeps its name across a crash.
//
// The whole registry is held in memory (decoded records and their bytes,
// under 1 KiB a name) and rebuilt on open, so a lookup costs no disk read.
// A stored entry that does not decode, whose record is not its key's
// mailbox's, or whose name another entry already holds is skipped, counted
// (`corruptEntries`) and logged, never fatal (and left in place, as the
// other stores do: docs/storage.md).

import { ctEqual, toHex } from '../../protocol/bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH } from '../../protocol/crypto/ed25519.js';
import { decodeHandleRecord, encodeHandleRecord, type HandleRecord } from '../../protocol/wire/handle.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import type { Logger } from '../../runtime/log/logger.js';
import { Database, StoreClosedError, StoreError } from '../store/database.js';

/** First key byte of a hosted name (this store's own folder; see docs/gateway.md §Short handles). */
const HANDLE_NAMESPACE = 0x05;
const MAILBOX_ID_LENGTH = 32;
const KEY_LENGTH = 1 + MAILBOX_ID_LENGTH;

/** A claim the caller should have refused (a key of the wrong size, a record for another client): a caller bug. */
export class HandleRegistryInputError extends StoreError {}

export interface HandleClaimOutcome {
  /** 'ok': the caller holds the name now; 'taken': another client holds it. */
  readonly status: 'ok' | 'taken';
  /** The name the caller holds afterwards, or null. */
  readonly held: string | null;
}

export interface HandleRegistryOptions {
  /** Warns about each corrupt entry skipped on open (its reason only). */
  logger?: Logger;
}

interface Entry {
  readonly mailboxId: Uint8Array;
  readonly name: string;
  /** Decoded once, when claimed or loaded: the name service answers from it. Read-only. */
  readonly record: HandleRecord;
  readonly bytes: Uint8Array;
}

export class HandleRegistry {
  /** owner's mailbox id (hex) → its entry. */
  readonly #byOwner = new Map<string, Entry>();
  /** name → owner's mailbox id (hex). */
  readonly #byName = new Map<string, string>();
  readonly #database: Database;
  /** Claims and releases run one at a time, so "first come" is decided on a settled state. */
  #lock: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Stored entries skipped on open (undecodable, not their key's, or a name held twice). */
  corruptEntries = 0;

  private constructor(database: Database) {
    this.#database = database;
  }

  /** Opens (creating if needed) the registry in `folder` and loads it. Throws the store errors of Database.open. */
  static async open(folder: string, options: HandleRegistryOptions = {}): Promise<HandleRegistry> {
    const database = await Database.open(folder, 'handle-registry');
    try {
      const registry = new HandleRegistry(database);
      await registry.#load(options.logger);
      return registry;
    } catch (e) {
      await database.close().catch(() => {});
      throw e;
    }
  }

  async #load(logger: Logger | undefined): Promise<void> {
    const skip = (reason: string): void => {
      this.corruptEntries++;
      // The reason only: an entry's key is a client's mailbox id.
      logger?.warn('handle registry: corrupt entry skipped', { reason });
    };
    const range = { gte: Uint8Array.of(HANDLE_NAMESPACE), lt: Uint8Array.of(HANDLE_NAMESPACE + 1) };
    for await (const [key, value] of this.#database.db.iterator(range)) {
      if (key.length !== KEY_LENGTH) {
        skip('key length');
        continue;
      }
      const mailboxId = Uint8Array.from(key.subarray(1));
      let record: HandleRecord;
      try {
        record = decodeHandleRecord(value);
      } catch (err) {
        skip(`record does not decode (${(err as { code?: string }).code ?? 'error'})`);
        continue;
      }
      if (!ownedBy(record, mailboxId)) {
        skip('record is not its key’s mailbox’s');
        continue;
      }
      if (this.#byName.has(record.name)) {
        skip('name held by another entry');
        continue;
      }
      this.#put({ mailboxId, name: record.name, record, bytes: Uint8Array.from(value) });
    }
  }

  /**
   * Gives `record.name` to the client with identity key `clientKey` if it is
   * free or already this client's; the client's previous name, if any, is
   * released in the same write. A newer record for the same name replaces
   * the old one. The record must be this client's (its mailbox proof's key
   * is `clientKey` and its address's mailbox is mailboxIdOf(clientKey):
   * else HandleRegistryInputError); its signatures are the caller's to
   * check (verifyHandleRecord). Throws StoreError if it cannot write.
   */
  async claim(clientKey: Uint8Array, record: HandleRecord): Promise<HandleClaimOutcome> {
    this.#checkOpen();
    const mailboxId = this.#mailboxOf(clientKey);
    if (!ctEqual(record.mailboxProof.subarray(0, ED25519_PUBLIC_KEY_LENGTH), clientKey) || !ownedBy(record, mailboxId)) {
      throw new HandleRegistryInputError('the record is not this client’s', this.#database.folder);
    }
    const bytes = encodeHandleRecord(record);
    const owner = toHex(mailboxId);
    return this.#exclusive(async () => {
      this.#checkOpen();
      const holder = this.#byName.get(record.name);
      if (holder !== undefined && holder !== owner) return { status: 'taken', held: this.#byOwner.get(owner)?.name ?? null };
      // The same record again (a client re-claiming after a restart): nothing to write.
      const current = this.#byOwner.get(owner);
      if (current !== undefined && ctEqual(current.bytes, bytes)) return { status: 'ok', held: record.name };
      try {
        await this.#database.db.put(keyOf(mailboxId), bytes, { sync: true });
      } catch (e) {
        throw new StoreError(`cannot record a handle in ${this.#database.folder}: ${(e as Error).message}`, this.#database.folder, { cause: e });
      }
      this.#remove(owner);
      this.#put({ mailboxId, name: record.name, record, bytes });
      return { status: 'ok', held: record.name };
    });
  }

  /** Releases the name of the client with identity key `clientKey`; resolves the name it held, or null. */
  async release(clientKey: Uint8Array): Promise<string | null> {
    this.#checkOpen();
    const mailboxId = this.#mailboxOf(clientKey);
    return this.#exclusive(async () => {
      this.#checkOpen();
      const entry = this.#byOwner.get(toHex(mailboxId));
      if (entry === undefined) return null;
      try {
        await this.#database.db.del(keyOf(mailboxId), { sync: true });
      } catch (e) {
        throw new StoreError(`cannot release a handle in ${this.#database.folder}: ${(e as Error).message}`, this.#database.folder, { cause: e });
      }
      this.#remove(toHex(mailboxId));
      return entry.name;
    });
  }

  /**
   * Releases every name whose owner `isRegistered` says is no longer a
   * client here (its registration expired: GatewayService.maintain), in one
   * write; resolves how many.
   */
  async releaseUnregistered(isRegistered: (mailboxId: Uint8Array) => boolean): Promise<number> {
    if (this.#closed) return 0;
    return this.#exclusive(async () => {
      if (this.#closed) return 0;
      const gone = [...this.#byOwner.values()].filter((e) => !isRegistered(e.mailboxId));
      if (gone.length === 0) return 0;
      try {
        await this.#database.db.batch(
          gone.map((e) => ({ type: 'del' as const, key: keyOf(e.mailboxId) })),
          { sync: true },
        );
      } catch (e) {
        throw new StoreError(`cannot release handles in ${this.#database.folder}: ${(e as Error).message}`, this.#database.folder, { cause: e });
      }
      for (const e of gone) this.#remove(toHex(e.mailboxId));
      return gone.length;
    });
  }

  /** The record bytes (protocol/wire/handle.ts) of `name`, or null: from memory. */
  lookup(name: string): Uint8Array | null {
    const entry = this.#entryOf(name);
    return entry === undefined ? null : Uint8Array.from(entry.bytes);
  }

  /** The decoded record of `name`, or null: from memory. Read-only (shared with the registry). */
  recordOf(name: string): HandleRecord | null {
    return this.#entryOf(name)?.record ?? null;
  }

  /** The name the client with identity key `clientKey` holds, or null. */
  nameOf(clientKey: Uint8Array): string | null {
    if (!(clientKey instanceof Uint8Array) || clientKey.length !== ED25519_PUBLIC_KEY_LENGTH) return null;
    return this.#byOwner.get(toHex(mailboxIdOf(clientKey)))?.name ?? null;
  }

  /** Names held. */
  get size(): number {
    return this.#byOwner.size;
  }

  /** Waits for a claim or release in flight, then flushes and closes. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#lock.catch(() => undefined);
    await this.#database.close();
  }

  #entryOf(name: string): Entry | undefined {
    const owner = typeof name === 'string' ? this.#byName.get(name) : undefined;
    return owner === undefined ? undefined : this.#byOwner.get(owner);
  }

  #put(entry: Entry): void {
    const owner = toHex(entry.mailboxId);
    this.#byOwner.set(owner, entry);
    this.#byName.set(entry.name, owner);
  }

  #remove(owner: string): void {
    const entry = this.#byOwner.get(owner);
    if (entry === undefined) return;
    this.#byOwner.delete(owner);
    if (this.#byName.get(entry.name) === owner) this.#byName.delete(entry.name);
  }

  #mailboxOf(clientKey: Uint8Array): Uint8Array {
    if (!(clientKey instanceof Uint8Array) || clientKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
      throw new HandleRegistryInputError(`a client key is ${ED25519_PUBLIC_KEY_LENGTH} bytes`, this.#database.folder);
    }
    return mailboxIdOf(clientKey);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError(this.#database.folder);
  }
}

/** Whether `record` names the mailbox `mailboxId` and proves it with the key whose mailbox it is. */
function ownedBy(record: HandleRecord, mailboxId: Uint8Array): boolean {
  const key = record.mailboxProof.subarray(0, ED25519_PUBLIC_KEY_LENGTH);
  return key.length === ED25519_PUBLIC_KEY_LENGTH && ctEqual(record.address.mailbox, mailboxId) && ctEqual(mailboxIdOf(key), mailboxId);
}

function keyOf(mailboxId: Uint8Array): Uint8Array {
  const key = new Uint8Array(KEY_LENGTH);
  key[0] = HANDLE_NAMESPACE;
  key.set(mailboxId, 1);
  return key;
}

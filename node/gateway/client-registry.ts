// The clients registered with this gateway: whose mailboxes it keeps. A
// client registers once (over its Noise-authenticated connection, so its
// identity key is proven) and stays registered across restarts.
//
// Its own LevelDB folder (kind 'client-registry'), beside the mailbox store:
//   client:  0x03 ‖ mailboxId (32)  →  client Ed25519 identity key (32) ‖ registeredMs (u64 BE)
// Every registration is written with sync, before the reply: registrations
// are rare and a client told "registered" must stay registered. The whole
// registry is held in memory (64 bytes a client) and rebuilt on open.

import { toHex } from '../../protocol/bytes.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { Database, StoreClosedError, StoreError, readU64, u64 } from '../store/database.js';

/** First key byte of a registered client (this store's own folder; see docs/gateway.md). */
const CLIENT_NAMESPACE = 0x03;
const MAILBOX_ID_LENGTH = 32;
const CLIENT_KEY_LENGTH = 32;
const KEY_LENGTH = 1 + MAILBOX_ID_LENGTH;
const VALUE_LENGTH = CLIENT_KEY_LENGTH + 8;

/** A client key that is not 32 bytes: a caller bug. */
export class RegistryInputError extends StoreError {}

export interface Registration {
  readonly mailboxId: Uint8Array;
  /** False when the client was already registered (idempotent). */
  readonly created: boolean;
}

export class ClientRegistry {
  /** mailbox id (hex) → client identity key. */
  readonly #clients = new Map<string, Uint8Array>();
  readonly #database: Database;
  #closed = false;
  /** Stored entries of the wrong shape, skipped (and left in place). */
  corruptEntries = 0;

  private constructor(database: Database) {
    this.#database = database;
  }

  /** Opens (creating if needed) the registry in `folder` and loads it. Throws the store errors of Database.open. */
  static async open(folder: string): Promise<ClientRegistry> {
    const database = await Database.open(folder, 'client-registry');
    try {
      const registry = new ClientRegistry(database);
      await registry.#load();
      return registry;
    } catch (e) {
      await database.close().catch(() => {});
      throw e;
    }
  }

  async #load(): Promise<void> {
    const range = { gte: new Uint8Array([CLIENT_NAMESPACE]), lt: new Uint8Array([CLIENT_NAMESPACE + 1]) };
    for await (const [key, value] of this.#database.db.iterator(range)) {
      if (key.length !== KEY_LENGTH || value.length !== VALUE_LENGTH) {
        this.corruptEntries++;
        continue;
      }
      this.#clients.set(toHex(key.subarray(1)), Uint8Array.from(value.subarray(0, CLIENT_KEY_LENGTH)));
    }
  }

  /** Registers the client with identity key `clientKey` (durably) and returns its mailbox id. Idempotent. */
  async register(clientKey: Uint8Array, nowMs: number): Promise<Registration> {
    if (this.#closed) throw new StoreClosedError(this.#database.folder);
    if (!(clientKey instanceof Uint8Array) || clientKey.length !== CLIENT_KEY_LENGTH) {
      throw new RegistryInputError(`a client key is ${CLIENT_KEY_LENGTH} bytes`, this.#database.folder);
    }
    const mailboxId = mailboxIdOf(clientKey);
    const hex = toHex(mailboxId);
    if (this.#clients.has(hex)) return { mailboxId, created: false };
    const key = new Uint8Array(KEY_LENGTH);
    key[0] = CLIENT_NAMESPACE;
    key.set(mailboxId, 1);
    const value = new Uint8Array(VALUE_LENGTH);
    value.set(clientKey, 0);
    value.set(u64(Math.max(0, Math.floor(nowMs))), CLIENT_KEY_LENGTH);
    try {
      await this.#database.db.put(key, value, { sync: true });
    } catch (e) {
      throw new StoreError(`cannot record a registration in ${this.#database.folder}: ${(e as Error).message}`, this.#database.folder, { cause: e });
    }
    this.#clients.set(hex, Uint8Array.from(clientKey));
    return { mailboxId, created: true };
  }

  /** Whether `mailboxId` belongs to a registered client. */
  has(mailboxId: Uint8Array): boolean {
    return mailboxId.length === MAILBOX_ID_LENGTH && this.#clients.has(toHex(mailboxId));
  }

  /** Registered clients. */
  get size(): number {
    return this.#clients.size;
  }

  /** When `mailboxId` registered (ms), or undefined. Reads the store. */
  async registeredAt(mailboxId: Uint8Array): Promise<number | undefined> {
    if (!this.has(mailboxId)) return undefined;
    const key = new Uint8Array(KEY_LENGTH);
    key[0] = CLIENT_NAMESPACE;
    key.set(mailboxId, 1);
    const value = await this.#database.db.get(key);
    return value === undefined || value.length !== VALUE_LENGTH ? undefined : readU64(value, CLIENT_KEY_LENGTH);
  }

  /** Flushes and closes. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#database.close();
  }
}

// The clients registered with this gateway: whose mailboxes it keeps. A
// client registers over its Noise-authenticated connection, so its identity
// key is proven. A registration lasts across restarts until the client has
// been idle (no fetch, no send) for the gateway's idle period
// (expireIdle, docs/gateway.md §Bounds).
//
// Its own LevelDB folder (kind 'client-registry'), beside the mailbox store:
//   client:  0x03 ‖ mailboxId (32)  →  client Ed25519 identity key (32) ‖ registeredMs (u64 BE)
//                                        ‖ lastSeenMs (u64 BE) ‖ delivery id (32, zeros = none)
// A 40-byte value (written before delivery ids and idle expiry existed) is
// read as lastSeen = the time the registry was opened, no delivery id.
// Registrations and delivery-id changes are written with sync, before the
// reply: a client told "registered" must stay registered. Activity (the
// last-seen time) is kept in memory and written in batches by
// flushActivity() at most once per `activityGranularityMs` per client, so a
// client fetching every second costs no disk writes. The whole registry is
// held in memory (about 200 bytes a client) and rebuilt on open.

import { toHex } from '../../protocol/bytes.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { DELIVERY_ID_LENGTH } from '../../protocol/wire/register.js';
import { Database, StoreClosedError, StoreError, readU64, u64 } from '../store/database.js';

/** First key byte of a registered client (this store's own folder; see docs/gateway.md). */
const CLIENT_NAMESPACE = 0x03;
const MAILBOX_ID_LENGTH = 32;
const CLIENT_KEY_LENGTH = 32;
const KEY_LENGTH = 1 + MAILBOX_ID_LENGTH;
const LEGACY_VALUE_LENGTH = CLIENT_KEY_LENGTH + 8;
const VALUE_LENGTH = CLIENT_KEY_LENGTH + 8 + 8 + DELIVERY_ID_LENGTH;
const REGISTERED_OFFSET = CLIENT_KEY_LENGTH;
const LAST_SEEN_OFFSET = CLIENT_KEY_LENGTH + 8;
const DELIVERY_OFFSET = CLIENT_KEY_LENGTH + 16;
/** Default: a client's activity reaches the disk at most once an hour. */
const DEFAULT_ACTIVITY_GRANULARITY_MS = 3_600_000;

/** A client key that is not 32 bytes: a caller bug. */
export class RegistryInputError extends StoreError {}

/** The delivery id is already a recipient id of another client. */
export class DeliveryIdTakenError extends StoreError {}

export interface Registration {
  readonly mailboxId: Uint8Array;
  /** False when the client was already registered (idempotent). */
  readonly created: boolean;
}

/** Which of a client's recipient ids a packet was addressed to. */
export type RecipientVia = 'address' | 'delivery';

export interface ResolvedRecipient {
  /** The client's mailbox id (its public address's recipient id). */
  readonly mailboxId: Uint8Array;
  /** 'address': the public mailbox id M; 'delivery': the client's private delivery id D. */
  readonly via: RecipientVia;
  /** Whether the client has registered a delivery id (then M only reaches its contact-request allowance). */
  readonly hasDeliveryId: boolean;
}

interface Client {
  readonly key: Uint8Array;
  readonly mailboxId: Uint8Array;
  readonly registeredMs: number;
  lastSeenMs: number;
  persistedLastSeenMs: number;
  deliveryId: Uint8Array | null;
}

export interface ClientRegistryOptions {
  /** The time the registry is opened: a legacy entry's last-seen time. Default 0. */
  nowMs?: number;
  /** A client's last-seen time is written at most this often. Default 1 h. */
  activityGranularityMs?: number;
}

export class ClientRegistry {
  /** mailbox id (hex) → client. */
  readonly #clients = new Map<string, Client>();
  /** delivery id (hex) → mailbox id (hex). */
  readonly #delivery = new Map<string, string>();
  readonly #database: Database;
  readonly #granularityMs: number;
  #closed = false;
  /** Stored entries of the wrong shape, skipped (and left in place). */
  corruptEntries = 0;

  private constructor(database: Database, granularityMs: number) {
    this.#database = database;
    this.#granularityMs = granularityMs;
  }

  /** Opens (creating if needed) the registry in `folder` and loads it. Throws the store errors of Database.open. */
  static async open(folder: string, options: ClientRegistryOptions = {}): Promise<ClientRegistry> {
    const granularity = options.activityGranularityMs ?? DEFAULT_ACTIVITY_GRANULARITY_MS;
    if (!Number.isSafeInteger(granularity) || granularity < 0) throw new RangeError(`activityGranularityMs must be a non-negative integer, got ${granularity}`);
    const database = await Database.open(folder, 'client-registry');
    try {
      const registry = new ClientRegistry(database, granularity);
      await registry.#load(Math.max(0, Math.floor(options.nowMs ?? 0)));
      return registry;
    } catch (e) {
      await database.close().catch(() => {});
      throw e;
    }
  }

  async #load(nowMs: number): Promise<void> {
    const range = { gte: new Uint8Array([CLIENT_NAMESPACE]), lt: new Uint8Array([CLIENT_NAMESPACE + 1]) };
    for await (const [key, value] of this.#database.db.iterator(range)) {
      if (key.length !== KEY_LENGTH || (value.length !== VALUE_LENGTH && value.length !== LEGACY_VALUE_LENGTH)) {
        this.corruptEntries++;
        continue;
      }
      const registeredMs = readU64(value, REGISTERED_OFFSET);
      const legacy = value.length === LEGACY_VALUE_LENGTH;
      const lastSeenMs = legacy ? Math.max(registeredMs, nowMs) : readU64(value, LAST_SEEN_OFFSET);
      const delivery = legacy ? null : value.slice(DELIVERY_OFFSET, DELIVERY_OFFSET + DELIVERY_ID_LENGTH);
      const deliveryId = delivery === null || delivery.every((b) => b === 0) ? null : delivery;
      const mailboxId = Uint8Array.from(key.subarray(1));
      const hex = toHex(mailboxId);
      // A delivery id that collides with another client's ids cannot be honoured for both: the first keeps it.
      const usable = deliveryId !== null && !this.#delivery.has(toHex(deliveryId)) && !this.#clients.has(toHex(deliveryId));
      if (deliveryId !== null && !usable) this.corruptEntries++;
      const client: Client = {
        key: Uint8Array.from(value.subarray(0, CLIENT_KEY_LENGTH)),
        mailboxId,
        registeredMs,
        lastSeenMs,
        persistedLastSeenMs: lastSeenMs,
        deliveryId: usable ? deliveryId : null,
      };
      this.#clients.set(hex, client);
      if (client.deliveryId) this.#delivery.set(toHex(client.deliveryId), hex);
    }
  }

  /**
   * Registers the client with identity key `clientKey` (durably) and returns
   * its mailbox id. Idempotent; also counts as activity. With `deliveryId`,
   * sets (or rotates to) that delivery id; without, keeps the one it has.
   * Throws DeliveryIdTakenError if the id is another client's recipient id.
   */
  async register(clientKey: Uint8Array, nowMs: number, deliveryId?: Uint8Array): Promise<Registration> {
    if (this.#closed) throw new StoreClosedError(this.#database.folder);
    if (!(clientKey instanceof Uint8Array) || clientKey.length !== CLIENT_KEY_LENGTH) {
      throw new RegistryInputError(`a client key is ${CLIENT_KEY_LENGTH} bytes`, this.#database.folder);
    }
    if (deliveryId !== undefined && (!(deliveryId instanceof Uint8Array) || deliveryId.length !== DELIVERY_ID_LENGTH || deliveryId.every((b) => b === 0))) {
      throw new RegistryInputError(`a delivery id is ${DELIVERY_ID_LENGTH} bytes, not all zero`, this.#database.folder);
    }
    const now = Math.max(0, Math.floor(nowMs));
    const mailboxId = mailboxIdOf(clientKey);
    const hex = toHex(mailboxId);
    const existing = this.#clients.get(hex);
    if (deliveryId !== undefined) {
      const d = toHex(deliveryId);
      const owner = this.#delivery.get(d);
      if ((owner !== undefined && owner !== hex) || this.#clients.has(d) || d === hex) {
        throw new DeliveryIdTakenError('the delivery id is another recipient id', this.#database.folder);
      }
    }
    const sameDelivery = deliveryId === undefined || (existing?.deliveryId != null && toHex(existing.deliveryId) === toHex(deliveryId));
    if (existing && sameDelivery) {
      existing.lastSeenMs = Math.max(existing.lastSeenMs, now);
      return { mailboxId, created: false };
    }
    const client: Client = {
      key: Uint8Array.from(clientKey),
      mailboxId,
      registeredMs: existing?.registeredMs ?? now,
      lastSeenMs: Math.max(existing?.lastSeenMs ?? 0, now),
      persistedLastSeenMs: 0,
      deliveryId: deliveryId !== undefined ? Uint8Array.from(deliveryId) : (existing?.deliveryId ?? null),
    };
    client.persistedLastSeenMs = client.lastSeenMs;
    try {
      await this.#database.db.put(keyOf(mailboxId), valueOf(client), { sync: true });
    } catch (e) {
      throw new StoreError(`cannot record a registration in ${this.#database.folder}: ${(e as Error).message}`, this.#database.folder, { cause: e });
    }
    // The awaited write may have raced another register of the same client: the last write wins in both places.
    const previous = this.#clients.get(hex);
    if (previous?.deliveryId) this.#delivery.delete(toHex(previous.deliveryId));
    this.#clients.set(hex, client);
    if (client.deliveryId) this.#delivery.set(toHex(client.deliveryId), hex);
    return { mailboxId, created: existing === undefined };
  }

  /** Whether `mailboxId` belongs to a registered client. */
  has(mailboxId: Uint8Array): boolean {
    return mailboxId.length === MAILBOX_ID_LENGTH && this.#clients.has(toHex(mailboxId));
  }

  /** The client a Sphinx recipient id names (its mailbox id or its delivery id), or null. */
  resolve(recipientId: Uint8Array): ResolvedRecipient | null {
    if (recipientId.length !== MAILBOX_ID_LENGTH) return null;
    const hex = toHex(recipientId);
    const direct = this.#clients.get(hex);
    if (direct) return { mailboxId: direct.mailboxId, via: 'address', hasDeliveryId: direct.deliveryId !== null };
    const owner = this.#delivery.get(hex);
    const client = owner === undefined ? undefined : this.#clients.get(owner);
    return client ? { mailboxId: client.mailboxId, via: 'delivery', hasDeliveryId: true } : null;
  }

  /** The delivery id `mailboxId` registered, or null. */
  deliveryIdOf(mailboxId: Uint8Array): Uint8Array | null {
    const d = this.#clients.get(toHex(mailboxId))?.deliveryId;
    return d ? Uint8Array.from(d) : null;
  }

  /** Records activity (a fetch or a send) of `mailboxId` at `nowMs`, in memory (flushActivity writes it). */
  touch(mailboxId: Uint8Array, nowMs: number): void {
    const client = this.#clients.get(toHex(mailboxId));
    if (client && nowMs > client.lastSeenMs) client.lastSeenMs = Math.floor(nowMs);
  }

  /** When `mailboxId` was last active (ms, in memory), or undefined. */
  lastSeen(mailboxId: Uint8Array): number | undefined {
    return this.#clients.get(toHex(mailboxId))?.lastSeenMs;
  }

  /** Writes the last-seen times that moved by at least the granularity (`all`: at all) since last written; returns how many. */
  async flushActivity(all = false): Promise<number> {
    if (this.#closed) return 0;
    const dirty = [...this.#clients.values()].filter((c) => c.lastSeenMs > c.persistedLastSeenMs && (all || c.lastSeenMs - c.persistedLastSeenMs >= this.#granularityMs));
    if (dirty.length === 0) return 0;
    const seen = dirty.map((c) => c.lastSeenMs);
    await this.#database.db.batch(dirty.map((c) => ({ type: 'put' as const, key: keyOf(c.mailboxId), value: valueOf(c) })));
    dirty.forEach((c, i) => (c.persistedLastSeenMs = Math.max(c.persistedLastSeenMs, seen[i])));
    return dirty.length;
  }

  /**
   * Deletes every registration idle since `nowMs − idleMs` or longer
   * (durably) and returns their mailbox ids, so the caller can delete their
   * mailboxes. Activity is in memory, so a client's last fetch counts even if
   * it was not yet flushed.
   */
  async expireIdle(nowMs: number, idleMs: number): Promise<Uint8Array[]> {
    if (this.#closed) throw new StoreClosedError(this.#database.folder);
    const cutoff = nowMs - idleMs;
    const idle = [...this.#clients.values()].filter((c) => c.lastSeenMs <= cutoff);
    if (idle.length === 0) return [];
    try {
      await this.#database.db.batch(
        idle.map((c) => ({ type: 'del' as const, key: keyOf(c.mailboxId) })),
        { sync: true },
      );
    } catch (e) {
      throw new StoreError(`cannot expire registrations in ${this.#database.folder}: ${(e as Error).message}`, this.#database.folder, { cause: e });
    }
    const out: Uint8Array[] = [];
    for (const c of idle) {
      const hex = toHex(c.mailboxId);
      const current = this.#clients.get(hex);
      // Registered or active again while the delete was written: write it back.
      if (current !== c || c.lastSeenMs > cutoff) {
        if (current) await this.#database.db.put(keyOf(current.mailboxId), valueOf(current), { sync: true }).catch(() => undefined);
        continue;
      }
      this.#clients.delete(hex);
      if (c.deliveryId) this.#delivery.delete(toHex(c.deliveryId));
      out.push(c.mailboxId);
    }
    return out;
  }

  /** Registered clients. */
  get size(): number {
    return this.#clients.size;
  }

  /** When `mailboxId` registered (ms), or undefined. Reads the store. */
  async registeredAt(mailboxId: Uint8Array): Promise<number | undefined> {
    if (!this.has(mailboxId)) return undefined;
    const value = await this.#database.db.get(keyOf(mailboxId));
    return value === undefined || (value.length !== VALUE_LENGTH && value.length !== LEGACY_VALUE_LENGTH) ? undefined : readU64(value, REGISTERED_OFFSET);
  }

  /** Writes pending activity, then flushes and closes. Idempotent. */
  async close(): Promise<void> {
    // Everything not yet written goes out on a clean stop.
    if (!this.#closed) await this.flushActivity(true).catch(() => 0);
    this.#closed = true;
    await this.#database.close();
  }
}

function keyOf(mailboxId: Uint8Array): Uint8Array {
  const key = new Uint8Array(KEY_LENGTH);
  key[0] = CLIENT_NAMESPACE;
  key.set(mailboxId, 1);
  return key;
}

function valueOf(client: Client): Uint8Array {
  const value = new Uint8Array(VALUE_LENGTH);
  value.set(client.key, 0);
  value.set(u64(client.registeredMs), REGISTERED_OFFSET);
  value.set(u64(client.lastSeenMs), LAST_SEEN_OFFSET);
  if (client.deliveryId) value.set(client.deliveryId, DELIVERY_OFFSET);
  return value;
}

// Real client messengers for the messenger's and the adversarial tests: each
// user has a real encrypted profile store (LevelDB in a temp folder) and the
// real Messenger; envelopes are handed from one to the other directly, as
// the mixnet would deliver them (test/integration proves the network path).
// messengerOptions() is the one wiring of a test messenger's options, also
// used over in-memory stores (test/client/messenger/memory-user.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientEvent } from '../../client/api.js';
import { stageDeliveryId } from '../../client/delivery-id.js';
import { Messenger, type MessengerOptions } from '../../client/messenger.js';
import type { SendQueue } from '../../client/messenger/outbox.js';
import { sealedMessengerStores } from '../../client/messenger/stores.js';
import { Arq } from '../../client/sender/arq.js';
import { COLLECTIONS } from '../../client/state.js';
import { createProfile, openProfile } from '../../client/store/profile.js';
import type { SealedStore } from '../../client/store/sealed-store.js';
import { concatBytes } from '../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { addressOf, encodeAddress, type Address } from '../../protocol/e2ee/address.js';
import { maxPlaintextLength } from '../../protocol/e2ee/envelope.js';
import { generateIdentity, type Identity } from '../../protocol/e2ee/identity.js';
import { mailboxProofMessage, signMailboxProof } from '../../protocol/e2ee/mailbox-proof.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { ManualClock } from './manual-clock.js';

export const ENVELOPE = 2048;
export const HOLD_MS = 60_000;
const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

/** Who a test user is: its identity, and the gateway and mailbox its address names. */
export interface UserKeys {
  identity: Identity;
  /** The key whose mailboxIdOf is this user's mailbox (the gateway-link key). */
  mailboxKey: Ed25519PrivateKey;
  gateway: Uint8Array;
  /**
   * An address naming this mailbox id without its key (an impostor; its
   * card's mailbox proof is then signed by its own key, which does not hash
   * to the mailbox).
   */
  claimMailbox?: Uint8Array;
}

/** The user's address, and the options of its messenger: envelopes of ENVELOPE bytes, an order hold of HOLD_MS, nothing logged. */
export function messengerOptions(clock: Clock, keys: UserKeys, queue: SendQueue, emit: (e: ClientEvent) => void): { ownAddress: Address; options: MessengerOptions } {
  const { identity, mailboxKey, gateway, claimMailbox } = keys;
  const ownAddress = addressOf(identity, gateway, claimMailbox ?? mailboxIdOf(mailboxKey.publicKey));
  const mailboxProof = claimMailbox ? concatBytes(mailboxKey.publicKey, mailboxKey.sign(mailboxProofMessage(ownAddress))) : signMailboxProof(mailboxKey, ownAddress);
  return {
    ownAddress,
    options: {
      ...queue,
      identity,
      ownAddress,
      clock,
      envelopeLength: ENVELOPE,
      maxFrameLength: maxPlaintextLength(ENVELOPE),
      orderHoldMs: HOLD_MS,
      emit,
      log: () => undefined,
      mailboxProof,
    },
  };
}

export interface User extends UserKeys {
  name: string;
  dir: string;
  ownAddress: Address;
  address: string;
  store: SealedStore;
  messenger: Messenger;
  arq: Arq;
  events: ClientEvent[];
}

export interface OpenUserOptions extends UserKeys {
  name: string;
  dir: string;
  /** A new profile in `dir`, or the one there. */
  fresh: boolean;
  /** Kept in the profile before the messenger loads (as the daemon makes one at its first start). */
  deliveryId?: Uint8Array;
  /** Options that differ from messengerOptions()'s. */
  extra?: Partial<MessengerOptions>;
}

/** Opens (or creates) the user's profile in `dir` and loads its Messenger over the profile's stores, with an ARQ as its send queue. */
export async function openUser(clock: Clock, o: OpenUserOptions): Promise<User> {
  const store = o.fresh ? await createProfile(o.dir, 'pass', { collections: COLLECTIONS, scrypt: SCRYPT }) : await openProfile(o.dir, 'pass', { collections: COLLECTIONS });
  const stores = sealedMessengerStores(store);
  if (o.deliveryId) {
    const work = stores.begin();
    stageDeliveryId(stores.profile, work, o.deliveryId);
    await work.commit();
  }
  const events: ClientEvent[] = [];
  const arq = new Arq({ clock }, { maxAttempts: 3, onGaveUp: () => undefined });
  const queue: SendQueue = { enqueue: (k, fragment, attempts) => arq.enqueue(k, fragment, attempts), dequeue: (k) => arq.remove(k), nextKey: () => arq.next() };
  const keys: UserKeys = { identity: o.identity, mailboxKey: o.mailboxKey, gateway: o.gateway, ...(o.claimMailbox ? { claimMailbox: o.claimMailbox } : {}) };
  const { ownAddress, options } = messengerOptions(clock, keys, queue, (e) => events.push(e));
  const messenger = await Messenger.load(stores, { ...options, ...o.extra });
  return { name: o.name, dir: o.dir, ...keys, ownAddress, address: encodeAddress(ownAddress), store, messenger, arq, events };
}

/** Stops the user's messenger and closes its store. */
export async function closeUser(u: User): Promise<void> {
  u.messenger.stop();
  await u.store.close().catch(() => undefined);
}

export class Users {
  readonly clock = new ManualClock(1_800_000_000_000);
  readonly #folders: string[] = [];
  readonly #open: User[] = [];

  /**
   * A new user. `mailboxKey` and `gateway` of another user: a reinstall that
   * kept its mailbox. `claimMailbox`: an impostor's address (UserKeys).
   */
  async create(name: string, opts: { identity?: Identity; mailboxKey?: Ed25519PrivateKey; gateway?: Uint8Array; claimMailbox?: Uint8Array; extra?: Partial<MessengerOptions> } = {}): Promise<User> {
    const dir = mkdtempSync(join(tmpdir(), `chaff-adv-${name}-`));
    this.#folders.push(dir);
    return this.#track(
      await openUser(this.clock, {
        name,
        dir,
        fresh: true,
        identity: opts.identity ?? generateIdentity(),
        mailboxKey: opts.mailboxKey ?? Ed25519PrivateKey.generate(),
        gateway: opts.gateway ?? new Uint8Array(32).fill(name.charCodeAt(0)),
        ...(opts.claimMailbox ? { claimMailbox: opts.claimMailbox } : {}),
        ...(opts.extra ? { extra: opts.extra } : {}),
      }),
    );
  }

  async reopen(u: User): Promise<User> {
    this.#open.splice(this.#open.indexOf(u), 1);
    await closeUser(u);
    return this.#track(await openUser(this.clock, { name: u.name, dir: u.dir, fresh: false, identity: u.identity, mailboxKey: u.mailboxKey, gateway: u.gateway }));
  }

  #track(u: User): User {
    this.#open.push(u);
    return u;
  }

  async closeAll(): Promise<void> {
    for (const u of this.#open.splice(0)) await closeUser(u);
    for (const f of this.#folders.splice(0)) rmSync(f, { recursive: true, force: true });
  }
}

/** Seals one queued fragment of `from` (acknowledged as its gateway would), or null. */
export async function sendOne(from: User): Promise<{ envelope: Uint8Array; mailbox: Uint8Array } | null> {
  const p = await from.messenger.prepareNext();
  if (!p) return null;
  const surb = new Uint8Array(16).map(() => (Math.random() * 256) | 0);
  from.arq.sent(p.key, surb, new Uint8Array(4), 60_000);
  from.messenger.fragmentSent(p.key, 1);
  from.arq.confirm(p.key, surb);
  await from.messenger.fragmentAcked(p.key);
  return { envelope: p.envelope, mailbox: p.mailbox };
}

/** Seals every queued fragment of `from` and returns the envelopes. */
export async function drain(from: User): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let s = await sendOne(from); s; s = await sendOne(from)) out.push(s.envelope);
  return out;
}

export const texts = (u: User): Array<string | undefined> => u.events.filter((e) => e.type === 'message').map((e) => (e as { message: { content: { text?: string } } }).message.content.text);

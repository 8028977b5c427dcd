// Real client messengers for the end-to-end adversarial tests: each user has
// a real encrypted profile store (LevelDB in a temp folder) and the real
// Messenger; envelopes are handed from one to the other directly, as the
// mixnet would deliver them (test/integration proves the network path).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientEvent } from '../../client/api.js';
import { Messenger, type MessengerOptions } from '../../client/messenger.js';
import { Arq } from '../../client/sender/arq.js';
import { collectionsOf, COLLECTIONS } from '../../client/state.js';
import { createProfile, openProfile } from '../../client/store/profile.js';
import type { SealedStore } from '../../client/store/sealed-store.js';
import { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { addressOf, encodeAddress, type Address } from '../../protocol/e2ee/address.js';
import { maxPlaintextLength } from '../../protocol/e2ee/envelope.js';
import { mailboxProofMessage, signMailboxProof } from '../../protocol/e2ee/mailbox-proof.js';
import { concatBytes } from '../../protocol/bytes.js';
import { generateIdentity, type Identity } from '../../protocol/e2ee/identity.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { ManualClock } from '../helpers/manual-clock.js';

export const ENVELOPE = 2048;
const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

export interface User {
  name: string;
  dir: string;
  identity: Identity;
  /** The key whose mailboxIdOf is this user's mailbox (the gateway-link key). */
  mailboxKey: Ed25519PrivateKey;
  gateway: Uint8Array;
  ownAddress: Address;
  address: string;
  store: SealedStore;
  messenger: Messenger;
  arq: Arq;
  events: ClientEvent[];
}

export class Users {
  readonly clock = new ManualClock(1_800_000_000_000);
  readonly #folders: string[] = [];
  readonly #open: User[] = [];

  /**
   * A new user. `mailboxKey` and `gateway` of another user: a reinstall that
   * kept its mailbox. `claimMailbox`: an address naming that mailbox id
   * without its key (an impostor; its card's mailbox proof is then signed by
   * its own key, which does not hash to the mailbox).
   */
  async create(name: string, opts: { identity?: Identity; mailboxKey?: Ed25519PrivateKey; gateway?: Uint8Array; claimMailbox?: Uint8Array; extra?: Partial<MessengerOptions> } = {}): Promise<User> {
    const dir = mkdtempSync(join(tmpdir(), `chaff-adv-${name}-`));
    this.#folders.push(dir);
    const store = await createProfile(dir, 'pass', { collections: COLLECTIONS, scrypt: SCRYPT });
    const gateway = opts.gateway ?? new Uint8Array(32).fill(name.charCodeAt(0));
    return this.#start(name, dir, store, opts.identity ?? generateIdentity(), opts.mailboxKey ?? Ed25519PrivateKey.generate(), gateway, opts.extra ?? {}, opts.claimMailbox);
  }

  async reopen(u: User): Promise<User> {
    u.messenger.stop();
    await u.store.close();
    this.#open.splice(this.#open.indexOf(u), 1);
    const store = await openProfile(u.dir, 'pass', { collections: COLLECTIONS });
    return this.#start(u.name, u.dir, store, u.identity, u.mailboxKey, u.gateway, {});
  }

  async #start(
    name: string,
    dir: string,
    store: SealedStore,
    identity: Identity,
    mailboxKey: Ed25519PrivateKey,
    gateway: Uint8Array,
    extra: Partial<MessengerOptions>,
    claimMailbox?: Uint8Array,
  ): Promise<User> {
    const ownAddress = addressOf(identity, gateway, claimMailbox ?? mailboxIdOf(mailboxKey.publicKey));
    const mailboxProof = claimMailbox ? concatBytes(mailboxKey.publicKey, mailboxKey.sign(mailboxProofMessage(ownAddress))) : signMailboxProof(mailboxKey, ownAddress);
    const events: ClientEvent[] = [];
    const arq = new Arq({ clock: this.clock, maxAttempts: 3, onAcked: () => undefined, onGaveUp: () => undefined });
    const messenger = await Messenger.load({
      store,
      collections: collectionsOf(store),
      identity,
      ownAddress,
      clock: this.clock,
      envelopeLength: ENVELOPE,
      maxFrameLength: maxPlaintextLength(ENVELOPE),
      orderHoldMs: 60_000,
      enqueue: (k) => arq.enqueue(k),
      dequeue: (k) => arq.remove(k),
      nextKey: () => arq.next(),
      emit: (e) => events.push(e),
      log: () => undefined,
      mailboxProof,
      ...extra,
    });
    const u: User = { name, dir, identity, mailboxKey, gateway, ownAddress, address: encodeAddress(ownAddress), store, messenger, arq, events };
    this.#open.push(u);
    return u;
  }

  async closeAll(): Promise<void> {
    for (const u of this.#open.splice(0)) {
      u.messenger.stop();
      await u.store.close().catch(() => undefined);
    }
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

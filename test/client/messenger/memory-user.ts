// One user's messenger parts over in-memory stores (client/messenger/
// messenger-parts.ts), for the parts' unit tests: no disk, a manual clock,
// and a plain FIFO as the send queue (the ARQ and its send order are tested
// on their own).

import type { ClientEvent } from '../../../client/api.js';
import { loadMessengerParts, type MessengerParts } from '../../../client/messenger/messenger-parts.js';
import { memoryMessengerStores, type MessengerStores } from '../../../client/messenger/stores.js';
import type { QueuedFragment } from '../../../client/sender/send-order.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { encodeAddress, type Address } from '../../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';
import type { ManualClock } from '../../helpers/manual-clock.js';
import { messengerOptions } from '../../helpers/messenger-users.js';

export { ENVELOPE, HOLD_MS } from '../../helpers/messenger-users.js';

export interface MemoryUser {
  identity: Identity;
  ownAddress: Address;
  address: string;
  stores: MessengerStores;
  parts: MessengerParts;
  /** The send queue: keys in the order they were queued, with their place in the send order and their attempts so far. */
  queue: Array<{ key: string; fragment: QueuedFragment; attempts: number }>;
  events: ClientEvent[];
  /** What the parts logged. */
  logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
}

/** A user (tag: its gateway and mailbox key), new or over the stores of an earlier one (a restart). */
export async function memoryUser(clock: ManualClock, tag: number, earlier?: MemoryUser): Promise<MemoryUser> {
  earlier?.parts.inbox.stop();
  const identity = earlier?.identity ?? generateIdentity();
  const stores = earlier?.stores ?? memoryMessengerStores();
  const mailboxKey = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(tag + 1));
  const queue: MemoryUser['queue'] = [];
  const events: ClientEvent[] = [];
  const { ownAddress, options } = messengerOptions(
    clock,
    { identity, mailboxKey, gateway: new Uint8Array(32).fill(tag) },
    {
      enqueue: (key, fragment, attempts = 0) => queue.push({ key, fragment, attempts }),
      dequeue: (key) => queue.splice(0, queue.length, ...queue.filter((q) => q.key !== key)),
      nextKey: () => queue.shift()?.key,
    },
    // A copy: an event's record is the live row, which later events change.
    (e) => events.push(structuredClone(e)),
  );
  const logs: MemoryUser['logs'] = [];
  const parts = await loadMessengerParts(stores, { ...options, log: (level, msg, fields) => logs.push({ level, msg, fields }) });
  return { identity, ownAddress, address: encodeAddress(ownAddress), stores, parts, queue, events, logs };
}

/** Seals every queued fragment of `from`, each sent once and acknowledged, and returns the envelopes. */
export async function drain(from: MemoryUser): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let p = await from.parts.outbox.prepareNext(); p; p = await from.parts.outbox.prepareNext()) {
    from.parts.outbox.fragmentSent(p.key, 1);
    await from.parts.outbox.fragmentAcked(p.key);
    out.push(p.envelope);
  }
  return out;
}

export async function deliver(envelopes: Uint8Array[], to: MemoryUser): Promise<void> {
  for (const e of envelopes) await to.parts.inbox.receive(e);
}

export const shownTexts = (u: MemoryUser): Array<string | undefined> => u.events.flatMap((e) => (e.type === 'message' ? [e.message.content.text] : []));

/** Alice, who added Bob; and Bob, who added Alice back when `mutual` (their cards exchanged). Events cleared. */
export async function aliceAndBob(clock: ManualClock, mutual: boolean): Promise<[MemoryUser, MemoryUser]> {
  const alice = await memoryUser(clock, 0x10);
  const bob = await memoryUser(clock, 0x20);
  await alice.parts.book.add('bob', bob.address);
  if (mutual) await bob.parts.book.add('alice', alice.address);
  const cards = await drain(alice);
  if (mutual) {
    await deliver(cards, bob);
    await deliver(await drain(bob), alice);
  }
  alice.events.length = 0;
  bob.events.length = 0;
  return [alice, bob];
}

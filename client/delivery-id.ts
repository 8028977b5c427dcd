// The profile's delivery id (docs/client.md §Delivery id): 32 random bytes,
// a private second recipient id of the client's mailbox at its gateway.
// The address carries only the public mailbox id M, whose deposits the
// gateway holds to a small contact-request allowance; the delivery id D goes
// only to contacts the user added, inside the encrypted session (the contact
// card, docs/chat.md), and their packets are addressed to D, under the
// mailbox's main quota. A stranger who knows the address can fill M's
// allowance, never the mailbox.
//
// Stored in the profile store under "delivery-id"; made at the first start
// of a daemon that has none (before the gateway registration), and read
// from there by the messenger (its contact card). Rotating it (`chaff client
// delivery-id rotate`: a new one registered with the gateway, then kept with
// a new card to every contact in one write: Messenger.announceDeliveryId) is
// what a user does when a contact abuses it: see docs/client.md §Delivery id.

import { randomBytes } from 'node:crypto';
import type { UnitOfWork } from './store/unit-of-work.js';
import type { MessengerStores, ProfileStore } from './messenger/stores.js';

export const DELIVERY_ID_RECORD = 'delivery-id';
export const DELIVERY_ID_BYTES = 32;

/** The stored delivery id, or null if the profile has none (or a malformed one). */
export async function readDeliveryId(profile: ProfileStore): Promise<Uint8Array | null> {
  const stored = await profile.get(DELIVERY_ID_RECORD);
  return stored && stored.length === DELIVERY_ID_BYTES ? stored : null;
}

/** The stored delivery id, or a new one (stored, synced) if the profile has none or a malformed one. */
export async function loadOrCreateDeliveryId(stores: Pick<MessengerStores, 'profile' | 'begin'>): Promise<Uint8Array> {
  const stored = await readDeliveryId(stores.profile);
  if (stored) return stored;
  const id = newDeliveryId();
  const work = stores.begin();
  stageDeliveryId(stores.profile, work, id);
  await work.commit({ sync: true });
  return id;
}

/** 32 fresh random bytes. */
export function newDeliveryId(): Uint8Array {
  return new Uint8Array(randomBytes(DELIVERY_ID_BYTES));
}

/** Stages `id` in place of the old one (null: none). */
export function stageDeliveryId(profile: ProfileStore, work: UnitOfWork, id: Uint8Array | null): void {
  if (id === null) profile.del(work, DELIVERY_ID_RECORD);
  else profile.put(work, DELIVERY_ID_RECORD, id);
}

// The profile's delivery id (docs/client.md §Delivery id): 32 random bytes,
// a private second recipient id of the client's mailbox at its gateway.
// The address carries only the public mailbox id M, whose deposits the
// gateway holds to a small contact-request allowance; the delivery id D goes
// only to contacts the user added, inside the encrypted session (the contact
// card, docs/chat.md), and their packets are addressed to D, under the
// mailbox's main quota. A stranger who knows the address can fill M's
// allowance, never the mailbox.
//
// Stored in the profile collection under "delivery-id"; made at the first
// start of a daemon that has none. Rotating it (`chaff client delivery-id
// rotate`: a new one registered with the gateway, kept, then a new card to
// every contact) is what a user does when a contact abuses it: see
// docs/client.md §Delivery id.

import { randomBytes } from 'node:crypto';
import type { SealedCollection } from './store/sealed-store.js';

export const DELIVERY_ID_RECORD = 'delivery-id';
export const DELIVERY_ID_BYTES = 32;

/** The stored delivery id, or a new one (stored, synced) if the profile has none or a malformed one. */
export async function loadOrCreateDeliveryId(profile: SealedCollection<Uint8Array>): Promise<Uint8Array> {
  const stored = await profile.get(DELIVERY_ID_RECORD);
  if (stored && stored.length === DELIVERY_ID_BYTES) return stored;
  const id = newDeliveryId();
  await storeDeliveryId(profile, id);
  return id;
}

/** 32 fresh random bytes. */
export function newDeliveryId(): Uint8Array {
  return new Uint8Array(randomBytes(DELIVERY_ID_BYTES));
}

/** Keeps `id` (synced) in place of the old one. */
export async function storeDeliveryId(profile: SealedCollection<Uint8Array>, id: Uint8Array): Promise<void> {
  await profile.put(DELIVERY_ID_RECORD, id, { sync: true });
}

// Who sent an incoming envelope, as the contact book resolves it from the
// session's peer identity key (docs/client.md §Contact requests, §Key changes):
//   contact      one of our contacts, by its current identity key;
//   key-changed  the pending new identity key of a contact (a key change
//                whose mailbox proof verified), held until the user decides;
//   stranger     anyone else who knows our address: a contact request.

import type { RequestRecord } from '../state.js';

export type SenderResolution = { kind: 'contact'; name: string } | { kind: 'key-changed'; name: string } | { kind: 'stranger'; request: RequestRecord };

/**
 * The `contact` field of a stored message row from this sender (docs/client-storage.md
 * §Records): the contact's name, or for a stranger "?" then its identity key
 * (hex). A contact name never starts with "?" (contact-names.ts). This file is
 * the one place that knows this encoding.
 */
export function messageContactField(sender: SenderResolution): string {
  switch (sender.kind) {
    case 'contact':
    case 'key-changed':
      return sender.name;
    case 'stranger':
      return strangerContactField(sender.request.identity);
  }
}

/** The contact field of a stranger's rows (one not yet a contact): the only place that writes the "?". */
export function strangerContactField(identity: string): string {
  return `?${identity}`;
}

// A client's two mailboxes in the gateway's store (docs/gateway.md §Contact
// requests and the delivery id). Packets addressed to the client's public
// mailbox id M (the one in its address) can come from anyone who knows the
// address; once the client has registered a private delivery id D, they go
// to its request lane, a separate store mailbox with a small quota (the
// contact-request allowance), so a stranger can fill that and nothing else.
// Packets addressed to D, which only the client's established contacts and
// its own SURBs know, go to the main lane under the store's per-mailbox
// quota. A fetch serves both lanes; each entry says which id it came through.
//
//   main lane:     store mailbox id = M
//   request lane:  store mailbox id = SHA-256("chaff-requests-v1\0" ‖ M)
// While a client has no delivery id, everything addressed to M goes to the
// main lane, as before delivery ids existed.

import { concatBytes } from '../../protocol/bytes.js';
import { sha256 } from '../../protocol/crypto/hash.js';
import type { MailboxQuota } from '../store/mailbox-store.js';

const REQUEST_LANE_DOMAIN = new TextEncoder().encode('chaff-requests-v1\0');

/** The store mailbox holding the contact requests of the client with mailbox id `mailboxId`. */
export function requestLaneOf(mailboxId: Uint8Array): Uint8Array {
  return sha256(concatBytes(REQUEST_LANE_DOMAIN, mailboxId));
}

/** Default contact-request allowance: 32 entries, 256 KiB. */
export const DEFAULT_REQUEST_ALLOWANCE: Readonly<MailboxQuota> = { messages: 32, bytes: 256 * 1024 };

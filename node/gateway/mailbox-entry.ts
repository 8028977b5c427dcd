// What the gateway writes into a mailbox (docs/storage.md §Mailbox store).
// The mailbox store keeps opaque bytes; the gateway prefixes them with the
// kind of entry so a fetch can tell the client what it holds, and which of
// its SURBs a reply used:
//
//   0   1    kind u8: 1 message, 2 SURB reply
//   1   16   SURB id (kind 2 only)
//   …        body: a message's user payload, or a SURB reply's still-encrypted
//            payload (payload tag ‖ forward payload)

import { SURB_ID_LENGTH } from '../../protocol/sphinx/index.js';
import { ENTRY_KIND_MESSAGE, ENTRY_KIND_SURB_REPLY, type FetchEntryKind } from '../../protocol/wire/fetch.js';

export interface MailboxEntry {
  kind: FetchEntryKind;
  /** 16 bytes for a SURB reply; null for a message. */
  surbId: Uint8Array | null;
  body: Uint8Array;
}

/** The bytes to deposit for `entry`. Throws RangeError on a SURB id of the wrong shape (a caller bug). */
export function encodeMailboxEntry(entry: MailboxEntry): Uint8Array {
  if (entry.kind === 'surb-reply') {
    if (!(entry.surbId instanceof Uint8Array) || entry.surbId.length !== SURB_ID_LENGTH) throw new RangeError(`a SURB reply needs a ${SURB_ID_LENGTH}-byte SURB id`);
    const out = new Uint8Array(1 + SURB_ID_LENGTH + entry.body.length);
    out[0] = ENTRY_KIND_SURB_REPLY;
    out.set(entry.surbId, 1);
    out.set(entry.body, 1 + SURB_ID_LENGTH);
    return out;
  }
  if (entry.surbId !== null) throw new RangeError('only a SURB reply carries a SURB id');
  const out = new Uint8Array(1 + entry.body.length);
  out[0] = ENTRY_KIND_MESSAGE;
  out.set(entry.body, 1);
  return out;
}

/** Decodes stored bytes, or null if they are not a mailbox entry (an unknown kind, a truncated SURB reply). */
export function decodeMailboxEntry(bytes: Uint8Array): MailboxEntry | null {
  if (bytes.length < 1) return null;
  if (bytes[0] === ENTRY_KIND_MESSAGE) return { kind: 'message', surbId: null, body: bytes.subarray(1) };
  if (bytes[0] === ENTRY_KIND_SURB_REPLY && bytes.length >= 1 + SURB_ID_LENGTH) {
    return { kind: 'surb-reply', surbId: bytes.slice(1, 1 + SURB_ID_LENGTH), body: bytes.subarray(1 + SURB_ID_LENGTH) };
  }
  return null;
}

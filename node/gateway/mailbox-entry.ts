// What the gateway writes into a mailbox (docs/storage.md §Mailbox store).
// The mailbox store keeps opaque bytes; the gateway prefixes them with the
// kind of entry so a fetch can tell the client what it holds, which of its
// SURBs a reply used, and which of its recipient ids it came through:
//
//   0   1    kind u8: 1 message, 2 SURB reply; bit 6 (0x40) set: deposited
//            through the client's delivery id (clear: through its public
//            mailbox id, as every entry written before delivery ids existed)
//   1   16   SURB id (kind 2 only)
//   …        body: a message's user payload, or a SURB reply's still-encrypted
//            payload (payload tag ‖ forward payload)

import { SURB_ID_LENGTH } from '../../protocol/sphinx/index.js';
import { ENTRY_KIND_MESSAGE, ENTRY_KIND_SURB_REPLY, type FetchEntryKind, type FetchEntryVia } from '../../protocol/wire/fetch.js';

/** Bit of the kind byte set on entries deposited through the delivery id. */
const VIA_DELIVERY_FLAG = 0x40;

export interface MailboxEntry {
  kind: FetchEntryKind;
  /** 16 bytes for a SURB reply; null for a message. */
  surbId: Uint8Array | null;
  /** The recipient id it was addressed to. */
  via: FetchEntryVia;
  body: Uint8Array;
}

/** The bytes to deposit for `entry`. Throws RangeError on a SURB id of the wrong shape (a caller bug). */
export function encodeMailboxEntry(entry: MailboxEntry): Uint8Array {
  const flag = entry.via === 'delivery' ? VIA_DELIVERY_FLAG : 0;
  if (entry.kind === 'surb-reply') {
    if (!(entry.surbId instanceof Uint8Array) || entry.surbId.length !== SURB_ID_LENGTH) throw new RangeError(`a SURB reply needs a ${SURB_ID_LENGTH}-byte SURB id`);
    const out = new Uint8Array(1 + SURB_ID_LENGTH + entry.body.length);
    out[0] = ENTRY_KIND_SURB_REPLY | flag;
    out.set(entry.surbId, 1);
    out.set(entry.body, 1 + SURB_ID_LENGTH);
    return out;
  }
  if (entry.surbId !== null) throw new RangeError('only a SURB reply carries a SURB id');
  const out = new Uint8Array(1 + entry.body.length);
  out[0] = ENTRY_KIND_MESSAGE | flag;
  out.set(entry.body, 1);
  return out;
}

/** Decodes stored bytes, or null if they are not a mailbox entry (an unknown kind, a truncated SURB reply). */
export function decodeMailboxEntry(bytes: Uint8Array): MailboxEntry | null {
  if (bytes.length < 1) return null;
  const via: FetchEntryVia = (bytes[0] & VIA_DELIVERY_FLAG) !== 0 ? 'delivery' : 'address';
  const kind = bytes[0] & ~VIA_DELIVERY_FLAG;
  if (kind === ENTRY_KIND_MESSAGE) return { kind: 'message', surbId: null, via, body: bytes.subarray(1) };
  if (kind === ENTRY_KIND_SURB_REPLY && bytes.length >= 1 + SURB_ID_LENGTH) {
    return { kind: 'surb-reply', surbId: bytes.slice(1, 1 + SURB_ID_LENGTH), via, body: bytes.subarray(1 + SURB_ID_LENGTH) };
  }
  return null;
}

// What the client keeps of its groups in the encrypted store (docs/groups.md
// §11, docs/client-storage.md §Collections), and the record stores they live
// in. Like every other collection, the records are sealed by client/store and
// their ids are keyed hashes on disk.
//
//   groups       group id (hex) → Group.serialize() bytes: the op log, the
//                membership it resolves to, waiting posts, own posts' delivery
//                state (docs/groups.md §6 Stored form; no key, no post text)
//   group-posts  group id (hex) ":" post id (hex) → GroupPostRow: the posts
//                shown, both directions (a file's bytes are in `files`, by post id)
//   group-peers  identity key (hex) → GroupPeerRecord: what we know of a
//                member who is not a contact (its delivery id, our card)

import type { MessageContent } from '../api.js';
import type { RecordStore } from '../store/unit-of-work.js';

export interface GroupPostRow {
  /** Group id (hex). */
  group: string;
  /** Post id (hex). */
  id: string;
  /** The author's identity key (hex). */
  author: string;
  /** The author's sequence number (decimal): the last key of the display order. */
  seq: string;
  sentMs: number;
  direction: 'in' | 'out';
  content: MessageContent;
  /** When it was stored here (received, or written). */
  receivedMs: number;
  /** Incoming: when the user read it here, else null. */
  readMs: number | null;
}

export interface GroupPeerRecord {
  /** Its address (bech32m), as its add op carries it. */
  address: string;
  /** The delivery id (hex) its contact card gave: our packets go there, not to its address's public mailbox. */
  deliveryId: string | null;
  /** Our contact card was queued to it (docs/groups.md §11.6). */
  cardSent: boolean;
}

/** Serialized groups by id (hex). */
export type GroupStore = RecordStore<Uint8Array>;
/** Posts by groupPostKey(). */
export type GroupPostStore = RecordStore<GroupPostRow>;
/** Members who are not contacts, by identity key (hex). */
export type GroupPeerStore = RecordStore<GroupPeerRecord>;

export function groupPostKey(group: string, post: string): string {
  return `${group}:${post}`;
}

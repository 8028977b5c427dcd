// A group frame: what one pairwise end-to-end envelope carries of a group
// message (docs/groups.md §Group frames). It is the plaintext of an ordinary
// envelope (docs/e2ee.md §6), so on the wire and at the gateway a group packet
// is any other packet of the sender's λP stream.
//
//   offset  size  field
//        0     1  frame kind = GROUP_FRAME_KIND (0x04; chat frames are 1 … 3, docs/chat.md §Frames)
//        1     1  group frame version = 1
//        2    16  group id
//       18  47+n  a chat data fragment (docs/chat.md §Data fragment, kind 1) of the encoded group message
//
// The fragment's message id, count, index, content length, sent time and
// stride are the chat layer's, so the client reassembles a group message with
// the chat Reassembler (one per group and sender); its sequence number is the
// sender's count of group messages to this recipient in this group (the group
// layer orders posts itself and does not use it).

import { concatBytes, isBytes } from '../bytes.js';
import { fragment } from '../chat/fragmenter.js';
import { decodeFrame, MIN_FRAME_LENGTH, type DataFragment } from '../chat/frames.js';
import { GroupError } from './errors.js';
import { GROUP_ID_LENGTH } from './op.js';

export const GROUP_FRAME_KIND = 0x04;
export const GROUP_FRAME_VERSION = 1;
export const GROUP_FRAME_HEADER_LENGTH = 2 + GROUP_ID_LENGTH;

export interface GroupFrame {
  groupId: Uint8Array;
  fragment: DataFragment;
}

/** True when an envelope's plaintext is a group frame (its first byte). */
export function isGroupFrame(plaintext: Uint8Array): boolean {
  return plaintext.length > 0 && plaintext[0] === GROUP_FRAME_KIND;
}

/**
 * The frames of one encoded group message, each at most maxFrameLength bytes
 * (the envelope's plaintext capacity, 1621 in production).
 */
export function encodeGroupFrames(groupId: Uint8Array, messageId: Uint8Array, seq: bigint, sentMs: number, message: Uint8Array, maxFrameLength: number): Uint8Array[] {
  if (!isBytes(groupId, GROUP_ID_LENGTH)) throw new GroupError('bad-argument', `a group id is ${GROUP_ID_LENGTH} bytes`);
  if (!Number.isInteger(maxFrameLength) || maxFrameLength - GROUP_FRAME_HEADER_LENGTH < MIN_FRAME_LENGTH) {
    throw new GroupError('bad-argument', `maxFrameLength must leave ${MIN_FRAME_LENGTH} bytes after the ${GROUP_FRAME_HEADER_LENGTH}-byte group header`);
  }
  const header = concatBytes(Uint8Array.of(GROUP_FRAME_KIND, GROUP_FRAME_VERSION), groupId);
  return fragment(messageId, seq, sentMs, message, maxFrameLength - GROUP_FRAME_HEADER_LENGTH).map((f) => concatBytes(header, f));
}

/** Parses a group frame; a malformed one is a GroupError('malformed' or 'unsupported'). */
export function decodeGroupFrame(plaintext: Uint8Array): GroupFrame {
  if (!isBytes(plaintext) || plaintext.length < GROUP_FRAME_HEADER_LENGTH + 1) throw new GroupError('malformed', 'a group frame is too short');
  if (plaintext[0] !== GROUP_FRAME_KIND) throw new GroupError('malformed', `frame kind ${plaintext[0]} is not a group frame`);
  if (plaintext[1] !== GROUP_FRAME_VERSION) throw new GroupError('unsupported', `group frame version ${plaintext[1]}`);
  let inner;
  try {
    inner = decodeFrame(plaintext.subarray(GROUP_FRAME_HEADER_LENGTH));
  } catch (e) {
    throw new GroupError('malformed', `group frame: ${(e as Error).message}`);
  }
  if (inner.kind !== 'data') throw new GroupError('malformed', 'a group frame carries a data fragment');
  return { groupId: plaintext.slice(2, GROUP_FRAME_HEADER_LENGTH), fragment: inner };
}

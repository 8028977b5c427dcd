// Splitting a message's encoded content into data fragments, and putting a
// complete set back together (docs/chat.md §Fragmentation). Each fragment
// travels in its own Sphinx packet, is acknowledged by its own SURB-ACK and
// is retransmitted on its own; retransmissions re-encrypt the same frame.
//
// With stride c = maxFrameLength − DATA_HEADER_LENGTH, content of L bytes
// becomes n = max(1, ⌈L / c⌉) fragments (the fewest that fit): fragments
// 0 … n − 2 carry c bytes each, the last the remaining 1 … c bytes (0 bytes
// only for empty content). Every encoded fragment is at most maxFrameLength.

import { abytes, ctEqual } from '../bytes.js';
import { MAX_CONTENT_LENGTH } from './content.js';
import { ChatContentError, ChatFrameError, contentArgumentError } from './errors.js';
import { fragmentCountFor } from './fragment-layout.js';
import { checkMaxFrameLength, DATA_HEADER_LENGTH, type DataFragment, encodeFrame, validateDataFragment } from './frames.js';

/** The most content bytes one data fragment of at most maxFrameLength bytes carries. */
export function maxChunkLength(maxFrameLength: number): number {
  checkMaxFrameLength(maxFrameLength);
  return maxFrameLength - DATA_HEADER_LENGTH;
}

/** How many fragments (packets, SURB-ACKs) content of `contentLength` bytes needs. */
export function fragmentCount(contentLength: number, maxFrameLength: number): number {
  if (!Number.isInteger(contentLength) || contentLength < 0) throw new ChatFrameError('bad-argument', `content length must be a whole number, got ${contentLength}`);
  return fragmentCountFor(contentLength, maxChunkLength(maxFrameLength));
}

/**
 * The encoded data fragments of one message, in index order, each at most
 * maxFrameLength bytes. `seq` is the conversation sequence number assigned
 * when the user sent the message; `sentMs` the sender's clock then.
 * Throws ChatContentError('too-large') beyond MAX_CONTENT_LENGTH bytes and
 * ChatFrameError for a malformed id, seq, time or maxFrameLength.
 */
export function fragment(messageId: Uint8Array, seq: bigint, sentMs: number, content: Uint8Array, maxFrameLength: number): Uint8Array[] {
  abytes(content, undefined, 'content', contentArgumentError);
  if (content.length > MAX_CONTENT_LENGTH) throw new ChatContentError('too-large', `content of ${content.length} bytes exceeds ${MAX_CONTENT_LENGTH}`);
  const stride = maxChunkLength(maxFrameLength);
  const count = fragmentCountFor(content.length, stride);
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const chunk = content.subarray(index * stride, Math.min(content.length, (index + 1) * stride));
    const frame: DataFragment = { kind: 'data', messageId, seq, index, count, contentLength: content.length, sentMs, chunk };
    frames.push(encodeFrame(frame, maxFrameLength));
  }
  return frames;
}

/**
 * The content carried by a complete set of fragments of one message, given
 * in any order, duplicates allowed. Throws ChatFrameError('bad-argument')
 * if a fragment is missing, or if the fragments disagree (message id, seq,
 * count, length, sent time, stride, or two different chunks for one index).
 */
export function defragment(fragments: readonly DataFragment[]): Uint8Array {
  if (!Array.isArray(fragments) || fragments.length === 0) throw new ChatFrameError('bad-argument', 'no fragments');
  const first = fragments[0];
  const firstPosition = validateDataFragment(first);
  const content = new Uint8Array(first.contentLength);
  const seen = new Map<number, Uint8Array>();
  for (const f of fragments) {
    const position = validateDataFragment(f);
    const sameMessage =
      ctEqual(f.messageId, first.messageId) &&
      f.seq === first.seq &&
      f.count === first.count &&
      f.contentLength === first.contentLength &&
      f.sentMs === first.sentMs &&
      position.stride === firstPosition.stride;
    if (!sameMessage) throw new ChatFrameError('bad-argument', `fragment ${f.index} disagrees with fragment ${first.index}`);
    const earlier = seen.get(f.index);
    if (earlier !== undefined) {
      if (!ctEqual(earlier, f.chunk)) throw new ChatFrameError('bad-argument', `two different chunks for fragment ${f.index}`);
      continue;
    }
    seen.set(f.index, f.chunk);
    content.set(f.chunk, position.offset);
  }
  if (seen.size !== first.count) throw new ChatFrameError('bad-argument', `${first.count - seen.size} of ${first.count} fragments missing`);
  return content;
}

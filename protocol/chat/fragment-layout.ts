// Where a data fragment's chunk sits in the message's content
// (docs/chat.md §Fragmentation). A sender splits content of L bytes into
// n = max(1, ⌈L / c⌉) chunks of c bytes, the last one holding the rest
// (1 … c bytes; 0 only for empty content, n = 1). The stride c is the
// sender's maxFrameLength − DATA_HEADER_LENGTH and is not on the wire: any
// one fragment determines it from (L, n, its index, its chunk length):
//   a fragment that is not the last: c = its chunk length;
//   the last fragment (n > 1):        c = (L − its chunk length) / (n − 1).
// So every fragment is checked on its own, lands at offset index · c, and
// two fragments of one message that imply different strides cannot both be
// honest.

export interface FragmentPosition {
  /** The chunk length every fragment but the last carries (the whole content when count = 1). */
  stride: number;
  /** Where this fragment's chunk starts in the content: index · stride. */
  offset: number;
}

/**
 * The stride and offset implied by one fragment, or null if no sender could
 * have produced it (no stride c ≥ 1 makes the counts and lengths agree).
 * Arguments are whole numbers; the caller checks 0 ≤ index < count.
 */
export function fragmentPosition(contentLength: number, count: number, index: number, chunkLength: number): FragmentPosition | null {
  if (count === 1) return chunkLength === contentLength ? { stride: contentLength, offset: 0 } : null;
  let stride: number;
  if (index < count - 1) {
    stride = chunkLength;
  } else {
    const rest = contentLength - chunkLength;
    if (chunkLength < 1 || rest <= 0 || rest % (count - 1) !== 0) return null;
    stride = rest / (count - 1);
  }
  // n − 1 full chunks, then a last chunk of 1 … c bytes.
  if (stride < 1 || (count - 1) * stride >= contentLength || contentLength > count * stride) return null;
  return { stride, offset: index * stride };
}

/** The fewest fragments that carry `contentLength` bytes in chunks of at most `stride` bytes (1 for empty content). */
export function fragmentCountFor(contentLength: number, stride: number): number {
  return Math.max(1, Math.ceil(contentLength / stride));
}

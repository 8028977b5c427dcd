// The plaintext frames inside a chat envelope (docs/chat.md §Frames). Each
// Sphinx packet's user payload is an end-to-end envelope (protocol/e2ee)
// whose plaintext is one frame of at most maxFrameLength bytes; a frame may
// be shorter, the envelope layer pads. All integers are big-endian.
//
// Data fragment (kind 1; DATA_HEADER_LENGTH + n bytes):
//   0    1    kind = 1
//   1    16   message id (random, the same for every fragment of a message)
//   17   8    conversation sequence number, u64 (per sender → recipient, 0, 1, 2, …)
//   25   4    fragment index, u32, < fragment count
//   29   4    fragment count, u32, ≥ 1
//   33   4    content length, u32: the whole message's encoded content, ≤ MAX_CONTENT_LENGTH
//   37   8    sent time, f64: ms since the Unix epoch on the sender's clock, finite
//   45   2    chunk length n, u16
//   47   n    chunk: content bytes [index · stride, index · stride + n)
//
// Receipt (kind 2; 3 + 16 k bytes):
//   0    1    kind = 2
//   1    1    receipt type: 1 = read
//   2    1    count k, 1 … 255
//   3    16k  k message ids
//
// Contact card (kind 3; 131 bytes), sent to each contact the user added
// (and again when it changes), never to a stranger:
//   0    1    kind = 3
//   1    1    card version = 1
//   2    1    flags: bit 0 = a delivery id follows (else 32 zero bytes)
//   3    32   delivery id D: the private id of the sender's mailbox at its
//             gateway (docs/gateway.md §Contact requests and the delivery id);
//             the recipient addresses its packets to D instead of the
//             address's public mailbox id
//   35   96   mailbox proof (protocol/e2ee/mailbox-proof.ts): the sender's
//             mailbox key and its signature binding the sender's identity to
//             the address's gateway and mailbox
//
// Delivery is known from SURB-ACKs, per fragment; only read receipts travel
// as frames. Decoding is strict: one encoding per frame, no trailing bytes,
// and a fragment's lengths must be ones a sender could have produced
// (fragment-layout.ts).

import { abytes, isBytes } from '../bytes.js';
import { MAX_CONTENT_LENGTH } from './content.js';
import { ChatFrameError } from './errors.js';
import { type FragmentPosition, fragmentPosition } from './fragment-layout.js';

export { ChatFrameError } from './errors.js';
export type { ChatFrameErrorCode } from './errors.js';

export const FRAME_KIND_DATA = 1;
export const FRAME_KIND_RECEIPT = 2;
export const FRAME_KIND_CARD = 3;
export const CARD_VERSION = 1;
export const DELIVERY_ID_LENGTH = 32;
export const CARD_PROOF_LENGTH = 96;
export const CARD_FRAME_LENGTH = 3 + DELIVERY_ID_LENGTH + CARD_PROOF_LENGTH;
export const RECEIPT_TYPE_READ = 1;

export const MESSAGE_ID_LENGTH = 16;
/** Bytes of a data fragment before its chunk. */
export const DATA_HEADER_LENGTH = 1 + MESSAGE_ID_LENGTH + 8 + 4 + 4 + 4 + 8 + 2;
/** Bytes of a receipt before its message ids. */
export const RECEIPT_HEADER_LENGTH = 3;
/** The smallest maxFrameLength: a data fragment must carry at least one content byte. */
export const MIN_FRAME_LENGTH = DATA_HEADER_LENGTH + 1;
/** The largest maxFrameLength: the chunk length is a u16. */
export const MAX_FRAME_LENGTH = DATA_HEADER_LENGTH + 0xffff;

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffff;

export interface DataFragment {
  kind: 'data';
  /** MESSAGE_ID_LENGTH bytes. */
  messageId: Uint8Array;
  /** The conversation sequence number, a u64. */
  seq: bigint;
  index: number;
  count: number;
  /** Length of the whole message's encoded content. */
  contentLength: number;
  /** ms since the Unix epoch on the sender's clock. */
  sentMs: number;
  chunk: Uint8Array;
}

export type ReceiptType = 'read';

export interface ReceiptFrame {
  kind: 'receipt';
  receiptType: ReceiptType;
  /** 1 … maxReceiptIds(maxFrameLength) message ids of MESSAGE_ID_LENGTH bytes. */
  messageIds: Uint8Array[];
}

export interface CardFrame {
  kind: 'card';
  /** The sender's delivery id (DELIVERY_ID_LENGTH bytes), or null: write to the address's mailbox. */
  deliveryId: Uint8Array | null;
  /** The mailbox proof (CARD_PROOF_LENGTH bytes). */
  mailboxProof: Uint8Array;
}

export type ChatFrame = DataFragment | ReceiptFrame | CardFrame;

/** Throws ChatFrameError('bad-argument') unless maxFrameLength is a whole number in [MIN_FRAME_LENGTH, MAX_FRAME_LENGTH]. */
export function checkMaxFrameLength(maxFrameLength: number): void {
  if (!Number.isInteger(maxFrameLength) || maxFrameLength < MIN_FRAME_LENGTH || maxFrameLength > MAX_FRAME_LENGTH) {
    throw new ChatFrameError('bad-argument', `maxFrameLength must be a whole number in ${MIN_FRAME_LENGTH} … ${MAX_FRAME_LENGTH}, got ${maxFrameLength}`);
  }
}

/** The most message ids one receipt frame of at most maxFrameLength bytes carries. */
export function maxReceiptIds(maxFrameLength: number): number {
  checkMaxFrameLength(maxFrameLength);
  return Math.min(255, Math.floor((maxFrameLength - RECEIPT_HEADER_LENGTH) / MESSAGE_ID_LENGTH));
}

const badArgument = (message: string): ChatFrameError => new ChatFrameError('bad-argument', message);

function isMessageId(id: unknown): id is Uint8Array {
  return isBytes(id, MESSAGE_ID_LENGTH);
}

function isU32(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= U32_MAX;
}

/**
 * Checks a data fragment's fields (the types, then the same value rules the
 * decoder applies) and returns where its chunk sits. Throws ChatFrameError.
 */
export function validateDataFragment(fragment: DataFragment): FragmentPosition {
  if (fragment === null || typeof fragment !== 'object') throw new ChatFrameError('bad-argument', 'a data fragment must be an object');
  const { messageId, seq, index, count, contentLength, sentMs, chunk } = fragment;
  if (!isMessageId(messageId)) throw new ChatFrameError('bad-argument', `message id must be ${MESSAGE_ID_LENGTH} bytes`);
  if (typeof seq !== 'bigint' || seq < 0n || seq > U64_MAX) throw new ChatFrameError('bad-argument', 'sequence number must be a u64 bigint');
  if (!isU32(index) || !isU32(count) || !isU32(contentLength)) throw new ChatFrameError('bad-argument', 'index, count and content length must be u32 numbers');
  if (typeof sentMs !== 'number') throw new ChatFrameError('bad-argument', 'sent time must be a number');
  abytes(chunk, undefined, 'chunk', badArgument);
  if (chunk.length > 0xffff) throw new ChatFrameError('out-of-range', `chunk of ${chunk.length} bytes exceeds the u16 length`);
  return checkFragmentValues(contentLength, count, index, chunk.length, sentMs);
}

function checkFragmentValues(contentLength: number, count: number, index: number, chunkLength: number, sentMs: number): FragmentPosition {
  if (count < 1) throw new ChatFrameError('out-of-range', 'fragment count must be at least 1');
  if (index >= count) throw new ChatFrameError('bad-index', `fragment index ${index} is not below the count ${count}`);
  if (contentLength > MAX_CONTENT_LENGTH) throw new ChatFrameError('out-of-range', `content length ${contentLength} exceeds ${MAX_CONTENT_LENGTH}`);
  if (!Number.isFinite(sentMs)) throw new ChatFrameError('out-of-range', 'sent time must be finite');
  const position = fragmentPosition(contentLength, count, index, chunkLength);
  if (position === null) {
    throw new ChatFrameError('out-of-range', `fragment ${index}/${count} with a ${chunkLength}-byte chunk cannot be part of ${contentLength} bytes of content`);
  }
  return position;
}

function encodeData(fragment: DataFragment, maxFrameLength: number): Uint8Array {
  validateDataFragment(fragment);
  const length = DATA_HEADER_LENGTH + fragment.chunk.length;
  if (length > maxFrameLength) throw new ChatFrameError('too-long', `data fragment of ${length} bytes exceeds maxFrameLength ${maxFrameLength}`);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = FRAME_KIND_DATA;
  out.set(fragment.messageId, 1);
  view.setBigUint64(17, fragment.seq, false);
  view.setUint32(25, fragment.index, false);
  view.setUint32(29, fragment.count, false);
  view.setUint32(33, fragment.contentLength, false);
  view.setFloat64(37, fragment.sentMs, false);
  view.setUint16(45, fragment.chunk.length, false);
  out.set(fragment.chunk, DATA_HEADER_LENGTH);
  return out;
}

function encodeReceipt(receipt: ReceiptFrame, maxFrameLength: number): Uint8Array {
  if (receipt.receiptType !== 'read') throw new ChatFrameError('bad-argument', `unknown receipt type ${String(receipt.receiptType)}`);
  const ids = receipt.messageIds;
  if (!Array.isArray(ids) || !ids.every(isMessageId)) throw new ChatFrameError('bad-argument', `message ids must be ${MESSAGE_ID_LENGTH} bytes each`);
  if (ids.length < 1 || ids.length > 255) throw new ChatFrameError('out-of-range', `a receipt carries 1 … 255 message ids, got ${ids.length}`);
  const length = RECEIPT_HEADER_LENGTH + MESSAGE_ID_LENGTH * ids.length;
  if (length > maxFrameLength) throw new ChatFrameError('too-long', `receipt of ${length} bytes exceeds maxFrameLength ${maxFrameLength}`);
  const out = new Uint8Array(length);
  out[0] = FRAME_KIND_RECEIPT;
  out[1] = RECEIPT_TYPE_READ;
  out[2] = ids.length;
  ids.forEach((id, i) => out.set(id, RECEIPT_HEADER_LENGTH + MESSAGE_ID_LENGTH * i));
  return out;
}

function encodeCard(card: CardFrame, maxFrameLength: number): Uint8Array {
  if (card.deliveryId !== null) abytes(card.deliveryId, DELIVERY_ID_LENGTH, 'delivery id (or null)', badArgument);
  abytes(card.mailboxProof, CARD_PROOF_LENGTH, 'mailbox proof', badArgument);
  if (CARD_FRAME_LENGTH > maxFrameLength) throw new ChatFrameError('too-long', `a card of ${CARD_FRAME_LENGTH} bytes exceeds maxFrameLength ${maxFrameLength}`);
  const out = new Uint8Array(CARD_FRAME_LENGTH);
  out[0] = FRAME_KIND_CARD;
  out[1] = CARD_VERSION;
  out[2] = card.deliveryId ? 1 : 0;
  if (card.deliveryId) out.set(card.deliveryId, 3);
  out.set(card.mailboxProof, 3 + DELIVERY_ID_LENGTH);
  return out;
}

/** Encodes a frame into at most maxFrameLength bytes; throws ChatFrameError if it is invalid or too long. */
export function encodeFrame(frame: ChatFrame, maxFrameLength: number): Uint8Array {
  checkMaxFrameLength(maxFrameLength);
  if (frame?.kind === 'data') return encodeData(frame, maxFrameLength);
  if (frame?.kind === 'receipt') return encodeReceipt(frame, maxFrameLength);
  if (frame?.kind === 'card') return encodeCard(frame, maxFrameLength);
  throw new ChatFrameError('bad-argument', 'frame kind must be "data", "receipt" or "card"');
}

/**
 * Read receipts for `messageIds` (at least one), as few encoded receipt
 * frames as fit: maxReceiptIds(maxFrameLength) ids per frame, in order.
 */
export function encodeReadReceipts(messageIds: readonly Uint8Array[], maxFrameLength: number): Uint8Array[] {
  const perFrame = maxReceiptIds(maxFrameLength);
  if (!Array.isArray(messageIds) || messageIds.length === 0) throw new ChatFrameError('bad-argument', 'no message ids to acknowledge');
  const frames: Uint8Array[] = [];
  for (let i = 0; i < messageIds.length; i += perFrame) {
    frames.push(encodeFrame({ kind: 'receipt', receiptType: 'read', messageIds: messageIds.slice(i, i + perFrame) }, maxFrameLength));
  }
  return frames;
}

function decodeData(bytes: Uint8Array): DataFragment {
  if (bytes.length < DATA_HEADER_LENGTH) throw new ChatFrameError('truncated', `data fragment of ${bytes.length} bytes is shorter than its ${DATA_HEADER_LENGTH}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkLength = view.getUint16(45, false);
  const end = DATA_HEADER_LENGTH + chunkLength;
  if (bytes.length < end) throw new ChatFrameError('truncated', `data fragment ends before its ${chunkLength}-byte chunk`);
  if (bytes.length > end) throw new ChatFrameError('trailing-bytes', `${bytes.length - end} bytes after the data fragment`);
  const fragment: DataFragment = {
    kind: 'data',
    messageId: bytes.slice(1, 17),
    seq: view.getBigUint64(17, false),
    index: view.getUint32(25, false),
    count: view.getUint32(29, false),
    contentLength: view.getUint32(33, false),
    sentMs: view.getFloat64(37, false),
    chunk: bytes.slice(DATA_HEADER_LENGTH, end),
  };
  checkFragmentValues(fragment.contentLength, fragment.count, fragment.index, chunkLength, fragment.sentMs);
  return fragment;
}

function decodeReceipt(bytes: Uint8Array): ReceiptFrame {
  if (bytes.length < RECEIPT_HEADER_LENGTH) throw new ChatFrameError('truncated', 'receipt ends inside its header');
  if (bytes[1] !== RECEIPT_TYPE_READ) throw new ChatFrameError('out-of-range', `unknown receipt type ${bytes[1]}`);
  const count = bytes[2];
  if (count < 1) throw new ChatFrameError('out-of-range', 'a receipt carries at least one message id');
  const end = RECEIPT_HEADER_LENGTH + MESSAGE_ID_LENGTH * count;
  if (bytes.length < end) throw new ChatFrameError('truncated', `receipt ends before its ${count} message ids`);
  if (bytes.length > end) throw new ChatFrameError('trailing-bytes', `${bytes.length - end} bytes after the receipt`);
  const messageIds = Array.from({ length: count }, (_, i) => bytes.slice(RECEIPT_HEADER_LENGTH + MESSAGE_ID_LENGTH * i, RECEIPT_HEADER_LENGTH + MESSAGE_ID_LENGTH * (i + 1)));
  return { kind: 'receipt', receiptType: 'read', messageIds };
}

function decodeCard(bytes: Uint8Array): CardFrame {
  if (bytes.length < CARD_FRAME_LENGTH) throw new ChatFrameError('truncated', `a card is ${CARD_FRAME_LENGTH} bytes, got ${bytes.length}`);
  if (bytes.length > CARD_FRAME_LENGTH) throw new ChatFrameError('trailing-bytes', `${bytes.length - CARD_FRAME_LENGTH} bytes after the card`);
  if (bytes[1] !== CARD_VERSION) throw new ChatFrameError('out-of-range', `unknown card version ${bytes[1]}`);
  if (bytes[2] & ~1) throw new ChatFrameError('out-of-range', 'unknown card flags');
  const id = bytes.subarray(3, 3 + DELIVERY_ID_LENGTH);
  if (!(bytes[2] & 1) && id.some((b) => b !== 0)) throw new ChatFrameError('out-of-range', 'a card without a delivery id has zero bytes in its place');
  return { kind: 'card', deliveryId: bytes[2] & 1 ? id.slice() : null, mailboxProof: bytes.slice(3 + DELIVERY_ID_LENGTH) };
}

/** Decodes one frame; throws ChatFrameError if it is malformed. The result does not share memory with `bytes`. */
export function decodeFrame(bytes: Uint8Array): ChatFrame {
  abytes(bytes, undefined, 'a frame', badArgument);
  if (bytes.length === 0) throw new ChatFrameError('truncated', 'empty frame');
  if (bytes[0] === FRAME_KIND_DATA) return decodeData(bytes);
  if (bytes[0] === FRAME_KIND_RECEIPT) return decodeReceipt(bytes);
  if (bytes[0] === FRAME_KIND_CARD) return decodeCard(bytes);
  throw new ChatFrameError('bad-kind', `unknown frame kind ${bytes[0]}`);
}

// The group messages members send each other (docs/groups.md §Group
// messages). Each travels, fragmented, inside group frames (frame.ts) in the
// sender's pairwise end-to-end sessions, so its sender is the session's peer
// and needs no signature here; membership ops carry their own (op.ts),
// checked by the group for each op it does not hold yet.
//
// The first byte is the type; all integers big-endian:
//   1 ops          count u16 (1 … MAX_OPS_PER_MESSAGE = 10,000) ‖ count × (length u16 ‖ op)
//   2 invitation   as ops: every op the inviter holds, the invitee's add among them
//   3 post         message id 16 ‖ author's sequence number u64 ‖ sent time f64 (ms) ‖
//                  head count h u8 (1 … MAX_OP_DEPS; MAX_POST_HEADS from this code) ‖ h × op id 32 (the author's
//                  membership heads, ascending) ‖
//                  content (to the end): docs/chat.md §Content (text, or a file)
//   4 receipt      receipt type u8 (1 delivered, 2 read) ‖ count k u8 (1 … 255) ‖ k × message id 16
//   5 sync         have count h u8 (0 … MAX_OP_DEPS) ‖ h × op id 32 (the requester's heads) ‖
//                  want count w u8 (0 … MAX_OP_DEPS) ‖ w × op id 32 (ops it was told of and lacks):
//                  "send me the ops outside the past of my heads"

import { isBytes } from '../bytes.js';
import { decodeContent, encodeContent, type ChatContent } from '../chat/content.js';
import { ByteReader, ByteWriter } from './codec.js';
import { GroupError } from './errors.js';
import { MAX_OPS } from './op-log.js';
import { compareBytes, MAX_OP_DEPS, OP_ID_LENGTH, parseOp, type ParsedOp } from './op.js';

export const GROUP_MESSAGE_TYPE = { ops: 1, invitation: 2, post: 3, receipt: 4, sync: 5 } as const;
export const POST_ID_LENGTH = 16;
/** Ops one message carries: at most a whole group's (MAX_OPS), refused before any is parsed. */
export const MAX_OPS_PER_MESSAGE = MAX_OPS;
export const MAX_RECEIPT_IDS = 255;
export type ReceiptType = 'delivered' | 'read';
const RECEIPT_CODE: Record<ReceiptType, number> = { delivered: 1, read: 2 };

export type GroupMessage =
  | { type: 'ops' | 'invitation'; ops: readonly ParsedOp[] }
  | { type: 'post'; id: Uint8Array; seq: bigint; sentMs: number; heads: readonly Uint8Array[]; content: ChatContent }
  | { type: 'receipt'; receipt: ReceiptType; ids: Uint8Array[] }
  | { type: 'sync'; heads: readonly Uint8Array[]; want: readonly Uint8Array[] };

function writeHeads(w: ByteWriter, heads: readonly Uint8Array[], min: number): void {
  if (heads.length < min || heads.length > MAX_OP_DEPS || !heads.every((h) => isBytes(h, OP_ID_LENGTH))) {
    throw new GroupError('bad-argument', `${min} … ${MAX_OP_DEPS} heads of ${OP_ID_LENGTH} bytes`);
  }
  w.u8(heads.length);
  for (const h of [...heads].sort(compareBytes)) w.bytes(h);
}

function readHeads(r: ByteReader, min: number): Uint8Array[] {
  const n = r.u8();
  if (n < min || n > MAX_OP_DEPS) throw new GroupError('malformed', `${n} heads`);
  const heads: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const h = r.take(OP_ID_LENGTH);
    if (i > 0 && compareBytes(heads[i - 1], h) >= 0) throw new GroupError('malformed', 'heads are not strictly ascending');
    heads.push(h);
  }
  return heads;
}

export function encodeGroupMessage(m: GroupMessage): Uint8Array {
  const w = new ByteWriter().u8(GROUP_MESSAGE_TYPE[m.type]);
  switch (m.type) {
    case 'ops':
    case 'invitation':
      if (m.ops.length === 0 || m.ops.length > MAX_OPS_PER_MESSAGE) throw new GroupError('bad-argument', `1 … ${MAX_OPS_PER_MESSAGE} ops per message`);
      w.u16(m.ops.length);
      for (const op of m.ops) w.u16(op.bytes.length).bytes(op.bytes);
      break;
    case 'post':
      if (!isBytes(m.id, POST_ID_LENGTH)) throw new GroupError('bad-argument', `a post id is ${POST_ID_LENGTH} bytes`);
      if (m.seq < 0n || m.seq >= 1n << 64n || !Number.isFinite(m.sentMs)) throw new GroupError('bad-argument', 'seq is a u64 and the time finite');
      w.bytes(m.id).u64(m.seq).f64(m.sentMs);
      writeHeads(w, m.heads, 1);
      w.bytes(encodeContent(m.content));
      break;
    case 'receipt':
      if (m.ids.length === 0 || m.ids.length > MAX_RECEIPT_IDS || !m.ids.every((id) => isBytes(id, POST_ID_LENGTH))) {
        throw new GroupError('bad-argument', `1 … ${MAX_RECEIPT_IDS} post ids per receipt`);
      }
      w.u8(RECEIPT_CODE[m.receipt]).u8(m.ids.length);
      for (const id of m.ids) w.bytes(id);
      break;
    case 'sync':
      writeHeads(w, m.heads, 0);
      writeHeads(w, m.want, 0);
      break;
  }
  return w.finish();
}

/**
 * Parses a group message. Ops are parsed, not yet signature-checked: the
 * group verifies those it does not hold (verifyOp). Anything else is a GroupError.
 */
export function decodeGroupMessage(bytes: Uint8Array): GroupMessage {
  if (!isBytes(bytes)) throw new GroupError('malformed', 'a group message is bytes');
  const r = new ByteReader(bytes, 'group message');
  const type = r.u8();
  let m: GroupMessage;
  switch (type) {
    case GROUP_MESSAGE_TYPE.ops:
    case GROUP_MESSAGE_TYPE.invitation: {
      const count = r.u16();
      if (count === 0) throw new GroupError('malformed', 'an ops message without ops');
      if (count > MAX_OPS_PER_MESSAGE) throw new GroupError('limit', `${count} ops in one message (at most ${MAX_OPS_PER_MESSAGE})`);
      const ops: ParsedOp[] = [];
      for (let i = 0; i < count; i++) ops.push(parseOp(r.take(r.u16())));
      m = { type: type === GROUP_MESSAGE_TYPE.ops ? 'ops' : 'invitation', ops };
      break;
    }
    case GROUP_MESSAGE_TYPE.post: {
      const id = r.take(POST_ID_LENGTH);
      const seq = r.u64();
      const sentMs = r.f64();
      const heads = readHeads(r, 1);
      let content: ChatContent;
      try {
        content = decodeContent(r.rest());
      } catch (e) {
        throw new GroupError('malformed', `post content: ${(e as Error).message}`);
      }
      m = { type: 'post', id, seq, sentMs, heads, content };
      break;
    }
    case GROUP_MESSAGE_TYPE.receipt: {
      const code = r.u8();
      const receipt: ReceiptType | undefined = code === 1 ? 'delivered' : code === 2 ? 'read' : undefined;
      if (!receipt) throw new GroupError('malformed', `receipt type ${code}`);
      const count = r.u8();
      if (count === 0) throw new GroupError('malformed', 'a receipt without ids');
      const ids: Uint8Array[] = [];
      for (let i = 0; i < count; i++) ids.push(r.take(POST_ID_LENGTH));
      m = { type: 'receipt', receipt, ids };
      break;
    }
    case GROUP_MESSAGE_TYPE.sync:
      m = { type: 'sync', heads: readHeads(r, 0), want: readHeads(r, 0) };
      break;
    default:
      throw new GroupError('unsupported', `group message type ${type}`);
  }
  r.end();
  return m;
}

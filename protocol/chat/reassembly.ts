// Reassembly of one peer's data fragments into messages (docs/chat.md
// §Reassembly). Fragments arrive in any order, and duplicates are normal: a
// sender retransmits a fragment (re-encrypting the same frame) whenever its
// SURB-ACK is late, even if the first copy arrived.
//
// Rules, per fragment:
//   - a message id completed earlier → duplicate (of the message);
//   - a message id evicted earlier → rejected ('evicted'): its other
//     fragments were acknowledged and will not come again;
//   - content longer than maxPartialBytes → rejected ('too-large');
//   - the same id and index as a fragment held → duplicate (of the fragment),
//     or rejected ('inconsistent') if the chunk differs;
//   - seq, count, content length, sent time and stride (fragment-layout.ts)
//     must equal those of the first fragment held for the message, otherwise
//     rejected ('inconsistent') and not merged;
//   - the last missing fragment completes the message.
// Memory is bounded: at most maxPartialMessages incomplete messages and
// maxPartialBytes chunk bytes; the oldest incomplete message (by its first
// fragment's arrival) is evicted first, and every eviction is reported.
// Completed and evicted ids are remembered in a FIFO window of
// rememberedMessages ids. Past it, a late duplicate of a one-fragment
// message would complete again; the order buffer (order.ts) then drops it by
// its sequence number.
//
// The state is a plain JSON value (toJSON / fromJSON). The client persists
// the held chunks as records of their own, one write per fragment, and the
// rest of the state only when it changes (docs/client-storage.md §Incoming
// fragments): heldIndexes and each eviction's indexes say which chunk
// records to delete.

import { ctEqual, toHex } from '../bytes.js';
import { ChatStateError } from './errors.js';
import { type DataFragment, MESSAGE_ID_LENGTH, validateDataFragment } from './frames.js';
import { fromBase64, toBase64 } from '../util/base64.js';

export interface ReassemblerLimits {
  /** Incomplete messages held at once (≥ 1). */
  maxPartialMessages: number;
  /** Chunk bytes held over all incomplete messages (≥ 1); longer messages are refused. */
  maxPartialBytes: number;
  /** Completed or evicted message ids remembered to recognise late fragments (≥ 0). */
  rememberedMessages: number;
}

/** Per peer: 64 incomplete messages, 4 MiB (four maximal messages), 4096 remembered ids. */
export const DEFAULT_REASSEMBLER_LIMITS: Readonly<ReassemblerLimits> = Object.freeze({
  maxPartialMessages: 64,
  maxPartialBytes: 4 << 20,
  rememberedMessages: 4096,
});

export interface ReassembledMessage {
  messageId: Uint8Array;
  seq: bigint;
  sentMs: number;
  /** How many fragments carried it. */
  count: number;
  /** The encoded content (content.ts decodeContent reads it). */
  content: Uint8Array;
}

export type EvictionReason = 'too-many-partials' | 'too-many-bytes';

/** An incomplete message dropped to keep within the limits: it is lost unless its sender sends it again. */
export interface Eviction {
  messageId: Uint8Array;
  seq: bigint;
  sentMs: number;
  received: number;
  count: number;
  /** Indexes of the fragments that were held. */
  indexes: number[];
  reason: EvictionReason;
}

export type RejectionReason = 'inconsistent' | 'too-large' | 'evicted';

export type AcceptResult =
  | { status: 'partial'; messageId: Uint8Array; received: number; count: number; evicted: Eviction[] }
  | { status: 'complete'; message: ReassembledMessage; evicted: Eviction[] }
  | { status: 'duplicate'; messageId: Uint8Array; index: number; of: 'fragment' | 'message'; evicted: Eviction[] }
  | { status: 'rejected'; messageId: Uint8Array; index: number; reason: RejectionReason; detail: string; evicted: Eviction[] };

interface PendingMessage {
  messageId: Uint8Array;
  seq: bigint;
  sentMs: number;
  count: number;
  contentLength: number;
  stride: number;
  chunks: Map<number, Uint8Array>;
  bytes: number;
}

type Outcome = 'completed' | 'evicted';

/** The persisted form (JSON): ids in hex, seq in decimal, chunks in base64, oldest first. */
export interface ReassemblerState {
  version: 1;
  partials: Array<{ id: string; seq: string; sentMs: number; count: number; contentLength: number; chunks: Array<[number, string]> }>;
  remembered: Array<[string, Outcome]>;
}

function checkLimits(options: Partial<ReassemblerLimits> | undefined): ReassemblerLimits {
  const limits = { ...DEFAULT_REASSEMBLER_LIMITS, ...options };
  const whole = (n: number, min: number) => Number.isSafeInteger(n) && n >= min;
  if (!whole(limits.maxPartialMessages, 1)) throw new ChatStateError('bad-argument', 'maxPartialMessages must be a whole number ≥ 1');
  if (!whole(limits.maxPartialBytes, 1)) throw new ChatStateError('bad-argument', 'maxPartialBytes must be a whole number ≥ 1');
  if (!whole(limits.rememberedMessages, 0)) throw new ChatStateError('bad-argument', 'rememberedMessages must be a whole number ≥ 0');
  return limits;
}

export class Reassembler {
  readonly limits: Readonly<ReassemblerLimits>;
  // Insertion order = arrival order of each message's first fragment (oldest first).
  readonly #pending = new Map<string, PendingMessage>();
  readonly #remembered = new Map<string, Outcome>();
  #bytes = 0;
  #evictedOnLoad: Eviction[] = [];

  constructor(limits?: Partial<ReassemblerLimits>) {
    this.limits = Object.freeze(checkLimits(limits));
  }

  /** Messages fromJSON evicted because the restored state exceeded the (new) limits; empty otherwise. */
  get evictedOnLoad(): readonly Eviction[] {
    return this.#evictedOnLoad;
  }

  /** Incomplete messages held. */
  get partialCount(): number {
    return this.#pending.size;
  }

  /** Chunk bytes held over all incomplete messages. */
  get partialBytes(): number {
    return this.#bytes;
  }

  /** Indexes of the fragments held for an incomplete message (empty if none is held). */
  heldIndexes(messageId: Uint8Array): number[] {
    const pending = this.#pending.get(toHex(messageId));
    return pending ? [...pending.chunks.keys()] : [];
  }

  /** Fragments received so far of an incomplete message, or null if none is held. */
  progress(messageId: Uint8Array): { received: number; count: number } | null {
    const pending = this.#pending.get(toHex(messageId));
    return pending ? { received: pending.chunks.size, count: pending.count } : null;
  }

  /**
   * Takes one decoded data fragment of this peer. Throws ChatFrameError only
   * if `fragment` itself is malformed (decodeFrame never returns one that is).
   */
  accept(fragment: DataFragment): AcceptResult {
    const position = validateDataFragment(fragment);
    const { messageId, index } = fragment;
    const key = toHex(messageId);
    const outcome = this.#remembered.get(key);
    if (outcome === 'completed') return { status: 'duplicate', messageId, index, of: 'message', evicted: [] };
    if (outcome === 'evicted') return this.#reject(fragment, 'evicted', 'the message was evicted earlier; its other fragments will not come again');
    if (fragment.contentLength > this.limits.maxPartialBytes) {
      return this.#reject(fragment, 'too-large', `content of ${fragment.contentLength} bytes exceeds maxPartialBytes ${this.limits.maxPartialBytes}`);
    }

    const existing = this.#pending.get(key);
    if (existing) {
      const mismatch = this.#mismatch(existing, fragment, position.stride);
      if (mismatch) return this.#reject(fragment, 'inconsistent', mismatch);
      const held = existing.chunks.get(index);
      if (held !== undefined) {
        if (ctEqual(held, fragment.chunk)) return { status: 'duplicate', messageId, index, of: 'fragment', evicted: [] };
        return this.#reject(fragment, 'inconsistent', `a different chunk for fragment ${index} is held`);
      }
    }

    const received = (existing?.chunks.size ?? 0) + 1;
    if (received === fragment.count) {
      // Completing fragments are never stored, so completion never evicts.
      const content = new Uint8Array(fragment.contentLength);
      if (existing) for (const [i, chunk] of existing.chunks) content.set(chunk, i * existing.stride);
      content.set(fragment.chunk, position.offset);
      this.#drop(key);
      this.#remember(key, 'completed');
      const message = { messageId: messageId.slice(), seq: fragment.seq, sentMs: fragment.sentMs, count: fragment.count, content };
      return { status: 'complete', message, evicted: [] };
    }

    const evicted: Eviction[] = [];
    let pending = existing;
    if (!pending) {
      while (this.#pending.size >= this.limits.maxPartialMessages) evicted.push(this.#evictOldest('too-many-partials', key));
      pending = {
        messageId: messageId.slice(),
        seq: fragment.seq,
        sentMs: fragment.sentMs,
        count: fragment.count,
        contentLength: fragment.contentLength,
        stride: position.stride,
        chunks: new Map(),
        bytes: 0,
      };
      this.#pending.set(key, pending);
    }
    // Terminates: this message's chunks never exceed its content length ≤ maxPartialBytes.
    while (this.#bytes + fragment.chunk.length > this.limits.maxPartialBytes) evicted.push(this.#evictOldest('too-many-bytes', key));
    pending.chunks.set(index, fragment.chunk.slice());
    pending.bytes += fragment.chunk.length;
    this.#bytes += fragment.chunk.length;
    return { status: 'partial', messageId, received: pending.chunks.size, count: pending.count, evicted };
  }

  #mismatch(pending: PendingMessage, f: DataFragment, stride: number): string | null {
    if (f.seq !== pending.seq) return `sequence number ${f.seq} differs from ${pending.seq}`;
    if (f.count !== pending.count) return `fragment count ${f.count} differs from ${pending.count}`;
    if (f.contentLength !== pending.contentLength) return `content length ${f.contentLength} differs from ${pending.contentLength}`;
    if (f.sentMs !== pending.sentMs) return `sent time ${f.sentMs} differs from ${pending.sentMs}`;
    if (stride !== pending.stride) return `chunk length implies a stride of ${stride}, not ${pending.stride}`;
    return null;
  }

  #reject(f: DataFragment, reason: RejectionReason, detail: string): AcceptResult {
    return { status: 'rejected', messageId: f.messageId, index: f.index, reason, detail, evicted: [] };
  }

  #drop(key: string): PendingMessage | undefined {
    const pending = this.#pending.get(key);
    if (pending) {
      this.#pending.delete(key);
      this.#bytes -= pending.bytes;
    }
    return pending;
  }

  #remember(key: string, outcome: Outcome): void {
    this.#remembered.delete(key);
    this.#remembered.set(key, outcome);
    while (this.#remembered.size > this.limits.rememberedMessages) {
      this.#remembered.delete(this.#remembered.keys().next().value as string);
    }
  }

  /** Evicts the oldest incomplete message other than `keep` (the caller guarantees there is one). */
  #evictOldest(reason: EvictionReason, keep: string | null): Eviction {
    let victim: string | undefined;
    for (const key of this.#pending.keys()) {
      if (key !== keep) {
        victim = key;
        break;
      }
    }
    if (victim === undefined) throw new ChatStateError('bad-state', 'nothing to evict (internal invariant broken)');
    const pending = this.#drop(victim) as PendingMessage;
    this.#remember(victim, 'evicted');
    return { messageId: pending.messageId, seq: pending.seq, sentMs: pending.sentMs, received: pending.chunks.size, count: pending.count, indexes: [...pending.chunks.keys()], reason };
  }

  /** The state as a JSON value (see ReassemblerState). */
  toJSON(): ReassemblerState {
    return {
      version: 1,
      partials: [...this.#pending.values()].map((p) => ({
        id: toHex(p.messageId),
        seq: p.seq.toString(),
        sentMs: p.sentMs,
        count: p.count,
        contentLength: p.contentLength,
        chunks: [...p.chunks].map(([i, chunk]): [number, string] => [i, toBase64(chunk)]),
      })),
      remembered: [...this.#remembered],
    };
  }

  /**
   * Restores a state written by toJSON. Throws ChatStateError('bad-state')
   * if it is malformed or inconsistent. If it exceeds `limits` (they may
   * have changed since), the oldest incomplete messages are evicted and
   * listed in `evictedOnLoad`.
   */
  static fromJSON(state: unknown, limits?: Partial<ReassemblerLimits>): Reassembler {
    const r = new Reassembler(limits);
    const s = state as ReassemblerState;
    if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.partials) || !Array.isArray(s.remembered)) {
      throw new ChatStateError('bad-state', 'not a version 1 reassembler state');
    }
    for (const entry of s.remembered) {
      if (!Array.isArray(entry) || entry.length !== 2 || !isHexId(entry[0]) || (entry[1] !== 'completed' && entry[1] !== 'evicted')) {
        throw new ChatStateError('bad-state', 'malformed remembered message id');
      }
      if (r.#remembered.has(entry[0])) throw new ChatStateError('bad-state', `message id ${entry[0]} remembered twice`);
      r.#remembered.set(entry[0], entry[1]);
    }
    for (const p of s.partials) {
      const pending = restorePending(p);
      const key = toHex(pending.messageId);
      if (r.#pending.has(key) || r.#remembered.has(key)) throw new ChatStateError('bad-state', `message id ${key} appears twice`);
      r.#pending.set(key, pending);
      r.#bytes += pending.bytes;
    }
    // Apply the limits, which may be lower than those the state was written under.
    const evicted: Eviction[] = [];
    for (const [key, pending] of [...r.#pending]) {
      if (pending.contentLength > r.limits.maxPartialBytes) {
        r.#drop(key);
        r.#remember(key, 'evicted');
        evicted.push({
          messageId: pending.messageId,
          seq: pending.seq,
          sentMs: pending.sentMs,
          received: pending.chunks.size,
          count: pending.count,
          indexes: [...pending.chunks.keys()],
          reason: 'too-many-bytes',
        });
      }
    }
    while (r.#pending.size > r.limits.maxPartialMessages) evicted.push(r.#evictOldest('too-many-partials', null));
    while (r.#bytes > r.limits.maxPartialBytes) evicted.push(r.#evictOldest('too-many-bytes', null));
    while (r.#remembered.size > r.limits.rememberedMessages) r.#remembered.delete(r.#remembered.keys().next().value as string);
    r.#evictedOnLoad = evicted;
    return r;
  }
}

const HEX_ID = new RegExp(`^[0-9a-f]{${2 * MESSAGE_ID_LENGTH}}$`);

function isHexId(value: unknown): value is string {
  return typeof value === 'string' && HEX_ID.test(value);
}

function restorePending(p: ReassemblerState['partials'][number]): PendingMessage {
  if (p === null || typeof p !== 'object' || !isHexId(p.id) || typeof p.seq !== 'string' || !/^(0|[1-9][0-9]*)$/.test(p.seq) || !Array.isArray(p.chunks)) {
    throw new ChatStateError('bad-state', 'malformed incomplete message');
  }
  const messageId = new Uint8Array(Buffer.from(p.id, 'hex'));
  const pending: PendingMessage = {
    messageId,
    seq: BigInt(p.seq),
    sentMs: p.sentMs,
    count: p.count,
    contentLength: p.contentLength,
    stride: 0,
    chunks: new Map(),
    bytes: 0,
  };
  for (const entry of p.chunks) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[1] !== 'string') {
      throw new ChatStateError('bad-state', `malformed chunk of message ${p.id}`);
    }
    let chunk: Uint8Array;
    try {
      chunk = fromBase64(entry[1]);
    } catch (err) {
      throw new ChatStateError('bad-state', /canonical/.test((err as Error).message) ? `non-canonical base64 in message ${p.id}` : `malformed chunk of message ${p.id}`);
    }
    const fragment: DataFragment = { kind: 'data', messageId, seq: pending.seq, index: entry[0], count: pending.count, contentLength: pending.contentLength, sentMs: pending.sentMs, chunk };
    let stride: number;
    try {
      stride = validateDataFragment(fragment).stride;
    } catch (err) {
      throw new ChatStateError('bad-state', `message ${p.id}: ${(err as Error).message}`);
    }
    if (pending.chunks.size > 0 && stride !== pending.stride) throw new ChatStateError('bad-state', `message ${p.id}: chunks imply different strides`);
    if (pending.chunks.has(fragment.index)) throw new ChatStateError('bad-state', `message ${p.id}: fragment ${fragment.index} held twice`);
    pending.stride = stride;
    pending.chunks.set(fragment.index, chunk);
    pending.bytes += chunk.length;
  }
  if (pending.chunks.size === 0 || pending.chunks.size >= pending.count) {
    throw new ChatStateError('bad-state', `message ${p.id}: an incomplete message holds 1 … count − 1 fragments`);
  }
  return pending;
}

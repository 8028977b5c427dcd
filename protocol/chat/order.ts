// One conversation's sequence numbers, as the recipient has seen them
// (docs/chat.md §Ordering). Every message carries its conversation sequence
// number (0, 1, 2, … per sender → recipient, assigned when the user sends).
// A complete message is shown at once, whatever its seq: holding it back
// until every earlier one had come would block a conversation behind its
// slowest message (a text sent after a large file, or one lost packet
// waiting for its retransmission). The history places a message by its seq,
// so one that arrives after a later one takes its place there. What is left
// to this class, which holds seqs and times, never the messages:
//   - duplicates: a seq already delivered is refused (deliver: false),
//     without a window (seqs below `next` count as delivered, except the
//     remembered skipped ones);
//   - late: a message whose seq is below one delivered before it;
//   - gaps: seqs missing below the highest delivered one. A gap open holdMs
//     (from the arrival of the first message above it) is given up: reported
//     as skipped, so the client can say a message never arrived, and `next`
//     moves past it. A skipped seq that arrives after all is still
//     delivered, late, while it is among the last rememberedSkips skipped
//     ranges (older ones count as delivered);
//   - a bound: more than maxAhead delivered seqs above `next` give up the
//     oldest gap at once.
// Time is an argument (ms): the caller passes its clock's now to push and
// release, and may call release at nextDeadline() to give up gaps on time.

import { ChatStateError } from './errors.js';

export interface OrderBufferOptions {
  /** How long a gap is waited for before it is given up (reported missing), in ms (≥ 0). */
  holdMs: number;
  /** Delivered seqs remembered above the lowest gap at most (≥ 1); default 256. */
  maxAhead?: number;
  /** Skipped ranges remembered so a late message is still delivered (≥ 0); default 64. */
  rememberedSkips?: number;
  /** The first sequence number of the conversation; default 0. */
  firstSeq?: bigint;
}

/** Sequence numbers from … to, both included. */
export interface SeqRange {
  from: bigint;
  to: bigint;
}

export interface PushResult {
  /** Show the message; false: its seq was delivered already (a duplicate, to drop). */
  deliver: boolean;
  /** Delivered after a message with a higher seq (it takes its place by seq). */
  late: boolean;
  /** Gaps given up on by this call (their hold ended, or the bound), in order. */
  skipped: SeqRange[];
}

export interface ReleaseResult {
  /** Gaps given up on by this call, in order. */
  skipped: SeqRange[];
}

/**
 * The persisted form (JSON), version 2: seqs in decimal; `ahead` the seqs
 * delivered above `next` with their arrival times, `skipped` the remembered
 * skipped ranges, both sorted.
 */
export interface OrderBufferState {
  version: 2;
  next: string;
  ahead: Array<[seq: string, arrivedMs: number]>;
  skipped: Array<[from: string, to: string]>;
}

export interface RestoredOrderBuffer {
  buffer: OrderBuffer;
  /**
   * A version 1 state's waiting items (the caller's JSON), in seq order:
   * messages that state still held back, which are to be shown now. Empty
   * for a version 2 state.
   */
  released: unknown[];
}

const U64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function checkSeq(seq: bigint, what: string): void {
  if (typeof seq !== 'bigint' || seq < 0n || seq > U64_MAX) throw new ChatStateError('bad-argument', `${what} must be a u64 bigint`);
}

function checkNow(nowMs: number): void {
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new ChatStateError('bad-argument', `time must be a finite number of ms, got ${nowMs}`);
}

export class OrderBuffer {
  readonly holdMs: number;
  readonly maxAhead: number;
  readonly rememberedSkips: number;
  // Every seq below #next is delivered, except those in #skipped; #next itself is not.
  #next: bigint;
  // Delivered seqs above #next → when they arrived. Non-empty means a gap starts at #next.
  readonly #ahead = new Map<bigint, number>();
  // Sorted, disjoint, all below #next; the oldest are forgotten first.
  #skipped: SeqRange[] = [];

  constructor(options: OrderBufferOptions) {
    const { holdMs, maxAhead = 256, rememberedSkips = 64, firstSeq = 0n } = options ?? ({} as OrderBufferOptions);
    if (typeof holdMs !== 'number' || !Number.isFinite(holdMs) || holdMs < 0) throw new ChatStateError('bad-argument', 'holdMs must be a finite number ≥ 0');
    if (!Number.isSafeInteger(maxAhead) || maxAhead < 1) throw new ChatStateError('bad-argument', 'maxAhead must be a whole number ≥ 1');
    if (!Number.isSafeInteger(rememberedSkips) || rememberedSkips < 0) throw new ChatStateError('bad-argument', 'rememberedSkips must be a whole number ≥ 0');
    checkSeq(firstSeq, 'firstSeq');
    this.holdMs = holdMs;
    this.maxAhead = maxAhead;
    this.rememberedSkips = rememberedSkips;
    this.#next = firstSeq;
  }

  /** The lowest sequence number not delivered yet (not counting remembered skipped ones). */
  get nextSeq(): bigint {
    return this.#next;
  }

  /** Delivered seqs above a gap (above nextSeq). */
  get aheadCount(): number {
    return this.#ahead.size;
  }

  /**
   * When the lowest gap's hold ends (call release then), or null if there
   * is no gap. The lowest gap has been open the longest: every message
   * delivered ahead is above it, so it opened with the first of them.
   */
  nextDeadline(): number | null {
    let earliest: number | null = null;
    for (const arrivedMs of this.#ahead.values()) if (earliest === null || arrivedMs < earliest) earliest = arrivedMs;
    return earliest === null ? null : earliest + this.holdMs;
  }

  /**
   * The message with sequence number `seq` is complete at `nowMs`: whether to
   * show it (it is shown at once unless a duplicate), whether it is late, and
   * the gaps that release(nowMs) would give up.
   */
  push(seq: bigint, nowMs: number): PushResult {
    checkSeq(seq, 'sequence number');
    checkNow(nowMs);
    const result: PushResult = { deliver: false, late: false, skipped: [] };
    if (seq < this.#next) {
      // A skipped seq: below `next`, so some later message was delivered before it.
      if (this.#unskip(seq)) {
        result.deliver = true;
        result.late = true;
      }
    } else if (!this.#ahead.has(seq)) {
      result.deliver = true;
      result.late = this.#hasAheadAbove(seq);
      if (seq === this.#next) {
        this.#next += 1n;
        this.#advance();
      } else {
        this.#ahead.set(seq, nowMs);
      }
    }
    this.#giveUp(nowMs, result.skipped);
    return result;
  }

  /** Gives up every gap whose hold has ended by `nowMs`, and gaps beyond the bound. */
  release(nowMs: number): ReleaseResult {
    checkNow(nowMs);
    const result: ReleaseResult = { skipped: [] };
    this.#giveUp(nowMs, result.skipped);
    return result;
  }

  #hasAheadAbove(seq: bigint): boolean {
    for (const s of this.#ahead.keys()) if (s > seq) return true;
    return false;
  }

  /** Moves `next` past the delivered seqs that now follow it without a gap. */
  #advance(): void {
    while (this.#ahead.delete(this.#next)) this.#next += 1n;
  }

  #giveUp(nowMs: number, skipped: SeqRange[]): void {
    // A gap is due once a message above it has been there holdMs: the highest
    // such message's seq is the line below which every gap is given up.
    let due: bigint | null = null;
    for (const [seq, arrivedMs] of this.#ahead) {
      if (nowMs - arrivedMs >= this.holdMs && (due === null || seq > due)) due = seq;
    }
    while (due !== null && this.#next <= due) this.#skipLowestGap(skipped);
    while (this.#ahead.size > this.maxAhead) this.#skipLowestGap(skipped);
    this.#trimSkipped();
  }

  /** Gives up the gap [next, lowest ahead − 1]; the caller knows one exists. */
  #skipLowestGap(skipped: SeqRange[]): void {
    let lowest: bigint | null = null;
    for (const seq of this.#ahead.keys()) if (lowest === null || seq < lowest) lowest = seq;
    if (lowest === null || lowest <= this.#next) throw new ChatStateError('bad-state', 'no gap to skip (internal invariant broken)');
    const range = { from: this.#next, to: lowest - 1n };
    skipped.push({ ...range });
    this.#skipped.push(range);
    this.#next = lowest;
    this.#advance();
  }

  /** Removes `seq` from the skipped ranges; false if it was not skipped (so it was delivered). */
  #unskip(seq: bigint): boolean {
    const i = this.#skipped.findIndex((r) => r.from <= seq && seq <= r.to);
    if (i < 0) return false;
    const { from, to } = this.#skipped[i];
    const parts: SeqRange[] = [];
    if (from < seq) parts.push({ from, to: seq - 1n });
    if (seq < to) parts.push({ from: seq + 1n, to });
    this.#skipped.splice(i, 1, ...parts);
    return true;
  }

  #trimSkipped(): void {
    if (this.#skipped.length > this.rememberedSkips) this.#skipped.splice(0, this.#skipped.length - this.rememberedSkips);
  }

  /** The state as a JSON value (version 2). */
  serialize(): OrderBufferState {
    return {
      version: 2,
      next: this.#next.toString(),
      ahead: [...this.#ahead].sort(([a], [b]) => compareSeqs(a, b)).map(([seq, arrivedMs]): [string, number] => [seq.toString(), arrivedMs]),
      skipped: this.#skipped.map((r): [string, string] => [r.from.toString(), r.to.toString()]),
    };
  }

  /**
   * Restores a state written by serialize (version 2), or by the version
   * that held messages back (version 1, `{ version: 1, next, waiting:
   * [[seq, arrivedMs, item]], skipped }`: its waiting messages count as
   * delivered, arrived when they arrived, and their items are returned in
   * `released` for the caller to show). Options are the running client's;
   * a state over maxAhead or rememberedSkips is brought within them by the
   * next push or release. Throws ChatStateError('bad-state') if the state is
   * malformed or inconsistent.
   */
  static deserialize(state: unknown, options: OrderBufferOptions): RestoredOrderBuffer {
    const version = state !== null && typeof state === 'object' ? (state as { version?: unknown }).version : undefined;
    if (version === 2) return { buffer: OrderBuffer.#fromV2(state as Record<string, unknown>, options), released: [] };
    if (version === 1) return OrderBuffer.#fromV1(state as Record<string, unknown>, options);
    throw new ChatStateError('bad-state', 'not a version 1 or 2 order buffer state');
  }

  static #fromV2(s: Record<string, unknown>, options: OrderBufferOptions): OrderBuffer {
    const keys = Object.keys(s).sort().join(',');
    if (keys !== 'ahead,next,skipped,version' || !Array.isArray(s.ahead) || !Array.isArray(s.skipped)) {
      throw new ChatStateError('bad-state', 'a version 2 order state has exactly: version, next, ahead, skipped');
    }
    const buffer = OrderBuffer.#empty(s.next, options);
    let floor = buffer.#next;
    for (const entry of s.ahead as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new ChatStateError('bad-state', 'malformed ahead entry');
      const seq = parseSeq(entry[0], U64_MAX);
      if (seq <= floor) throw new ChatStateError('bad-state', 'ahead seqs must be sorted, distinct and above next');
      buffer.#ahead.set(seq, parseTime(entry[1]));
      floor = seq;
    }
    buffer.#readSkipped(s.skipped);
    return buffer;
  }

  static #fromV1(s: Record<string, unknown>, options: OrderBufferOptions): RestoredOrderBuffer {
    if (!Array.isArray(s.waiting) || !Array.isArray(s.skipped)) throw new ChatStateError('bad-state', 'not a version 1 order buffer state');
    const buffer = OrderBuffer.#empty(s.next, options);
    const items = new Map<bigint, unknown>();
    for (const entry of s.waiting as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 3) throw new ChatStateError('bad-state', 'malformed waiting message');
      const seq = parseSeq(entry[0], U64_MAX);
      if (seq < buffer.#next || items.has(seq)) throw new ChatStateError('bad-state', `waiting seq ${seq} is delivered or repeated`);
      buffer.#ahead.set(seq, parseTime(entry[1]));
      items.set(seq, entry[2]);
    }
    buffer.#readSkipped(s.skipped);
    // Version 1 delivered a waiting message at `next` at once, so none should be there; if one is, it is delivered all the same.
    buffer.#advance();
    const released = [...items].sort(([a], [b]) => compareSeqs(a, b)).map(([, item]) => item);
    return { buffer, released };
  }

  static #empty(next: unknown, options: OrderBufferOptions): OrderBuffer {
    const buffer = new OrderBuffer({ ...options, firstSeq: 0n });
    buffer.#next = parseSeq(next, U64_MAX + 1n); // 2^64 once the last u64 seq was delivered
    return buffer;
  }

  #readSkipped(entries: unknown[]): void {
    let floor = -1n;
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new ChatStateError('bad-state', 'malformed skipped range');
      const from = parseSeq(entry[0], U64_MAX);
      const to = parseSeq(entry[1], U64_MAX);
      if (from <= floor || to < from || to >= this.#next) throw new ChatStateError('bad-state', 'skipped ranges must be sorted, disjoint and below next');
      this.#skipped.push({ from, to });
      floor = to;
    }
  }
}

function parseSeq(value: unknown, max: bigint): bigint {
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw new ChatStateError('bad-state', 'a sequence number must be a decimal string');
  const seq = BigInt(value);
  if (seq > max) throw new ChatStateError('bad-state', 'sequence number out of range');
  return seq;
}

function compareSeqs(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseTime(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ChatStateError('bad-state', 'an arrival time must be a finite number of ms');
  return value;
}

// Restoring the sender's order within one conversation (docs/chat.md
// §Ordering). Every message carries its conversation sequence number
// (0, 1, 2, … per sender → recipient, assigned when the user sends), and
// messages are delivered to the user in that order:
//   - a message at the next expected seq is delivered, with every waiting
//     message that follows it without a gap;
//   - a message past a gap waits;
//   - a seq already delivered, or already waiting, is a duplicate and dropped;
//   - a message that has waited holdMs is delivered anyway, with everything
//     before it: the missing seqs below it are skipped and reported, so one
//     lost message cannot block a conversation forever;
//   - more than maxWaiting waiting messages also skip the oldest gap at once
//     (memory bound);
//   - a skipped seq that arrives after all is delivered at once, marked late
//     (the last rememberedSkips skipped ranges are kept for this; older
//     skipped seqs count as delivered).
// Time is an argument (ms): the caller passes its clock's now to push and
// release, and may call release at nextDeadline() to flush on time.

import { ChatStateError } from './errors.js';

export interface OrderBufferOptions {
  /** How long a message past a gap waits for the gap to fill, in ms (≥ 0). */
  holdMs: number;
  /** Messages waiting at most (≥ 1); default 256. */
  maxWaiting?: number;
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

export interface Delivery<T> {
  seq: bigint;
  item: T;
  /** Its seq had been skipped: it arrived after later messages were delivered. */
  late: boolean;
}

export interface OrderResult<T> {
  /** Deliverable now, in this order. */
  delivered: Delivery<T>[];
  /** Gaps given up on by this call, in order. */
  skipped: SeqRange[];
  /** The pushed seq was already delivered or waiting; its item was dropped. */
  duplicate: boolean;
}

/** The persisted form (JSON): seqs in decimal, items as encodeItem made them. */
export interface OrderBufferState {
  version: 1;
  next: string;
  waiting: Array<[seq: string, arrivedMs: number, item: unknown]>;
  skipped: Array<[from: string, to: string]>;
}

const U64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function checkSeq(seq: bigint, what: string): void {
  if (typeof seq !== 'bigint' || seq < 0n || seq > U64_MAX) throw new ChatStateError('bad-argument', `${what} must be a u64 bigint`);
}

function checkNow(nowMs: number): void {
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new ChatStateError('bad-argument', `time must be a finite number of ms, got ${nowMs}`);
}

interface Waiting<T> {
  item: T;
  arrivedMs: number;
}

export class OrderBuffer<T> {
  readonly holdMs: number;
  readonly maxWaiting: number;
  readonly rememberedSkips: number;
  #next: bigint;
  readonly #waiting = new Map<bigint, Waiting<T>>();
  // Sorted, disjoint, all below #next; the oldest are forgotten first.
  #skipped: SeqRange[] = [];

  constructor(options: OrderBufferOptions) {
    const { holdMs, maxWaiting = 256, rememberedSkips = 64, firstSeq = 0n } = options ?? ({} as OrderBufferOptions);
    if (typeof holdMs !== 'number' || !Number.isFinite(holdMs) || holdMs < 0) throw new ChatStateError('bad-argument', 'holdMs must be a finite number ≥ 0');
    if (!Number.isSafeInteger(maxWaiting) || maxWaiting < 1) throw new ChatStateError('bad-argument', 'maxWaiting must be a whole number ≥ 1');
    if (!Number.isSafeInteger(rememberedSkips) || rememberedSkips < 0) throw new ChatStateError('bad-argument', 'rememberedSkips must be a whole number ≥ 0');
    checkSeq(firstSeq, 'firstSeq');
    this.holdMs = holdMs;
    this.maxWaiting = maxWaiting;
    this.rememberedSkips = rememberedSkips;
    this.#next = firstSeq;
  }

  /** The next sequence number to deliver in order. */
  get nextSeq(): bigint {
    return this.#next;
  }

  /** Messages waiting past a gap. */
  get waitingCount(): number {
    return this.#waiting.size;
  }

  /** When the oldest waiting message's hold time ends (call release then), or null if none waits. */
  nextDeadline(): number | null {
    let earliest: number | null = null;
    for (const w of this.#waiting.values()) if (earliest === null || w.arrivedMs < earliest) earliest = w.arrivedMs;
    return earliest === null ? null : earliest + this.holdMs;
  }

  /**
   * Adds the message with sequence number `seq`, arrived at `nowMs`, and
   * returns what is deliverable now: it and its in-order successors, a late
   * message at once, and whatever release(nowMs) would give.
   */
  push(seq: bigint, item: T, nowMs: number): OrderResult<T> {
    checkSeq(seq, 'sequence number');
    checkNow(nowMs);
    const result: OrderResult<T> = { delivered: [], skipped: [], duplicate: false };
    if (seq < this.#next) {
      if (this.#unskip(seq)) result.delivered.push({ seq, item, late: true });
      else result.duplicate = true;
    } else if (this.#waiting.has(seq)) {
      result.duplicate = true;
    } else {
      this.#waiting.set(seq, { item, arrivedMs: nowMs });
    }
    this.#flush(nowMs, result);
    return result;
  }

  /** Delivers every message that has waited holdMs by `nowMs`, with all before it, skipping the gaps below it. */
  release(nowMs: number): OrderResult<T> {
    checkNow(nowMs);
    const result: OrderResult<T> = { delivered: [], skipped: [], duplicate: false };
    this.#flush(nowMs, result);
    return result;
  }

  #flush(nowMs: number, result: OrderResult<T>): void {
    this.#deliverRun(result);
    // The highest waiting seq whose hold time is over: everything up to it goes now.
    let due: bigint | null = null;
    for (const [seq, w] of this.#waiting) {
      if (nowMs - w.arrivedMs >= this.holdMs && (due === null || seq > due)) due = seq;
    }
    while (due !== null && this.#next <= due) {
      this.#skipToLowestWaiting(result);
      this.#deliverRun(result);
    }
    while (this.#waiting.size > this.maxWaiting) {
      this.#skipToLowestWaiting(result);
      this.#deliverRun(result);
    }
  }

  #deliverRun(result: OrderResult<T>): void {
    for (let w = this.#waiting.get(this.#next); w !== undefined; w = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next);
      result.delivered.push({ seq: this.#next, item: w.item, late: false });
      this.#next += 1n;
    }
  }

  /** Gives up on the gap [next, lowest waiting − 1]; the caller knows one exists. */
  #skipToLowestWaiting(result: OrderResult<T>): void {
    let lowest: bigint | null = null;
    for (const seq of this.#waiting.keys()) if (lowest === null || seq < lowest) lowest = seq;
    if (lowest === null || lowest <= this.#next) throw new ChatStateError('bad-state', 'no gap to skip (internal invariant broken)');
    const range = { from: this.#next, to: lowest - 1n };
    result.skipped.push({ ...range });
    this.#skipped.push(range);
    this.#trimSkipped();
    this.#next = lowest;
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
    this.#trimSkipped();
    return true;
  }

  #trimSkipped(): void {
    if (this.#skipped.length > this.rememberedSkips) this.#skipped.splice(0, this.#skipped.length - this.rememberedSkips);
  }

  /** The state as a JSON value; `encodeItem` turns each waiting item into JSON. */
  serialize(encodeItem: (item: T) => unknown): OrderBufferState {
    return {
      version: 1,
      next: this.#next.toString(),
      waiting: [...this.#waiting].map(([seq, w]): [string, number, unknown] => [seq.toString(), w.arrivedMs, encodeItem(w.item)]),
      skipped: this.#skipped.map((r): [string, string] => [r.from.toString(), r.to.toString()]),
    };
  }

  /**
   * Restores a state written by serialize, with the options of the running
   * client. Throws ChatStateError('bad-state') if it is malformed or
   * inconsistent, or if `decodeItem` throws. A state over the (new)
   * maxWaiting or rememberedSkips is brought within them by the next push
   * or release.
   */
  static deserialize<T>(state: unknown, decodeItem: (json: unknown) => T, options: OrderBufferOptions): OrderBuffer<T> {
    const s = state as OrderBufferState;
    if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.waiting) || !Array.isArray(s.skipped)) {
      throw new ChatStateError('bad-state', 'not a version 1 order buffer state');
    }
    const next = parseSeq(s.next);
    const buffer = new OrderBuffer<T>({ ...options, firstSeq: 0n });
    buffer.#next = next; // may be 2^64 once the last u64 seq was delivered
    for (const entry of s.waiting) {
      if (!Array.isArray(entry) || entry.length !== 3 || typeof entry[1] !== 'number' || !Number.isFinite(entry[1])) {
        throw new ChatStateError('bad-state', 'malformed waiting message');
      }
      const seq = parseSeq(entry[0]);
      if (seq < next || buffer.#waiting.has(seq)) throw new ChatStateError('bad-state', `waiting seq ${seq} is delivered or repeated`);
      let item: T;
      try {
        item = decodeItem(entry[2]);
      } catch (err) {
        throw new ChatStateError('bad-state', `waiting seq ${seq}: ${(err as Error)?.message ?? String(err)}`);
      }
      buffer.#waiting.set(seq, { item, arrivedMs: entry[1] });
    }
    let floor = -1n;
    for (const entry of s.skipped) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new ChatStateError('bad-state', 'malformed skipped range');
      const from = parseSeq(entry[0]);
      const to = parseSeq(entry[1]);
      if (from <= floor || to < from || to >= next) throw new ChatStateError('bad-state', 'skipped ranges must be sorted, disjoint and below next');
      buffer.#skipped.push({ from, to });
      floor = to;
    }
    return buffer;
  }
}

function parseSeq(value: unknown): bigint {
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw new ChatStateError('bad-state', 'a sequence number must be a decimal string');
  const seq = BigInt(value);
  if (seq > U64_MAX + 1n) throw new ChatStateError('bad-state', 'sequence number out of range');
  return seq;
}

// The discrete-event engine's queue: a min-heap of events keyed by (time,
// insertion sequence), so events at the same time run first-in first-out
// and a seeded run is identical every time.
//
// Why not protocol/util/min-heap.ts: the simulator pushes and pops hundreds
// of millions of events (a 10,000-user hour of the loopix model is about
// 10⁹), so the queue is built for that:
// - a 4-ary heap (half the levels of a binary heap; the four children of a
//   node sit in one or two cache lines), after LaMarca & Ladner, "The
//   influence of caches on the performance of heaps", JEA 1996;
// - the heap is two growable typed arrays, times (Float64Array) and
//   record numbers (Int32Array), so sifting moves numbers, never object
//   references (no write barriers); the insertion sequence that breaks
//   ties lives with the record and is read only on a tie;
// - pooled event records (handler, argument, generation) reused through a
//   free list, so `schedule(time, handler, arg)` allocates nothing: a model
//   passes one long-lived handler object and a number (a packet's slot)
//   instead of a closure per event;
// - sifting moves a "hole" rather than swapping.
// Cancellation is lazy (the record's handler is cleared and the entry is
// skipped when it reaches the top); when cancelled entries outnumber live
// ones the heap is compacted in O(n), so a workload that re-arms a timer
// for every packet (node/mix/delay-queue.ts does) cannot bloat it.
// A cancelled or spent record's generation is bumped, so a stale handle
// (an id or a ScheduledEvent) can never cancel a later event that reuses
// its record.

import type { TimerHandle } from '../../protocol/traffic/clock.js';

/** A long-lived receiver of events: `fire(arg)` runs at the event's time (arg: the number given to schedule). */
export interface EventHandler {
  fire(arg: number): void;
}

type Callback = () => void;

const INITIAL_CAPACITY = 64;
/** Compact only past this many cancelled entries (small heaps are cheap to skip through). */
const COMPACT_MIN_CANCELLED = 1024;
/** Record generations wrap here (ids pack record · GENERATIONS + generation below 2⁵³). */
const GENERATIONS = 1 << 21;

/** One event scheduled with a callback (`push`); also the TimerHandle the clock returns. */
export class ScheduledEvent implements TimerHandle {
  /** The time the event runs at (ms). */
  readonly time: number;
  readonly #queue: EventQueue;
  readonly #id: number;

  /** @internal Created by EventQueue.push. */
  constructor(queue: EventQueue, time: number, id: number) {
    this.#queue = queue;
    this.time = time;
    this.#id = id;
  }

  /** True while the event is queued and not cancelled. */
  get pending(): boolean {
    return this.#queue.isPending(this.#id);
  }

  /** Stops the event from running; a no-op once it has run or been cancelled. */
  cancel(): void {
    this.#queue.cancel(this.#id);
  }

  /** @internal Takes the callback (null if cancelled or already taken), leaving the event spent. */
  take(): Callback | null {
    return this.#queue.takeCallback(this.#id);
  }
}

export class EventQueue {
  /** The time of heap slot i. */
  #times = new Float64Array(INITIAL_CAPACITY);
  /** The record of heap slot i. */
  #heap = new Int32Array(INITIAL_CAPACITY);
  #length = 0;
  #cancelled = 0;
  #nextSeq = 0;

  // Records: what runs (a callback, or a handler with its argument), their generation, and a free list.
  #handlers: Array<EventHandler | Callback | null> = [];
  #args = new Float64Array(INITIAL_CAPACITY);
  /** Insertion sequence of each record's event: ties in time run in this order. */
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #generations = new Int32Array(INITIAL_CAPACITY);
  #free = new Int32Array(INITIAL_CAPACITY);
  #freeCount = 0;
  #records = 0;
  /** 1 while a record's entry is in the heap; pop() leaves a callback's record allocated, out of the heap, until take(). */
  #heapFlag = new Uint8Array(INITIAL_CAPACITY);
  #takenHandler: EventHandler | Callback | null = null;
  #takenArg = 0;

  /** Events queued and not cancelled. */
  get size(): number {
    return this.#length - this.#cancelled;
  }

  /** Entries held, cancelled ones included (compaction keeps this below ~2× size). */
  get storedEntries(): number {
    return this.#length;
  }

  /** Queues `fn` at `time`; ties run in the order they were pushed. The handle can cancel it. */
  push(time: number, fn: Callback): ScheduledEvent {
    return new ScheduledEvent(this, time, this.#insert(time, fn, 0));
  }

  /**
   * Queues `handler.fire(arg)` at `time` without allocating; ties run in the
   * order they were scheduled (with push's events too). Returns an id for
   * `cancel` (a whole number; never reused while the event is pending).
   */
  schedule(time: number, handler: EventHandler, arg: number): number {
    return this.#insert(time, handler, arg);
  }

  /** The time of the next live event, or undefined when none is queued. */
  peekTime(): number | undefined {
    this.#dropCancelledTop();
    return this.#length > 0 ? this.#times[0] : undefined;
  }

  /** Removes and returns the next live callback event, or undefined when none is queued (tests and tools; the clock uses runNext). */
  pop(): ScheduledEvent | undefined {
    this.#dropCancelledTop();
    if (this.#length === 0) return undefined;
    const record = this.#heap[0];
    const time = this.#times[0];
    this.#removeTop();
    const handler = this.#handlers[record];
    if (typeof handler !== 'function') throw new TypeError('EventQueue.pop: the next event was scheduled with a handler; use runNext');
    // The record stays allocated until take() (or a cancel) spends it.
    return new ScheduledEvent(this, time, this.#idOf(record));
  }

  /**
   * Removes the next live event and returns its time, or NaN when none is
   * queued; `fireTaken()` then runs it (the clock sets its time between the
   * two). The record is recycled first, so the event may schedule again.
   */
  takeNext(): number {
    this.#dropCancelledTop();
    if (this.#length === 0) return Number.NaN;
    const record = this.#heap[0];
    const time = this.#times[0];
    this.#removeTop();
    this.#takenHandler = this.#handlers[record];
    this.#takenArg = this.#args[record];
    this.#release(record);
    return time;
  }

  /** Runs the event takeNext() removed (once). */
  fireTaken(): void {
    const handler = this.#takenHandler!;
    this.#takenHandler = null;
    if (typeof handler === 'function') handler();
    else handler.fire(this.#takenArg);
  }

  /** Whether the event with this id is queued and not cancelled. */
  isPending(id: number): boolean {
    const record = Math.floor(id / GENERATIONS);
    return record < this.#records && this.#generations[record] === id % GENERATIONS && this.#handlers[record] !== null;
  }

  /** Cancels the event with this id; a no-op once it has run or been cancelled. */
  cancel(id: number): void {
    const record = Math.floor(id / GENERATIONS);
    if (record >= this.#records || this.#generations[record] !== id % GENERATIONS || this.#handlers[record] === null) return;
    if (!this.#inHeap(record)) {
      // Popped by pop() and not yet taken: spend it.
      this.#release(record);
      return;
    }
    this.#handlers[record] = null;
    this.#bump(record);
    this.#cancelled++;
    if (this.#cancelled >= COMPACT_MIN_CANCELLED && this.#cancelled * 2 > this.#length) this.#compact();
  }

  /** @internal ScheduledEvent.take: the callback of a popped event (null if cancelled or taken), spending its record. */
  takeCallback(id: number): Callback | null {
    const record = Math.floor(id / GENERATIONS);
    if (record >= this.#records || this.#generations[record] !== id % GENERATIONS) return null;
    const handler = this.#handlers[record];
    if (typeof handler !== 'function' || this.#inHeap(record)) return null;
    this.#release(record);
    return handler;
  }

  #inHeap(record: number): boolean {
    return this.#heapFlag[record] === 1;
  }

  #idOf(record: number): number {
    return record * GENERATIONS + this.#generations[record];
  }

  #bump(record: number): void {
    this.#generations[record] = (this.#generations[record] + 1) % GENERATIONS;
  }

  #insert(time: number, handler: EventHandler | Callback, arg: number): number {
    if (Number.isNaN(time)) throw new RangeError('EventQueue: time is NaN');
    let record: number;
    if (this.#freeCount > 0) record = this.#free[--this.#freeCount];
    else {
      record = this.#records++;
      if (record === this.#args.length) this.#growRecords();
    }
    this.#handlers[record] = handler;
    this.#args[record] = arg;
    this.#seqs[record] = this.#nextSeq++;
    this.#heapFlag[record] = 1;
    if (this.#length === this.#heap.length) this.#growHeap();
    this.#siftUp(this.#length++, time, record);
    return this.#idOf(record);
  }

  /** Returns a record to the free list (its handler dropped, its generation moved on). */
  #release(record: number): void {
    this.#handlers[record] = null;
    this.#heapFlag[record] = 0;
    this.#bump(record);
    this.#free[this.#freeCount++] = record;
  }

  #dropCancelledTop(): void {
    while (this.#length > 0 && this.#handlers[this.#heap[0]] === null) {
      const record = this.#heap[0];
      this.#removeTop();
      this.#cancelled--;
      this.#heapFlag[record] = 0;
      this.#free[this.#freeCount++] = record;
    }
  }

  /** Removes heap slot 0 (its record stays as it is). */
  #removeTop(): void {
    this.#heapFlag[this.#heap[0]] = 0;
    const last = --this.#length;
    if (last > 0) this.#siftDown(0, this.#times[last], this.#heap[last]);
  }

  #growHeap(): void {
    const times = new Float64Array(2 * this.#heap.length);
    times.set(this.#times);
    const heap = new Int32Array(2 * this.#heap.length);
    heap.set(this.#heap);
    this.#times = times;
    this.#heap = heap;
  }

  #growRecords(): void {
    const capacity = 2 * this.#args.length;
    const args = new Float64Array(capacity);
    args.set(this.#args);
    const seqs = new Float64Array(capacity);
    seqs.set(this.#seqs);
    this.#seqs = seqs;
    const generations = new Int32Array(capacity);
    generations.set(this.#generations);
    const free = new Int32Array(capacity);
    free.set(this.#free);
    const flags = new Uint8Array(capacity);
    flags.set(this.#heapFlag);
    this.#args = args;
    this.#generations = generations;
    this.#free = free;
    this.#heapFlag = flags;
  }

  /** Drops every cancelled entry and rebuilds the heap (Floyd's O(n) heapify). */
  #compact(): void {
    const times = this.#times;
    const heap = this.#heap;
    let kept = 0;
    for (let i = 0; i < this.#length; i++) {
      const record = heap[i];
      if (this.#handlers[record] === null) {
        this.#heapFlag[record] = 0;
        this.#free[this.#freeCount++] = record;
        continue;
      }
      times[kept] = times[i];
      heap[kept] = record;
      kept++;
    }
    this.#length = kept;
    this.#cancelled = 0;
    for (let i = (kept - 2) >> 2; i >= 0; i--) this.#siftDown(i, times[i], heap[i]);
  }

  /** Places (time, record) at or above slot `i`, moving later parents down. */
  #siftUp(i: number, time: number, record: number): void {
    const times = this.#times;
    const heap = this.#heap;
    const seqs = this.#seqs;
    const seq = seqs[record];
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[heap[parent]] < seq)) break;
      times[i] = pt;
      heap[i] = heap[parent];
      i = parent;
    }
    times[i] = time;
    heap[i] = record;
  }

  /** Places (time, record) at or below slot `i`, moving earlier children up. */
  #siftDown(i: number, time: number, record: number): void {
    const times = this.#times;
    const heap = this.#heap;
    const seqs = this.#seqs;
    const n = this.#length;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // The earliest of up to four children.
      let child = first;
      let ct = times[first];
      const end = first + 4 < n ? first + 4 : n;
      for (let c = first + 1; c < end; c++) {
        const t = times[c];
        if (t < ct || (t === ct && seqs[heap[c]] < seqs[heap[child]])) {
          child = c;
          ct = t;
        }
      }
      if (time < ct || (time === ct && seqs[record] < seqs[heap[child]])) break;
      times[i] = ct;
      heap[i] = heap[child];
      i = child;
    }
    times[i] = time;
    heap[i] = record;
  }
}

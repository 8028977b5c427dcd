// The discrete-event engine's queue: a binary min-heap of events keyed by
// (time, insertion sequence), so events at the same time run first-in
// first-out and a seeded run is identical every time.
//
// Why not protocol/util/min-heap.ts: the simulator pushes and pops millions
// of events, so the keys live in growable Float64Arrays and sifting moves a
// "hole" instead of swapping three arrays per level. Cancellation is lazy
// (a cancelled event stays in the heap with its callback cleared and is
// skipped when it reaches the top); when cancelled events outnumber live
// ones the heap is compacted in O(n), so a workload that re-arms a timer
// for every packet (node/mix/delay-queue.ts does) cannot bloat it.

import type { TimerHandle } from '../../protocol/traffic/clock.js';

const INITIAL_CAPACITY = 64;
/** Compact only past this many cancelled entries (small heaps are cheap to skip through). */
const COMPACT_MIN_CANCELLED = 1024;

/** One scheduled callback; also the handle the scheduler returns. */
export class ScheduledEvent implements TimerHandle {
  /** The time the event runs at (ms). */
  readonly time: number;
  #fn: (() => void) | null;
  readonly #queue: EventQueue;

  /** @internal Created by EventQueue.push. */
  constructor(queue: EventQueue, time: number, fn: () => void) {
    this.#queue = queue;
    this.time = time;
    this.#fn = fn;
  }

  /** True while the event is queued and not cancelled. */
  get pending(): boolean {
    return this.#fn !== null;
  }

  /** Stops the event from running; a no-op once it has run or been cancelled. */
  cancel(): void {
    if (this.#fn === null) return;
    this.#fn = null;
    this.#queue.noteCancelled();
  }

  /** @internal Takes the callback (null if cancelled), leaving the event spent. */
  take(): (() => void) | null {
    const fn = this.#fn;
    this.#fn = null;
    return fn;
  }
}

export class EventQueue {
  #times = new Float64Array(INITIAL_CAPACITY);
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #events: Array<ScheduledEvent | undefined> = new Array(INITIAL_CAPACITY);
  #length = 0;
  #cancelled = 0;
  #nextSeq = 0;

  /** Events queued and not cancelled. */
  get size(): number {
    return this.#length - this.#cancelled;
  }

  /** Entries held, cancelled ones included (compaction keeps this below ~2× size). */
  get storedEntries(): number {
    return this.#length;
  }

  /** Queues `fn` at `time`; ties run in the order they were pushed. */
  push(time: number, fn: () => void): ScheduledEvent {
    if (Number.isNaN(time)) throw new RangeError('EventQueue: time is NaN');
    const event = new ScheduledEvent(this, time, fn);
    if (this.#length === this.#times.length) this.#grow();
    this.#siftUp(this.#length++, time, this.#nextSeq++, event);
    return event;
  }

  /** The time of the next live event, or undefined when none is queued. */
  peekTime(): number | undefined {
    this.#dropCancelledTop();
    return this.#length > 0 ? this.#times[0] : undefined;
  }

  /** Removes and returns the next live event, or undefined when none is queued. */
  pop(): ScheduledEvent | undefined {
    this.#dropCancelledTop();
    return this.#length > 0 ? this.#removeTop() : undefined;
  }

  /** @internal Called by ScheduledEvent.cancel. */
  noteCancelled(): void {
    this.#cancelled++;
    if (this.#cancelled >= COMPACT_MIN_CANCELLED && this.#cancelled * 2 > this.#length) this.#compact();
  }

  #dropCancelledTop(): void {
    while (this.#length > 0 && !this.#events[0]!.pending) {
      this.#removeTop();
      this.#cancelled--;
    }
  }

  #removeTop(): ScheduledEvent {
    const top = this.#events[0]!;
    const last = --this.#length;
    const time = this.#times[last];
    const seq = this.#seqs[last];
    const event = this.#events[last]!;
    this.#events[last] = undefined;
    if (last > 0) this.#siftDown(0, time, seq, event);
    return top;
  }

  #grow(): void {
    const capacity = this.#times.length * 2;
    const times = new Float64Array(capacity);
    times.set(this.#times);
    const seqs = new Float64Array(capacity);
    seqs.set(this.#seqs);
    this.#times = times;
    this.#seqs = seqs;
    this.#events.length = capacity;
  }

  /** Drops every cancelled entry and rebuilds the heap (Floyd's O(n) heapify). */
  #compact(): void {
    let kept = 0;
    for (let i = 0; i < this.#length; i++) {
      const event = this.#events[i]!;
      if (!event.pending) continue;
      this.#times[kept] = this.#times[i];
      this.#seqs[kept] = this.#seqs[i];
      this.#events[kept] = event;
      kept++;
    }
    for (let i = kept; i < this.#length; i++) this.#events[i] = undefined;
    this.#length = kept;
    this.#cancelled = 0;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.#siftDown(i, this.#times[i], this.#seqs[i], this.#events[i]!);
  }

  /** Places (time, seq, event) at or above slot `i`, moving larger parents down. */
  #siftUp(i: number, time: number, seq: number, event: ScheduledEvent): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const events = this.#events;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      events[i] = events[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    events[i] = event;
  }

  /** Places (time, seq, event) at or below slot `i`, moving smaller children up. */
  #siftDown(i: number, time: number, seq: number, event: ScheduledEvent): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const events = this.#events;
    const n = this.#length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (times[right] < times[child] || (times[right] === times[child] && seqs[right] < seqs[child]))) child = right;
      const ct = times[child];
      if (time < ct || (time === ct && seq < seqs[child])) break;
      times[i] = ct;
      seqs[i] = seqs[child];
      events[i] = events[child];
      i = child;
    }
    times[i] = time;
    seqs[i] = seq;
    events[i] = event;
  }
}

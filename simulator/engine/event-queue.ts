// The discrete-event engine's queue: events ordered by (time, insertion
// sequence), so events at the same time run first-in first-out and a seeded
// run is identical every time.
//
// Why not protocol/util/min-heap.ts: the simulator pushes and pops hundreds
// of millions of events (a 10,000-user hour of the loopix model is about
// 10⁹) with 10⁵ or more queued, so the queue is built for that. It is a
// ladder queue (Tang, Goh & Thng, "Ladder queue: an O(1) priority queue
// structure for large-scale discrete event simulation", TOMACS 2005) with a
// small heap at the bottom:
// - a stack of levels ("rungs"), each a row of buckets of equal width over
//   a span of time, plus an unsorted overflow list for what lies past its
//   last bucket. An event goes into the first level whose current bucket it
//   does not precede: its overflow, or a bucket at or after the current
//   one, in O(1) (one subtraction and one multiplication per level, no
//   comparison with other events); an event before every level's current
//   bucket goes into the bottom heap;
// - the bottom is a 4-ary heap (LaMarca & Ladner, JEA 1996) on typed arrays
//   (times in a Float64Array, record numbers in an Int32Array) holding the
//   current bucket's few events: it is what orders events, by time and then
//   by insertion sequence, so ties keep insertion order whatever path the
//   events took to it;
// - when the bottom heap runs dry the deepest level's next bucket is poured
//   into it, or, when that bucket holds many events, spread over a new,
//   finer level below; an exhausted level's overflow is spread over a new
//   level sized from its events (count, earliest and latest time); a bottom
//   heap that grows large (a level too coarse for the events) is spread
//   over a new level too. A level's bucket is a function of time alone and
//   never decreases as time increases, so an event's level and bucket
//   always agree with the (time, sequence) order; events at one time can
//   never be split, so identical times fall through to the heap.
// - pooled event records (handler, argument, insertion sequence,
//   generation, and while in a list time and link) reused through a free
//   list, so `schedule(time, handler, arg)` allocates
//   nothing: a model passes one long-lived handler object and a number (a
//   packet's slot) instead of a closure per event. Buckets are linked lists
//   threaded through the records.
// Cancellation is lazy (the record's handler is cleared and the entry is
// dropped when it reaches the heap's top); when
// cancelled entries outnumber live ones everything is compacted in O(n), so
// a workload that re-arms a timer for every packet (node/mix/delay-queue.ts
// does) cannot bloat it.
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
/** Compact only past this many cancelled entries (small queues are cheap to skip through). */
const COMPACT_MIN_CANCELLED = 1024;
/** Record generations wrap here (ids pack record · GENERATIONS + generation below 2⁵³). */
const GENERATIONS = 1 << 21;
/** At most this many levels; the deepest pours its buckets into the heap whatever their size. */
const MAX_LEVELS = 8;
/** A new level has about one bucket per this many of its events. */
const EVENTS_PER_BUCKET = 1;
/** At most this many buckets in one level. */
const MAX_BUCKETS = 1 << 20;
/** A bucket with more events than this becomes a level of its own instead of going into the heap. */
const POUR_LIMIT = 48;
/** The heap is spread over a new level when it holds more than this (and its times differ). */
const SPILL_AT = 1024;
/** No link (the end of a list). */
const NONE = -1;

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
  // The bottom heap.
  /** The time of heap slot i. */
  #times = new Float64Array(INITIAL_CAPACITY);
  /** The record of heap slot i. */
  #heap = new Int32Array(INITIAL_CAPACITY);
  #length = 0;
  /** Spread the heap over a new level when it holds more than this. */
  #spillAt = SPILL_AT;

  // The levels, 0 the coarsest: level d's bucket of time t is ⌊(t − base[d]) · scale[d]⌋.
  #depth = 0;
  #base = new Float64Array(MAX_LEVELS);
  #scale = new Float64Array(MAX_LEVELS);
  /** The level's buckets; those before `current` are spent (their events went deeper). */
  #bucketCount = new Int32Array(MAX_LEVELS);
  #current = new Int32Array(MAX_LEVELS);
  /** Per level: each bucket's first record and number of records, as pairs. */
  #buckets: Int32Array[] = Array.from({ length: MAX_LEVELS }, () => new Int32Array(0));
  /** Per level: the overflow's first record and number of records. */
  #overflow = new Int32Array(2 * MAX_LEVELS);

  /** Entries held (heap and lists), cancelled ones included. */
  #stored = 0;
  #cancelled = 0;
  #nextSeq = 0;

  // Records: what runs (a callback, or a handler with its argument), their generation, and a free list.
  #handlers: Array<EventHandler | Callback | null> = [];
  #args = new Float64Array(INITIAL_CAPACITY);
  /** Insertion sequence of each record's event: ties in time run in this order. */
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #generations = new Int32Array(INITIAL_CAPACITY);
  /** A record's time and next record while it is in a level's list. */
  #recordTimes = new Float64Array(INITIAL_CAPACITY);
  #next = new Int32Array(INITIAL_CAPACITY);
  #free = new Int32Array(INITIAL_CAPACITY);
  #freeCount = 0;
  #records = 0;
  /** 1 while a record's event is queued (heap or list); pop() leaves a callback's record allocated, out of the queue, until take(). */
  #queued = new Uint8Array(INITIAL_CAPACITY);
  #takenHandler: EventHandler | Callback | null = null;
  #takenArg = 0;

  /** Events queued and not cancelled. */
  get size(): number {
    return this.#stored - this.#cancelled;
  }

  /** Entries held, cancelled ones included (compaction keeps this below ~2× size). */
  get storedEntries(): number {
    return this.#stored;
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
    return this.#ready() ? this.#times[0] : undefined;
  }

  /** Removes and returns the next live callback event, or undefined when none is queued (tests and tools; the clock uses runNext). */
  pop(): ScheduledEvent | undefined {
    if (!this.#ready()) return undefined;
    const record = this.#heap[0];
    const time = this.#times[0];
    const handler = this.#handlers[record];
    if (typeof handler !== 'function') throw new TypeError('EventQueue.pop: the next event was scheduled with a handler; use runNext');
    this.#removeTop();
    this.#stored--;
    // The record stays allocated until take() (or a cancel) spends it.
    return new ScheduledEvent(this, time, this.#idOf(record));
  }

  /**
   * Removes the next live event and returns its time, or NaN when none is
   * queued; `fireTaken()` then runs it (the clock sets its time between the
   * two). The record is recycled first, so the event may schedule again.
   */
  takeNext(): number {
    if (!this.#ready()) return Number.NaN;
    const record = this.#heap[0];
    const time = this.#times[0];
    this.#removeTop();
    this.#stored--;
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
    if (this.#queued[record] === 0) {
      // Popped by pop() and not yet taken: spend it.
      this.#release(record);
      return;
    }
    this.#handlers[record] = null;
    this.#bump(record);
    this.#cancelled++;
    if (this.#cancelled >= COMPACT_MIN_CANCELLED && this.#cancelled * 2 > this.#stored) this.#compact();
  }

  /** @internal ScheduledEvent.take: the callback of a popped event (null if cancelled or taken), spending its record. */
  takeCallback(id: number): Callback | null {
    const record = Math.floor(id / GENERATIONS);
    if (record >= this.#records || this.#generations[record] !== id % GENERATIONS) return null;
    const handler = this.#handlers[record];
    if (typeof handler !== 'function' || this.#queued[record] === 1) return null;
    this.#release(record);
    return handler;
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
    this.#queued[record] = 1;
    this.#stored++;
    this.#place(record, time);
    if (this.#length > this.#spillAt) this.#spill();
    return this.#idOf(record);
  }

  /**
   * Puts a queued record where its time belongs: the overflow or a current
   * or later bucket of the first level it does not precede, else the heap.
   */
  #place(record: number, time: number): void {
    const depth = this.#depth;
    for (let d = 0; d < depth; d++) {
      // NaN (only for infinite times and bases) compares false both ways: deeper.
      const k = (time - this.#base[d]) * this.#scale[d];
      if (k >= this.#bucketCount[d]) {
        this.#recordTimes[record] = time;
        const overflow = this.#overflow;
        this.#next[record] = overflow[2 * d];
        overflow[2 * d] = record;
        overflow[2 * d + 1]++;
        return;
      }
      if (k >= this.#current[d]) {
        const buckets = this.#buckets[d];
        const b = 2 * (k | 0);
        this.#recordTimes[record] = time;
        this.#next[record] = buckets[b];
        buckets[b] = record;
        buckets[b + 1]++;
        return;
      }
    }
    this.#heapPush(time, record);
  }

  #heapPush(time: number, record: number): void {
    if (this.#length === this.#heap.length) this.#growHeap();
    this.#siftUp(this.#length++, time, record);
  }

  /** Returns a record to the free list (its handler dropped, its generation moved on). */
  #release(record: number): void {
    this.#handlers[record] = null;
    this.#queued[record] = 0;
    this.#bump(record);
    this.#free[this.#freeCount++] = record;
  }

  /** Frees a cancelled record as it leaves the queue. */
  #dropCancelled(record: number): void {
    this.#queued[record] = 0;
    this.#free[this.#freeCount++] = record;
    this.#cancelled--;
    this.#stored--;
  }

  /** Brings a live event to the heap's top; false when none is queued. */
  #ready(): boolean {
    for (;;) {
      if (this.#length === 0 && !this.#refill()) return false;
      const record = this.#heap[0];
      if (this.#handlers[record] !== null) return true;
      this.#removeTop();
      this.#dropCancelled(record);
    }
  }

  /** With the heap empty, moves the next events into it from the levels; false when none is left. */
  #refill(): boolean {
    this.#spillAt = SPILL_AT;
    while (this.#length === 0) {
      if (this.#depth === 0) return false;
      const d = this.#depth - 1;
      const j = this.#current[d];
      if (j < this.#bucketCount[d]) {
        this.#current[d] = j + 1;
        const buckets = this.#buckets[d];
        const count = buckets[2 * j + 1];
        if (count === 0) continue;
        const head = buckets[2 * j];
        buckets[2 * j] = NONE;
        buckets[2 * j + 1] = 0;
        if (count <= POUR_LIMIT || this.#depth === MAX_LEVELS) this.#pour(head, count);
        else this.#spread(head, count);
      } else {
        // The level is spent; what lies past it is spread over a new one.
        const head = this.#overflow[2 * d];
        const count = this.#overflow[2 * d + 1];
        this.#depth = d;
        if (count > 0) this.#spread(head, count);
      }
    }
    return true;
  }

  /** Moves a list of `count` records into the (empty) heap; cancelled ones go too, to be dropped at the top. */
  #pour(head: number, count: number): void {
    while (this.#heap.length < count) this.#growHeap();
    const times = this.#times;
    const heap = this.#heap;
    const recordTimes = this.#recordTimes;
    const next = this.#next;
    let n = 0;
    for (let r = head; r !== NONE; r = next[r]) {
      times[n] = recordTimes[r];
      heap[n] = r;
      n++;
    }
    this.#length = n;
    for (let i = (n - 2) >> 2; i >= 0; i--) this.#siftDown(i, times[i], heap[i]);
  }

  /**
   * Spreads a list of `count` records over a new deepest level sized from
   * their times (about EVENTS_PER_BUCKET a bucket between the earliest and
   * the latest finite time), or pours them into the heap when their times
   * cannot be told apart so (all equal, none finite, or no level left).
   */
  #spread(head: number, count: number): void {
    const recordTimes = this.#recordTimes;
    const next = this.#next;
    let min = Infinity;
    let max = -Infinity;
    let finite = 0;
    for (let r = head; r !== NONE; r = next[r]) {
      const t = recordTimes[r];
      if (t > -Infinity && t < Infinity) {
        if (t < min) min = t;
        if (t > max) max = t;
        finite++;
      }
    }
    const buckets = finite < MAX_BUCKETS * EVENTS_PER_BUCKET ? Math.ceil(finite / EVENTS_PER_BUCKET) : MAX_BUCKETS;
    const scale = buckets / (max - min);
    if (this.#depth === MAX_LEVELS || !(max > min) || !(scale < Infinity)) {
      // One time (or one and ±Infinity), or no level left: the heap orders them.
      if (this.#length === 0) this.#pour(head, count);
      else this.#move(head);
      return;
    }
    const d = this.#depth++;
    this.#base[d] = min;
    // Just under buckets / span, so the latest time falls in the last bucket, not the overflow.
    this.#scale[d] = scale * (1 - 2 ** -40);
    this.#bucketCount[d] = buckets;
    this.#current[d] = 0;
    this.#overflow[2 * d] = NONE;
    this.#overflow[2 * d + 1] = 0;
    let row = this.#buckets[d];
    if (row.length < 2 * buckets) row = this.#buckets[d] = new Int32Array(2 * Math.max(buckets, row.length));
    for (let b = 0; b < 2 * buckets; b += 2) {
      row[b] = NONE;
      row[b + 1] = 0;
    }
    this.#move(head);
  }

  /** Places every record of a list again, by the levels as they are now. */
  #move(head: number): void {
    for (let r = head; r !== NONE;) {
      const after = this.#next[r];
      this.#place(r, this.#recordTimes[r]);
      r = after;
    }
  }

  /** Spreads the heap over a new deepest level (when it has outgrown its level's buckets). */
  #spill(): void {
    const times = this.#times;
    const heap = this.#heap;
    const n = this.#length;
    let head = NONE;
    let min = Infinity;
    let max = -Infinity;
    for (let i = n - 1; i >= 0; i--) {
      const r = heap[i];
      this.#recordTimes[r] = times[i];
      this.#next[r] = head;
      head = r;
      const t = times[i];
      if (t < min) min = t;
      if (t > max) max = t;
    }
    if (this.#depth === MAX_LEVELS || !(max > min)) {
      // Nothing to spread (one time, or no level left): look again when the heap has doubled.
      this.#spillAt = 2 * n;
      return;
    }
    this.#length = 0;
    this.#spread(head, n);
    this.#spillAt = Math.max(SPILL_AT, 2 * this.#length);
  }

  /** Removes heap slot 0 (its record stays as it is). */
  #removeTop(): void {
    this.#queued[this.#heap[0]] = 0;
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
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const a = make(capacity);
      a.set(old);
      return a;
    };
    this.#args = grow(this.#args, (n) => new Float64Array(n));
    this.#seqs = grow(this.#seqs, (n) => new Float64Array(n));
    this.#recordTimes = grow(this.#recordTimes, (n) => new Float64Array(n));
    this.#generations = grow(this.#generations, (n) => new Int32Array(n));
    this.#next = grow(this.#next, (n) => new Int32Array(n));
    this.#free = grow(this.#free, (n) => new Int32Array(n));
    this.#queued = grow(this.#queued, (n) => new Uint8Array(n));
  }

  /** Drops every cancelled entry: from the heap (rebuilt by Floyd's O(n) heapify) and from every level's lists. */
  #compact(): void {
    const times = this.#times;
    const heap = this.#heap;
    let kept = 0;
    for (let i = 0; i < this.#length; i++) {
      const record = heap[i];
      if (this.#handlers[record] === null) {
        this.#dropCancelled(record);
        continue;
      }
      times[kept] = times[i];
      heap[kept] = record;
      kept++;
    }
    this.#length = kept;
    for (let i = (kept - 2) >> 2; i >= 0; i--) this.#siftDown(i, times[i], heap[i]);
    for (let d = 0; d < this.#depth; d++) {
      const buckets = this.#buckets[d];
      for (let j = this.#current[d]; j < this.#bucketCount[d]; j++) if (buckets[2 * j + 1] > 0) this.#compactList(buckets, 2 * j);
      this.#compactList(this.#overflow, 2 * d);
    }
  }

  /** Drops the cancelled records of the list whose first record and length are lists[at] and lists[at + 1] (their order does not matter). */
  #compactList(lists: Int32Array, at: number): void {
    let kept = NONE;
    let n = 0;
    for (let r = lists[at]; r !== NONE;) {
      const after = this.#next[r];
      if (this.#handlers[r] === null) this.#dropCancelled(r);
      else {
        this.#next[r] = kept;
        kept = r;
        n++;
      }
      r = after;
    }
    lists[at] = kept;
    lists[at + 1] = n;
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

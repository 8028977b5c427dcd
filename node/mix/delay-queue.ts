// The mix's delay queue: each packet waits for the delay its sender chose
// (the Sphinx delay command), then is released. Bounded: when full, a new
// packet is refused and counted, never queued without limit. One timer is
// armed for the earliest release, on an injected Clock (real or virtual).
// A refusal says why: a full queue is load, a stopped one is shutdown, and
// the mix counts them under different reasons (docs/operators.md §Metrics).

import { MinHeap } from '../../protocol/util/min-heap.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';

/** What `push` did with an item: held it, or refused it because the queue was full or stopped. */
export type DelayQueuePush = 'held' | 'full' | 'stopped';

export class DelayQueue<T> {
  readonly capacity: number;
  readonly #clock: Clock;
  readonly #release: (item: T) => void;
  readonly #heap = new MinHeap<T>();
  #timer: TimerHandle | null = null;
  #timerAt = Infinity;
  #stopped = false;
  /** Items refused because the queue was full (not those refused after `stop`). */
  refused = 0;

  constructor(capacity: number, clock: Clock, release: (item: T) => void) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('DelayQueue: capacity must be a positive integer');
    this.capacity = capacity;
    this.#clock = clock;
    this.#release = release;
  }

  get size(): number {
    return this.#heap.size;
  }

  /** Holds `item` for `delayMs`, or says why not: 'full' (counted in `refused`) or 'stopped'. */
  push(item: T, delayMs: number): DelayQueuePush {
    if (this.#stopped) return 'stopped';
    if (this.#heap.size >= this.capacity) {
      this.refused++;
      return 'full';
    }
    const at = this.#clock.now() + Math.max(0, delayMs);
    this.#heap.push(at, item);
    this.#arm();
    return 'held';
  }

  /** Stops releasing; returns the items still held (the caller counts them). */
  stop(): T[] {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    return this.#heap.clear();
  }

  #arm(): void {
    const next = this.#heap.peekKey();
    if (next === undefined || this.#stopped) return;
    if (this.#timer && this.#timerAt <= next) return;
    this.#timer?.cancel();
    this.#timerAt = next;
    this.#timer = this.#clock.at(next, () => this.#drain());
  }

  #drain(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    while (!this.#stopped && (this.#heap.peekKey() ?? Infinity) <= now) {
      this.#release(this.#heap.pop() as T);
    }
    this.#arm();
  }
}

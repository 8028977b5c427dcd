// A clock whose time moves only when the test says so.

import { MinHeap } from '../../protocol/util/min-heap.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';

export class ManualClock implements Clock {
  #now: number;
  #timers = new MinHeap<{ fn: () => void; cancelled: boolean }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  at(atMs: number, fn: () => void): TimerHandle {
    const timer = { fn, cancelled: false };
    this.#timers.push(atMs, timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves time forward to `toMs`, running due timers in time order. */
  advanceTo(toMs: number): void {
    while ((this.#timers.peekKey() ?? Infinity) <= toMs) {
      this.#now = Math.max(this.#now, this.#timers.peekKey()!);
      const t = this.#timers.pop()!;
      if (!t.cancelled) t.fn();
    }
    this.#now = Math.max(this.#now, toMs);
  }
}

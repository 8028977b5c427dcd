// A virtual clock for discrete-event simulation. It implements the same
// Clock the node and client take (protocol/traffic/clock.ts), so the
// simulator runs the shipped mixing and cover-traffic code in virtual time
// (design notes §2: "the simulator must measure the code we ship").
//
// Time only moves when the simulation runs events: `run(untilMs)` runs every
// event due by `untilMs` in (time, insertion) order, including events that
// those events schedule, then leaves the clock at `untilMs`. An event
// scheduled in the past (or at `now`) runs at `now`, after the events
// already due then. Same seed, same schedule: same run.

import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import { EventQueue, type EventHandler } from './event-queue.js';

export class VirtualClockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtualClockError';
  }
}

export class VirtualClock implements Clock {
  readonly #queue = new EventQueue();
  #now: number;
  #processed = 0;
  #running = false;

  /** `startMs`: the virtual time the simulation starts at (e.g. a fixed epoch for node code that reads wall time). */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`VirtualClock: start time must be finite, got ${startMs}`);
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Runs `fn` at `atMs`, or at `now` if `atMs` has passed. */
  at(atMs: number, fn: () => void): TimerHandle {
    if (typeof atMs !== 'number' || Number.isNaN(atMs) || atMs === Infinity) {
      throw new RangeError(`VirtualClock.at: time must be a number below +Infinity, got ${String(atMs)}`);
    }
    if (typeof fn !== 'function') throw new TypeError('VirtualClock.at: callback is not a function');
    return this.#queue.push(atMs > this.#now ? atMs : this.#now, fn);
  }

  /**
   * Runs `handler.fire(arg)` at `atMs` (or now if `atMs` has passed) without
   * allocating: the fast path for a model's own events (a packet's next hop
   * as its slot number, not a closure). Returns an id for `cancel`.
   */
  schedule(atMs: number, handler: EventHandler, arg: number): number {
    if (!(atMs < Infinity)) throw new RangeError(`VirtualClock.schedule: time must be a number below +Infinity, got ${String(atMs)}`);
    return this.#queue.schedule(atMs > this.#now ? atMs : this.#now, handler, arg);
  }

  /** Cancels an event `schedule` queued; a no-op once it has run or been cancelled. */
  cancel(id: number): void {
    this.#queue.cancel(id);
  }

  /** Runs `fn` `delayMs` after now (a negative delay means now). */
  after(delayMs: number, fn: () => void): TimerHandle {
    return this.at(this.#now + delayMs, fn);
  }

  /** Events processed since the clock was made. */
  get eventsProcessed(): number {
    return this.#processed;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.#queue.size;
  }

  /** The time of the next event, or undefined when none is scheduled. */
  nextEventTime(): number | undefined {
    return this.#queue.peekTime();
  }

  /** Runs the next event (advancing the clock to its time); false when none is scheduled. */
  step(): boolean {
    this.#enter('step');
    try {
      return this.#runNext();
    } finally {
      this.#running = false;
    }
  }

  /**
   * Runs every event due at or before `untilMs`, in order, including those
   * scheduled meanwhile, then sets the clock to `untilMs` (if later). Stops
   * after `maxEvents`; if events due by `untilMs` remain, the clock then
   * stays at the last event's time.
   * `run(Infinity)` runs until no event is left; it never returns while a
   * process keeps rescheduling itself, so bound it with `maxEvents`.
   * Returns the number of events run. An exception from an event propagates;
   * that event counts as run and the clock stays at its time.
   */
  run(untilMs: number, maxEvents = Infinity): number {
    if (typeof untilMs !== 'number' || Number.isNaN(untilMs)) throw new RangeError(`VirtualClock.run: untilMs must be a number, got ${String(untilMs)}`);
    if (!(maxEvents >= 0)) throw new RangeError(`VirtualClock.run: maxEvents must be ≥ 0, got ${maxEvents}`);
    this.#enter('run');
    const before = this.#processed;
    try {
      const queue = this.#queue;
      let next = queue.peekTime();
      while (next !== undefined && next <= untilMs && this.#processed - before < maxEvents) {
        this.#now = queue.takeNext();
        this.#processed++;
        queue.fireTaken();
        next = queue.peekTime();
      }
      const done = next === undefined || next > untilMs;
      if (done && untilMs > this.#now && untilMs !== Infinity) this.#now = untilMs;
    } finally {
      this.#running = false;
    }
    return this.#processed - before;
  }

  #enter(what: string): void {
    // An event that drove the clock itself would run other events inside its
    // own callback, out of order with whatever it does after the call.
    if (this.#running) throw new VirtualClockError(`VirtualClock.${what} called from inside an event; schedule with at() instead`);
    this.#running = true;
  }

  #runNext(): boolean {
    const time = this.#queue.takeNext();
    if (Number.isNaN(time)) return false;
    this.#now = time;
    this.#processed++;
    this.#queue.fireTaken();
    return true;
  }
}

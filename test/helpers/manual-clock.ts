// The one test clock: the simulator's VirtualClock (time moves only when the
// test says so, timers run in time then insertion order), with the name and
// the advanceTo() the tests use.

import { VirtualClock } from '../../simulator/engine/virtual-clock.js';

export class ManualClock extends VirtualClock {
  /** Moves time forward to `toMs`, running due timers (and those they schedule) in time order. */
  advanceTo(toMs: number): void {
    this.run(toMs);
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.run(this.now() + ms);
  }
}

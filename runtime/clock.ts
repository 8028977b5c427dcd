// The wall clock for a running node.

import type { Clock, TimerHandle } from '../protocol/traffic/clock.js';

/** setTimeout's limit: longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  at(atMs: number, fn: () => void): TimerHandle {
    let cancelled = false;
    let clear = (): void => undefined;
    const fire = (): void => {
      if (cancelled) return;
      if (Date.now() < atMs) arm();
      else fn();
    };
    const arm = (): void => {
      const wait = atMs - Date.now();
      if (wait <= 0) {
        // setTimeout clamps to ≥ 1 ms; a timer already due (a zero mixing delay) runs on the next turn.
        const immediate = setImmediate(fire);
        clear = () => clearImmediate(immediate);
      } else {
        const timeout = setTimeout(fire, Math.min(wait, MAX_TIMEOUT_MS));
        clear = () => clearTimeout(timeout);
      }
    };
    arm();
    return {
      cancel() {
        cancelled = true;
        clear();
      },
    };
  },
};

// The wall clock for a running node.

import type { Clock, TimerHandle } from '../protocol/traffic/clock.js';

/** setTimeout's limit: longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  at(atMs: number, fn: () => void): TimerHandle {
    let timer: NodeJS.Timeout;
    let cancelled = false;
    const arm = (): void => {
      const wait = Math.max(0, atMs - Date.now());
      timer = setTimeout(() => {
        if (cancelled) return;
        if (Date.now() < atMs) arm();
        else fn();
      }, Math.min(wait, MAX_TIMEOUT_MS));
    };
    arm();
    return {
      cancel() {
        cancelled = true;
        clearTimeout(timer);
      },
    };
  },
};

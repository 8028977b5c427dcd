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

/**
 * A clock `offsetMs` ahead of `base` (behind, if negative): `now()` reads
 * base + offset and `at(t)` fires when the skewed clock reaches t. For chaos
 * runs only (a node whose clock is wrong: docs/chaos.md), never a setting of a
 * real node.
 */
export function offsetClock(offsetMs: number, base: Clock = systemClock): Clock {
  if (offsetMs === 0) return base;
  return {
    now: () => base.now() + offsetMs,
    at: (atMs, fn) => base.at(atMs - offsetMs, fn),
  };
}

/** The environment variable a test network sets to start a node with a skewed clock (chaos runs, docs/chaos.md). */
export const CLOCK_OFFSET_ENV = 'CHAFF_TESTNET_CLOCK_OFFSET_MS';

/**
 * The node's clock: the system clock, or one offset by
 * `$CHAFF_TESTNET_CLOCK_OFFSET_MS` (an integer number of milliseconds, within
 * ±1 day) when that is set and not empty. Anything else there is an error.
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): { clock: Clock; offsetMs: number } {
  const text = env[CLOCK_OFFSET_ENV];
  if (text === undefined || text.trim() === '') return { clock: systemClock, offsetMs: 0 };
  const offsetMs = Number(text);
  if (!Number.isInteger(offsetMs) || Math.abs(offsetMs) > 86_400_000) throw new RangeError(`${CLOCK_OFFSET_ENV}=${JSON.stringify(text)}: need an integer number of milliseconds within ±86400000`);
  return { clock: offsetClock(offsetMs), offsetMs };
}

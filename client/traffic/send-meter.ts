// The client's outgoing rate over the last minute, for `status` (about
// constant by design: cover traffic fills every slot).

import type { Clock } from '../../protocol/traffic/clock.js';

/** The window the rate is measured over, ms. */
export const SEND_RATE_WINDOW_MS = 60_000;

export class SendMeter {
  readonly #clock: Clock;
  readonly #startedMs: number;
  /** [time, bytes] of the packets sent in the window, oldest first. */
  readonly #history: Array<[number, number]> = [];

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#startedMs = clock.now();
  }

  /** A packet of `bytes` left now. */
  sent(bytes: number): void {
    const now = this.#clock.now();
    this.#history.push([now, bytes]);
    while (this.#history.length > 0 && this.#history[0][0] < now - SEND_RATE_WINDOW_MS) this.#history.shift();
  }

  /** Bytes per second over the last minute (or since the meter started, if sooner). */
  rateBps(): number {
    const now = this.#clock.now();
    const span = Math.min(SEND_RATE_WINDOW_MS, now - this.#startedMs);
    if (span <= 0) return 0;
    let bytes = 0;
    for (const [t, b] of this.#history) if (t >= now - SEND_RATE_WINDOW_MS) bytes += b;
    return bytes / (span / 1000);
  }
}

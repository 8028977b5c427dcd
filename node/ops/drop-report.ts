// Drops and refusals in the log (docs/operators.md §Logs). Each is counted by
// reason where it happens (chaff_*_total{reason}) and logged there at debug;
// an operator at the default level (info) sees them here instead: once per
// interval, one line that names every counter that moved, by reason, with
// how many. A hostile peer therefore costs at most one line per interval
// whatever it sends (the per-event debug lines are bounded by
// rate-limited-logger.ts). A Startable: started with the node's services,
// it reports what is left when it stops.

import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';

/** One counter family: its name in the log line and its totals by reason, read when the report runs. */
export interface DropSource {
  /** As in the log line: the metric's name without chaff_ and _total, e.g. "packets_dropped". */
  name: string;
  read(): Readonly<Record<string, number>> | null;
}

export interface DropReportComponents {
  clock: Clock;
  logger: Logger;
  sources(): readonly DropSource[];
}

export interface DropReportInit {
  /** How often the report runs. Default 60 s. */
  intervalMs?: number;
}

export class DropReport implements Startable {
  readonly #c: DropReportComponents;
  readonly #intervalMs: number;
  readonly #last = new Map<string, number>();
  #timer: TimerHandle | null = null;
  #since = 0;
  #running = false;

  constructor(components: DropReportComponents, init: DropReportInit = {}) {
    this.#c = components;
    this.#intervalMs = init.intervalMs ?? 60_000;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#since = this.#c.clock.now();
    // What was counted before the report started (a store's open, a first request) is reported at its first run.
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    this.report();
  }

  /** Logs what moved since the last report (nothing if nothing did); returns the line's counts. */
  report(): Record<string, Record<string, number>> {
    const now = this.#c.clock.now();
    const moved: Record<string, Record<string, number>> = {};
    let total = 0;
    for (const source of this.#c.sources()) {
      const counts = source.read();
      if (counts === null) continue;
      for (const [reason, value] of Object.entries(counts)) {
        const key = `${source.name}\0${reason}`;
        const delta = value - (this.#last.get(key) ?? 0);
        this.#last.set(key, value);
        if (delta <= 0) continue;
        (moved[source.name] ??= {})[reason] = delta;
        total += delta;
      }
    }
    if (total > 0) this.#c.logger.info('dropped or refused', { seconds: Math.round((now - this.#since) / 1000), total, ...moved });
    this.#since = now;
    return moved;
  }

  #schedule(): void {
    this.#timer = this.#c.clock.at(this.#c.clock.now() + this.#intervalMs, () => {
      if (!this.#running) return;
      this.report();
      this.#schedule();
    });
  }
}

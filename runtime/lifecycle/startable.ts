// The one lifecycle of Chaff's services, after js-libp2p's `Startable`:
// every service has async start() and stop(), is built from its init options
// plus the narrow components it needs (a Clock, a Logger, its stores, the
// part of the host it uses), and a daemon is a composition root that starts
// its components in a written order and stops them in the reverse order
// (Katzenpost's server.halt() is the model: the order is deliberate).

import type { Logger } from '../log/logger.js';

export interface Startable {
  start(): Promise<void>;
  /** Idempotent; never throws for a component that did not start. */
  stop(): Promise<void>;
}

/** A step of a composition root: a named component (or a bare stop action, e.g. closing a store opened earlier). */
export interface LifecycleStep {
  readonly name: string;
  start?(): Promise<void>;
  stop(): Promise<void> | void;
}

/**
 * Starts steps in the order given and, on stop (or when a later step fails
 * to start), stops those that started in reverse order. A failing stop is
 * logged and the next one still runs, so one broken component never leaves
 * the stores after it unflushed.
 */
export class Lifecycle {
  readonly #log: Logger;
  readonly #started: LifecycleStep[] = [];
  #stopping: Promise<void> | null = null;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Starts `step` now (after every step added before it); on failure stops what started, then rethrows. */
  async add<T extends LifecycleStep>(step: T): Promise<T> {
    if (this.#stopping) throw new Error(`cannot start ${step.name}: stopping`);
    try {
      await step.start?.();
    } catch (err) {
      this.#log.error('start failed; stopping what started', { component: step.name, error: (err as Error).message });
      await this.stop();
      throw err;
    }
    this.#started.push(step);
    return step;
  }

  /** Registers a stop action for something already started or opened (a store, a host). */
  onStop(name: string, stop: () => Promise<void> | void): void {
    if (this.#stopping) throw new Error(`cannot register ${name}: stopping`);
    this.#started.push({ name, stop });
  }

  /** The names of the started steps, in start order. */
  get order(): string[] {
    return this.#started.map((s) => s.name);
  }

  /** Stops every started step in reverse order, once (later calls wait for the first). */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const step of [...this.#started].reverse()) {
        try {
          await step.stop();
        } catch (err) {
          this.#log.warn('shutdown step failed', { component: step.name, error: (err as Error).message });
        }
      }
      this.#started.length = 0;
    })();
    return this.#stopping;
  }
}

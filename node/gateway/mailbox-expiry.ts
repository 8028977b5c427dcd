// Deletes mailbox entries past their retention (docs/gateway.md §Mailboxes),
// once a minute on the injected Clock, so a test can drive it on a manual
// clock. A pass that fails is logged and the next one runs on time.

import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { MailboxStore } from '../store/mailbox-store.js';

export interface MailboxExpiryComponents {
  mailboxes: Pick<MailboxStore, 'expire'>;
  clock: Clock;
  logger: Logger;
}

export interface MailboxExpiryInit {
  /** Period of the pass. Default 60 s. */
  intervalMs?: number;
}

export class MailboxExpiry implements Startable {
  readonly #c: MailboxExpiryComponents;
  readonly #intervalMs: number;
  #timer: TimerHandle | null = null;
  #pass: Promise<void> | null = null;
  #running = false;

  constructor(components: MailboxExpiryComponents, init: MailboxExpiryInit = {}) {
    this.#c = components;
    this.#intervalMs = init.intervalMs ?? 60_000;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#arm(this.#c.clock.now() + this.#intervalMs);
  }

  /** Cancels the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#pass;
  }

  #arm(atMs: number): void {
    this.#timer = this.#c.clock.at(atMs, () => {
      // The next pass is due a period after this one was, whatever this one costs (as setInterval did).
      if (this.#running) this.#arm(atMs + this.#intervalMs);
      this.#pass ??= this.#c.mailboxes
        .expire(this.#c.clock.now())
        .then(() => undefined)
        .catch((err: unknown) => this.#c.logger.warn('mailbox expiry failed', { error: (err as Error).message }))
        .finally(() => (this.#pass = null));
    });
  }
}

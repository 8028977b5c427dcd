// Retires a relay's Sphinx keys on time, and with them everything kept per
// key: when an epoch's grace window ends (epoch end + key_grace) its key is
// deleted (EpochKeyring.rotate) and the replay tags recorded under it are
// pruned, since no packet can be unwrapped under that epoch any more
// (docs/storage.md §Replay cache). Driven by the injected Clock: one timer,
// armed for the next retirement, so a relay's replay cache holds the tags of
// the live epochs only, however long it runs. A Startable built from its
// components (the keyring, a Clock, a Logger) and its init options.

import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { EpochKeyring } from './epoch-keys.js';

export interface KeyRetirementComponents {
  keyring: EpochKeyring;
  clock: Clock;
  /** A failing onRetired (e.g. a disk error) is logged at warn; it is retried at the next retirement. */
  logger: Logger;
}

export interface KeyRetirementInit {
  /**
   * Called after keys retire with the new oldest live epoch: drop what is
   * kept for older epochs (the replay cache's pruneBefore).
   */
  onRetired(liveFrom: number, deleted: readonly number[]): Promise<void> | void;
}

export class KeyRetirement implements Startable {
  readonly #o: KeyRetirementComponents & KeyRetirementInit;
  #timer: TimerHandle | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(components: KeyRetirementComponents, init: KeyRetirementInit) {
    this.#o = { ...components, ...init };
  }

  /** Retires what is already due, then arms the timer. */
  start(): Promise<void> {
    return this.#retire();
  }

  /** Cancels the timer and waits for a retirement in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#running;
  }

  #retire(): Promise<void> {
    this.#timer = null;
    if (this.#stopped) return Promise.resolve();
    const run = (async () => {
      const now = this.#o.clock.now();
      try {
        const { deleted } = this.#o.keyring.rotate(now);
        await this.#o.onRetired(this.#o.keyring.liveFrom(now), deleted);
      } catch (err) {
        this.#o.logger.warn('retiring keys failed (replay cache prune); retried at the next key retirement', { error: (err as Error).message });
      }
    })();
    this.#running = run.then(() => {
      this.#running = null;
      if (!this.#stopped) this.#timer = this.#o.clock.at(this.#o.keyring.nextRetirementMs(this.#o.clock.now()), () => void this.#retire());
    });
    return this.#running;
  }
}

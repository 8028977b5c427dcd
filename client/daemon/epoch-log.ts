// Warnings the sending and receiving paths would otherwise repeat for every
// packet (a build error, a gateway missing from the document, a forged ACK):
// each distinct one is logged once per epoch.

import type { Logger, LogFields } from '../../runtime/log/logger.js';

export interface EpochLogComponents {
  logger: Logger;
  /** The epoch now (NetworkView.epochNow). */
  epochNow: () => number;
}

export class EpochLog {
  readonly #c: EpochLogComponents;
  #logged = { epoch: -1, messages: new Set<string>() };

  constructor(components: EpochLogComponents) {
    this.#c = components;
  }

  /** Logs `msg` at warn unless the same message (and error) was logged this epoch already. */
  warn(msg: string, fields: LogFields = {}): void {
    const epoch = this.#c.epochNow();
    if (this.#logged.epoch !== epoch) this.#logged = { epoch, messages: new Set() };
    const key = `${msg} ${String(fields.error ?? '')}`;
    if (this.#logged.messages.has(key)) return;
    this.#logged.messages.add(key);
    this.#c.logger.warn(msg, { ...fields, note: 'logged once per epoch' });
  }
}

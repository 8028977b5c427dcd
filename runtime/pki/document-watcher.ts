// Keeps the current and the next epoch's documents at hand (docs/pki.md
// §Client behaviour). On a Clock: at start and at each epoch boundary it
// wants the current epoch's document; from `nextFrom` (a fraction of the
// epoch, after the authorities publish) it also wants the next one. Missing
// documents are retried with exponential backoff; each newly verified
// document is handed to `onDocument` once.
//
// A Startable built from its init options (the epochs, what to do with a
// document, the retry schedule) and its components (the document source, a
// Clock, a Logger).

import type { Startable } from '../lifecycle/startable.js';
import type { Logger } from '../log/logger.js';
import { epochAt, epochStart, type EpochClock } from '../../protocol/pki/epoch.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { VerifiedDocument } from './pki-client.js';

/** The part of PkiClient the watcher needs. */
export interface DocumentSource {
  fetchDocument(epoch: number): Promise<VerifiedDocument>;
}

export interface DocumentWatcherComponents {
  source: DocumentSource;
  clock: Clock;
  /** Failed fetches (retried) are logged at debug. */
  logger?: Logger;
}

export interface DocumentWatcherInit {
  epochs: EpochClock;
  onDocument: (doc: VerifiedDocument) => void;
  /** Fraction of epoch E from which the document for E + 1 is sought. Default 0.75 (authorities sign at 0.7). */
  nextFrom?: number;
  /** First retry delay. Default: a fiftieth of the epoch, at least 100 ms. */
  retryMinMs?: number;
  /** Longest retry delay. Default: a tenth of the epoch. */
  retryMaxMs?: number;
  /** Called when a fetch fails (for metrics, or a log of the caller's own). */
  onError?: (epoch: number, err: Error) => void;
}

export class DocumentWatcher implements Startable {
  readonly #o: DocumentWatcherInit;
  readonly #c: DocumentWatcherComponents;
  readonly #delivered = new Map<number, VerifiedDocument>();
  #timer: TimerHandle | null = null;
  #running = false;
  #busy = false;
  #backoff: number;

  constructor(components: DocumentWatcherComponents, init: DocumentWatcherInit) {
    this.#o = init;
    this.#c = components;
    this.#backoff = this.#retryMin();
  }

  #retryMin(): number {
    return this.#o.retryMinMs ?? Math.max(100, Math.floor(this.#o.epochs.epochDurationMs / 50));
  }

  #retryMax(): number {
    return Math.max(this.#retryMin(), this.#o.retryMaxMs ?? Math.floor(this.#o.epochs.epochDurationMs / 10));
  }

  /** The verified document for `epoch`, if the watcher has it. */
  document(epoch: number): VerifiedDocument | undefined {
    return this.#delivered.get(epoch);
  }

  /** Returns at once; the first fetch runs in the background. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    void this.#tick();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
  }

  #arm(atMs: number): void {
    this.#timer?.cancel();
    if (!this.#running) return;
    this.#timer = this.#c.clock.at(atMs, () => {
      this.#timer = null;
      void this.#tick();
    });
  }

  async #tick(): Promise<void> {
    if (!this.#running || this.#busy) return;
    this.#busy = true;
    try {
      const now = this.#c.clock.now();
      if (now < this.#o.epochs.genesisMs) return this.#arm(this.#o.epochs.genesisMs);
      const epoch = epochAt(now, this.#o.epochs);
      const start = epochStart(epoch, this.#o.epochs);
      const nextFromMs = start + Math.floor((this.#o.nextFrom ?? 0.75) * this.#o.epochs.epochDurationMs);
      const wanted = now >= nextFromMs ? [epoch, epoch + 1] : [epoch];
      let missing = false;
      for (const e of wanted) {
        if (this.#delivered.has(e)) continue;
        try {
          const doc = await this.#c.source.fetchDocument(e);
          if (!this.#running) return;
          this.#delivered.set(e, doc);
          try {
            this.#o.onDocument(doc);
          } catch {
            // the consumer's error is its own
          }
        } catch (err) {
          missing = true;
          this.#c.logger?.debug('document fetch failed; retried', { epoch: e, error: (err as Error).message });
          this.#o.onError?.(e, err as Error);
        }
      }
      for (const e of this.#delivered.keys()) if (e < epoch - 1) this.#delivered.delete(e);
      const milestone = now < nextFromMs ? nextFromMs : start + this.#o.epochs.epochDurationMs;
      if (missing) {
        const retry = this.#c.clock.now() + this.#backoff;
        this.#backoff = Math.min(this.#backoff * 2, this.#retryMax());
        this.#arm(Math.min(retry, milestone));
      } else {
        this.#backoff = this.#retryMin();
        this.#arm(milestone);
      }
    } finally {
      this.#busy = false;
    }
  }
}

// Pulls the client's mailbox at a constant rate (Loopix §4.3: a client
// fetches at fixed intervals, and every reply has the same size, so the
// link shows nothing about when mail arrives). Each fetch carries the ids
// of the messages the previous ones delivered *and* the client has durably
// processed: a message is deleted at the gateway only after that, so a
// client crash between fetch and processing loses nothing.

import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import { MAX_ACKS, type FetchEntry } from '../../protocol/wire/fetch.js';

export interface MailboxPollerOptions {
  clock: Clock;
  intervalMs: number;
  fetch: (acks: readonly bigint[]) => Promise<FetchEntry[]>;
  /** Processes one entry durably; the entry is acknowledged once this resolves. Rejects → not acknowledged (fetched again). */
  handle: (entry: FetchEntry) => Promise<void>;
  onError?: (err: Error) => void;
}

export interface PollerStats {
  fetches: number;
  failures: number;
  entries: number;
  /** Ticks skipped because the previous fetch was still running. */
  overlaps: number;
  pendingAcks: number;
}

export class MailboxPoller {
  readonly #o: MailboxPollerOptions;
  #acks: bigint[] = [];
  #timer: TimerHandle | null = null;
  #busy: Promise<void> | null = null;
  #running = false;
  #nextMs = 0;
  readonly #stats = { fetches: 0, failures: 0, entries: 0, overlaps: 0 };

  constructor(options: MailboxPollerOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#nextMs = this.#o.clock.now();
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#busy;
  }

  stats(): PollerStats {
    return { ...this.#stats, pendingAcks: this.#acks.length };
  }

  /** One fetch now (tests; and at stop, to hand the gateway the last acks). */
  async pollOnce(): Promise<void> {
    if (this.#busy) {
      this.#stats.overlaps++;
      return this.#busy;
    }
    this.#busy = this.#poll().finally(() => (this.#busy = null));
    return this.#busy;
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#nextMs += this.#o.intervalMs;
    // Fixed period from the start, not from when the last fetch ended; after a
    // stall, resume from now instead of bursting.
    if (this.#nextMs < this.#o.clock.now() - this.#o.intervalMs) this.#nextMs = this.#o.clock.now();
    this.#timer = this.#o.clock.at(this.#nextMs, () => {
      this.#schedule();
      void this.pollOnce();
    });
  }

  async #poll(): Promise<void> {
    const acks = this.#acks.slice(0, MAX_ACKS);
    let entries: FetchEntry[];
    this.#stats.fetches++;
    try {
      entries = await this.#o.fetch(acks);
    } catch (err) {
      this.#stats.failures++;
      this.#o.onError?.(err as Error);
      return;
    }
    // The gateway deleted what it was told.
    this.#acks.splice(0, acks.length);
    for (const entry of entries) {
      this.#stats.entries++;
      try {
        await this.#o.handle(entry);
        if (entry.id !== null && !this.#acks.includes(entry.id)) this.#acks.push(entry.id);
      } catch (err) {
        this.#o.onError?.(err as Error);
      }
    }
  }
}

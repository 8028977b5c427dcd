// Pulls the client's mailbox at a constant rate (Loopix §4.3: a client
// fetches at fixed intervals, and every reply has the same size, so the
// link shows nothing about when mail arrives). Each fetch carries the ids
// of the messages the previous ones delivered *and* the client has durably
// processed: a message is deleted at the gateway only after that, so a
// client crash between fetch and processing loses nothing.
//
// Fetching and processing are decoupled (docs/client.md §Receiving): every
// tick of the schedule sends its fetch, whatever the state of the one before
// it or of the processing, so neither a slow gateway reply nor a slow
// mailbox entry (a large reassembly, a slow disk) makes the link skip a
// fetch or burst afterwards: a pause would show an observer when mail
// arrived. Fetched entries go to a bounded backlog that one worker hands on
// in order, a wave of all those waiting at a time (see #work). Entries beyond the backlog, and entries already queued or
// processed but not yet acknowledged (the gateway hands an entry out again
// until it is acknowledged), are not queued: unacknowledged, the gateway
// keeps them and hands them out again later. Nothing is lost.

import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import { MAX_ACKS, type FetchEntry } from '../../protocol/wire/fetch.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';

export interface MailboxPollerInit {
  /** The constant period between fetches (the profile's fetch_interval). */
  intervalMs: number;
  /** Entries fetched but not yet processed, at most (default 1024). */
  maxBacklog?: number;
  /** Fetches awaiting their reply at once, at most (default 32; a reply times out long before). */
  maxFetchesInFlight?: number;
}

export interface MailboxPollerComponents {
  clock: Clock;
  logger: Logger;
  /** One signed fetch carrying `acks` (client/net/gateway-link.ts): the real entries of the fixed-size reply. */
  fetch(acks: readonly bigint[]): Promise<FetchEntry[]>;
  /** Processes one entry durably; the entry is acknowledged once this resolves. Rejects → not acknowledged (fetched again). */
  handle(entry: FetchEntry): Promise<void>;
}

export interface PollerStats {
  fetches: number;
  failures: number;
  entries: number;
  /** Ticks that sent no fetch because maxFetchesInFlight replies were still outstanding (a dead link). */
  overlaps: number;
  /** Entries not queued because the backlog was full (the gateway keeps them). */
  deferred: number;
  /** Entries handed out again while queued, processed or acknowledged already. */
  duplicates: number;
  backlog: number;
  pendingAcks: number;
}

const DEFAULT_MAX_BACKLOG = 1024;
const DEFAULT_MAX_FETCHES_IN_FLIGHT = 32;
/** Acknowledged ids remembered, to drop a late reply's copy of an entry (a reply sent before the ack arrived). */
const RECENT_ACKS = 4096;

export class MailboxPoller implements Startable {
  readonly #init: MailboxPollerInit;
  readonly #c: MailboxPollerComponents;
  readonly #maxBacklog: number;
  readonly #maxInFlight: number;
  /** Processed ids waiting to be acknowledged, oldest first. */
  readonly #acks = new Set<bigint>();
  /** Ids acknowledged by a fetch that succeeded (FIFO of RECENT_ACKS). */
  readonly #acked = new Set<bigint>();
  readonly #backlog: FetchEntry[] = [];
  /** Ids in the backlog or being processed. */
  readonly #queued = new Set<bigint>();
  readonly #inFlight = new Set<Promise<void>>();
  #worker: Promise<void> | null = null;
  #timer: TimerHandle | null = null;
  #running = false;
  #nextMs = 0;
  readonly #stats = { fetches: 0, failures: 0, entries: 0, overlaps: 0, deferred: 0, duplicates: 0 };

  constructor(components: MailboxPollerComponents, init: MailboxPollerInit) {
    if (!(init.intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
    this.#init = init;
    this.#c = components;
    this.#maxBacklog = init.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    this.#maxInFlight = init.maxFetchesInFlight ?? DEFAULT_MAX_FETCHES_IN_FLIGHT;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#nextMs = this.#c.clock.now();
    this.#schedule();
  }

  /** Stops the schedule, waits for the fetches in flight and the entry being processed; the rest of the backlog is dropped unacknowledged. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    await Promise.allSettled([...this.#inFlight]);
    for (const e of this.#backlog.splice(0)) if (e.id !== null) this.#queued.delete(e.id);
    await this.#worker;
  }

  /**
   * After stop: hands the gateway the acknowledgements still owed in one
   * last fetch, if any are; the entries it returns are not queued (the
   * gateway keeps them and hands them out at the next start). Never throws.
   */
  async handOverAcks(): Promise<void> {
    if (this.#running || this.#acks.size === 0) return;
    await this.#fetchAndQueue(false);
  }

  stats(): PollerStats {
    return { ...this.#stats, backlog: this.#backlog.length, pendingAcks: this.#acks.size };
  }

  /** One fetch now; resolves when its entries are processed (tests). */
  async pollOnce(): Promise<void> {
    const fetched = this.#fetch();
    if (!fetched) return;
    await fetched;
    await this.#worker;
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#nextMs += this.#init.intervalMs;
    // Fixed period from the start, not from when the last fetch ended; only
    // after the event loop itself stalled (a suspended laptop) resume from
    // now instead of bursting the missed ticks.
    if (this.#nextMs < this.#c.clock.now() - this.#init.intervalMs) this.#nextMs = this.#c.clock.now();
    this.#timer = this.#c.clock.at(this.#nextMs, () => {
      this.#schedule();
      void this.#fetch();
    });
  }

  /** Sends one fetch (never waits for processing); null when too many are outstanding. */
  #fetch(): Promise<void> | null {
    if (this.#inFlight.size >= this.#maxInFlight) {
      this.#stats.overlaps++;
      return null;
    }
    const p = this.#fetchAndQueue(true).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
    return p;
  }

  /** One fetch; its entries are queued unless `queue` is false (the last fetch at stop). */
  async #fetchAndQueue(queue: boolean): Promise<void> {
    const acks = [...this.#acks].slice(0, MAX_ACKS);
    let entries: FetchEntry[];
    this.#stats.fetches++;
    try {
      entries = await this.#c.fetch(acks);
    } catch (err) {
      this.#stats.failures++;
      this.#c.logger.debug('mailbox fetch failed', { error: (err as Error).message });
      return;
    }
    // The gateway deleted what it was told.
    for (const id of acks) {
      this.#acks.delete(id);
      this.#acked.add(id);
    }
    for (const id of this.#acked) {
      if (this.#acked.size <= RECENT_ACKS) break;
      this.#acked.delete(id);
    }
    if (!queue) return;
    for (const entry of entries) {
      this.#stats.entries++;
      const id = entry.id;
      if (id !== null && (this.#queued.has(id) || this.#acks.has(id) || this.#acked.has(id))) {
        this.#stats.duplicates++;
        continue;
      }
      if (this.#backlog.length >= this.#maxBacklog) {
        this.#stats.deferred++;
        continue;
      }
      if (id !== null) this.#queued.add(id);
      this.#backlog.push(entry);
    }
    this.#kick();
  }

  #kick(): void {
    this.#worker ??= this.#work().finally(() => {
      this.#worker = null;
      if (this.#backlog.length > 0) this.#kick();
    });
  }

  /**
   * Processes the backlog in waves: every entry waiting is handed to
   * `handle` in order, without waiting for the one before to be stored, so
   * that their synced writes share fsyncs (the store's group commit) and an
   * ACK is taken at once rather than behind the writes of the messages
   * fetched with it (behind them on a slow disk, it came after its
   * retransmission timeout). `handle` keeps what needs an order in order
   * (the messenger stages envelopes one at a time). An entry is acknowledged
   * to the gateway once its own processing is stored.
   */
  async #work(): Promise<void> {
    while (this.#backlog.length > 0) {
      const wave = this.#backlog.splice(0, this.#backlog.length);
      await Promise.all(wave.map((entry) => this.#process(entry)));
    }
  }

  async #process(entry: FetchEntry): Promise<void> {
    try {
      await this.#c.handle(entry);
      if (entry.id !== null) this.#acks.add(entry.id);
    } catch (err) {
      this.#c.logger.debug('mailbox entry not processed; the gateway keeps it', { error: (err as Error).message });
    } finally {
      if (entry.id !== null) this.#queued.delete(entry.id);
    }
  }
}

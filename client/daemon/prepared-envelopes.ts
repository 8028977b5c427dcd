// Envelopes sealed ahead of the payload stream. Sealing is asynchronous (the
// session is saved first), so with a single one a payload event that comes
// before the next sealing finished, or a burst of events after an event-loop
// stall, would find nothing and send a decoy while messages wait. A payload
// event takes the oldest one still pending (client/daemon/packet-scheduler.ts).
// A refill seals all the missing ones at once, with one synced write, and
// does not wait for the refill before it: on a slow disk (a 40 ms fsync)
// one refill at a time left the buffer empty for most slots.
//
// How many: PREPARED_AHEAD ready, plus those a refill's write keeps in
// flight (Little's law: the rate payload events take them times how long a
// refill takes, both measured), at most MAX_SEALED_AHEAD. With a 100 ms
// fsync a refill takes about 200 ms, which at λP = 20/s is four envelopes
// in flight: with four in all, most slots found none ready.

import { ctEqual } from '../../protocol/bytes.js';
import type { Topology } from '../../protocol/pki/routes.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Messenger, PreparedEnvelope } from '../messenger.js';
import type { Arq } from '../sender/arq.js';
import type { NetworkView } from './network-view.js';
import type { GatewayWaitingRoom } from './waiting-room.js';

/** Envelopes kept ready (sealed and written) ahead of the payload stream. */
export const PREPARED_AHEAD = 4;
/** Envelopes sealed ahead in all (ready and being written), at most: each holds a ratchet step a restart skips. */
export const MAX_SEALED_AHEAD = 32;
/** Weight of the newest sample in the moving averages of take intervals and refill times. */
const EWMA_WEIGHT = 0.2;

export interface PreparedEnvelopesComponents {
  clock: Clock;
  messenger: Pick<Messenger, 'prepareUpTo'>;
  arq: Pick<Arq, 'has' | 'unsent'>;
  view: Pick<NetworkView, 'current'>;
  waiting: GatewayWaitingRoom;
  logger: Logger;
}

export class PreparedEnvelopes implements Startable {
  readonly #c: PreparedEnvelopesComponents;
  /** Oldest first. */
  #prepared: PreparedEnvelope[] = [];
  /** Refills under way, and the envelopes they were asked for. */
  readonly #refills = new Set<Promise<void>>();
  #requested = 0;
  #running = false;
  /** Moving averages, ms: between takes, and from a refill's call to its envelopes (refills that wrote). */
  #takeIntervalMs: number | null = null;
  #lastTakeMs: number | null = null;
  #refillMs = 0;

  constructor(components: PreparedEnvelopesComponents) {
    this.#c = components;
  }

  async start(): Promise<void> {
    this.#running = true;
    this.refill();
  }

  /** Stops sealing ahead; waits for the sealings under way (they write to the store). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all([...this.#refills]);
  }

  /**
   * Keeps `target()` real envelopes sealed ahead (those asked for and not
   * yet written count), so a stream event finds one ready.
   * Refills end in the order they began (their writes commit in that
   * order), so envelopes keep the queue's order.
   */
  refill(): void {
    const want = this.target() - this.#prepared.length - this.#requested;
    if (!this.#running || want <= 0) return;
    this.#requested += want;
    const startMs = this.#c.clock.now();
    const refill: Promise<void> = this.#c.messenger
      .prepareUpTo(want)
      .then((sealed) => {
        if (sealed.length > 0) this.#refillMs = ewma(this.#refillMs, this.#c.clock.now() - startMs);
        this.#prepared.push(...sealed);
        return sealed.length;
      })
      .catch((err) => {
        this.#c.logger.warn('could not prepare a message for sending', { error: (err as Error).message });
        return 0;
      })
      .then((n) => {
        this.#requested -= want;
        this.#refills.delete(refill);
        // All it asked for: more may be queued. Fewer: the queue is empty, until the next event asks.
        if (n === want) this.refill();
      });
    this.#refills.add(refill);
  }

  /** Envelopes to keep sealed ahead now (ready and being written): PREPARED_AHEAD plus the take rate times the refill time. */
  target(): number {
    const inFlight = this.#takeIntervalMs ? Math.ceil(this.#refillMs / this.#takeIntervalMs) : 0;
    return Math.min(MAX_SEALED_AHEAD, PREPARED_AHEAD + inFlight);
  }

  /**
   * The envelope for this payload event, or undefined (the slot sends a
   * decoy). First, once per epoch, fragments whose gateway is back go
   * first; envelopes acknowledged or removed while they waited are skipped;
   * one whose gateway left the document waits for it. Each call also
   * measures the time since the last (the rate the stream takes them).
   */
  take(): PreparedEnvelope | undefined {
    const now = this.#c.clock.now();
    if (this.#lastTakeMs !== null) this.#takeIntervalMs = this.#takeIntervalMs === null ? now - this.#lastTakeMs : ewma(this.#takeIntervalMs, now - this.#lastTakeMs);
    this.#lastTakeMs = now;
    const topology = this.#c.view.current();
    if (topology) this.#release(topology);
    let p: PreparedEnvelope | undefined;
    while ((p = this.#prepared.shift()) !== undefined) {
      // Skip any acknowledged (a late ACK) or removed while it waited.
      if (!this.#c.arq.has(p.key)) continue;
      // No route to its gateway this epoch: it waits, and the slot goes to
      // the next one or to a decoy, never to silence (issue 9 §4).
      if (topology && !topology.document.gateways.some((g) => ctEqual(g.nodeId, p!.gateway))) {
        this.#c.waiting.park(p.key, p.gateway, p);
        continue;
      }
      break;
    }
    this.refill();
    return p;
  }

  /** Fragments whose gateway is back go first, in their order: a sealed one as it was sealed, an unsealed one to the front of the send queue. */
  #release(topology: Topology): void {
    const back = this.#c.waiting.release(topology, (k) => this.#c.arq.has(k));
    if (!back) return;
    this.#prepared = [...back.sealed, ...this.#prepared];
    for (const key of back.keys.reverse()) this.#c.arq.unsent(key);
    this.refill();
    this.#c.logger.info("messages waiting for a contact's gateway are sent now", { fragments: back.keys.length + back.sealed.length, epoch: topology.epoch });
  }
}

function ewma(average: number, sample: number): number {
  return average + EWMA_WEIGHT * (sample - average);
}

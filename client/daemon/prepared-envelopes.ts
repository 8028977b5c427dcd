// Envelopes sealed ahead of the payload stream. Sealing is asynchronous (the
// session is saved first), so with a single one a payload event that comes
// before the next sealing finished, or a burst of events after an event-loop
// stall, would find nothing and send a decoy while messages wait. A payload
// event takes the oldest one still pending (client/daemon/packet-scheduler.ts).

import { ctEqual } from '../../protocol/bytes.js';
import type { Topology } from '../../protocol/pki/routes.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Messenger, PreparedEnvelope } from '../messenger.js';
import type { Arq } from '../sender/arq.js';
import type { NetworkView } from './network-view.js';
import type { GatewayWaitingRoom } from './waiting-room.js';

/** Envelopes kept sealed ahead, at most. */
export const PREPARED_AHEAD = 4;

export interface PreparedEnvelopesComponents {
  messenger: Pick<Messenger, 'prepareNext'>;
  arq: Pick<Arq, 'has' | 'unsent'>;
  view: Pick<NetworkView, 'current'>;
  waiting: GatewayWaitingRoom;
  logger: Logger;
}

export class PreparedEnvelopes implements Startable {
  readonly #c: PreparedEnvelopesComponents;
  /** Oldest first (PREPARED_AHEAD at most). */
  #prepared: PreparedEnvelope[] = [];
  #preparing: Promise<void> | null = null;
  #running = false;

  constructor(components: PreparedEnvelopesComponents) {
    this.#c = components;
  }

  async start(): Promise<void> {
    this.#running = true;
    this.refill();
  }

  /** Stops sealing ahead; waits for a sealing under way (it writes to the store). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#preparing;
  }

  /** Keeps up to PREPARED_AHEAD real envelopes sealed ahead, so a stream event sends one at once. */
  refill(): void {
    if (!this.#running || this.#preparing || this.#prepared.length >= PREPARED_AHEAD) return;
    this.#preparing = this.#c.messenger
      .prepareNext()
      .then((p) => {
        if (p) this.#prepared.push(p);
        return p;
      })
      .catch((err) => {
        this.#c.logger.warn('could not prepare a message for sending', { error: (err as Error).message });
        return null;
      })
      .then((p) => {
        this.#preparing = null;
        if (p) this.refill();
      });
  }

  /**
   * The envelope for this payload event, or undefined (the slot sends a
   * decoy). First, once per epoch, fragments whose gateway is back go
   * first; envelopes acknowledged or removed while they waited are skipped;
   * one whose gateway left the document waits for it.
   */
  take(): PreparedEnvelope | undefined {
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

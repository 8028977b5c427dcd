// Fragments to a contact whose gateway is not in the current document
// (issue 9 §4): they wait here (client/sender/gateway-wait.ts), unsealed
// when the messenger caught them before sealing, with their envelope when a
// document change caught them sealed; their payload slots send decoys. Once
// per epoch the prepared envelopes ask for those whose gateway is back.

import { toHex } from '../../protocol/bytes.js';
import type { Topology } from '../../protocol/pki/routes.js';
import type { PreparedEnvelope } from '../messenger.js';
import { GatewayWait } from '../sender/gateway-wait.js';
import type { EpochLog } from './epoch-log.js';

export interface WaitingRoomComponents {
  epochLog: EpochLog;
}

/** What a release hands back, oldest first: keys to send again from the queue, and envelopes sealed already. */
export interface Released {
  keys: string[];
  sealed: PreparedEnvelope[];
}

export class GatewayWaitingRoom {
  readonly #c: WaitingRoomComponents;
  readonly #waiting = new GatewayWait<PreparedEnvelope | null>();
  /** The epoch whose document the waiting fragments were last checked against. */
  #checkedEpoch = -1;

  constructor(components: WaitingRoomComponents) {
    this.#c = components;
  }

  /** `key`'s gateway is not in the current document: it waits (with its envelope if already sealed) until it is. */
  park(key: string, gateway: Uint8Array, sealed: PreparedEnvelope | null): void {
    this.#waiting.park(key, gateway, sealed);
    this.#c.epochLog.warn("a contact's gateway is not in this epoch's document; messages to it wait until it is back", { gateway: toHex(gateway).slice(0, 16) });
  }

  /**
   * Once per epoch: takes out the fragments whose gateway `topology` lists
   * again (and forgets those `isPending` says are gone); null when there is
   * nothing to send (or this epoch was checked already).
   */
  release(topology: Topology, isPending: (key: string) => boolean): Released | null {
    if (topology.epoch === this.#checkedEpoch || this.#waiting.size === 0) return null;
    this.#checkedEpoch = topology.epoch;
    const present = new Set(topology.document.gateways.map((g) => toHex(g.nodeId)));
    const out: Released = { keys: [], sealed: [] };
    const back = this.#waiting.release(
      (g) => present.has(g),
      isPending,
      (key, item) => (item ? out.sealed.push(item) : out.keys.push(key)),
    );
    return back === 0 ? null : out;
  }

  /** Fragments still waiting (forgetting those `isPending` says are gone). */
  count(isPending: (key: string) => boolean): number {
    return this.#waiting.prune(isPending);
  }
}

// The verified topology documents a relay holds (the previous, current and
// next epoch's): fed by the DocumentWatcher, read by the router and the mix
// as a TopologyView. Each new document is logged with whether it lists this
// node and, where this node declared a family, which members did not declare
// it back (docs/operators.md §Declaring a family).

import { toHex } from '../../protocol/bytes.js';
import { epochAt, type EpochClock } from '../../protocol/pki/epoch.js';
import { Topology } from '../../protocol/pki/routes.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { VerifiedDocument } from '../../runtime/pki/pki-client.js';
import type { TopologyView } from './topology-router.js';

export interface HeldDocumentsComponents {
  logger: Logger;
}

export interface HeldDocumentsInit {
  epochs: EpochClock;
  /** This node's Sphinx node id. */
  nodeId: Uint8Array;
}

export class HeldDocuments implements TopologyView {
  readonly #c: HeldDocumentsComponents;
  readonly #o: HeldDocumentsInit;
  readonly #documents = new Map<number, Topology>();

  constructor(components: HeldDocumentsComponents, init: HeldDocumentsInit) {
    this.#c = components;
    this.#o = init;
  }

  current(nowMs: number): Topology | null {
    return this.#documents.get(epochAt(nowMs, this.#o.epochs)) ?? null;
  }

  all(): Topology[] {
    return [...this.#documents.values()];
  }

  /** The epochs held, oldest first. */
  epochs(): number[] {
    return [...this.#documents.keys()];
  }

  /** Keeps `v` and drops documents older than the epoch before it. */
  accept(v: VerifiedDocument): void {
    const topology = new Topology(v.document);
    this.#documents.set(v.epoch, topology);
    for (const e of this.#documents.keys()) if (e < v.epoch - 1) this.#documents.delete(e);
    const { nodeId } = this.#o;
    const log = this.#c.logger;
    const me = [...v.document.gateways, ...v.document.layers.flat()].some((n) => toHex(n.nodeId) === toHex(nodeId));
    log.info('topology document', { epoch: v.epoch, listed: me, mixes: v.document.layers.map((l) => l.length), gateways: v.document.gateways.length });
    // A family counts only where declared both ways (docs/operators.md §Declaring a family): say which half is missing.
    const self = topology.node(nodeId);
    const unreturned = self ? topology.families.unreturned(self) : [];
    if (unreturned.length > 0)
      log.warn('family not declared back: these nodes do not list this node in their family, so they are not of its family', {
        epoch: v.epoch,
        nodes: unreturned.map((n) => `${n.name} ${toHex(n.identityKey)}`),
      });
  }
}

// What a new document changes for a running client (docs/pki.md §Client
// behaviour): our gateway's addresses (the link dials what the document
// lists) and, from the epoch it is for, the cover rates (the network's,
// raised by the user's own, protocol/traffic/client-streams.ts raiseRates).

import type { ClientRates, ClientStreams } from '../../protocol/traffic/client-streams.js';
import { raiseRates } from '../../protocol/traffic/client-streams.js';
import { toHex } from '../../protocol/bytes.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { VerifiedDocument } from '../../runtime/pki/pki-client.js';
import type { ClientSettings } from '../config.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';
import type { NetworkView } from './network-view.js';

/** The rates a client uses under `doc`: the document's, raised (never lowered) by the user's. */
export function ratesOf(doc: VerifiedDocument, raise: ClientSettings['raise']): ClientRates {
  const p = doc.document.params;
  return raiseRates({ lambdaP: p.lambdaP, lambdaL: p.lambdaL, lambdaD: p.lambdaD }, raise);
}

export interface DocumentFollowerInit {
  /** Our gateway's node id, hex (client.toml). */
  gateway: string;
  raise: ClientSettings['raise'];
}

export interface DocumentFollowerComponents {
  view: Pick<NetworkView, 'subscribe' | 'epochNow' | 'newest'>;
  link: Pick<GatewayLinkLike, 'updateGateway'>;
  streams: Pick<ClientStreams<unknown>, 'rates' | 'setRates'>;
  logger: Logger;
}

export class DocumentFollower implements Startable {
  readonly #init: DocumentFollowerInit;
  readonly #c: DocumentFollowerComponents;
  #unsubscribe: (() => void) | null = null;

  constructor(components: DocumentFollowerComponents, init: DocumentFollowerInit) {
    this.#init = init;
    this.#c = components;
  }

  /** Follows every document from now on, and the newest one already held (it may have come while the daemon started from a cached one). */
  async start(): Promise<void> {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#c.view.subscribe((doc) => this.#follow(doc));
    const held = this.#c.view.newest();
    if (held) this.#follow(held);
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  #follow(doc: VerifiedDocument): void {
    const current = this.#c.view.epochNow();
    if (doc.epoch < current) return;
    const gateway = doc.document.gateways.find((g) => toHex(g.nodeId) === this.#init.gateway);
    if (gateway) this.#c.link.updateGateway(gateway);
    else this.#c.logger.warn('our gateway is not in the document of a coming epoch', { epoch: doc.epoch });
    const rates = ratesOf(doc, this.#init.raise);
    const old = this.#c.streams.rates;
    if (doc.epoch === current && (rates.lambdaP !== old.lambdaP || rates.lambdaL !== old.lambdaL || rates.lambdaD !== old.lambdaD)) {
      this.#c.streams.setRates(rates);
      this.#c.logger.info('cover rates changed with the document', { epoch: doc.epoch, rates });
    }
  }
}

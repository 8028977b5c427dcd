// What a new document changes for a running client (docs/pki.md §Client
// behaviour): our gateway's addresses (the link dials what the document
// lists) and, from the epoch it is for, the cover rates (the network's,
// raised by the user's own, protocol/traffic/client-streams.ts raiseRates).
// The user's raise can change while the daemon runs (the API's settings.set):
// setRaise applies it to the network's rates in use at once.

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
  /** The network's rates the streams started from (the first document's), until a document for the epoch now is followed. */
  network?: ClientRates;
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
  #raise: ClientSettings['raise'];
  #network: ClientRates | null;

  constructor(components: DocumentFollowerComponents, init: DocumentFollowerInit) {
    this.#init = init;
    this.#c = components;
    this.#raise = { ...init.raise };
    this.#network = init.network ? { ...init.network } : null;
  }

  /** The network's rates the streams run on now (before the user's raise): the last followed document's for the epoch now; null when none is known. */
  get networkRates(): ClientRates | null {
    return this.#network ? { ...this.#network } : null;
  }

  /** The user's raise in use. */
  get raise(): ClientSettings['raise'] {
    return { ...this.#raise };
  }

  /**
   * A new raise from the user (the API's settings.set): the streams take the
   * network's rates raised by it at once, and every later document is raised
   * by it. Returns the rates the streams run at.
   */
  setRaise(raise: ClientSettings['raise']): ClientRates {
    this.#raise = { ...raise };
    if (this.#network) this.#apply(raiseRates(this.#network, this.#raise), 'cover rates changed by the user');
    return { ...this.#c.streams.rates };
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
    if (doc.epoch !== current) return;
    const p = doc.document.params;
    this.#network = { lambdaP: p.lambdaP, lambdaL: p.lambdaL, lambdaD: p.lambdaD };
    this.#apply(ratesOf(doc, this.#raise), 'cover rates changed with the document', { epoch: doc.epoch });
  }

  #apply(rates: ClientRates, why: string, fields: Record<string, unknown> = {}): void {
    const old = this.#c.streams.rates;
    if (rates.lambdaP === old.lambdaP && rates.lambdaL === old.lambdaL && rates.lambdaD === old.lambdaD) return;
    this.#c.streams.setRates(rates);
    this.#c.logger.info(why, { ...fields, rates });
  }
}

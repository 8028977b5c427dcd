// The client daemon's view of the network: the verified documents of the
// last epochs (the document watcher hands them in, runtime/pki/document-watcher.ts),
// the topology of the epoch now, and whether a gateway can be routed to.
// Everything that sends asks it; nothing here talks to the network.

import { ctEqual } from '../../protocol/bytes.js';
import { epochAt, type EpochClock } from '../../protocol/pki/epoch.js';
import { Topology } from '../../protocol/pki/routes.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import type { VerifiedDocument } from '../../runtime/pki/pki-client.js';
import { ClientError } from '../api.js';

export interface NetworkViewInit {
  epochs: EpochClock;
}

export interface NetworkViewComponents {
  clock: Clock;
}

/** Documents older than this many epochs before the newest are forgotten. */
const KEPT_EPOCHS = 2;

export class NetworkView {
  readonly #epochs: EpochClock;
  readonly #clock: Clock;
  readonly #docs = new Map<number, VerifiedDocument>();
  readonly #listeners = new Set<(doc: VerifiedDocument) => void>();
  #topologyCache: { epoch: number; topology: Topology } | null = null;

  constructor(components: NetworkViewComponents, init: NetworkViewInit) {
    this.#epochs = init.epochs;
    this.#clock = components.clock;
  }

  /** The epoch now. */
  epochNow(): number {
    return epochAt(this.#clock.now(), this.#epochs);
  }

  /** When `epoch` began, ms. */
  epochStartMs(epoch: number): number {
    return this.#epochs.genesisMs + epoch * this.#epochs.epochDurationMs;
  }

  /** A newly verified document: kept, and handed to every listener. */
  add(doc: VerifiedDocument): void {
    this.#docs.set(doc.epoch, doc);
    for (const e of this.#docs.keys()) if (e < doc.epoch - KEPT_EPOCHS) this.#docs.delete(e);
    for (const l of [...this.#listeners]) l(doc);
  }

  /** Calls `listener` with every document added from now on; returns the unsubscribe. */
  subscribe(listener: (doc: VerifiedDocument) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The document of the epoch now, or the newest one known. */
  topology(): Topology | null {
    const now = this.epochNow();
    const doc = this.#docs.get(now) ?? [...this.#docs.values()].sort((a, b) => b.epoch - a.epoch)[0];
    return doc ? new Topology(doc.document) : null;
  }

  /** topology(), built once per epoch. */
  current(): Topology | null {
    const now = this.epochNow();
    if (this.#topologyCache?.epoch === now) return this.#topologyCache.topology;
    const t = this.topology();
    if (t && t.epoch === now) this.#topologyCache = { epoch: now, topology: t };
    return t;
  }

  /** Whether `gateway` is in the current document (a fragment to it can be routed); true before any document. */
  routable(gateway: Uint8Array): boolean {
    const topology = this.current();
    return !topology || topology.document.gateways.some((g) => ctEqual(g.nodeId, gateway));
  }

  /** The newest document held, whatever its epoch. */
  newest(): VerifiedDocument | undefined {
    let best: VerifiedDocument | undefined;
    for (const doc of this.#docs.values()) if (!best || doc.epoch > best.epoch) best = doc;
    return best;
  }

  /** A document to route with now: the epoch now's, or a neighbour's (clocks differ a little). */
  usable(): VerifiedDocument | undefined {
    const now = this.epochNow();
    return this.#docs.get(now) ?? this.#docs.get(now + 1) ?? this.#docs.get(now - 1);
  }

  /**
   * The first usable document (usable()), as soon as one is added; with a
   * `timeoutMs`, ClientError 'unavailable' when none came within it.
   */
  firstDocument(timeoutMs?: number): Promise<VerifiedDocument> {
    const ready = this.usable();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const unsubscribe = this.subscribe(() => {
        const doc = this.usable();
        if (!doc) return;
        timer?.cancel();
        unsubscribe();
        resolve(doc);
      });
      const timer =
        timeoutMs === undefined
          ? null
          : this.#clock.at(this.#clock.now() + timeoutMs, () => {
              unsubscribe();
              const doc = this.usable();
              if (doc) resolve(doc);
              else reject(new ClientError('unavailable', `no verified network document within ${Math.round(timeoutMs / 1000)} s: are the authorities in client.toml reachable?`));
            });
    });
  }
}

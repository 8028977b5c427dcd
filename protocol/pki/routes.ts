// Routes through the stratified topology of a verified document (Loopix
// §4.2): every packet crosses the layers in order, so cover and real packets
// take the same kinds of links.
//
//   client packet: entry gateway → layer 1 → … → layer n → exit gateway
//   mix loop:      (from a mix in layer k) layer k+1 → … → layer n → a gateway
//                  → layer 1 → … → layer k−1 → the mix itself

import { toHex } from '../bytes.js';
import type { Uniform } from '../traffic/uniform.js';
import type { Document, NodeEntry } from './document.js';

export class RouteError extends Error {
  constructor(message: string) {
    super(`route: ${message}`);
    this.name = 'RouteError';
  }
}

function pick<T>(items: readonly T[], uniform: Uniform, what: string): T {
  if (items.length === 0) throw new RouteError(`no ${what} in the document`);
  return items[Math.min(items.length - 1, Math.floor(uniform() * items.length))];
}

/** Looks nodes up in a document by Sphinx node id. */
export class Topology {
  readonly document: Document;
  readonly #byId = new Map<string, { entry: NodeEntry; layer: number | 'gateway' }>();

  constructor(document: Document) {
    this.document = document;
    for (const g of document.gateways) this.#byId.set(toHex(g.nodeId), { entry: g, layer: 'gateway' });
    document.layers.forEach((layer, i) => {
      for (const m of layer) this.#byId.set(toHex(m.nodeId), { entry: m, layer: i });
    });
  }

  get epoch(): number {
    return this.document.epoch;
  }

  /** The node with Sphinx id `nodeId`, or undefined. */
  node(nodeId: Uint8Array): NodeEntry | undefined {
    return this.#byId.get(toHex(nodeId))?.entry;
  }

  /** The mix layer (0-based) of `nodeId`, 'gateway', or undefined if absent. */
  layerOf(nodeId: Uint8Array): number | 'gateway' | undefined {
    return this.#byId.get(toHex(nodeId))?.layer;
  }

  /** entry gateway, one random mix per layer in order, exit gateway. */
  clientRoute(entryGateway: Uint8Array, exitGateway: Uint8Array, uniform: Uniform): NodeEntry[] {
    const entry = this.node(entryGateway);
    const exit = this.node(exitGateway);
    if (!entry || this.layerOf(entryGateway) !== 'gateway') throw new RouteError('the entry gateway is not a gateway of this epoch');
    if (!exit || this.layerOf(exitGateway) !== 'gateway') throw new RouteError('the exit gateway is not a gateway of this epoch');
    return [entry, ...this.document.layers.map((layer, i) => pick(layer, uniform, `mix in layer ${i + 1}`)), exit];
  }

  /** A loop from the mix `self` through the later layers, a gateway, the earlier layers, and back to itself. */
  mixLoopRoute(self: Uint8Array, uniform: Uniform): NodeEntry[] {
    const layer = this.layerOf(self);
    const me = this.node(self);
    if (typeof layer !== 'number' || !me) throw new RouteError('this node is not a mix of this epoch');
    const layers = this.document.layers;
    return [
      ...layers.slice(layer + 1).map((l, i) => pick(l, uniform, `mix in layer ${layer + i + 2}`)),
      pick(this.document.gateways, uniform, 'gateway'),
      ...layers.slice(0, layer).map((l, i) => pick(l, uniform, `mix in layer ${i + 1}`)),
      me,
    ];
  }
}

// The stratified Loopix network the loopix model runs on (Piotrowska et al.
// 2017 §4.2; Chaff's routes are protocol/pki/routes.ts): G gateways and L
// layers of M mixes. Node ids: gateways 0 … G−1, then mix j of layer l
// (0-based) is G + l·M + j. A fraction of the mixes and of the gateways is
// corrupt, chosen at random per run.
//
//   client packet: entry gateway → one mix per layer → exit gateway
//   SURB-ACK:      (from the exit gateway) one mix per layer → the sender's gateway
//   mix loop:      (from a mix in layer k) layers k+1 … L → a gateway → layers 1 … k−1 → the mix

import type { Uniform } from '../../protocol/crypto/random.js';
import { randomIndex, sampleDistinct } from '../random.js';

export interface MixnetShape {
  layers: number;
  mixesPerLayer: number;
  gateways: number;
  /** Fraction of the mixes that are corrupt (rounded to a whole number of mixes). */
  corruptMixes: number;
  /** Fraction of the gateways that are corrupt (rounded). */
  corruptGateways: number;
}

export class MixnetTopology {
  readonly layers: number;
  readonly mixesPerLayer: number;
  readonly gateways: number;
  readonly nodes: number;
  /** 1 for a corrupt node, by node id. */
  readonly corrupt: Uint8Array;

  constructor(shape: MixnetShape, uniform: Uniform) {
    for (const [name, v] of [
      ['layers', shape.layers],
      ['mixesPerLayer', shape.mixesPerLayer],
      ['gateways', shape.gateways],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`MixnetTopology: ${name} must be a whole number ≥ 1, got ${v}`);
    }
    this.layers = shape.layers;
    this.mixesPerLayer = shape.mixesPerLayer;
    this.gateways = shape.gateways;
    const mixes = shape.layers * shape.mixesPerLayer;
    this.nodes = shape.gateways + mixes;
    this.corrupt = new Uint8Array(this.nodes);
    for (const g of sampleDistinct(shape.gateways, Math.round(shape.corruptGateways * shape.gateways), uniform)) this.corrupt[g] = 1;
    for (const m of sampleDistinct(mixes, Math.round(shape.corruptMixes * mixes), uniform)) this.corrupt[shape.gateways + m] = 1;
  }

  mixId(layer: number, index: number): number {
    return this.gateways + layer * this.mixesPerLayer + index;
  }

  isGateway(node: number): boolean {
    return node < this.gateways;
  }

  /** The mix layer (0-based) of a mix. */
  layerOf(mix: number): number {
    return Math.floor((mix - this.gateways) / this.mixesPerLayer);
  }

  #randomMix(layer: number, uniform: Uniform): number {
    return this.mixId(layer, randomIndex(this.mixesPerLayer, uniform));
  }

  /** entry gateway, one random mix per layer, exit gateway. */
  clientRoute(entry: number, exit: number, uniform: Uniform): number[] {
    const route = [entry];
    for (let l = 0; l < this.layers; l++) route.push(this.#randomMix(l, uniform));
    route.push(exit);
    return route;
  }

  /** One random mix per layer, then the sender's gateway (the ACK leaves the exit gateway without a delay). */
  ackRoute(senderGateway: number, uniform: Uniform): number[] {
    const route: number[] = [];
    for (let l = 0; l < this.layers; l++) route.push(this.#randomMix(l, uniform));
    route.push(senderGateway);
    return route;
  }

  /** The later layers, a random gateway, the earlier layers, the mix itself (which sends it without a delay). */
  mixLoopRoute(mix: number, uniform: Uniform): number[] {
    const k = this.layerOf(mix);
    const route: number[] = [];
    for (let l = k + 1; l < this.layers; l++) route.push(this.#randomMix(l, uniform));
    route.push(randomIndex(this.gateways, uniform));
    for (let l = 0; l < k; l++) route.push(this.#randomMix(l, uniform));
    route.push(mix);
    return route;
  }

  /** Users spread evenly over the gateways in random order: user → gateway. */
  assignGateways(users: number, uniform: Uniform): Int32Array {
    const order = Array.from({ length: users }, (_, i) => i);
    for (let i = users - 1; i > 0; i--) {
      const j = randomIndex(i + 1, uniform);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const gatewayOf = new Int32Array(users);
    order.forEach((user, i) => (gatewayOf[user] = i % this.gateways));
    return gatewayOf;
  }
}

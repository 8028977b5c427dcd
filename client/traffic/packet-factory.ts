// Builds the four kinds of packets a client sends (Loopix §4.1; decoys:
// docs/traffic.md §What the ACKs show). All four leave on the same stream,
// have the same size, cross the same layers with per-hop delays
// Exp(mean 1/μ) chosen per packet, and carry a SURB slot, so neither the
// link nor a mix can tell them apart:
//
//   real:  own gateway → layer 1 → … → layer n → recipient's gateway (mailbox),
//          with a SURB-ACK that returns layer 1 → … → layer n → own gateway;
//   loop:  own gateway → layers → own gateway (own mailbox), with a SURB-ACK
//          like a real packet, so the gateway cannot tell loops from mail;
//   decoy: (an empty payload slot) own gateway → layers → a random gateway,
//          addressed to the drop recipient with a SURB-ACK, which that
//          gateway sends back exactly as for a stored message and stores
//          nothing: the ACKs reaching our gateway do not count real packets;
//   drop:  (the λD stream) like a decoy but with no SURB-ACK (flag clear,
//          random bytes in the SURB slot): discarded, never acknowledged.

import type { NodeEntry } from '../../protocol/pki/document.js';
import { RouteError, type Topology } from '../../protocol/pki/routes.js';
import { delay, newPacket, newSURB, recipient, surbReply, systemRandom, SURB_ID_LENGTH, type Geometry, type PathHop, type RandomSource } from '../../protocol/sphinx/index.js';
import { sampleHopDelaysMs } from '../../protocol/traffic/exponential.js';
import type { Uniform } from '../../protocol/crypto/random.js';
import { DROP_RECIPIENT, encodeClientPayload } from '../../protocol/wire/client-payload.js';

export interface BuiltPacket {
  packet: Uint8Array;
  /** The SURB-ACK's id (null for drop cover). */
  surbId: Uint8Array | null;
  /** Keep secret: opens the ACK (null for drop cover). */
  surbKeys: Uint8Array | null;
  /** Mixing delays chosen for the packet, then for its ACK, ms. */
  forwardDelayMs: number;
  ackDelayMs: number;
}

export interface PacketFactoryOptions {
  geometry: Geometry;
  uniform: Uniform;
  random?: RandomSource;
}

function pick<T>(items: readonly T[], uniform: Uniform): T {
  return items[Math.min(items.length - 1, Math.floor(uniform() * items.length))];
}

export class PacketFactory {
  readonly #geometry: Geometry;
  readonly #uniform: Uniform;
  readonly #random: RandomSource;

  constructor(options: PacketFactoryOptions) {
    this.#geometry = options.geometry;
    this.#uniform = options.uniform;
    this.#random = options.random ?? systemRandom;
  }

  get userPayloadLength(): number {
    return this.#geometry.userForwardPayloadLength;
  }

  /** A real packet carrying `envelope` to `mailbox` at `exitGateway`. */
  real(topology: Topology, ownGateway: Uint8Array, ownMailbox: Uint8Array, exitGateway: Uint8Array, mailbox: Uint8Array, envelope: Uint8Array): BuiltPacket {
    return this.#withAck(topology, ownGateway, ownMailbox, exitGateway, mailbox, envelope);
  }

  /** A loop: to our own mailbox, through every layer. `payload` lets us recognise it on return. */
  loop(topology: Topology, ownGateway: Uint8Array, ownMailbox: Uint8Array, payload: Uint8Array): BuiltPacket {
    return this.#withAck(topology, ownGateway, ownMailbox, ownGateway, ownMailbox, payload);
  }

  /**
   * A decoy, sent in a payload slot with nothing real to send: through
   * every layer to a random gateway, addressed to the drop recipient, with
   * a SURB-ACK that gateway sends back (docs/gateway.md §Exit). The caller
   * keeps `surbId` to recognise the ACK (the loop monitor counts them).
   */
  decoy(topology: Topology, ownGateway: Uint8Array, ownMailbox: Uint8Array): BuiltPacket {
    return this.#toDropRecipient(topology, ownGateway, ownMailbox, true);
  }

  /**
   * Drop cover (the λD stream): like a decoy, but the SURB slot holds random
   * bytes with the SURB flag clear, so the gateway discards it and sends
   * nothing back. Its SURB is still built and thrown away, so building it
   * costs the same time as any packet and its departure timing says nothing
   * (docs/threat-model.md).
   */
  drop(topology: Topology, ownGateway: Uint8Array, ownMailbox: Uint8Array): BuiltPacket {
    const built = this.#toDropRecipient(topology, ownGateway, ownMailbox, false);
    built.surbKeys?.fill(0);
    return { ...built, surbId: null, surbKeys: null, ackDelayMs: 0 };
  }

  #toDropRecipient(topology: Topology, ownGateway: Uint8Array, ownMailbox: Uint8Array, ack: boolean): BuiltPacket {
    if (topology.document.gateways.length === 0) throw new RouteError('no gateway in the document');
    const exit = pick(topology.document.gateways, this.#uniform);
    return this.#withAck(topology, ownGateway, ownMailbox, exit.nodeId, DROP_RECIPIENT, this.#random(this.#geometry.userForwardPayloadLength), ack);
  }

  #withAck(topology: Topology, ownGateway: Uint8Array, ownMailbox: Uint8Array, exitGateway: Uint8Array, mailbox: Uint8Array, userPayload: Uint8Array, ack = true): BuiltPacket {
    if (userPayload.length !== this.#geometry.userForwardPayloadLength) throw new RangeError(`user payload must be ${this.#geometry.userForwardPayloadLength} bytes`);
    const route = topology.clientRoute(ownGateway, exitGateway, this.#uniform);
    const delays = this.#delays(topology, route.length - 1);
    // The ACK's route: a fresh mix per layer, then our gateway. Its first
    // hop is layer 1: the recipient's gateway sends the ACK straight there.
    const back = topology.clientRoute(ownGateway, ownGateway, this.#uniform).slice(1);
    const ackDelays = this.#delays(topology, back.length - 1);
    const surbId = this.#random(SURB_ID_LENGTH);
    const { surb, surbKeys } = newSURB(this.#geometry, this.#path(back, ackDelays, [recipient(ownMailbox), surbReply(surbId)]), this.#random);
    const payload = encodeClientPayload(this.#geometry, { surb: ack ? surb : null, userPayload }, this.#random);
    const packet = newPacket(this.#geometry, this.#path(route, delays, [recipient(mailbox)]), payload, this.#random);
    return { packet, surbId, surbKeys, forwardDelayMs: sum(delays), ackDelayMs: sum(ackDelays) };
  }

  #delays(topology: Topology, hops: number): number[] {
    return sampleHopDelaysMs(1000 / topology.document.params.mu, hops, this.#uniform);
  }

  #path(route: readonly NodeEntry[], delays: readonly number[], last: PathHop['commands']): PathHop[] {
    return route.map((e, i) => ({
      id: e.nodeId,
      publicKey: e.sphinxKeys.current,
      commands: i === route.length - 1 ? last : [delay(delays[i])],
    }));
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

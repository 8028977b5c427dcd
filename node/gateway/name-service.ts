// The exit's name service (docs/handles.md, docs/gateway.md §Short handles):
// a forward packet addressed to NAME_SERVICE_RECIPIENT is a lookup of a name
// this gateway hosts. Its client payload (protocol/wire/client-payload.ts)
// carries the lookup request as its user payload and, in its SURB slot, the
// SURB the answer goes back through: the answer, padded to the SURB reply's
// plaintext length (geometry.forwardPayloadLength), leaves exactly as a
// SURB-ACK does (node/gateway/surb-send.ts). So the gateway learns that
// someone asked for a name, never who: the request crossed every mix layer,
// and the SURB names only the first mix of the way back.
//
// Nothing is stored: a lookup never touches a mailbox. A lookup without a
// SURB (nothing to answer through), with a client payload that does not
// decode (the SURB cannot be trusted), or arriving as a SURB reply is
// dropped and counted; a request that does not decode, with a SURB, is
// answered { status: 'bad-request' }. Answers are counted by status, and
// an answer that cannot be sent by reason, like the SURB-ACKs.

import { zeroize } from '../../protocol/bytes.js';
import type { Geometry, LastHop } from '../../protocol/sphinx/index.js';
import { decodeClientPayload, type ClientPayload } from '../../protocol/wire/client-payload.js';
import { decodeLookupRequest, encodeLookupAnswer, type HandleRecord, type LookupAnswer } from '../../protocol/wire/handle.js';
import { sendThroughSurb } from './surb-send.js';

export const NAME_SERVICE_DROP_REASONS = [
  /** A lookup without a SURB: there is no way to answer it. */
  'lookup-no-surb',
  /** A lookup whose payload is not a client payload (bad flags or reserved byte): its SURB cannot be trusted. */
  'lookup-malformed-payload',
  /** A SURB reply addressed to the name service: it takes only lookups. */
  'lookup-not-forward',
  // The lookup was answered, but the answer did not go out:
  /** The answer does not fit the geometry's SURB reply (a geometry too small for a handle record). */
  'answer-too-large',
  /** No packet could be built from the SURB. */
  'answer-bad-surb',
  /** The SURB's first hop is not a node of the topology. */
  'answer-unknown-hop',
  /** The link to the first hop is full. */
  'answer-queue-full',
  /** Sending failed otherwise (the forward hook threw). */
  'answer-send-error',
] as const;
export type NameServiceDropReason = (typeof NAME_SERVICE_DROP_REASONS)[number];

export interface NameServiceStats {
  /** Packets addressed to the name service (answered or dropped). */
  lookups: number;
  /** Answers by status. */
  found: number;
  notFound: number;
  badRequest: number;
  /** Answers handed to the link. */
  answersSent: number;
}

export interface NameServiceDeps {
  readonly geometry: Geometry;
  /** The record this gateway hosts under `name`, or null (HandleRegistry.recordOf: from memory). */
  lookup(name: string): HandleRecord | null;
  /** Sends a packet to the node with Sphinx id `nodeId` (the path the mix pipeline forwards on). */
  forward(nodeId: Uint8Array, packet: Uint8Array): 'sent' | 'unknown' | 'queue-full';
  onDrop?(reason: NameServiceDropReason): void;
}

export class NameService {
  readonly #deps: NameServiceDeps;
  readonly #stats: NameServiceStats = { lookups: 0, found: 0, notFound: 0, badRequest: 0, answersSent: 0 };

  constructor(deps: NameServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Answers the lookup `hop` (a last hop addressed to NAME_SERVICE_RECIPIENT)
   * through its SURB, at once. True when it was answered (even if the answer
   * could not be sent: reported), false when it was dropped (reported).
   * Drops go to onDrop, which counts them (MailboxDelivery: the exit's
   * drops). Never throws.
   */
  answer(hop: LastHop): boolean {
    this.#stats.lookups++;
    if (hop.kind !== 'final') return this.#drop('lookup-not-forward');
    let decoded: ClientPayload;
    try {
      decoded = decodeClientPayload(this.#deps.geometry, hop.payload);
    } catch {
      return this.#drop('lookup-malformed-payload');
    }
    try {
      if (decoded.surb === null) return this.#drop('lookup-no-surb');
      this.#send(decoded.surb, this.#resolve(decoded.userPayload));
      return true;
    } finally {
      zeroize(decoded.surb ?? undefined, decoded.userPayload);
    }
  }

  stats(): NameServiceStats {
    return { ...this.#stats };
  }

  #resolve(userPayload: Uint8Array): LookupAnswer {
    let name: string;
    try {
      name = decodeLookupRequest(userPayload).name;
    } catch {
      this.#stats.badRequest++;
      return { status: 'bad-request' };
    }
    const record = this.#deps.lookup(name);
    if (record === null) {
      this.#stats.notFound++;
      return { status: 'not-found', name };
    }
    this.#stats.found++;
    return { status: 'found', record };
  }

  #send(surb: Uint8Array, answer: LookupAnswer): void {
    let plaintext: Uint8Array;
    try {
      plaintext = encodeLookupAnswer(answer, this.#deps.geometry.forwardPayloadLength);
    } catch {
      this.#drop('answer-too-large');
      return;
    }
    const outcome = sendThroughSurb(this.#deps.geometry, surb, plaintext, this.#deps.forward);
    if (outcome === 'sent') this.#stats.answersSent++;
    else this.#drop(`answer-${outcome}`);
  }

  #drop(reason: NameServiceDropReason): false {
    try {
      this.#deps.onDrop?.(reason);
    } catch {
      // A metrics hook must not break the data path.
    }
    return false;
  }
}

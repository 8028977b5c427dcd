// Sending a packet back through a SURB a client handed this gateway: the
// SURB-ACK of a stored message (node/gateway/mailbox-delivery.ts) and the
// answer to a handle lookup (node/gateway/name-service.ts) leave the same
// way. The packet is newPacketFromSURB(geometry, SURB, payload), handed to
// the SURB's first hop through the same forward(nodeId, packet) the mix
// pipeline uses (a relay → relay packet), so it travels the SURB's path back
// through every mix layer and reaches the SURB's creator's gateway as a SURB
// reply. This gateway learns only that first hop.

import { newPacketFromSURB, type Geometry } from '../../protocol/sphinx/index.js';

/** What became of a packet sent through a SURB. */
export type SurbSendOutcome =
  /** Handed to the link. */
  | 'sent'
  /** No packet could be built from the SURB (its length, the payload's). */
  | 'bad-surb'
  /** The SURB's first hop is not a node of the topology. */
  | 'unknown-hop'
  /** The link to the first hop is full. */
  | 'queue-full'
  /** The forward hook threw. */
  | 'send-error';

/** Sends `payload` (geometry.forwardPayloadLength bytes) through `surb`. Never throws. */
export function sendThroughSurb(geometry: Geometry, surb: Uint8Array, payload: Uint8Array, forward: (nodeId: Uint8Array, packet: Uint8Array) => 'sent' | 'unknown' | 'queue-full'): SurbSendOutcome {
  let built: { packet: Uint8Array; firstHop: Uint8Array };
  try {
    built = newPacketFromSURB(geometry, surb, payload);
  } catch {
    return 'bad-surb';
  }
  let outcome: 'sent' | 'unknown' | 'queue-full';
  try {
    outcome = forward(built.firstHop, built.packet);
  } catch {
    return 'send-error';
  }
  return outcome === 'unknown' ? 'unknown-hop' : outcome;
}

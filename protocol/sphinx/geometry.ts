// Sphinx packet geometry: every length of a packet, computed from the NIKE,
// the number of hops and the user payload length exactly as Katzenpost's
// geo.GeometryFromUserForwardPayloadLength does, so that a geometry here and
// there describe the same bytes. docs/sphinx.md §Geometry has the layout.

import { SphinxError } from './errors.js';

/** Lengths fixed by the format (docs/sphinx.md §Constants). */
export const AD_LENGTH = 2;
export const MAC_LENGTH = 32;
export const NODE_ID_LENGTH = 32;
export const RECIPIENT_ID_LENGTH = 32;
export const SURB_ID_LENGTH = 16;
export const PAYLOAD_TAG_LENGTH = 32;
export const SPHINX_PLAINTEXT_HEADER_LENGTH = 2;
export const SPRP_KEY_LENGTH = 48;
export const SPRP_IV_LENGTH = 16;
export const SPRP_KEY_MATERIAL_LENGTH = SPRP_KEY_LENGTH + SPRP_IV_LENGTH;
/** Command tag byte. */
export const COMMAND_TAG_LENGTH = 1;
export const NEXT_NODE_HOP_LENGTH = COMMAND_TAG_LENGTH + NODE_ID_LENGTH + MAC_LENGTH; // 65
export const SURB_REPLY_LENGTH = COMMAND_TAG_LENGTH + SURB_ID_LENGTH; // 17

/** The only NIKE Chaff supports. */
export const NIKE_X25519 = 'X25519';
const X25519_PUBLIC_KEY_LENGTH = 32;

/** Upper bounds that keep a geometry within what a node can sensibly hold in memory. */
const MAX_HOPS = 32;
const MAX_USER_FORWARD_PAYLOAD = 1 << 20;

/** What a geometry is computed from (also the JSON `--geometry` form of `chaff sphinx`). */
export interface GeometryParams {
  nike: string;
  nrHops: number;
  userForwardPayloadLength: number;
  withSURB: boolean;
}

/** All lengths of a Sphinx packet, in bytes. Field names follow Katzenpost's geo.Geometry. */
export interface Geometry {
  readonly nikeName: string;
  readonly nrHops: number;
  readonly packetLength: number;
  readonly headerLength: number;
  readonly routingInfoLength: number;
  readonly perHopRoutingInfoLength: number;
  readonly surbLength: number;
  readonly sphinxPlaintextHeaderLength: number;
  readonly payloadTagLength: number;
  readonly forwardPayloadLength: number;
  readonly userForwardPayloadLength: number;
  readonly nextNodeHopLength: number;
  readonly sprpKeyMaterialLength: number;
  /** The α (group element) length: the NIKE public key length. */
  readonly groupElementLength: number;
}

function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SphinxError('invalid-geometry', `geometry: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The geometry for `userForwardPayloadLength` bytes of user payload over at
 * most `nrHops` hops. With `withSURB`, the forward payload also has room for
 * a 2-byte plaintext header and one SURB (for an ACK or a reply), as in
 * Katzenpost; without it, the forward payload is exactly the user payload.
 */
export function geometryFromUserForwardPayloadLength(params: GeometryParams): Geometry {
  if (params === null || typeof params !== 'object') {
    throw new SphinxError('invalid-geometry', 'geometry: expected an object {nike, nrHops, userForwardPayloadLength, withSURB}');
  }
  if (params.nike !== NIKE_X25519) {
    throw new SphinxError('invalid-geometry', `geometry: nike must be "${NIKE_X25519}", got ${JSON.stringify(params.nike)}`);
  }
  const nrHops = checkInteger(params.nrHops, 'nrHops', 1, MAX_HOPS);
  const userForwardPayloadLength = checkInteger(params.userForwardPayloadLength, 'userForwardPayloadLength', 1, MAX_USER_FORWARD_PAYLOAD);
  if (typeof params.withSURB !== 'boolean') {
    throw new SphinxError('invalid-geometry', `geometry: withSURB must be true or false, got ${JSON.stringify(params.withSURB)}`);
  }

  // The largest per-hop block a NIKE packet carries is next-hop + SURB reply;
  // next-hop + delay (65 + 5) and recipient + SURB reply (33 + 17) are shorter.
  const perHopRoutingInfoLength = NEXT_NODE_HOP_LENGTH + SURB_REPLY_LENGTH;
  const routingInfoLength = perHopRoutingInfoLength * nrHops;
  const headerLength = AD_LENGTH + X25519_PUBLIC_KEY_LENGTH + routingInfoLength + MAC_LENGTH;
  const surbLength = headerLength + NODE_ID_LENGTH + SPRP_KEY_MATERIAL_LENGTH;
  const forwardPayloadLength = params.withSURB ? userForwardPayloadLength + SPHINX_PLAINTEXT_HEADER_LENGTH + surbLength : userForwardPayloadLength;

  return Object.freeze({
    nikeName: NIKE_X25519,
    nrHops,
    packetLength: headerLength + PAYLOAD_TAG_LENGTH + forwardPayloadLength,
    headerLength,
    routingInfoLength,
    perHopRoutingInfoLength,
    surbLength,
    sphinxPlaintextHeaderLength: SPHINX_PLAINTEXT_HEADER_LENGTH,
    payloadTagLength: PAYLOAD_TAG_LENGTH,
    forwardPayloadLength,
    userForwardPayloadLength,
    nextNodeHopLength: NEXT_NODE_HOP_LENGTH,
    sprpKeyMaterialLength: SPRP_KEY_MATERIAL_LENGTH,
    groupElementLength: X25519_PUBLIC_KEY_LENGTH,
  });
}

/**
 * Chaff's production geometry: X25519, 5 hops (entry gateway, three mix
 * layers, exit gateway), 2048 bytes of user payload, with room for the
 * SURB-ACK every real packet carries. Packet length 3130 bytes.
 */
export const PRODUCTION_GEOMETRY_PARAMS: Readonly<GeometryParams> = Object.freeze({
  nike: NIKE_X25519,
  nrHops: 5,
  userForwardPayloadLength: 2048,
  withSURB: true,
});

export const PRODUCTION_GEOMETRY: Geometry = geometryFromUserForwardPayloadLength(PRODUCTION_GEOMETRY_PARAMS);

// Single-use reply blocks (docs/sphinx.md §SURBs).
//
//   SURB      = header (geometry.headerLength) ‖ first hop id (32) ‖ payload key (48) ‖ payload IV (16)
//   SURB keys = (key ‖ IV) of hop n−1, …, hop 0, then the payload key ‖ IV   (64 bytes each)
//
// The replier encrypts tag ‖ payload once with the SURB's payload key; every
// hop then "decrypts" one SPRP layer on the way back. The creator undoes the
// hops' layers in reverse (SPRP encryption), removes its own layer and checks
// the tag.

import { abytes, concatBytes, ctIsZero, zeroize } from '../bytes.js';
import { sprpDecrypt, sprpEncrypt } from '../crypto/aez.js';
import { SphinxError, wrongSize } from './errors.js';
import { NODE_ID_LENGTH, PAYLOAD_TAG_LENGTH, SPRP_KEY_LENGTH, SPRP_KEY_MATERIAL_LENGTH, type Geometry } from './geometry.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { createHeader, wipeSprpKeys, type PathHop } from './header.js';

export interface NewSurb {
  /** The SURB to hand to the replier (geometry.surbLength bytes). */
  readonly surb: Uint8Array;
  /** Keep secret: decrypts the reply (SPRP_KEY_MATERIAL_LENGTH × (hops + 1) bytes). */
  readonly surbKeys: Uint8Array;
  /** Where the replier sends the reply packet. */
  readonly firstHop: Uint8Array;
}

/** A SURB for replies travelling along `path` back to the creator. */
export function newSURB(geometry: Geometry, path: readonly PathHop[], random: RandomSource = systemRandom): NewSurb {
  const payloadKey = random(SPRP_KEY_MATERIAL_LENGTH);
  const { header, sprpKeys } = createHeader(geometry, path, random);
  const keyParts: Uint8Array[] = [];
  for (let i = sprpKeys.length - 1; i >= 0; i--) keyParts.push(sprpKeys[i].key, sprpKeys[i].iv);
  keyParts.push(payloadKey);
  const surbKeys = concatBytes(...keyParts);
  wipeSprpKeys(sprpKeys);
  const firstHop = Uint8Array.from(path[0].id);
  const surb = concatBytes(header, firstHop, payloadKey);
  zeroize(payloadKey);
  return { surb, surbKeys, firstHop };
}

/** The reply packet for `surb` carrying `payload` (exactly geometry.forwardPayloadLength bytes). */
export function newPacketFromSURB(geometry: Geometry, surb: Uint8Array, payload: Uint8Array): { packet: Uint8Array; firstHop: Uint8Array } {
  abytes(surb, geometry.surbLength, 'SURB', wrongSize);
  abytes(payload, geometry.forwardPayloadLength, 'payload', wrongSize);
  const idOffset = geometry.headerLength;
  const keyOffset = idOffset + NODE_ID_LENGTH;
  const key = surb.subarray(keyOffset, keyOffset + SPRP_KEY_LENGTH);
  const iv = surb.subarray(keyOffset + SPRP_KEY_LENGTH, keyOffset + SPRP_KEY_MATERIAL_LENGTH);

  const packet = new Uint8Array(geometry.packetLength);
  packet.set(surb.subarray(0, geometry.headerLength), 0);
  const body = packet.subarray(geometry.headerLength);
  body.set(payload, PAYLOAD_TAG_LENGTH);
  sprpEncrypt(key, iv, body, body);
  return { packet, firstHop: surb.slice(idOffset, keyOffset) };
}

/**
 * Decrypts a reply's payload (as returned by unwrap at the SURB's last hop)
 * with the SURB keys; checks and removes the tag. `surbKeys` is not modified:
 * the caller wipes it once the reply is accepted (a SURB is single-use).
 */
export function decryptSURBPayload(geometry: Geometry, payload: Uint8Array, surbKeys: Uint8Array): Uint8Array {
  const layers = surbKeys instanceof Uint8Array ? surbKeys.length / SPRP_KEY_MATERIAL_LENGTH : 0;
  if (!Number.isInteger(layers) || layers < 2 || layers > geometry.nrHops + 1) {
    throw new SphinxError('invalid-surb-keys', `SURB keys must be ${SPRP_KEY_MATERIAL_LENGTH} × (2 … ${geometry.nrHops + 1}) bytes`);
  }
  abytes(payload, geometry.payloadTagLength + geometry.forwardPayloadLength, 'SURB payload', wrongSize);
  const body = Uint8Array.from(payload);
  for (let i = 0; i < layers; i++) {
    const k = surbKeys.subarray(i * SPRP_KEY_MATERIAL_LENGTH, (i + 1) * SPRP_KEY_MATERIAL_LENGTH);
    const key = k.subarray(0, SPRP_KEY_LENGTH);
    const iv = k.subarray(SPRP_KEY_LENGTH);
    // Hops decrypted on the way back: undo them with encryption; the last
    // layer is the replier's encryption under the SURB payload key.
    if (i < layers - 1) sprpEncrypt(key, iv, body, body);
    else sprpDecrypt(key, iv, body, body);
  }
  if (!ctIsZero(body.subarray(0, PAYLOAD_TAG_LENGTH))) {
    zeroize(body);
    throw new SphinxError('payload-tag', 'SURB reply: payload tag mismatch (wrong keys or payload modified)');
  }
  return body.slice(PAYLOAD_TAG_LENGTH);
}

// The payload a SURB-ACK arrives with, computed ahead by the SURB's creator
// (docs/gateway.md §Fetch, ACK slots). A recipient's gateway sends every
// SURB-ACK with an all-zero forward payload (node/gateway/mailbox-delivery.ts),
// so the payload its creator's gateway stores is fixed by the SURB's keys:
// the replier's encryption of tag ‖ zeros under the SURB payload key, then
// one SPRP decryption per hop on the way back. The creator can compute it,
// and so compare it (by digest) with what its gateway holds, without
// downloading it; nobody without the SURB keys can.

import { sprpDecrypt, sprpEncrypt } from '../crypto/aez.js';
import { abytes } from '../bytes.js';
import { SphinxError, wrongSize } from './errors.js';
import { SPRP_KEY_LENGTH, SPRP_KEY_MATERIAL_LENGTH, type Geometry } from './geometry.js';

/**
 * The payload (payload tag ‖ forward payload, geometry.payloadTagLength +
 * geometry.forwardPayloadLength bytes) the last hop of a SURB-ACK stores,
 * for the SURB made with `surbKeys` (newSURB). The inverse of
 * decryptSURBPayload on the all-zero ACK.
 */
export function surbAckPayload(geometry: Geometry, surbKeys: Uint8Array): Uint8Array {
  return surbReplyPayloadFor(geometry, surbKeys, new Uint8Array(geometry.forwardPayloadLength));
}

/** The same for a reply that carries `plaintext` (geometry.forwardPayloadLength bytes). */
export function surbReplyPayloadFor(geometry: Geometry, surbKeys: Uint8Array, plaintext: Uint8Array): Uint8Array {
  abytes(plaintext, geometry.forwardPayloadLength, 'SURB reply plaintext', wrongSize);
  const layers = surbKeys instanceof Uint8Array ? surbKeys.length / SPRP_KEY_MATERIAL_LENGTH : 0;
  if (!Number.isInteger(layers) || layers < 2 || layers > geometry.nrHops + 1) {
    throw new SphinxError('invalid-surb-keys', `SURB keys must be ${SPRP_KEY_MATERIAL_LENGTH} × (2 … ${geometry.nrHops + 1}) bytes`);
  }
  const body = new Uint8Array(geometry.payloadTagLength + geometry.forwardPayloadLength);
  body.set(plaintext, geometry.payloadTagLength);
  // surbKeys: hop n−1 … hop 0, then the payload key. The replier encrypts
  // under the payload key; hop 0 decrypts first, hop n−1 last.
  for (let i = layers - 1; i >= 0; i--) {
    const k = surbKeys.subarray(i * SPRP_KEY_MATERIAL_LENGTH, (i + 1) * SPRP_KEY_MATERIAL_LENGTH);
    const key = k.subarray(0, SPRP_KEY_LENGTH);
    const iv = k.subarray(SPRP_KEY_LENGTH);
    if (i === layers - 1) sprpEncrypt(key, iv, body, body);
    else sprpDecrypt(key, iv, body, body);
  }
  return body;
}

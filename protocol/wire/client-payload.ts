// The forward payload a client puts in every Sphinx packet it sends
// (docs/gateway.md §Client payload). Its room is what a geometry built with
// `withSURB` reserves next to the user's bytes (docs/sphinx.md §Geometry,
// Katzenpost's client payload layout): a 2-byte plaintext header and one SURB,
// which carries the SURB-ACK the recipient's gateway sends once the packet is
// stored (docs/gateway.md §Exit), as Katzenpost's clients do.
//
// Layout (geometry.forwardPayloadLength bytes; production: 2 + 572 + 2048 = 2622):
//   0              1                          flags u8: bit 0 = a SURB-ACK is present; other bits zero
//   1              1                          reserved u8 = 0
//   2              geometry.surbLength        the SURB (random bytes when flag bit 0 is clear)
//   2 + surbLength geometry.userForwardPayloadLength  user payload (an end-to-end envelope)
//
// A payload without a SURB carries random bytes in the SURB slot so every
// payload has the same shape. (The mixes never see it in clear, only the exit
// gateway does: this is hygiene, not a defence.)
//
// Addressed to DROP_RECIPIENT the flag says what the gateway does
// (docs/gateway.md §Exit, docs/traffic.md §What the ACKs show):
//   flag clear  drop cover (the λD stream): discarded, nothing sent back;
//   flag set    a decoy (an empty payload slot): discarded, and its SURB-ACK
//               sent exactly as for a stored message.

import { abytes, ctIsZero, isBytes } from '../bytes.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import type { Geometry } from '../sphinx/index.js';

/** Flag bit 0: the SURB slot holds a SURB-ACK. */
export const CLIENT_PAYLOAD_FLAG_SURB = 0x01;
const FLAGS_OFFSET = 0;
const RESERVED_OFFSET = 1;
const SURB_OFFSET = 2;

/**
 * The recipient id of drop cover (Loopix λD) and decoys: 32 zero bytes. A
 * client addresses them to it at a random gateway, which discards them
 * (and sends a decoy's SURB-ACK). It is never a mailbox id (those are
 * SHA-256 outputs). Compare with isDropRecipient, which does not read this
 * (mutable) array.
 */
export const DROP_RECIPIENT = new Uint8Array(32);

/** Whether `recipient` is the drop-cover recipient (32 zero bytes). */
export function isDropRecipient(recipient: Uint8Array): boolean {
  return isBytes(recipient, DROP_RECIPIENT.length) && ctIsZero(recipient);
}

export type ClientPayloadErrorCode =
  /** The geometry was built without `withSURB`: no room for the header and a SURB. */
  | 'no-surb-room'
  /** The payload, SURB or user payload has the wrong length for the geometry. */
  | 'wrong-size'
  /** A flag bit other than bit 0 is set. */
  | 'bad-flags'
  /** The reserved byte is not zero. */
  | 'bad-reserved';

export class ClientPayloadError extends Error {
  readonly code: ClientPayloadErrorCode;

  constructor(code: ClientPayloadErrorCode, message: string) {
    super(`client payload: ${message}`);
    this.name = 'ClientPayloadError';
    this.code = code;
  }
}

const wrongSize = (message: string): ClientPayloadError => new ClientPayloadError('wrong-size', message);

export interface ClientPayload {
  /** A SURB (geometry.surbLength bytes) for the recipient's gateway to send the ACK with, or null. */
  surb: Uint8Array | null;
  /** Exactly geometry.userForwardPayloadLength bytes. */
  userPayload: Uint8Array;
}

/** Whether `geometry` has room for the client payload header and a SURB (it was built with `withSURB`). */
export function hasClientPayloadRoom(geometry: Geometry): boolean {
  return geometry.forwardPayloadLength === geometry.sphinxPlaintextHeaderLength + geometry.surbLength + geometry.userForwardPayloadLength;
}

function checkGeometry(geometry: Geometry): void {
  if (!hasClientPayloadRoom(geometry)) {
    throw new ClientPayloadError('no-surb-room', 'the geometry has no room for a SURB (build it with withSURB = true)');
  }
}

/** The forward payload (geometry.forwardPayloadLength bytes) carrying `payload`. */
export function encodeClientPayload(geometry: Geometry, payload: ClientPayload, random: RandomSource = systemRandom): Uint8Array {
  checkGeometry(geometry);
  const { surb, userPayload } = payload;
  abytes(userPayload, geometry.userForwardPayloadLength, 'user payload', wrongSize);
  if (surb !== null) abytes(surb, geometry.surbLength, 'SURB', wrongSize);
  const out = new Uint8Array(geometry.forwardPayloadLength);
  out[FLAGS_OFFSET] = surb === null ? 0 : CLIENT_PAYLOAD_FLAG_SURB;
  out[RESERVED_OFFSET] = 0;
  out.set(surb ?? random(geometry.surbLength), SURB_OFFSET);
  out.set(userPayload, SURB_OFFSET + geometry.surbLength);
  return out;
}

/** Decodes a forward payload; throws ClientPayloadError if it is malformed. The result does not share memory with `bytes`. */
export function decodeClientPayload(geometry: Geometry, bytes: Uint8Array): ClientPayload {
  checkGeometry(geometry);
  abytes(bytes, geometry.forwardPayloadLength, 'payload', wrongSize);
  const flags = bytes[FLAGS_OFFSET];
  if ((flags & ~CLIENT_PAYLOAD_FLAG_SURB) !== 0) throw new ClientPayloadError('bad-flags', `unknown flags 0x${flags.toString(16).padStart(2, '0')}`);
  if (bytes[RESERVED_OFFSET] !== 0) throw new ClientPayloadError('bad-reserved', 'the reserved byte must be zero');
  const userOffset = SURB_OFFSET + geometry.surbLength;
  return {
    surb: flags & CLIENT_PAYLOAD_FLAG_SURB ? bytes.slice(SURB_OFFSET, userOffset) : null,
    userPayload: bytes.slice(userOffset),
  };
}

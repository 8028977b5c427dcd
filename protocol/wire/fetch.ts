// The mailbox fetch exchange between a client and its gateway
// (docs/gateway.md §Fetch). Both messages have a fixed size, so the link
// shows nothing about how many messages were waiting or acknowledged.
//
// Request (FETCH_REQUEST_LENGTH = 362 bytes):
//   0    1    version = 3
//   1    32   client identity key (Ed25519); the mailbox is mailboxIdOf(key)
//   33   8    request counter, u64 big-endian, strictly increasing per client
//   41   1    number of acknowledged message ids, 0 … MAX_ACKS
//   42   256  MAX_ACKS × u64 big-endian message ids (unused slots zero)
//   298  64   Ed25519 signature over "chaff-fetch-v1\0" ‖ bytes 0 … 297
//
// Reply (fetchReplyLength(entries, bodyLength) bytes):
//   0    1    version = 3
//   1    8    the request counter answered
//   9    2    number of entries, u16 big-endian (the gateway's fetch batch)
//   11   …    entries, each ENTRY_HEADER_LENGTH + bodyLength bytes:
//     +0   1    kind u8: 0 dummy, 1 message, 2 SURB reply
//     +1   1    via u8: 0 the client's delivery id, 1 its public mailbox id
//                (the address: a contact request); 0 for a dummy
//     +2   8    message id, u64 big-endian (random for a dummy)
//     +10  16   SURB id of a SURB reply (random for a message or a dummy)
//     +26  4    body length, u32 big-endian (0 for a dummy)
//     +30  …    body, padded to bodyLength with random bytes
//
// Every entry has one size, and a message's SURB id field is as random as a
// dummy's. The reply travels inside the Noise channel, so this is hygiene:
// nothing on the link depends on it. bodyLength is
// fetchEntryBodyLength(geometry), the largest body the gateway stores (a SURB
// reply: payload tag ‖ forward payload).

import { concatBytes } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, type Ed25519PrivateKey, verify } from '../crypto/ed25519.js';
import { SURB_ID_LENGTH, type Geometry } from '../sphinx/geometry.js';

/**
 * Version 3: reply entries say which recipient id (delivery id or public
 * mailbox id) they came through. Version 2 added the kind and the SURB id.
 * The request layout is that of version 1, but a gateway refuses a request
 * of another version, so an old client gets a clear refusal instead of a
 * reply it would misread.
 */
export const FETCH_VERSION = 3;
export const MAX_ACKS = 32;
export const FETCH_REQUEST_LENGTH = 1 + 32 + 8 + 1 + MAX_ACKS * 8 + 64;
const SIGNED_LENGTH = FETCH_REQUEST_LENGTH - ED25519_SIGNATURE_LENGTH;
const FETCH_DOMAIN = new TextEncoder().encode('chaff-fetch-v1\0');
const MAILBOX_DOMAIN = new TextEncoder().encode('chaff-mailbox-v1\0');
const REPLY_HEADER_LENGTH = 1 + 8 + 2;
/** kind (1) ‖ via (1) ‖ message id (8) ‖ SURB id (16) ‖ body length (4). */
export const ENTRY_HEADER_LENGTH = 1 + 1 + 8 + SURB_ID_LENGTH + 4;
const ENTRY_VIA_OFFSET = 1;
const ENTRY_ID_OFFSET = 2;
const ENTRY_SURB_ID_OFFSET = 10;
const ENTRY_LENGTH_OFFSET = 10 + SURB_ID_LENGTH;

/** Entry kind bytes. */
export const ENTRY_KIND_DUMMY = 0;
export const ENTRY_KIND_MESSAGE = 1;
export const ENTRY_KIND_SURB_REPLY = 2;
/** Via bytes. */
export const ENTRY_VIA_DELIVERY = 0;
export const ENTRY_VIA_ADDRESS = 1;

export class FetchFormatError extends Error {
  constructor(message: string) {
    super(`fetch: ${message}`);
    this.name = 'FetchFormatError';
  }
}

/** A client's mailbox id (the Sphinx recipient id): SHA-256("chaff-mailbox-v1\0" ‖ identity key). */
export function mailboxIdOf(clientIdentityKey: Uint8Array): Uint8Array {
  if (clientIdentityKey.length !== ED25519_PUBLIC_KEY_LENGTH) throw new FetchFormatError('client identity key must be 32 bytes');
  return sha256(concatBytes(MAILBOX_DOMAIN, clientIdentityKey));
}

export interface FetchRequest {
  clientKey: Uint8Array;
  counter: bigint;
  acks: bigint[];
}

const U64_MAX = (1n << 64n) - 1n;

function checkU64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) throw new FetchFormatError(`${what} must be a u64`);
}

/** Encodes and signs a fetch request with the client's identity key. */
export function encodeFetchRequest(request: Omit<FetchRequest, 'clientKey'>, identity: Ed25519PrivateKey): Uint8Array {
  checkU64(request.counter, 'counter');
  if (request.acks.length > MAX_ACKS) throw new FetchFormatError(`at most ${MAX_ACKS} acknowledgements per request`);
  const out = new Uint8Array(FETCH_REQUEST_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = FETCH_VERSION;
  out.set(identity.publicKey, 1);
  view.setBigUint64(33, request.counter, false);
  out[41] = request.acks.length;
  request.acks.forEach((id, i) => {
    checkU64(id, 'message id');
    view.setBigUint64(42 + 8 * i, id, false);
  });
  out.set(identity.sign(concatBytes(FETCH_DOMAIN, out.subarray(0, SIGNED_LENGTH))), SIGNED_LENGTH);
  return out;
}

/** Decodes a request and verifies its signature; throws FetchFormatError otherwise. */
export function decodeFetchRequest(bytes: Uint8Array): FetchRequest {
  if (bytes.length !== FETCH_REQUEST_LENGTH) throw new FetchFormatError(`request must be ${FETCH_REQUEST_LENGTH} bytes, got ${bytes.length}`);
  if (bytes[0] !== FETCH_VERSION) throw new FetchFormatError(`unknown request version ${bytes[0]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const clientKey = bytes.slice(1, 33);
  const count = bytes[41];
  if (count > MAX_ACKS) throw new FetchFormatError(`ack count ${count} exceeds ${MAX_ACKS}`);
  for (let i = count; i < MAX_ACKS; i++) {
    if (view.getBigUint64(42 + 8 * i, false) !== 0n) throw new FetchFormatError('unused acknowledgement slots must be zero');
  }
  if (!verify(clientKey, concatBytes(FETCH_DOMAIN, bytes.subarray(0, SIGNED_LENGTH)), bytes.subarray(SIGNED_LENGTH))) {
    throw new FetchFormatError('bad signature');
  }
  return {
    clientKey,
    counter: view.getBigUint64(33, false),
    acks: Array.from({ length: count }, (_, i) => view.getBigUint64(42 + 8 * i, false)),
  };
}

/** What a mailbox entry holds: a forward message (its user payload) or a SURB reply (still encrypted). */
export type FetchEntryKind = 'message' | 'surb-reply';

/**
 * Which of the client's recipient ids the packet was addressed to:
 * 'delivery', its private delivery id (established contacts, its own SURBs);
 * 'address', the public mailbox id in its address (anyone who knows the
 * address: contact requests, and everything while no delivery id is set).
 */
export type FetchEntryVia = 'delivery' | 'address';

export interface FetchEntry {
  kind: FetchEntryKind;
  /** The gateway's message id (pass it back to acknowledge). Never null in a decoded reply (dummies are dropped). */
  id: bigint | null;
  /** The SURB id from the reply's SURB-reply command (16 bytes) for a SURB reply; null for a message. */
  surbId: Uint8Array | null;
  via: FetchEntryVia;
  body: Uint8Array;
}

/** A message the gateway puts in a reply. */
export interface FetchReplyMessage {
  id: bigint;
  kind: FetchEntryKind;
  via: FetchEntryVia;
  /** Required (16 bytes) for a SURB reply; must be null for a message. */
  surbId: Uint8Array | null;
  body: Uint8Array;
}

/**
 * The body length of every fetch entry for `geometry`: the largest body a
 * gateway stores, a SURB reply (payload tag ‖ forward payload). A forward
 * message's body (its user payload) is shorter.
 */
export function fetchEntryBodyLength(geometry: Geometry): number {
  return geometry.payloadTagLength + geometry.forwardPayloadLength;
}

export function fetchReplyLength(entries: number, bodyLength: number): number {
  return REPLY_HEADER_LENGTH + entries * (ENTRY_HEADER_LENGTH + bodyLength);
}

/**
 * A reply of exactly `entries` entries: the messages given (at most
 * `entries`) then dummies; every body padded to `bodyLength` with `random`
 * bytes, and every unused id field random, so real and dummy entries differ
 * only in their kind byte.
 */
export function encodeFetchReply(counter: bigint, messages: ReadonlyArray<FetchReplyMessage>, entries: number, bodyLength: number, random: (n: number) => Uint8Array): Uint8Array {
  checkU64(counter, 'counter');
  if (!Number.isInteger(entries) || entries < 1 || entries > 0xffff) throw new FetchFormatError('entries must be 1 … 65535');
  if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > 0xffffffff) throw new FetchFormatError('bodyLength must be a u32');
  if (messages.length > entries) throw new FetchFormatError(`${messages.length} messages do not fit ${entries} entries`);
  const out = new Uint8Array(fetchReplyLength(entries, bodyLength));
  const view = new DataView(out.buffer);
  out[0] = FETCH_VERSION;
  view.setBigUint64(1, counter, false);
  view.setUint16(9, entries, false);
  for (let i = 0; i < entries; i++) {
    const at = REPLY_HEADER_LENGTH + i * (ENTRY_HEADER_LENGTH + bodyLength);
    // Everything after the kind and via bytes starts random; a message overwrites its fields.
    out.set(random(ENTRY_HEADER_LENGTH - 2 + bodyLength), at + 2);
    out[at + ENTRY_VIA_OFFSET] = ENTRY_VIA_DELIVERY;
    view.setUint32(at + ENTRY_LENGTH_OFFSET, 0, false);
    const m = messages[i];
    if (!m) {
      out[at] = ENTRY_KIND_DUMMY;
      continue;
    }
    checkU64(m.id, 'message id');
    if (!(m.body instanceof Uint8Array) || m.body.length > bodyLength) throw new FetchFormatError(`message ${m.id} is longer than ${bodyLength} bytes`);
    if (m.kind === 'surb-reply') {
      if (!(m.surbId instanceof Uint8Array) || m.surbId.length !== SURB_ID_LENGTH) throw new FetchFormatError(`message ${m.id}: a SURB reply needs a ${SURB_ID_LENGTH}-byte SURB id`);
      out[at] = ENTRY_KIND_SURB_REPLY;
      out.set(m.surbId, at + ENTRY_SURB_ID_OFFSET);
    } else if (m.kind === 'message') {
      if (m.surbId !== null) throw new FetchFormatError(`message ${m.id}: only a SURB reply carries a SURB id`);
      out[at] = ENTRY_KIND_MESSAGE;
    } else {
      throw new FetchFormatError(`message ${m.id}: unknown kind ${String(m.kind)}`);
    }
    if (m.via !== 'delivery' && m.via !== 'address') throw new FetchFormatError(`message ${m.id}: unknown via ${String(m.via)}`);
    out[at + ENTRY_VIA_OFFSET] = m.via === 'address' ? ENTRY_VIA_ADDRESS : ENTRY_VIA_DELIVERY;
    view.setBigUint64(at + ENTRY_ID_OFFSET, m.id, false);
    view.setUint32(at + ENTRY_LENGTH_OFFSET, m.body.length, false);
    out.set(m.body, at + ENTRY_HEADER_LENGTH);
  }
  return out;
}

/** Decodes a reply; only real entries are returned (dummies are dropped). */
export function decodeFetchReply(bytes: Uint8Array, expectedCounter: bigint, bodyLength: number): FetchEntry[] {
  if (bytes.length < REPLY_HEADER_LENGTH) throw new FetchFormatError('reply truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== FETCH_VERSION) throw new FetchFormatError(`unknown reply version ${bytes[0]}`);
  if (view.getBigUint64(1, false) !== expectedCounter) throw new FetchFormatError('reply answers another request');
  const entries = view.getUint16(9, false);
  if (bytes.length !== fetchReplyLength(entries, bodyLength)) throw new FetchFormatError(`reply must be ${fetchReplyLength(entries, bodyLength)} bytes, got ${bytes.length}`);
  const out: FetchEntry[] = [];
  for (let i = 0; i < entries; i++) {
    const at = REPLY_HEADER_LENGTH + i * (ENTRY_HEADER_LENGTH + bodyLength);
    const kind = bytes[at];
    if (kind === ENTRY_KIND_DUMMY) continue;
    if (kind !== ENTRY_KIND_MESSAGE && kind !== ENTRY_KIND_SURB_REPLY) throw new FetchFormatError(`entry ${i}: unknown kind ${kind}`);
    const via = bytes[at + ENTRY_VIA_OFFSET];
    if (via !== ENTRY_VIA_DELIVERY && via !== ENTRY_VIA_ADDRESS) throw new FetchFormatError(`entry ${i}: unknown via ${via}`);
    const length = view.getUint32(at + ENTRY_LENGTH_OFFSET, false);
    if (length > bodyLength) throw new FetchFormatError(`entry ${i}: length ${length} exceeds ${bodyLength}`);
    const surbReply = kind === ENTRY_KIND_SURB_REPLY;
    out.push({
      kind: surbReply ? 'surb-reply' : 'message',
      via: via === ENTRY_VIA_ADDRESS ? 'address' : 'delivery',
      id: view.getBigUint64(at + ENTRY_ID_OFFSET, false),
      surbId: surbReply ? bytes.slice(at + ENTRY_SURB_ID_OFFSET, at + ENTRY_LENGTH_OFFSET) : null,
      body: bytes.slice(at + ENTRY_HEADER_LENGTH, at + ENTRY_HEADER_LENGTH + length),
    });
  }
  return out;
}

// The mailbox fetch exchange between a client and its gateway
// (docs/gateway.md §Fetch). Both messages have a fixed size, so the link
// shows nothing about how many messages were waiting or acknowledged.
//
// Request (FETCH_REQUEST_LENGTH = 362 bytes):
//   0    1    version = 4
//   1    32   client identity key (Ed25519); the mailbox is mailboxIdOf(key)
//   33   8    request counter, u64 big-endian, strictly increasing per client
//   41   1    number of acknowledged message ids, 0 … MAX_ACKS
//   42   256  MAX_ACKS × u64 big-endian message ids (unused slots zero)
//   298  64   Ed25519 signature over "chaff-fetch-v1\0" ‖ bytes 0 … 297
//
// Reply (fetchReplyLength(slots, bodyLength) bytes):
//   0    1    version = 4
//   1    8    the request counter answered
//   9    2    message slots M, u16 big-endian (the gateway's fetch_batch)
//   11   2    ACK slots A, u16 big-endian (the gateway's fetch_ack_batch)
//   13   4    body length L of a message slot, u32 big-endian
//   17   …    M message slots, each MESSAGE_SLOT_HEADER_LENGTH + L bytes:
//     +0   1    kind u8: 0 dummy, 1 message
//     +1   1    via u8: 0 the client's delivery id, 1 its public mailbox id
//                (the address: a contact request); 0 for a dummy
//     +2   8    message id, u64 big-endian (random for a dummy)
//     +10  4    body length, u32 big-endian (0 for a dummy)
//     +14  L    body (the user payload), padded to L with random bytes
//   …    A ACK slots, each ACK_SLOT_LENGTH = 58 bytes:
//     +0   1    kind u8: 0 dummy, 2 SURB reply
//     +1   1    via u8, as above
//     +2   8    message id, u64 big-endian (random for a dummy)
//     +10  16   the SURB id of the reply (random for a dummy)
//     +26  32   SHA-256 of the reply's still-encrypted payload (random for a dummy)
//
// Why two kinds of slot (docs/parameters.md §Mailbox pulls): an idle client
// receives its own cover back, about λP + λL SURB-ACKs and λL loops a
// second; with one slot size for all, the ACKs' 2,654-byte payloads alone
// cost more download than the client's whole upload. A SURB-ACK carries
// nothing but its arrival: its SURB id is secret until the ACK has crossed
// the mixnet back to the gateway, and its payload (an all-zero plaintext
// under the SURB's keys) is known to the client in advance, so the digest
// proves what the payload proved (protocol/sphinx/surb-ack.ts). Both slot
// counts are fixed per gateway, so every reply has one size and one shape.
// The reply travels inside the Noise channel, so the random fill is
// hygiene: nothing on the link depends on it.

import { concatBytes, ctEqual } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, type Ed25519PrivateKey, verify } from '../crypto/ed25519.js';
import { SURB_ID_LENGTH, type Geometry } from '../sphinx/geometry.js';

/**
 * Version 4: SURB replies travel as digests in small ACK slots, messages in
 * message slots of the user payload's length. Version 3 added the via byte,
 * version 2 the kind and the SURB id. The request layout is that of version
 * 1, but a gateway refuses a request of another version, so an old client
 * gets a clear refusal instead of a reply it would misread.
 */
export const FETCH_VERSION = 4;
export const MAX_ACKS = 32;
export const FETCH_REQUEST_LENGTH = 1 + 32 + 8 + 1 + MAX_ACKS * 8 + 64;
const SIGNED_LENGTH = FETCH_REQUEST_LENGTH - ED25519_SIGNATURE_LENGTH;
const FETCH_DOMAIN = new TextEncoder().encode('chaff-fetch-v1\0');
const MAILBOX_DOMAIN = new TextEncoder().encode('chaff-mailbox-v1\0');
/** version (1) ‖ counter (8) ‖ message slots (2) ‖ ACK slots (2) ‖ message body length (4). */
export const REPLY_HEADER_LENGTH = 1 + 8 + 2 + 2 + 4;
/** A message slot: kind (1) ‖ via (1) ‖ message id (8) ‖ body length (4), then the body. */
export const MESSAGE_SLOT_HEADER_LENGTH = 1 + 1 + 8 + 4;
/** Length of a SURB reply's digest: SHA-256. */
export const SURB_REPLY_DIGEST_LENGTH = 32;
/** An ACK slot: kind (1) ‖ via (1) ‖ message id (8) ‖ SURB id (16) ‖ digest (32). */
export const ACK_SLOT_LENGTH = 1 + 1 + 8 + SURB_ID_LENGTH + SURB_REPLY_DIGEST_LENGTH;
const SLOT_VIA_OFFSET = 1;
const SLOT_ID_OFFSET = 2;
const MESSAGE_LENGTH_OFFSET = 10;
const ACK_SURB_ID_OFFSET = 10;
const ACK_DIGEST_OFFSET = 10 + SURB_ID_LENGTH;

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

/** Says what an unknown version byte most likely means, for the peer's operator. */
function versionMismatch(what: 'request' | 'reply', version: number): FetchFormatError {
  const hint =
    version < FETCH_VERSION
      ? what === 'request'
        ? 'the client is older than this gateway: upgrade the client'
        : 'the gateway is older than this client: ask its operator to upgrade, or choose another gateway'
      : `the ${what === 'request' ? 'client' : 'gateway'} is newer than this ${what === 'request' ? 'gateway' : 'client'}: upgrade`;
  return new FetchFormatError(`${what} version ${version} is not supported (this side speaks fetch version ${FETCH_VERSION}; ${hint})`);
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
  if (bytes[0] !== FETCH_VERSION) throw versionMismatch('request', bytes[0]);
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
  /** A message's user payload; empty for a SURB reply (its digest stands for it). */
  body: Uint8Array;
  /** A SURB reply's surbReplyDigest (32 bytes); absent for a message. */
  digest?: Uint8Array;
}

/** A message the gateway puts in a reply. */
export interface FetchReplyMessage {
  id: bigint;
  kind: FetchEntryKind;
  via: FetchEntryVia;
  /** Required (16 bytes) for a SURB reply; must be null for a message. */
  surbId: Uint8Array | null;
  /** A message's user payload, or a SURB reply's payload as stored (the reply carries its digest). */
  body: Uint8Array;
}

/** How many slots of each kind every reply of a gateway carries. */
export interface FetchSlots {
  /** Message slots (the gateway's fetch_batch), 1 … 65535. */
  readonly messages: number;
  /** ACK slots (the gateway's fetch_ack_batch), 1 … 65535. */
  readonly acks: number;
}

/**
 * The production slot counts (docs/parameters.md §Mailbox pulls): 4 message
 * slots a pull carry the λL = 1 loop a second an idle client gets back with
 * room for 3 more messages a second, above one contact's whole payload
 * stream (λP = 2); 12 ACK slots carry 4× the λP + λL = 3 SURB-ACKs a second
 * its own packets bring back, for 58 bytes each.
 */
export const DEFAULT_FETCH_SLOTS: FetchSlots = Object.freeze({ messages: 4, acks: 12 });

/** The digest an ACK slot carries for a SURB reply: SHA-256 of its payload as the gateway stored it (payload tag ‖ forward payload, still encrypted). */
export function surbReplyDigest(payload: Uint8Array): Uint8Array {
  return sha256(payload);
}

/** Whether a SURB reply's digest is that of `expectedPayload` (constant time). */
export function surbReplyDigestMatches(digest: Uint8Array, expectedPayload: Uint8Array): boolean {
  return digest.length === SURB_REPLY_DIGEST_LENGTH && ctEqual(digest, surbReplyDigest(expectedPayload));
}

/**
 * The largest body a gateway stores, a SURB reply's payload (payload tag ‖
 * forward payload): the bound for deposits, and for a reply's message slots.
 */
export function fetchEntryBodyLength(geometry: Geometry): number {
  return geometry.payloadTagLength + geometry.forwardPayloadLength;
}

/** The body length of a message slot: a stored message is its user payload. */
export function fetchMessageBodyLength(geometry: Geometry): number {
  return geometry.userForwardPayloadLength;
}

function checkSlots(slots: FetchSlots): void {
  for (const [name, n] of [
    ['message slots', slots.messages],
    ['ACK slots', slots.acks],
  ] as const) {
    if (!Number.isInteger(n) || n < 1 || n > 0xffff) throw new FetchFormatError(`${name} must be 1 … 65535, got ${n}`);
  }
}

/** The length of every reply with `slots` and message slots of `bodyLength` bytes. */
export function fetchReplyLength(slots: FetchSlots, bodyLength: number): number {
  return REPLY_HEADER_LENGTH + slots.messages * (MESSAGE_SLOT_HEADER_LENGTH + bodyLength) + slots.acks * ACK_SLOT_LENGTH;
}

/**
 * A reply of exactly `slots`: the messages given (at most slots.messages)
 * then dummy message slots, the SURB replies given (at most slots.acks) as
 * their digests then dummy ACK slots; every body padded to `bodyLength` with
 * `random` bytes and every unused field random, so real and dummy slots
 * differ only in their kind byte.
 */
export function encodeFetchReply(counter: bigint, entries: ReadonlyArray<FetchReplyMessage>, slots: FetchSlots, bodyLength: number, random: (n: number) => Uint8Array): Uint8Array {
  checkU64(counter, 'counter');
  checkSlots(slots);
  if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > 0xffffffff) throw new FetchFormatError('bodyLength must be a u32');
  const messages = entries.filter((e) => e.kind === 'message');
  const replies = entries.filter((e) => e.kind === 'surb-reply');
  const unknown = entries.find((e) => e.kind !== 'message' && e.kind !== 'surb-reply');
  if (unknown) throw new FetchFormatError(`message ${unknown.id}: unknown kind ${String(unknown.kind)}`);
  if (messages.length > slots.messages) throw new FetchFormatError(`${messages.length} messages do not fit ${slots.messages} message slots`);
  if (replies.length > slots.acks) throw new FetchFormatError(`${replies.length} SURB replies do not fit ${slots.acks} ACK slots`);
  const out = new Uint8Array(fetchReplyLength(slots, bodyLength));
  const view = new DataView(out.buffer);
  out[0] = FETCH_VERSION;
  view.setBigUint64(1, counter, false);
  view.setUint16(9, slots.messages, false);
  view.setUint16(11, slots.acks, false);
  view.setUint32(13, bodyLength, false);
  const slotLength = MESSAGE_SLOT_HEADER_LENGTH + bodyLength;
  for (let i = 0; i < slots.messages; i++) {
    const at = REPLY_HEADER_LENGTH + i * slotLength;
    // Everything after the kind and via bytes starts random; a message overwrites its fields.
    out.set(random(slotLength - 2), at + 2);
    out[at] = ENTRY_KIND_DUMMY;
    out[at + SLOT_VIA_OFFSET] = ENTRY_VIA_DELIVERY;
    view.setUint32(at + MESSAGE_LENGTH_OFFSET, 0, false);
    const m = messages[i];
    if (!m) continue;
    checkEntry(m);
    if (m.surbId !== null) throw new FetchFormatError(`message ${m.id}: only a SURB reply carries a SURB id`);
    if (!(m.body instanceof Uint8Array) || m.body.length > bodyLength) throw new FetchFormatError(`message ${m.id} is longer than ${bodyLength} bytes`);
    out[at] = ENTRY_KIND_MESSAGE;
    out[at + SLOT_VIA_OFFSET] = m.via === 'address' ? ENTRY_VIA_ADDRESS : ENTRY_VIA_DELIVERY;
    view.setBigUint64(at + SLOT_ID_OFFSET, m.id, false);
    view.setUint32(at + MESSAGE_LENGTH_OFFSET, m.body.length, false);
    out.set(m.body, at + MESSAGE_SLOT_HEADER_LENGTH);
  }
  const acksAt = REPLY_HEADER_LENGTH + slots.messages * slotLength;
  for (let i = 0; i < slots.acks; i++) {
    const at = acksAt + i * ACK_SLOT_LENGTH;
    out.set(random(ACK_SLOT_LENGTH - 2), at + 2);
    out[at] = ENTRY_KIND_DUMMY;
    out[at + SLOT_VIA_OFFSET] = ENTRY_VIA_DELIVERY;
    const r = replies[i];
    if (!r) continue;
    checkEntry(r);
    if (!(r.surbId instanceof Uint8Array) || r.surbId.length !== SURB_ID_LENGTH) throw new FetchFormatError(`message ${r.id}: a SURB reply needs a ${SURB_ID_LENGTH}-byte SURB id`);
    if (!(r.body instanceof Uint8Array)) throw new FetchFormatError(`message ${r.id}: no payload`);
    out[at] = ENTRY_KIND_SURB_REPLY;
    out[at + SLOT_VIA_OFFSET] = r.via === 'address' ? ENTRY_VIA_ADDRESS : ENTRY_VIA_DELIVERY;
    view.setBigUint64(at + SLOT_ID_OFFSET, r.id, false);
    out.set(r.surbId, at + ACK_SURB_ID_OFFSET);
    out.set(surbReplyDigest(r.body), at + ACK_DIGEST_OFFSET);
  }
  return out;
}

function checkEntry(m: FetchReplyMessage): void {
  checkU64(m.id, 'message id');
  if (m.via !== 'delivery' && m.via !== 'address') throw new FetchFormatError(`message ${m.id}: unknown via ${String(m.via)}`);
}

function viaOf(byte: number, slot: string): FetchEntryVia {
  if (byte !== ENTRY_VIA_DELIVERY && byte !== ENTRY_VIA_ADDRESS) throw new FetchFormatError(`${slot}: unknown via ${byte}`);
  return byte === ENTRY_VIA_ADDRESS ? 'address' : 'delivery';
}

/**
 * Decodes a reply; only real entries are returned (dummies are dropped), in
 * the order the gateway stored them (its message ids increase with every
 * deposit), whichever slots they came in. The reply states its slot counts and
 * its message body length; a body length above `maxBodyLength` (the
 * client's fetchEntryBodyLength) is refused, as is any reply whose length
 * does not follow from its header.
 */
export function decodeFetchReply(bytes: Uint8Array, expectedCounter: bigint, maxBodyLength: number): FetchEntry[] {
  if (bytes.length < 1) throw new FetchFormatError('reply truncated');
  if (bytes[0] !== FETCH_VERSION) throw versionMismatch('reply', bytes[0]);
  if (bytes.length < REPLY_HEADER_LENGTH) throw new FetchFormatError('reply truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getBigUint64(1, false) !== expectedCounter) throw new FetchFormatError('reply answers another request');
  const slots = { messages: view.getUint16(9, false), acks: view.getUint16(11, false) };
  const bodyLength = view.getUint32(13, false);
  if (slots.messages < 1 || slots.acks < 1) throw new FetchFormatError('a reply has at least one slot of each kind');
  if (bodyLength > maxBodyLength) throw new FetchFormatError(`message slots of ${bodyLength} bytes exceed ${maxBodyLength}`);
  const expected = fetchReplyLength(slots, bodyLength);
  if (bytes.length !== expected) throw new FetchFormatError(`reply must be ${expected} bytes, got ${bytes.length}`);
  const out: FetchEntry[] = [];
  const slotLength = MESSAGE_SLOT_HEADER_LENGTH + bodyLength;
  for (let i = 0; i < slots.messages; i++) {
    const at = REPLY_HEADER_LENGTH + i * slotLength;
    const kind = bytes[at];
    if (kind === ENTRY_KIND_DUMMY) continue;
    if (kind !== ENTRY_KIND_MESSAGE) throw new FetchFormatError(`message slot ${i}: unknown kind ${kind}`);
    const via = viaOf(bytes[at + SLOT_VIA_OFFSET], `message slot ${i}`);
    const length = view.getUint32(at + MESSAGE_LENGTH_OFFSET, false);
    if (length > bodyLength) throw new FetchFormatError(`message slot ${i}: length ${length} exceeds ${bodyLength}`);
    out.push({
      kind: 'message',
      via,
      id: view.getBigUint64(at + SLOT_ID_OFFSET, false),
      surbId: null,
      body: bytes.slice(at + MESSAGE_SLOT_HEADER_LENGTH, at + MESSAGE_SLOT_HEADER_LENGTH + length),
    });
  }
  const acksAt = REPLY_HEADER_LENGTH + slots.messages * slotLength;
  for (let i = 0; i < slots.acks; i++) {
    const at = acksAt + i * ACK_SLOT_LENGTH;
    const kind = bytes[at];
    if (kind === ENTRY_KIND_DUMMY) continue;
    if (kind !== ENTRY_KIND_SURB_REPLY) throw new FetchFormatError(`ACK slot ${i}: unknown kind ${kind}`);
    out.push({
      kind: 'surb-reply',
      via: viaOf(bytes[at + SLOT_VIA_OFFSET], `ACK slot ${i}`),
      id: view.getBigUint64(at + SLOT_ID_OFFSET, false),
      surbId: bytes.slice(at + ACK_SURB_ID_OFFSET, at + ACK_DIGEST_OFFSET),
      body: new Uint8Array(0),
      digest: bytes.slice(at + ACK_DIGEST_OFFSET, at + ACK_SLOT_LENGTH),
    });
  }
  return out.sort((a, b) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0));
}

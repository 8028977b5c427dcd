// The mailbox fetch exchange between a client and its gateway
// (docs/gateway.md §Fetch). Both messages have a fixed size, so the link
// shows nothing about how many messages were waiting or acknowledged.
//
// Request (FETCH_REQUEST_LENGTH = 362 bytes):
//   0    1    version = 1
//   1    32   client identity key (Ed25519); the mailbox is mailboxIdOf(key)
//   33   8    request counter, u64 big-endian, strictly increasing per client
//   41   1    number of acknowledged message ids, 0 … MAX_ACKS
//   42   256  MAX_ACKS × u64 big-endian message ids (unused slots zero)
//   298  64   Ed25519 signature over "chaff-fetch-v1\0" ‖ bytes 0 … 297
//
// Reply (fetchReplyLength(entries, bodyLength) bytes):
//   0    1    version = 1
//   1    8    the request counter answered
//   9    2    number of entries, u16 big-endian (the gateway's fetch batch)
//   11   …    entries × (kind u8 (0 dummy, 1 message) ‖ message id u64 ‖
//             body length u32 ‖ body padded to bodyLength with random bytes)

import { concatBytes } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, type Ed25519PrivateKey, verify } from '../crypto/ed25519.js';

export const FETCH_VERSION = 1;
export const MAX_ACKS = 32;
export const FETCH_REQUEST_LENGTH = 1 + 32 + 8 + 1 + MAX_ACKS * 8 + 64;
const SIGNED_LENGTH = FETCH_REQUEST_LENGTH - ED25519_SIGNATURE_LENGTH;
const FETCH_DOMAIN = new TextEncoder().encode('chaff-fetch-v1\0');
const MAILBOX_DOMAIN = new TextEncoder().encode('chaff-mailbox-v1\0');
const REPLY_HEADER_LENGTH = 1 + 8 + 2;
const ENTRY_HEADER_LENGTH = 1 + 8 + 4;

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

export interface FetchEntry {
  /** Null for a dummy (padding) entry. */
  id: bigint | null;
  body: Uint8Array;
}

export function fetchReplyLength(entries: number, bodyLength: number): number {
  return REPLY_HEADER_LENGTH + entries * (ENTRY_HEADER_LENGTH + bodyLength);
}

/**
 * A reply of exactly `entries` entries: the messages given (at most
 * `entries`) then dummies; every body padded to `bodyLength` with `random`
 * bytes so real and dummy entries look alike on the wire.
 */
export function encodeFetchReply(counter: bigint, messages: ReadonlyArray<{ id: bigint; body: Uint8Array }>, entries: number, bodyLength: number, random: (n: number) => Uint8Array): Uint8Array {
  checkU64(counter, 'counter');
  if (!Number.isInteger(entries) || entries < 1 || entries > 0xffff) throw new FetchFormatError('entries must be 1 … 65535');
  if (messages.length > entries) throw new FetchFormatError(`${messages.length} messages do not fit ${entries} entries`);
  const out = new Uint8Array(fetchReplyLength(entries, bodyLength));
  const view = new DataView(out.buffer);
  out[0] = FETCH_VERSION;
  view.setBigUint64(1, counter, false);
  view.setUint16(9, entries, false);
  for (let i = 0; i < entries; i++) {
    const at = REPLY_HEADER_LENGTH + i * (ENTRY_HEADER_LENGTH + bodyLength);
    const m = messages[i];
    const body = out.subarray(at + ENTRY_HEADER_LENGTH, at + ENTRY_HEADER_LENGTH + bodyLength);
    body.set(random(bodyLength));
    if (m) {
      if (m.body.length > bodyLength) throw new FetchFormatError(`message ${m.id} is longer than ${bodyLength} bytes`);
      checkU64(m.id, 'message id');
      out[at] = 1;
      view.setBigUint64(at + 1, m.id, false);
      view.setUint32(at + 9, m.body.length, false);
      body.set(m.body);
    } else {
      view.setBigUint64(at + 1, new DataView(random(8).buffer).getBigUint64(0), false);
    }
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
    if (kind === 0) continue;
    if (kind !== 1) throw new FetchFormatError(`entry ${i}: unknown kind ${kind}`);
    const length = view.getUint32(at + 9, false);
    if (length > bodyLength) throw new FetchFormatError(`entry ${i}: length ${length} exceeds ${bodyLength}`);
    out.push({ id: view.getBigUint64(at + 1, false), body: bytes.slice(at + ENTRY_HEADER_LENGTH, at + ENTRY_HEADER_LENGTH + length) });
  }
  return out;
}

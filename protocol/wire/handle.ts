// Short handles (docs/handles.md): `name@gateway`, as the IETF MIMI work
// names users at their provider (draft-ietf-mimi-arch, §User identifiers).
// A gateway hosts first-come names for its own clients; anyone resolves
// `bob@gateway-b` by a lookup that travels as a Sphinx packet to gateway-b
// and comes back through the SURB it carries, so gateway-b never learns who
// asked (docs/handles.md §What a gateway learns).
//
// The answer is a record its owner signed, so a gateway can refuse or
// withhold a name but cannot bind someone's name to an address they did not
// sign for. What it can do, being the provider, is hold a name itself: a
// handle is as good as first come at that gateway, and safety numbers are
// what verify a contact (docs/e2ee.md §9).
//
// Handle record (HANDLE_RECORD_BASE_LENGTH + n bytes, n = name length):
//   0        1    version = 1
//   1        1    name length n, 1 … 32
//   2        n    name: ASCII [a-z0-9._-], first character [a-z0-9] (checkHandleName)
//   2+n      225  the owner's address, binary form (protocol/e2ee/address.ts), naming
//                 the hosting gateway and the owner's mailbox
//   227+n    96   mailbox proof: K ‖ Ed25519 signature by K (protocol/e2ee/mailbox-proof.ts),
//                 K the key the owner registers with (mailboxIdOf(K) = the address's mailbox)
//   323+n    64   Ed25519 signature by the address's identity key over
//                 "chaff-handle-v1\0" (16) ‖ bytes 0 … 322+n
//
// Lookup request (the user payload of a forward packet to NAME_SERVICE_RECIPIENT
// at the named gateway; `length` = the geometry's userForwardPayloadLength):
//   0        1    version = 1
//   1        1    op = 1 (lookup)
//   2        1    name length n
//   3        n    name
//   3+n      …    zeros to `length` (not checked)
//
// Lookup answer (the SURB reply's plaintext; `length` = forwardPayloadLength):
//   0        1    version = 1
//   1        1    status: 0 found, 1 not found, 2 bad request
//   2        2    body length m, u16 big-endian
//   4        m    found: the record; not found: the name asked; bad request: empty
//   4+m      …    zeros to `length` (not checked)
//
// Claim RPC (CLIENT_HANDLE_PROTOCOL), request:
//   0        1    version = 1
//   1        1    op: 1 claim, 2 release
//   2        …    claim: the record (to the end); release: nothing
// reply:
//   0        1    version = 1
//   1        1    status: 0 ok, 1 taken, 2 invalid, 3 not registered
//   2        1    length n of the name the caller holds afterwards (0: none)
//   3        n    that name
//
// Reply-body RPC (CLIENT_REPLY_BODY_PROTOCOL): request = version (1) ‖ message id
// (u64 big-endian, 8); reply = version (1) ‖ found (1: 0 or 1) ‖ the entry's
// body (to the end; nothing when not found).

import { abytes, concatBytes, ctEqual } from '../bytes.js';
import { ED25519_SIGNATURE_LENGTH, type Ed25519PrivateKey, verify } from '../crypto/ed25519.js';
import { AddressError, ADDRESS_BYTES, addressFromBytes, addressToBytes, verifyAddress, type Address } from '../e2ee/address.js';
import type { Identity } from '../e2ee/identity.js';
import { MAILBOX_PROOF_BYTES, signMailboxProof, verifyMailboxProof, type MailboxSigner } from '../e2ee/mailbox-proof.js';

export const HANDLE_FORMAT_VERSION = 1;
export const HANDLE_NAME_MAX_LENGTH = 32;
/** Longest gateway name in a handle: a node name (protocol/pki/descriptor.ts MAX_NAME_LENGTH). */
export const HANDLE_GATEWAY_MAX_LENGTH = 64;
export const HANDLE_SIGNATURE_DOMAIN = 'chaff-handle-v1\0';
const DOMAIN_BYTES = new TextEncoder().encode(HANDLE_SIGNATURE_DOMAIN);
/** A record's length without its name: version, name length, address, mailbox proof, signature. */
export const HANDLE_RECORD_BASE_LENGTH = 1 + 1 + ADDRESS_BYTES + MAILBOX_PROOF_BYTES + ED25519_SIGNATURE_LENGTH;
const LOOKUP_OP = 1;
const LOOKUP_HEADER_LENGTH = 3;
const ANSWER_HEADER_LENGTH = 4;
const CLAIM_OP = 1;
const RELEASE_OP = 2;
export const REPLY_BODY_REQUEST_LENGTH = 1 + 8;

/**
 * The recipient id of the name service: 31 zero bytes, then 1. Like the
 * drop recipient (all zeros) it is never a mailbox id, which is a SHA-256
 * output. Compare with isNameServiceRecipient, which does not read this
 * (mutable) array.
 */
export const NAME_SERVICE_RECIPIENT: Uint8Array = (() => {
  const r = new Uint8Array(32);
  r[31] = 1;
  return r;
})();

export function isNameServiceRecipient(recipient: Uint8Array): boolean {
  if (!(recipient instanceof Uint8Array) || recipient.length !== 32) return false;
  let acc = recipient[31] ^ 1;
  for (let i = 0; i < 31; i++) acc |= recipient[i];
  return acc === 0;
}

export type HandleErrorCode =
  /** Not 1 … 32 characters of [a-z0-9._-] starting with a letter or digit. */
  | 'bad-name'
  /** Text with an '@' that is not name@gateway. */
  | 'bad-handle'
  /** Bytes that are not the format (length, version, op, status). */
  | 'malformed'
  /** A signature that does not verify: the address's, the mailbox proof or the record's. */
  | 'forged'
  /** A record for another gateway than the one asked. */
  | 'wrong-gateway'
  /** A record for another name than the one asked. */
  | 'wrong-name';

export class HandleError extends Error {
  readonly code: HandleErrorCode;

  constructor(code: HandleErrorCode, message: string) {
    super(`handle: ${message}`);
    this.name = 'HandleError';
    this.code = code;
  }
}

const malformed = (message: string): HandleError => new HandleError('malformed', message);

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const GATEWAY = /^[A-Za-z0-9._-]+$/;

/** The canonical form of a handle name (lower case), or HandleError('bad-name'). */
export function checkHandleName(name: string): string {
  const canonical = typeof name === 'string' ? name.toLowerCase() : '';
  if (canonical.length === 0 || canonical.length > HANDLE_NAME_MAX_LENGTH || !NAME.test(canonical)) {
    throw new HandleError(
      'bad-name',
      `a name is 1 to ${HANDLE_NAME_MAX_LENGTH} characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit (got ${JSON.stringify(String(name).slice(0, 40))})`,
    );
  }
  return canonical;
}

export interface HandleText {
  /** Canonical (checkHandleName). */
  name: string;
  /** A gateway's node name, as the network document lists it. */
  gateway: string;
}

/** `name@gateway` → its parts; null for text without '@' (a full address, say). */
export function parseHandle(text: string): HandleText | null {
  const at = text.lastIndexOf('@');
  if (at < 0) return null;
  const gateway = text.slice(at + 1);
  if (at === 0 || gateway.length === 0 || gateway.length > HANDLE_GATEWAY_MAX_LENGTH || !GATEWAY.test(gateway)) {
    throw new HandleError('bad-handle', `a handle is name@gateway, the gateway a node name of [A-Za-z0-9._-] (got ${JSON.stringify(text.slice(0, 80))})`);
  }
  return { name: checkHandleName(text.slice(0, at)), gateway };
}

export function formatHandle(h: HandleText): string {
  return `${h.name}@${h.gateway}`;
}

export interface HandleRecord {
  name: string;
  /** The owner's address (its own signature checked when decoded). */
  address: Address;
  /** K ‖ signature by K (protocol/e2ee/mailbox-proof.ts). */
  mailboxProof: Uint8Array;
  /** By address.identityKey over the domain and every byte before it. */
  signature: Uint8Array;
}

function nameBytes(name: string): Uint8Array {
  return new TextEncoder().encode(checkHandleName(name));
}

function signedPart(name: Uint8Array, address: Address, mailboxProof: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(HANDLE_FORMAT_VERSION, name.length), name, addressToBytes(address), mailboxProof);
}

/**
 * The record binding `name` to `address` (which must be the identity's own,
 * naming the hosting gateway and the mailbox of `mailboxSigner`, the key K
 * the owner registers with).
 */
export function signHandleRecord(name: string, identity: Identity | { signingKey: Ed25519PrivateKey }, address: Address, mailboxSigner: MailboxSigner): HandleRecord {
  const canonical = checkHandleName(name);
  if (!ctEqual(identity.signingKey.publicKey, address.identityKey)) throw new RangeError('handle: the address is not this identity’s');
  const mailboxProof = signMailboxProof(mailboxSigner, address);
  const signature = identity.signingKey.sign(concatBytes(DOMAIN_BYTES, signedPart(nameBytes(canonical), address, mailboxProof)));
  return { name: canonical, address, mailboxProof, signature };
}

export function encodeHandleRecord(record: HandleRecord): Uint8Array {
  abytes(record.mailboxProof, MAILBOX_PROOF_BYTES, 'handle: mailbox proof', malformed);
  abytes(record.signature, ED25519_SIGNATURE_LENGTH, 'handle: signature', malformed);
  return concatBytes(signedPart(nameBytes(record.name), record.address, record.mailboxProof), record.signature);
}

/** Parses a record; checks its shape, its name and the address's own signature (not the rest: verifyHandleRecord). */
export function decodeHandleRecord(bytes: Uint8Array): HandleRecord {
  abytes(bytes, undefined, 'handle record', malformed);
  if (bytes.length < 2) throw malformed(`a record is at least ${HANDLE_RECORD_BASE_LENGTH + 1} bytes, got ${bytes.length}`);
  if (bytes[0] !== HANDLE_FORMAT_VERSION) throw malformed(`unknown record version ${bytes[0]} (this code knows ${HANDLE_FORMAT_VERSION})`);
  const n = bytes[1];
  if (n < 1 || n > HANDLE_NAME_MAX_LENGTH || bytes.length !== HANDLE_RECORD_BASE_LENGTH + n) {
    throw malformed(`a record with a ${n}-byte name is ${HANDLE_RECORD_BASE_LENGTH + n} bytes, got ${bytes.length}`);
  }
  const name = new TextDecoder().decode(bytes.subarray(2, 2 + n));
  if (checkHandleName(name) !== name) throw new HandleError('bad-name', 'the record’s name is not in canonical (lower-case) form');
  let o = 2 + n;
  let address: Address;
  try {
    address = addressFromBytes(bytes.subarray(o, (o += ADDRESS_BYTES)));
  } catch (err) {
    if (err instanceof AddressError && err.reason === 'signature') throw new HandleError('forged', 'the address in the record is not signed by its identity key');
    throw malformed(`the address in the record: ${(err as Error).message}`);
  }
  const mailboxProof = bytes.slice(o, (o += MAILBOX_PROOF_BYTES));
  const signature = bytes.slice(o, o + ED25519_SIGNATURE_LENGTH);
  return { name, address, mailboxProof, signature };
}

/**
 * Throws unless `record` is the one asked for and its owner made it: the
 * name and the gateway are those asked, and the address's signature, the
 * mailbox proof and the record's signature all verify.
 */
export function verifyHandleRecord(record: HandleRecord, expected: { name: string; gateway: Uint8Array }): void {
  if (record.name !== checkHandleName(expected.name)) throw new HandleError('wrong-name', `asked for ${expected.name}, the record is for ${record.name}`);
  if (!ctEqual(record.address.gateway, expected.gateway)) throw new HandleError('wrong-gateway', `the record for ${record.name} names another gateway than the one asked`);
  try {
    verifyAddress(record.address);
  } catch {
    throw new HandleError('forged', `the address in the record for ${record.name} is not signed by its identity key`);
  }
  if (!verifyMailboxProof(record.address, record.mailboxProof)) throw new HandleError('forged', `the mailbox proof in the record for ${record.name} does not verify`);
  const signed = concatBytes(DOMAIN_BYTES, signedPart(nameBytes(record.name), record.address, record.mailboxProof));
  if (!verify(record.address.identityKey, signed, record.signature)) throw new HandleError('forged', `the record for ${record.name} is not signed by the identity it names`);
}

// ---- lookup ---------------------------------------------------------------

/** A lookup of `name`, padded with zeros to `length` bytes (the user payload). */
export function encodeLookupRequest(name: string, length: number): Uint8Array {
  const n = nameBytes(name);
  if (length < LOOKUP_HEADER_LENGTH + HANDLE_NAME_MAX_LENGTH) throw new RangeError(`handle: a lookup needs ${LOOKUP_HEADER_LENGTH + HANDLE_NAME_MAX_LENGTH} bytes, the payload has ${length}`);
  const out = new Uint8Array(length);
  out.set([HANDLE_FORMAT_VERSION, LOOKUP_OP, n.length], 0);
  out.set(n, LOOKUP_HEADER_LENGTH);
  return out;
}

export function decodeLookupRequest(userPayload: Uint8Array): { name: string } {
  abytes(userPayload, undefined, 'lookup request', malformed);
  if (userPayload.length < LOOKUP_HEADER_LENGTH) throw malformed('a lookup request is shorter than its header');
  if (userPayload[0] !== HANDLE_FORMAT_VERSION) throw malformed(`unknown lookup version ${userPayload[0]}`);
  if (userPayload[1] !== LOOKUP_OP) throw malformed(`unknown lookup op ${userPayload[1]}`);
  const n = userPayload[2];
  if (n < 1 || n > HANDLE_NAME_MAX_LENGTH || userPayload.length < LOOKUP_HEADER_LENGTH + n) throw malformed(`a bad name length ${n}`);
  const name = new TextDecoder().decode(userPayload.subarray(LOOKUP_HEADER_LENGTH, LOOKUP_HEADER_LENGTH + n));
  if (checkHandleName(name) !== name) throw new HandleError('bad-name', 'the name asked is not in canonical (lower-case) form');
  return { name };
}

export type LookupAnswer = { status: 'found'; record: HandleRecord } | { status: 'not-found'; name: string } | { status: 'bad-request' };
const ANSWER_STATUS = { found: 0, 'not-found': 1, 'bad-request': 2 } as const;

/** The answer, padded with zeros to `length` bytes (a SURB reply's plaintext: geometry.forwardPayloadLength). */
export function encodeLookupAnswer(answer: LookupAnswer, length: number): Uint8Array {
  const body = answer.status === 'found' ? encodeHandleRecord(answer.record) : answer.status === 'not-found' ? nameBytes(answer.name) : new Uint8Array(0);
  if (length < ANSWER_HEADER_LENGTH + body.length) throw new RangeError(`handle: the answer needs ${ANSWER_HEADER_LENGTH + body.length} bytes, the reply has ${length}`);
  const out = new Uint8Array(length);
  out[0] = HANDLE_FORMAT_VERSION;
  out[1] = ANSWER_STATUS[answer.status];
  out[2] = body.length >>> 8;
  out[3] = body.length & 0xff;
  out.set(body, ANSWER_HEADER_LENGTH);
  return out;
}

export function decodeLookupAnswer(plaintext: Uint8Array): LookupAnswer {
  abytes(plaintext, undefined, 'lookup answer', malformed);
  if (plaintext.length < ANSWER_HEADER_LENGTH) throw malformed('a lookup answer is shorter than its header');
  if (plaintext[0] !== HANDLE_FORMAT_VERSION) throw malformed(`unknown answer version ${plaintext[0]}`);
  const m = (plaintext[2] << 8) | plaintext[3];
  if (plaintext.length < ANSWER_HEADER_LENGTH + m) throw malformed(`an answer body of ${m} bytes does not fit`);
  const body = plaintext.subarray(ANSWER_HEADER_LENGTH, ANSWER_HEADER_LENGTH + m);
  switch (plaintext[1]) {
    case ANSWER_STATUS.found:
      return { status: 'found', record: decodeHandleRecord(body) };
    case ANSWER_STATUS['not-found']: {
      const name = new TextDecoder().decode(body);
      if (checkHandleName(name) !== name) throw new HandleError('bad-name', 'the name in a not-found answer is not canonical');
      return { status: 'not-found', name };
    }
    case ANSWER_STATUS['bad-request']:
      if (m !== 0) throw malformed('a bad-request answer has a body');
      return { status: 'bad-request' };
    default:
      throw malformed(`unknown answer status ${plaintext[1]}`);
  }
}

// ---- claim RPC ------------------------------------------------------------

export type HandleClaimRequest = { op: 'claim'; record: HandleRecord } | { op: 'release' };

export function encodeHandleClaimRequest(request: HandleClaimRequest): Uint8Array {
  if (request.op === 'release') return Uint8Array.of(HANDLE_FORMAT_VERSION, RELEASE_OP);
  return concatBytes(Uint8Array.of(HANDLE_FORMAT_VERSION, CLAIM_OP), encodeHandleRecord(request.record));
}

export function decodeHandleClaimRequest(bytes: Uint8Array): HandleClaimRequest {
  abytes(bytes, undefined, 'claim request', malformed);
  if (bytes.length < 2) throw malformed('a claim request is at least 2 bytes');
  if (bytes[0] !== HANDLE_FORMAT_VERSION) throw malformed(`unknown claim version ${bytes[0]}`);
  if (bytes[1] === RELEASE_OP) {
    if (bytes.length !== 2) throw malformed('a release request is 2 bytes');
    return { op: 'release' };
  }
  if (bytes[1] !== CLAIM_OP) throw malformed(`unknown claim op ${bytes[1]}`);
  return { op: 'claim', record: decodeHandleRecord(bytes.subarray(2)) };
}

export type HandleClaimStatus = 'ok' | 'taken' | 'invalid' | 'not-registered';
const CLAIM_STATUSES: readonly HandleClaimStatus[] = ['ok', 'taken', 'invalid', 'not-registered'];

export interface HandleClaimReply {
  status: HandleClaimStatus;
  /** The name the caller holds after the request; '' when none. */
  name: string;
}

export function encodeHandleClaimReply(reply: HandleClaimReply): Uint8Array {
  const name = reply.name === '' ? new Uint8Array(0) : nameBytes(reply.name);
  return concatBytes(Uint8Array.of(HANDLE_FORMAT_VERSION, CLAIM_STATUSES.indexOf(reply.status), name.length), name);
}

export function decodeHandleClaimReply(bytes: Uint8Array): HandleClaimReply {
  abytes(bytes, undefined, 'claim reply', malformed);
  if (bytes.length < 3) throw malformed('a claim reply is at least 3 bytes');
  if (bytes[0] !== HANDLE_FORMAT_VERSION) throw malformed(`unknown claim reply version ${bytes[0]}`);
  const status = CLAIM_STATUSES[bytes[1]];
  if (status === undefined) throw malformed(`unknown claim status ${bytes[1]}`);
  const n = bytes[2];
  if (bytes.length !== 3 + n) throw malformed(`a claim reply with a ${n}-byte name is ${3 + n} bytes, got ${bytes.length}`);
  const name = n === 0 ? '' : new TextDecoder().decode(bytes.subarray(3));
  if (name !== '' && checkHandleName(name) !== name) throw new HandleError('bad-name', 'the name in a claim reply is not canonical');
  return { status, name };
}

// ---- reply-body RPC -------------------------------------------------------

export function encodeReplyBodyRequest(messageId: bigint): Uint8Array {
  if (typeof messageId !== 'bigint' || messageId < 0n || messageId >= 1n << 64n) throw new RangeError('handle: a message id is a u64');
  const out = new Uint8Array(REPLY_BODY_REQUEST_LENGTH);
  out[0] = HANDLE_FORMAT_VERSION;
  new DataView(out.buffer).setBigUint64(1, messageId);
  return out;
}

export function decodeReplyBodyRequest(bytes: Uint8Array): bigint {
  abytes(bytes, REPLY_BODY_REQUEST_LENGTH, 'reply-body request', malformed);
  if (bytes[0] !== HANDLE_FORMAT_VERSION) throw malformed(`unknown reply-body version ${bytes[0]}`);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(1);
}

export type ReplyBodyReply = { found: true; body: Uint8Array } | { found: false };

export function encodeReplyBodyReply(reply: ReplyBodyReply): Uint8Array {
  return reply.found ? concatBytes(Uint8Array.of(HANDLE_FORMAT_VERSION, 1), reply.body) : Uint8Array.of(HANDLE_FORMAT_VERSION, 0);
}

export function decodeReplyBodyReply(bytes: Uint8Array): ReplyBodyReply {
  abytes(bytes, undefined, 'reply-body reply', malformed);
  if (bytes.length < 2 || bytes[0] !== HANDLE_FORMAT_VERSION) throw malformed('not a reply-body reply');
  if (bytes[1] === 0) {
    if (bytes.length !== 2) throw malformed('a not-found reply has no body');
    return { found: false };
  }
  if (bytes[1] !== 1) throw malformed(`unknown reply-body flag ${bytes[1]}`);
  return { found: true, body: bytes.slice(2) };
}

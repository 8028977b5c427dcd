// The body of a client's register request to its gateway (docs/gateway.md
// §Registration), and the registration proof of work.
//
// Request (REGISTER_REQUEST_LENGTH = 74 bytes; an empty body is the legacy
// request: no delivery id, no invite, no proof):
//   0    1    version = 1
//   1    1    flags: bit 0 delivery id present, bit 1 invite token present,
//              bit 2 proof of work present; the other bits must be zero
//   2    32   delivery id: a second recipient id of the same mailbox (zeros when absent)
//   34   32   invite token (zeros when absent)
//   66   8    proof-of-work nonce, u64 big-endian (zero when absent)
// Reply: the client's mailbox id (32 bytes), as before.
//
// Proof of work (hashcash, Back 2002): a nonce such that
//   SHA-256("chaff-register-pow-v1\0" ‖ gateway identity key (32) ‖ client identity key (32) ‖ nonce (u64 BE))
// starts with at least `bits` zero bits. It is bound to one gateway and one
// client key, so it cannot be reused for another identity or elsewhere.
// A gateway that wants one and gets none refuses with the reason
// proofRequiredMessage(bits); the client parses the bits from it.

import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, fromHex, toHex } from '../bytes.js';

export const REGISTER_VERSION = 1;
export const REGISTER_REQUEST_LENGTH = 1 + 1 + 32 + 32 + 8;
export const DELIVERY_ID_LENGTH = 32;
export const INVITE_TOKEN_LENGTH = 32;
const FLAG_DELIVERY = 0x01;
const FLAG_INVITE = 0x02;
const FLAG_PROOF = 0x04;
const DELIVERY_OFFSET = 2;
const INVITE_OFFSET = 34;
const NONCE_OFFSET = 66;
const POW_DOMAIN = new TextEncoder().encode('chaff-register-pow-v1\0');
/** Most bits a gateway may ask for, and a client will work for (2^32 hashes is hours in JavaScript). */
export const MAX_PROOF_BITS = 32;

export class RegisterFormatError extends Error {
  constructor(message: string) {
    super(`register: ${message}`);
    this.name = 'RegisterFormatError';
  }
}

const formatError = (message: string): RegisterFormatError => new RegisterFormatError(message);

export interface RegisterRequest {
  /** A second recipient id of the client's mailbox, for its established contacts (32 bytes). */
  deliveryId?: Uint8Array;
  /** A single-use invite token minted by the gateway's operator (32 bytes). */
  inviteToken?: Uint8Array;
  /** A proof-of-work nonce for this gateway and client key. */
  proofNonce?: bigint;
}

/** The request body; an empty request (no field) encodes as the legacy empty body. */
export function encodeRegisterRequest(request: RegisterRequest): Uint8Array {
  const { deliveryId, inviteToken, proofNonce } = request;
  if (deliveryId === undefined && inviteToken === undefined && proofNonce === undefined) return new Uint8Array(0);
  const out = new Uint8Array(REGISTER_REQUEST_LENGTH);
  out[0] = REGISTER_VERSION;
  if (deliveryId !== undefined) {
    abytes(deliveryId, DELIVERY_ID_LENGTH, 'delivery id', formatError);
    if (deliveryId.every((b) => b === 0)) throw new RegisterFormatError('the all-zero delivery id is the drop recipient');
    out[1] |= FLAG_DELIVERY;
    out.set(deliveryId, DELIVERY_OFFSET);
  }
  if (inviteToken !== undefined) {
    abytes(inviteToken, INVITE_TOKEN_LENGTH, 'invite token', formatError);
    out[1] |= FLAG_INVITE;
    out.set(inviteToken, INVITE_OFFSET);
  }
  if (proofNonce !== undefined) {
    if (typeof proofNonce !== 'bigint' || proofNonce < 0n || proofNonce >= 1n << 64n) throw new RegisterFormatError('a proof nonce is a u64');
    out[1] |= FLAG_PROOF;
    new DataView(out.buffer).setBigUint64(NONCE_OFFSET, proofNonce, false);
  }
  return out;
}

/** Decodes a request body (empty: the legacy request); throws RegisterFormatError. */
export function decodeRegisterRequest(bytes: Uint8Array): RegisterRequest {
  if (bytes.length === 0) return {};
  if (bytes.length !== REGISTER_REQUEST_LENGTH) throw new RegisterFormatError(`a request is empty or ${REGISTER_REQUEST_LENGTH} bytes, got ${bytes.length}`);
  if (bytes[0] !== REGISTER_VERSION) throw new RegisterFormatError(`unknown request version ${bytes[0]}`);
  const flags = bytes[1];
  if ((flags & ~(FLAG_DELIVERY | FLAG_INVITE | FLAG_PROOF)) !== 0) throw new RegisterFormatError(`unknown flags 0x${flags.toString(16)}`);
  const zero = (from: number, length: number): boolean => bytes.subarray(from, from + length).every((b) => b === 0);
  const out: RegisterRequest = {};
  if (flags & FLAG_DELIVERY) {
    if (zero(DELIVERY_OFFSET, DELIVERY_ID_LENGTH)) throw new RegisterFormatError('the all-zero delivery id is the drop recipient');
    out.deliveryId = bytes.slice(DELIVERY_OFFSET, DELIVERY_OFFSET + DELIVERY_ID_LENGTH);
  } else if (!zero(DELIVERY_OFFSET, DELIVERY_ID_LENGTH)) throw new RegisterFormatError('an absent delivery id must be zeros');
  if (flags & FLAG_INVITE) out.inviteToken = bytes.slice(INVITE_OFFSET, INVITE_OFFSET + INVITE_TOKEN_LENGTH);
  else if (!zero(INVITE_OFFSET, INVITE_TOKEN_LENGTH)) throw new RegisterFormatError('an absent invite token must be zeros');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (flags & FLAG_PROOF) out.proofNonce = view.getBigUint64(NONCE_OFFSET, false);
  else if (!zero(NONCE_OFFSET, 8)) throw new RegisterFormatError('an absent proof nonce must be zero');
  return out;
}

/** The printable form of an invite token: 64 hex digits (what `chaff node invite` prints). */
export function formatInviteToken(token: Uint8Array): string {
  if (token.length !== INVITE_TOKEN_LENGTH) throw new RegisterFormatError(`an invite token is ${INVITE_TOKEN_LENGTH} bytes`);
  return toHex(token);
}

/** Parses a printed invite token; throws RegisterFormatError on anything but 64 hex digits. */
export function parseInviteToken(text: string): Uint8Array {
  const trimmed = text.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(trimmed)) throw new RegisterFormatError('an invite token is 64 hex digits, as `chaff node invite` prints it');
  return fromHex(trimmed);
}

/** The refusal reason of a gateway that wants a proof of `bits` bits (docs/gateway.md §Registration). */
export function proofRequiredMessage(bits: number): string {
  return `proof of work required: ${bits} bits`;
}

/** The bits a refusal reason asks for, or null if it is not a proof-required refusal. */
export function parseProofRequired(message: string): number | null {
  const m = /proof of work required: (\d+) bits/.exec(message);
  if (!m) return null;
  const bits = Number(m[1]);
  return Number.isInteger(bits) && bits >= 0 && bits <= MAX_PROOF_BITS ? bits : null;
}

/** Leading zero bits of `hash`. */
export function leadingZeroBits(hash: Uint8Array): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

function proofPrefix(gatewayKey: Uint8Array, clientKey: Uint8Array): ReturnType<typeof sha256.create> {
  if (gatewayKey.length !== 32 || clientKey.length !== 32) throw new RegisterFormatError('proof keys are 32-byte Ed25519 keys');
  return sha256.create().update(POW_DOMAIN).update(gatewayKey).update(clientKey);
}

function nonceBytes(nonce: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, nonce, false);
  return out;
}

/** Adds one to a big-endian counter in place (wrapping). */
function increment(counter: Uint8Array): void {
  for (let i = counter.length - 1; i >= 0; i--) {
    counter[i] = (counter[i] + 1) & 0xff;
    if (counter[i] !== 0) return;
  }
}

/** Whether `nonce` is a proof of at least `bits` bits for this gateway and client key. */
export function checkRegistrationProof(gatewayKey: Uint8Array, clientKey: Uint8Array, nonce: bigint, bits: number): boolean {
  if (bits <= 0) return true;
  return leadingZeroBits(proofPrefix(gatewayKey, clientKey).update(nonceBytes(nonce)).digest()) >= bits;
}

/**
 * Tries nonces `from` … `from + count − 1`; returns the first that is a
 * proof of `bits` bits, or null. Callers search in slices (about 2^16
 * hashes, ~0.1 s) and yield to their event loop between them.
 * Expected work: 2^bits hashes (0.5–2 µs each with @noble/hashes here).
 */
export function searchRegistrationProof(gatewayKey: Uint8Array, clientKey: Uint8Array, bits: number, from: bigint, count: number): bigint | null {
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_PROOF_BITS) throw new RegisterFormatError(`proof bits must be 0 … ${MAX_PROOF_BITS}`);
  const prefix = proofPrefix(gatewayKey, clientKey);
  // One hash state and one output buffer, reused: the prefix state is copied into it for each nonce.
  const state = prefix.clone();
  const digest = new Uint8Array(32);
  const tail = new Uint8Array(8);
  const view = new DataView(tail.buffer);
  view.setBigUint64(0, from, false);
  for (let i = 0; i < count; i++) {
    if (i > 0) increment(tail);
    prefix._cloneInto(state).update(tail).digestInto(digest);
    if (leadingZeroBits(digest) >= bits) return view.getBigUint64(0, false);
  }
  return null;
}

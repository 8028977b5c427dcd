// Admission views: which node identities one directory authority admits for
// one epoch, signed by that authority (docs/pki.md §Admission).
//
// A node enters the document for epoch E only when a strict majority of the
// configured authorities admit its identity key (for its role) in their
// views for E. Each authority signs its own view once per epoch, at its
// share step; the views travel with the descriptors in the share exchange
// and may be forwarded (they are signed), so every authority that holds the
// same descriptors and the same views selects the same nodes.
//
// Wire form (integers big-endian):
//
//   u64     epoch
//   32      authority identity key (Ed25519)
//   u32     count (≤ MAX_ADMITTED)
//   count × (32-byte node identity key ‖ u8 role)   sorted by key, no key twice
//   64      Ed25519(authority, "chaff-admission-v1\0" ‖ all the bytes above)
//
// role: 0 = any, 1 = mix, 2 = gateway.

import { abytes, concatBytes, ctEqual, toHex } from '../bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, type Ed25519PrivateKey, verify } from '../crypto/ed25519.js';
import type { NodeRole } from './descriptor.js';

export const ADMISSION_DOMAIN = 'chaff-admission-v1\0';
/** Most node identities one view may admit. */
export const MAX_ADMITTED = 4096;
const ENTRY_LENGTH = ED25519_PUBLIC_KEY_LENGTH + 1;
const HEADER_LENGTH = 8 + ED25519_PUBLIC_KEY_LENGTH + 4;
export const MAX_ADMISSION_VIEW_LENGTH = HEADER_LENGTH + MAX_ADMITTED * ENTRY_LENGTH + ED25519_SIGNATURE_LENGTH;

/** The roles an admission may name: null admits the identity in either role. */
export type AdmittedRole = NodeRole | null;
const ROLE_CODES: ReadonlyArray<AdmittedRole> = [null, 'mix', 'gateway'];

export interface AdmissionEntry {
  identityKey: Uint8Array;
  role: AdmittedRole;
}

export interface AdmissionView {
  epoch: number;
  authorityKey: Uint8Array;
  /** Sorted by identity key, each key once. */
  entries: AdmissionEntry[];
}

/** A view as it travels: the signed bytes (everything but the signature) and the signature. */
export interface SignedAdmissionView {
  bytes: Uint8Array;
  signature: Uint8Array;
}

export type AdmissionErrorCode = 'malformed' | 'truncated' | 'too-many' | 'unsorted' | 'bad-role' | 'bad-signature';

export class AdmissionError extends Error {
  readonly code: AdmissionErrorCode;
  constructor(code: AdmissionErrorCode, message: string) {
    super(`admission view: ${message}`);
    this.name = 'AdmissionError';
    this.code = code;
  }
}

const malformed = (message: string): AdmissionError => new AdmissionError('malformed', message);

function fail(code: AdmissionErrorCode, message: string): never {
  throw new AdmissionError(code, message);
}

const DOMAIN_BYTES = new TextEncoder().encode(ADMISSION_DOMAIN);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The view's bytes to sign: entries are sorted here, a key listed twice is an error. */
export function encodeAdmissionView(view: AdmissionView): Uint8Array {
  if (!Number.isSafeInteger(view.epoch) || view.epoch < 0) fail('malformed', 'epoch must be a non-negative safe integer');
  abytes(view.authorityKey, ED25519_PUBLIC_KEY_LENGTH, 'authority key', malformed);
  if (view.entries.length > MAX_ADMITTED) fail('too-many', `${view.entries.length} entries, at most ${MAX_ADMITTED}`);
  const entries = [...view.entries].sort((a, b) => compareBytes(a.identityKey, b.identityKey));
  const out = new Uint8Array(HEADER_LENGTH + entries.length * ENTRY_LENGTH);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(view.epoch));
  out.set(view.authorityKey, 8);
  dv.setUint32(8 + ED25519_PUBLIC_KEY_LENGTH, entries.length);
  let at = HEADER_LENGTH;
  entries.forEach((e, i) => {
    abytes(e.identityKey, ED25519_PUBLIC_KEY_LENGTH, 'identity key', malformed);
    if (i > 0 && compareBytes(entries[i - 1].identityKey, e.identityKey) === 0) fail('unsorted', 'an identity key is listed twice');
    const code = ROLE_CODES.indexOf(e.role);
    if (code < 0) fail('bad-role', `unknown role ${String(e.role)}`);
    out.set(e.identityKey, at);
    out[at + ED25519_PUBLIC_KEY_LENGTH] = code;
    at += ENTRY_LENGTH;
  });
  return out;
}

/** Parses the signed bytes of a view (not the signature). */
export function decodeAdmissionView(bytes: Uint8Array): AdmissionView {
  if (!(bytes instanceof Uint8Array)) fail('malformed', 'expected bytes');
  if (bytes.length < HEADER_LENGTH) fail('truncated', `${bytes.length} bytes, the header alone is ${HEADER_LENGTH}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const epoch = dv.getBigUint64(0);
  if (epoch > BigInt(Number.MAX_SAFE_INTEGER)) fail('malformed', 'epoch beyond 2^53 - 1');
  const count = dv.getUint32(8 + ED25519_PUBLIC_KEY_LENGTH);
  if (count > MAX_ADMITTED) fail('too-many', `${count} entries, at most ${MAX_ADMITTED}`);
  if (bytes.length !== HEADER_LENGTH + count * ENTRY_LENGTH) fail('truncated', `expected ${HEADER_LENGTH + count * ENTRY_LENGTH} bytes for ${count} entries, got ${bytes.length}`);
  const entries: AdmissionEntry[] = [];
  for (let i = 0, at = HEADER_LENGTH; i < count; i++, at += ENTRY_LENGTH) {
    const identityKey = bytes.slice(at, at + ED25519_PUBLIC_KEY_LENGTH);
    const code = bytes[at + ED25519_PUBLIC_KEY_LENGTH];
    if (code >= ROLE_CODES.length) fail('bad-role', `entry ${i} has role code ${code}`);
    if (i > 0 && compareBytes(entries[i - 1].identityKey, identityKey) >= 0) fail('unsorted', 'entries must be sorted by key, each key once');
    entries.push({ identityKey, role: ROLE_CODES[code] });
  }
  return { epoch: Number(epoch), authorityKey: bytes.slice(8, 8 + ED25519_PUBLIC_KEY_LENGTH), entries };
}

/** Signs `view` with the authority's key (which must be the view's authority key). */
export function signAdmissionView(view: AdmissionView, authority: Ed25519PrivateKey): SignedAdmissionView {
  if (!ctEqual(authority.publicKey, view.authorityKey)) fail('malformed', "the signing key is not the view's authority key");
  const bytes = encodeAdmissionView(view);
  return { bytes, signature: authority.sign(concatBytes(DOMAIN_BYTES, bytes)) };
}

/** Decodes the view and checks the signature by its own authority key. Throws AdmissionError. */
export function verifyAdmissionView(signed: SignedAdmissionView): AdmissionView {
  const view = decodeAdmissionView(signed.bytes);
  if (!(signed.signature instanceof Uint8Array) || signed.signature.length !== ED25519_SIGNATURE_LENGTH || !verify(view.authorityKey, concatBytes(DOMAIN_BYTES, signed.bytes), signed.signature)) {
    fail('bad-signature', 'the signature does not verify');
  }
  return view;
}

export function encodeSignedAdmissionView(signed: SignedAdmissionView): Uint8Array {
  return concatBytes(signed.bytes, signed.signature);
}

export function decodeSignedAdmissionView(wire: Uint8Array): SignedAdmissionView {
  if (!(wire instanceof Uint8Array) || wire.length < HEADER_LENGTH + ED25519_SIGNATURE_LENGTH) fail('truncated', 'too short for a signed view');
  if (wire.length > MAX_ADMISSION_VIEW_LENGTH) fail('too-many', `${wire.length} bytes, at most ${MAX_ADMISSION_VIEW_LENGTH}`);
  return { bytes: wire.slice(0, wire.length - ED25519_SIGNATURE_LENGTH), signature: wire.slice(wire.length - ED25519_SIGNATURE_LENGTH) };
}

/** Whether `view` admits `identityKey` in `role`. */
export function viewAdmits(view: AdmissionView, identityKey: Uint8Array, role: NodeRole): boolean {
  let lo = 0;
  let hi = view.entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareBytes(view.entries[mid].identityKey, identityKey);
    if (c === 0) return view.entries[mid].role === null || view.entries[mid].role === role;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * Of several valid views by one authority for one epoch (an authority that
 * signed twice), the one every holder keeps: the lowest signed bytes, then
 * the lowest signature. Deterministic, so the choice never splits the
 * authorities' documents.
 */
export function preferredView(a: SignedAdmissionView, b: SignedAdmissionView): SignedAdmissionView {
  const c = compareBytes(a.bytes, b.bytes);
  if (c !== 0) return c < 0 ? a : b;
  return compareBytes(a.signature, b.signature) <= 0 ? a : b;
}

/**
 * How many of the configured authorities admit `identityKey` in `role`,
 * counting each authority at most once (the views must already be verified
 * and for the right epoch; views by unconfigured keys are ignored).
 */
export function admissionCount(views: readonly AdmissionView[], authorityKeys: readonly Uint8Array[], identityKey: Uint8Array, role: NodeRole): number {
  const configured = new Set(authorityKeys.map(toHex));
  const counted = new Set<string>();
  for (const v of views) {
    const k = toHex(v.authorityKey);
    if (!configured.has(k) || counted.has(k)) continue;
    if (viewAdmits(v, identityKey, role)) counted.add(k);
  }
  return counted.size;
}

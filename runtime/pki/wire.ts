// Request bodies of the PKI RPC protocols (docs/pki.md §Network protocols).
// Each exchange is one node/net/rpc.ts stream; these are the bodies inside.
//
//   /chaff/pki/descriptor/1  signed descriptor wire form (descriptor ‖ 64-byte signature)
//   /chaff/pki/share/2       u64 epoch ‖ u16 count ‖ count × (u16 length ‖ signed descriptor)
//                            ‖ u16 views ‖ views × (u32 length ‖ signed admission view)
//   /chaff/pki/signature/1   u64 epoch ‖ u32 length ‖ document ‖ 32-byte signer key ‖ 64-byte signature
//   /chaff/pki/document/1    u64 epoch            (reply: encodeSignedDocument)
//
// All integers big-endian. Epochs must be safe integers (< 2^53).

import { MAX_DESCRIPTOR_LENGTH, DescriptorError, decodeSignedDescriptor, encodeSignedDescriptor, type SignedDescriptor } from '../../protocol/pki/descriptor.js';
import { MAX_DOCUMENT_LENGTH } from '../../protocol/pki/document.js';
import { MAX_SIGNATURES, type DocumentSignature } from '../../protocol/pki/signatures.js';
import { AdmissionError, decodeSignedAdmissionView, encodeSignedAdmissionView, MAX_ADMISSION_VIEW_LENGTH, type SignedAdmissionView } from '../../protocol/pki/admission.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH } from '../../protocol/crypto/ed25519.js';

export const PKI_PROTOCOLS = {
  descriptor: '/chaff/pki/descriptor/1',
  // Version 2 carries the authorities' signed admission views (docs/pki.md §Admission).
  share: '/chaff/pki/share/2',
  signature: '/chaff/pki/signature/1',
  document: '/chaff/pki/document/1',
} as const;
export type PkiProtocol = keyof typeof PKI_PROTOCOLS;

export const MAX_SIGNED_DESCRIPTOR_LENGTH = MAX_DESCRIPTOR_LENGTH + ED25519_SIGNATURE_LENGTH;
/** Most descriptors one share request may carry. */
export const MAX_SHARED_DESCRIPTORS = 2048;
/** Most admission views one share request may carry (one per configured authority). */
export const MAX_SHARED_VIEWS = 32;

/** Largest request body per protocol (the RPC server's bound). */
export const MAX_REQUEST_BYTES: Record<PkiProtocol, number> = {
  descriptor: MAX_SIGNED_DESCRIPTOR_LENGTH,
  share: 8 + 2 + MAX_SHARED_DESCRIPTORS * (2 + MAX_SIGNED_DESCRIPTOR_LENGTH) + 2 + MAX_SHARED_VIEWS * (4 + MAX_ADMISSION_VIEW_LENGTH),
  signature: 8 + 4 + MAX_DOCUMENT_LENGTH + ED25519_PUBLIC_KEY_LENGTH + ED25519_SIGNATURE_LENGTH,
  document: 8,
};
/** Largest reply to a document request: a signed document with the most signatures. */
export const MAX_DOCUMENT_RESPONSE_BYTES = 4 + MAX_DOCUMENT_LENGTH + 2 + MAX_SIGNATURES * (ED25519_PUBLIC_KEY_LENGTH + ED25519_SIGNATURE_LENGTH);

export type PkiWireErrorCode = 'truncated' | 'trailing' | 'oversize' | 'bad-epoch' | 'too-many' | 'malformed';

export class PkiWireError extends Error {
  readonly code: PkiWireErrorCode;
  constructor(code: PkiWireErrorCode, message: string) {
    super(`pki wire: ${message}`);
    this.name = 'PkiWireError';
    this.code = code;
  }
}

function fail(code: PkiWireErrorCode, message: string): never {
  throw new PkiWireError(code, message);
}

class Reader {
  #at = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) fail('malformed', 'expected bytes');
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  #need(n: number, what: string): void {
    if (this.bytes.length - this.#at < n) fail('truncated', `${what}: needs ${n} bytes, ${this.bytes.length - this.#at} left`);
  }
  u16(what: string): number {
    this.#need(2, what);
    const v = this.#view.getUint16(this.#at);
    this.#at += 2;
    return v;
  }
  u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#at);
    this.#at += 4;
    return v;
  }
  epoch(): number {
    this.#need(8, 'epoch');
    const v = this.#view.getBigUint64(this.#at);
    this.#at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('bad-epoch', 'epoch beyond 2^53 - 1');
    return Number(v);
  }
  take(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.bytes.slice(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  end(): void {
    if (this.#at !== this.bytes.length) fail('trailing', `${this.bytes.length - this.#at} bytes after the message`);
  }
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) fail('bad-epoch', 'epoch must be a non-negative safe integer');
}

function u64(epoch: number): Uint8Array {
  checkEpoch(epoch);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(epoch));
  return out;
}

// ------------------------------------------------------------ descriptor

export function encodeDescriptorRequest(signed: SignedDescriptor): Uint8Array {
  return encodeSignedDescriptor(signed);
}

/** Splits the upload body (the signature is checked by the authority's rules, not here). */
export function decodeDescriptorRequest(body: Uint8Array): SignedDescriptor {
  try {
    return decodeSignedDescriptor(body);
  } catch (err) {
    if (err instanceof DescriptorError) fail(err.code === 'oversize' ? 'oversize' : 'truncated', err.message);
    throw err;
  }
}

// ------------------------------------------------------------ share

export interface ShareRequest {
  epoch: number;
  descriptors: SignedDescriptor[];
  /** Signed admission views for `epoch` (docs/pki.md §Admission). */
  views: SignedAdmissionView[];
}

export function encodeShareRequest(req: ShareRequest): Uint8Array {
  if (req.descriptors.length > MAX_SHARED_DESCRIPTORS) fail('too-many', `more than ${MAX_SHARED_DESCRIPTORS} descriptors`);
  if (req.views.length > MAX_SHARED_VIEWS) fail('too-many', `more than ${MAX_SHARED_VIEWS} admission views`);
  const wires = req.descriptors.map(encodeSignedDescriptor);
  for (const w of wires) if (w.length > MAX_SIGNED_DESCRIPTOR_LENGTH) fail('oversize', 'signed descriptor too long');
  const views = req.views.map(encodeSignedAdmissionView);
  for (const v of views) if (v.length > MAX_ADMISSION_VIEW_LENGTH) fail('oversize', 'admission view too long');
  const out = new Uint8Array(10 + wires.reduce((n, w) => n + 2 + w.length, 0) + 2 + views.reduce((n, v) => n + 4 + v.length, 0));
  const view = new DataView(out.buffer);
  out.set(u64(req.epoch), 0);
  view.setUint16(8, wires.length);
  let at = 10;
  for (const w of wires) {
    view.setUint16(at, w.length);
    out.set(w, at + 2);
    at += 2 + w.length;
  }
  view.setUint16(at, views.length);
  at += 2;
  for (const v of views) {
    view.setUint32(at, v.length);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  return out;
}

export function decodeShareRequest(body: Uint8Array): ShareRequest {
  const r = new Reader(body);
  const epoch = r.epoch();
  const count = r.u16('count');
  if (count > MAX_SHARED_DESCRIPTORS) fail('too-many', `${count} descriptors, at most ${MAX_SHARED_DESCRIPTORS}`);
  const descriptors: SignedDescriptor[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.u16('descriptor length');
    if (length > MAX_SIGNED_DESCRIPTOR_LENGTH) fail('oversize', `descriptor ${i} is ${length} bytes`);
    if (length <= ED25519_SIGNATURE_LENGTH) fail('malformed', `descriptor ${i} is too short`);
    descriptors.push(decodeSignedDescriptor(r.take(length, 'descriptor')));
  }
  const viewCount = r.u16('view count');
  if (viewCount > MAX_SHARED_VIEWS) fail('too-many', `${viewCount} admission views, at most ${MAX_SHARED_VIEWS}`);
  const views: SignedAdmissionView[] = [];
  for (let i = 0; i < viewCount; i++) {
    const length = r.u32('view length');
    if (length > MAX_ADMISSION_VIEW_LENGTH) fail('oversize', `admission view ${i} is ${length} bytes`);
    try {
      views.push(decodeSignedAdmissionView(r.take(length, 'admission view')));
    } catch (err) {
      if (err instanceof AdmissionError) fail('malformed', err.message);
      throw err;
    }
  }
  r.end();
  return { epoch, descriptors, views };
}

// ------------------------------------------------------------ signature

export interface SignatureRequest {
  epoch: number;
  document: Uint8Array;
  signature: DocumentSignature;
}

export function encodeSignatureRequest(req: SignatureRequest): Uint8Array {
  if (req.document.length > MAX_DOCUMENT_LENGTH) fail('oversize', 'document too long');
  if (req.signature.identityKey.length !== ED25519_PUBLIC_KEY_LENGTH || req.signature.signature.length !== ED25519_SIGNATURE_LENGTH) {
    fail('malformed', 'signature entry of the wrong size');
  }
  const out = new Uint8Array(12 + req.document.length + 96);
  out.set(u64(req.epoch), 0);
  new DataView(out.buffer).setUint32(8, req.document.length);
  out.set(req.document, 12);
  out.set(req.signature.identityKey, 12 + req.document.length);
  out.set(req.signature.signature, 12 + req.document.length + 32);
  return out;
}

export function decodeSignatureRequest(body: Uint8Array): SignatureRequest {
  const r = new Reader(body);
  const epoch = r.epoch();
  const length = r.u32('document length');
  if (length > MAX_DOCUMENT_LENGTH) fail('oversize', `document of ${length} bytes`);
  const document = r.take(length, 'document');
  const identityKey = r.take(ED25519_PUBLIC_KEY_LENGTH, 'signer key');
  const signature = r.take(ED25519_SIGNATURE_LENGTH, 'signature');
  r.end();
  return { epoch, document, signature: { identityKey, signature } };
}

// ------------------------------------------------------------ document

export function encodeDocumentRequest(epoch: number): Uint8Array {
  return u64(epoch);
}

export function decodeDocumentRequest(body: Uint8Array): number {
  const r = new Reader(body);
  const epoch = r.epoch();
  r.end();
  return epoch;
}

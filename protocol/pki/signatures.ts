// Threshold signatures on topology documents (docs/pki.md §Signatures).
//
// Each authority signs "chaff-document-sig-v1\0" || SHA-256(document bytes).
// A document is usable only with valid signatures from a majority,
// floor(n/2) + 1, of the n configured authorities: one authority's word is
// never enough (Katzenpost issue #178), and two disjoint majorities cannot
// both exist, so two conflicting documents cannot both be valid unless a
// majority signed both.

import { abytes, concatBytes, toHex } from '../bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, Ed25519KeyError, Ed25519PrivateKey, verify } from '../crypto/ed25519.js';
import { decodeDocument, documentDigest, MAX_DOCUMENT_LENGTH, type Document } from './document.js';
import { epochAt } from './epoch.js';

export const DOCUMENT_SIGNATURE_DOMAIN = 'chaff-document-sig-v1\0';
/** More signatures than this in one signed document is refused as malformed. */
export const MAX_SIGNATURES = 256;

const DOMAIN_BYTES = new TextEncoder().encode(DOCUMENT_SIGNATURE_DOMAIN);

export interface DocumentSignature {
  /** The signing authority's Ed25519 identity public key. */
  identityKey: Uint8Array;
  signature: Uint8Array;
}

/** A document's canonical bytes and the signatures collected for them. */
export interface SignedDocument {
  document: Uint8Array;
  signatures: DocumentSignature[];
}

export type SignatureErrorCode = 'threshold' | 'no-authorities' | 'mismatched-documents' | 'malformed' | 'wrong-epoch';

export class DocumentSignatureError extends Error {
  readonly code: SignatureErrorCode;
  /** For 'threshold': distinct configured authorities whose signature verified. */
  readonly valid: number;
  /** For 'threshold': how many were needed. */
  readonly needed: number;
  constructor(code: SignatureErrorCode, message: string, valid = 0, needed = 0) {
    super(`document signatures: ${message}`);
    this.name = 'DocumentSignatureError';
    this.code = code;
    this.valid = valid;
    this.needed = needed;
  }
}

/** floor(n/2) + 1: a strict majority of n authorities. */
export function threshold(n: number): number {
  return Math.floor(n / 2) + 1;
}

function message(documentBytes: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN_BYTES, documentDigest(documentBytes));
}

/** An authority's signature over these exact document bytes. */
export function signDocument(documentBytes: Uint8Array, authority: Ed25519PrivateKey): DocumentSignature {
  return { identityKey: Uint8Array.from(authority.publicKey), signature: authority.sign(message(documentBytes)) };
}

function isWellFormed(s: DocumentSignature): boolean {
  return (
    s !== null &&
    typeof s === 'object' &&
    s.identityKey instanceof Uint8Array &&
    s.identityKey.length === ED25519_PUBLIC_KEY_LENGTH &&
    s.signature instanceof Uint8Array &&
    s.signature.length === ED25519_SIGNATURE_LENGTH
  );
}

/**
 * The configured authorities (hex keys) whose signature in `signed` verifies
 * over `signed.document`. Unknown signers and malformed entries are ignored;
 * an authority counts once however many times it appears.
 */
export function validSigners(signed: SignedDocument, authorityKeys: readonly Uint8Array[]): Set<string> {
  const configured = new Set(authorityKeys.map(toHex));
  const valid = new Set<string>();
  const msg = message(signed.document);
  for (const s of signed.signatures) {
    if (!isWellFormed(s)) continue;
    const key = toHex(s.identityKey);
    if (!configured.has(key) || valid.has(key)) continue;
    if (verify(s.identityKey, msg, s.signature)) valid.add(key);
  }
  return valid;
}

function distinctAuthorities(authorityKeys: readonly Uint8Array[]): number {
  if (!Array.isArray(authorityKeys) || authorityKeys.length === 0) {
    throw new DocumentSignatureError('no-authorities', 'no authorities configured');
  }
  for (const k of authorityKeys) {
    abytes(k, ED25519_PUBLIC_KEY_LENGTH, 'document signatures: authority key', (message) => new Ed25519KeyError(message));
  }
  return new Set(authorityKeys.map(toHex)).size;
}

/**
 * The decoded document, only if signatures from at least floor(n/2) + 1
 * distinct configured authorities (n = distinct configured keys) verify over
 * these exact bytes. With `nowMs`, the document must also be for the current
 * epoch or the next one (documents are fetched ahead of the boundary).
 * Throws DocumentSignatureError ('threshold' says how many were valid of how
 * many needed) or DocumentError for undecodable bytes.
 */
export function verifyDocument(signed: SignedDocument, authorityKeys: readonly Uint8Array[], nowMs?: number): Document {
  if (signed === null || typeof signed !== 'object' || !(signed.document instanceof Uint8Array) || !Array.isArray(signed.signatures)) {
    throw new DocumentSignatureError('malformed', 'expected {document, signatures}');
  }
  const n = distinctAuthorities(authorityKeys);
  const needed = threshold(n);
  const valid = validSigners(signed, authorityKeys).size;
  if (valid < needed) {
    throw new DocumentSignatureError('threshold', `${valid} valid of ${needed} needed (${n} authorities)`, valid, needed);
  }
  const doc = decodeDocument(signed.document);
  if (nowMs !== undefined) {
    const current = epochAt(nowMs, doc.params);
    if (doc.epoch !== current && doc.epoch !== current + 1) {
      throw new DocumentSignatureError('wrong-epoch', `document is for epoch ${doc.epoch}, current epoch is ${current}`);
    }
  }
  return doc;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Merges the signature sets several authorities hold for the same document
 * bytes. Throws 'mismatched-documents' if the bytes differ. Exact duplicates
 * are dropped; with `authorityKeys`, only one valid signature per configured
 * authority is kept. The result is sorted by signer key, then signature.
 */
export function mergeSignatures(signedDocuments: readonly SignedDocument[], authorityKeys?: readonly Uint8Array[]): SignedDocument {
  if (!Array.isArray(signedDocuments) || signedDocuments.length === 0) {
    throw new DocumentSignatureError('malformed', 'nothing to merge');
  }
  const document = signedDocuments[0].document;
  const byPair = new Map<string, DocumentSignature>();
  for (const sd of signedDocuments) {
    if (!(sd.document instanceof Uint8Array) || !sameBytes(sd.document, document)) {
      throw new DocumentSignatureError('mismatched-documents', 'cannot merge signatures over different documents');
    }
    for (const s of sd.signatures) {
      if (!isWellFormed(s)) continue;
      byPair.set(toHex(s.identityKey) + toHex(s.signature), { identityKey: Uint8Array.from(s.identityKey), signature: Uint8Array.from(s.signature) });
    }
  }
  let signatures = [...byPair.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  if (authorityKeys) {
    const configured = new Set(authorityKeys.map(toHex));
    const msg = message(document);
    const kept = new Set<string>();
    signatures = signatures.filter((s) => {
      const key = toHex(s.identityKey);
      if (!configured.has(key) || kept.has(key) || !verify(s.identityKey, msg, s.signature)) return false;
      kept.add(key);
      return true;
    });
  }
  if (signatures.length > MAX_SIGNATURES) throw new DocumentSignatureError('malformed', `more than ${MAX_SIGNATURES} signatures`);
  return { document: Uint8Array.from(document), signatures };
}

/**
 * Wire form: u32 BE document length || document || u16 BE count ||
 * count × (32-byte identity key || 64-byte signature).
 */
export function encodeSignedDocument(signed: SignedDocument): Uint8Array {
  const count = signed.signatures.length;
  if (count > MAX_SIGNATURES) throw new DocumentSignatureError('malformed', `more than ${MAX_SIGNATURES} signatures`);
  const out = new Uint8Array(4 + signed.document.length + 2 + count * 96);
  const view = new DataView(out.buffer);
  view.setUint32(0, signed.document.length);
  out.set(signed.document, 4);
  let o = 4 + signed.document.length;
  view.setUint16(o, count);
  o += 2;
  for (const s of signed.signatures) {
    if (!isWellFormed(s)) throw new DocumentSignatureError('malformed', 'signature entry of the wrong size');
    out.set(s.identityKey, o);
    out.set(s.signature, o + 32);
    o += 96;
  }
  return out;
}

/** Parses the wire form (no verification: call verifyDocument). */
export function decodeSignedDocument(wire: Uint8Array, maxDocumentLength = MAX_DOCUMENT_LENGTH): SignedDocument {
  const bad = (m: string): never => {
    throw new DocumentSignatureError('malformed', m);
  };
  if (!(wire instanceof Uint8Array) || wire.length < 6) bad('signed document too short');
  const view = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
  const docLength = view.getUint32(0);
  if (docLength > maxDocumentLength) bad('document too long');
  if (wire.length < 4 + docLength + 2) bad('signed document truncated');
  const count = view.getUint16(4 + docLength);
  if (count > MAX_SIGNATURES) bad(`more than ${MAX_SIGNATURES} signatures`);
  if (wire.length !== 4 + docLength + 2 + count * 96) bad('signed document length does not match its signature count');
  const signatures: DocumentSignature[] = [];
  let o = 4 + docLength + 2;
  for (let i = 0; i < count; i++, o += 96) {
    signatures.push({ identityKey: wire.slice(o, o + 32), signature: wire.slice(o + 32, o + 96) });
  }
  return { document: wire.slice(4, 4 + docLength), signatures };
}

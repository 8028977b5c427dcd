// The topology document for one epoch: the network's parameters, its
// gateways and its mix layers, built deterministically by every directory
// authority from the descriptors it holds (docs/pki.md §Document, §Build).
// Same canonical JSON rules as descriptors (descriptor.ts).

import { abytes, fromHex, toHex } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { ED25519_PUBLIC_KEY_LENGTH } from '../crypto/ed25519.js';
import { geometryFromUserForwardPayloadLength, type GeometryParams } from '../sphinx/geometry.js';
import { canonicalJson, parseCanonicalJson, type CanonicalValue } from './canonical-json.js';
import { descriptorDigest, DescriptorError, familyFromCanonical, validateDescriptor, verifyDescriptor, type Descriptor, type NodeRole, type SignedDescriptor } from './descriptor.js';
import { nodeIdOf } from './node-id.js';

export const DOCUMENT_VERSION = 1;
export const MAX_DOCUMENT_LENGTH = 8 * 1024 * 1024;
export const MAX_LAYERS = 16;

/** The network's parameters, published in every document. Rates are per second. */
export interface NetworkParams {
  /** Per-hop delay rate: a mix holds a packet Exp(mu), mean 1/mu seconds. */
  mu: number;
  /** Client real-or-drop rate. */
  lambdaP: number;
  /** Client loop cover rate. */
  lambdaL: number;
  /** Client drop cover rate. */
  lambdaD: number;
  /** Mix loop cover rate. */
  lambdaM: number;
  geometry: GeometryParams;
  /** Unix ms at which epoch 0 starts. */
  genesisMs: number;
  epochDurationMs: number;
  /** Number of mix layers. */
  layers: number;
}

/** One node as a document lists it. */
export interface NodeEntry {
  identityKey: Uint8Array;
  nodeId: Uint8Array;
  name: string;
  addresses: string[];
  /** X25519 Sphinx public keys for the document's epoch and the next one. */
  sphinxKeys: { current: Uint8Array; next: Uint8Array };
  /** The node's family declaration, copied from its descriptor (absent: none; protocol/pki/families.ts). */
  family?: Uint8Array[];
}

export interface Document {
  version: number;
  epoch: number;
  params: NetworkParams;
  /** Sorted by node id. */
  gateways: NodeEntry[];
  /** params.layers arrays, each sorted by node id. */
  layers: NodeEntry[][];
}

export type DocumentErrorCode = 'malformed' | 'oversize' | 'bad-params' | 'bad-entry' | 'bad-version';

export class DocumentError extends Error {
  readonly code: DocumentErrorCode;
  constructor(code: DocumentErrorCode, message: string) {
    super(`document: ${message}`);
    this.name = 'DocumentError';
    this.code = code;
  }
}

function fail(code: DocumentErrorCode, message: string): never {
  throw new DocumentError(code, message);
}

// ---------------------------------------------------------------- validation

function rate(v: unknown, name: string, positive: boolean): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    fail('bad-params', `${name} must be a finite ${positive ? 'positive' : 'non-negative'} number`);
  }
}

/** Checks the network parameters; throws DocumentError('bad-params'). */
export function validateParams(p: NetworkParams): void {
  if (p === null || typeof p !== 'object') fail('bad-params', 'expected an object');
  rate(p.mu, 'mu', true);
  rate(p.lambdaP, 'lambdaP', false);
  rate(p.lambdaL, 'lambdaL', false);
  rate(p.lambdaD, 'lambdaD', false);
  rate(p.lambdaM, 'lambdaM', false);
  if (!Number.isSafeInteger(p.genesisMs) || p.genesisMs < 0) fail('bad-params', 'genesisMs must be a non-negative integer');
  if (!Number.isSafeInteger(p.epochDurationMs) || p.epochDurationMs <= 0) fail('bad-params', 'epochDurationMs must be a positive integer');
  if (!Number.isInteger(p.layers) || p.layers < 1 || p.layers > MAX_LAYERS) fail('bad-params', `layers must be 1..${MAX_LAYERS}`);
  const g = p.geometry;
  if (g === null || typeof g !== 'object' || typeof g.withSURB !== 'boolean') fail('bad-params', 'geometry must be {nike, nrHops, userForwardPayloadLength, withSURB}');
  try {
    geometryFromUserForwardPayloadLength(g);
  } catch (err) {
    fail('bad-params', `geometry: ${(err as Error).message}`);
  }
}

const HEX32 = /^[0-9a-f]{64}$/;

function hex32(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !HEX32.test(v)) fail('bad-entry', `${what} must be 32 bytes of lower-case hex`);
  return fromHex(v);
}

function entryFromDescriptor(d: Descriptor, epoch: number): NodeEntry {
  return {
    identityKey: Uint8Array.from(d.identityKey),
    nodeId: nodeIdOf(d.identityKey),
    name: d.name,
    addresses: [...d.addresses],
    sphinxKeys: { current: Uint8Array.from(d.sphinxKeys.get(epoch)!), next: Uint8Array.from(d.sphinxKeys.get(epoch + 1)!) },
    ...(d.family?.length ? { family: d.family.map((k) => Uint8Array.from(k)) } : {}),
  };
}

// An entry is checked by rebuilding the descriptor fields it came from.
function validateEntry(e: NodeEntry, epoch: number, role: NodeRole): void {
  if (e === null || typeof e !== 'object' || e.sphinxKeys === null || typeof e.sphinxKeys !== 'object') fail('bad-entry', 'expected a node entry');
  abytes(e.identityKey, ED25519_PUBLIC_KEY_LENGTH, 'identityKey', (message) => new DocumentError('bad-entry', message));
  try {
    validateDescriptor({
      identityKey: e.identityKey,
      name: e.name,
      role,
      addresses: e.addresses,
      epoch,
      sphinxKeys: new Map([
        [epoch, e.sphinxKeys.current],
        [epoch + 1, e.sphinxKeys.next],
      ]),
      version: 0,
      ...(e.family !== undefined ? { family: e.family } : {}),
    });
  } catch (err) {
    fail('bad-entry', (err as DescriptorError).message);
  }
  if (!(e.nodeId instanceof Uint8Array) || toHex(e.nodeId) !== toHex(nodeIdOf(e.identityKey))) fail('bad-entry', 'nodeId does not match identityKey');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function sortedByNodeId(entries: NodeEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (compareBytes(entries[i - 1].nodeId, entries[i].nodeId) >= 0) return false;
  return true;
}

/** Checks a whole document (structure, params, entries, order, no node listed twice). */
export function validateDocument(doc: Document): void {
  if (doc === null || typeof doc !== 'object') fail('malformed', 'expected an object');
  if (doc.version !== DOCUMENT_VERSION) fail('bad-version', `format version ${String(doc.version)} is not one this node reads (${DOCUMENT_VERSION}): docs/compatibility.md`);
  if (!Number.isSafeInteger(doc.epoch) || doc.epoch < 0 || !Number.isSafeInteger(doc.epoch + 2)) fail('malformed', 'epoch must be a non-negative integer');
  validateParams(doc.params);
  if (!Array.isArray(doc.gateways) || !Array.isArray(doc.layers)) fail('malformed', 'gateways and layers must be arrays');
  if (doc.layers.length !== doc.params.layers) fail('malformed', `expected ${doc.params.layers} layers`);
  const seen = new Set<string>();
  const check = (list: NodeEntry[], role: NodeRole): void => {
    if (!Array.isArray(list)) fail('malformed', 'a layer must be an array');
    for (const e of list) {
      validateEntry(e, doc.epoch, role);
      const id = toHex(e.nodeId);
      if (seen.has(id)) fail('bad-entry', 'a node is listed twice');
      seen.add(id);
    }
    if (!sortedByNodeId(list)) fail('malformed', 'entries must be sorted by node id');
  };
  check(doc.gateways, 'gateway');
  for (const layer of doc.layers) check(layer, 'mix');
}

// ---------------------------------------------------------------- encoding

function entryToCanonical(e: NodeEntry): CanonicalValue {
  return {
    addresses: [...e.addresses],
    identityKey: toHex(e.identityKey),
    name: e.name,
    nodeId: toHex(e.nodeId),
    sphinxKeys: { current: toHex(e.sphinxKeys.current), next: toHex(e.sphinxKeys.next) },
    // Only when declared: a document without families keeps its earlier bytes.
    ...(e.family?.length ? { family: e.family.map(toHex) } : {}),
  };
}

/** The canonical bytes of a document (validated first). */
export function encodeDocument(doc: Document): Uint8Array {
  validateDocument(doc);
  const p = doc.params;
  const bytes = canonicalJson({
    epoch: doc.epoch,
    gateways: doc.gateways.map(entryToCanonical),
    layers: doc.layers.map((l) => l.map(entryToCanonical)),
    params: {
      epochDurationMs: p.epochDurationMs,
      genesisMs: p.genesisMs,
      geometry: {
        nike: p.geometry.nike,
        nrHops: p.geometry.nrHops,
        userForwardPayloadLength: p.geometry.userForwardPayloadLength,
        withSURB: p.geometry.withSURB,
      },
      lambdaD: p.lambdaD,
      lambdaL: p.lambdaL,
      lambdaM: p.lambdaM,
      lambdaP: p.lambdaP,
      layers: p.layers,
      mu: p.mu,
    },
    version: doc.version,
  });
  if (bytes.length > MAX_DOCUMENT_LENGTH) fail('oversize', `encoding exceeds ${MAX_DOCUMENT_LENGTH} bytes`);
  return bytes;
}

/** SHA-256 of the document's canonical bytes. */
export function documentDigest(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactFields(v: unknown, fields: string[], what: string): Record<string, unknown> {
  if (!isObject(v) || Object.keys(v).sort().join() !== fields.join()) fail('malformed', `${what} must have exactly the fields ${fields.join(', ')}`);
  return v;
}

const ENTRY_FIELDS = ['addresses', 'identityKey', 'name', 'nodeId', 'sphinxKeys'];

function entryFromCanonical(v: unknown): NodeEntry {
  const o = exactFields(v, isObject(v) && 'family' in v ? [...ENTRY_FIELDS, 'family'].sort() : ENTRY_FIELDS, 'a node entry');
  const k = exactFields(o.sphinxKeys, ['current', 'next'], 'sphinxKeys');
  return {
    identityKey: hex32(o.identityKey, 'identityKey'),
    nodeId: hex32(o.nodeId, 'nodeId'),
    name: o.name as string,
    addresses: o.addresses as string[],
    sphinxKeys: { current: hex32(k.current, 'Sphinx key'), next: hex32(k.next, 'Sphinx key') },
    ...('family' in o ? { family: familyFromCanonical(o.family, (m) => fail('bad-entry', m)) } : {}),
  };
}

function listOf(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) fail('malformed', `${what} must be an array`);
  return v;
}

/** Decodes and validates canonical document bytes. Throws DocumentError. */
export function decodeDocument(bytes: Uint8Array): Document {
  if (!(bytes instanceof Uint8Array)) fail('malformed', 'expected bytes');
  if (bytes.length > MAX_DOCUMENT_LENGTH) fail('oversize', `encoding exceeds ${MAX_DOCUMENT_LENGTH} bytes`);
  const v = exactFields(parseCanonicalJson(bytes), ['epoch', 'gateways', 'layers', 'params', 'version'], 'a document');
  const p = exactFields(v.params, ['epochDurationMs', 'genesisMs', 'geometry', 'lambdaD', 'lambdaL', 'lambdaM', 'lambdaP', 'layers', 'mu'], 'params');
  const g = exactFields(p.geometry, ['nike', 'nrHops', 'userForwardPayloadLength', 'withSURB'], 'geometry');
  const doc: Document = {
    version: v.version as number,
    epoch: v.epoch as number,
    params: { ...(p as unknown as NetworkParams), geometry: { ...(g as unknown as GeometryParams) } },
    gateways: listOf(v.gateways, 'gateways').map(entryFromCanonical),
    layers: listOf(v.layers, 'layers').map((l) => listOf(l, 'a layer').map(entryFromCanonical)),
  };
  validateDocument(doc);
  return doc;
}

// ---------------------------------------------------------------- build

/** Why a descriptor was left out of a document. */
export interface RejectedDescriptor {
  /** Hex identity key when the bytes decoded that far, else undefined. */
  identityKey: string | undefined;
  reason: string;
}

/**
 * The descriptors a document for `epoch` is built from: each verified, for
 * this epoch, and one per identity (highest version, then lowest SHA-256 of
 * the descriptor bytes). Returned sorted by node id.
 */
export function selectDescriptors(epoch: number, descriptors: readonly SignedDescriptor[]): { accepted: Descriptor[]; rejected: RejectedDescriptor[] } {
  const best = new Map<string, { d: Descriptor; digest: Uint8Array }>();
  const rejected: RejectedDescriptor[] = [];
  for (const signed of descriptors) {
    let d: Descriptor;
    try {
      d = verifyDescriptor(signed);
    } catch (err) {
      rejected.push({ identityKey: undefined, reason: err instanceof DescriptorError ? err.message : 'malformed descriptor' });
      continue;
    }
    const key = toHex(d.identityKey);
    if (d.epoch !== epoch) {
      rejected.push({ identityKey: key, reason: `descriptor is for epoch ${d.epoch}, not ${epoch}` });
      continue;
    }
    const digest = descriptorDigest(signed);
    const held = best.get(key);
    if (!held || d.version > held.d.version || (d.version === held.d.version && compareBytes(digest, held.digest) < 0)) {
      if (held && compareBytes(digest, held.digest) !== 0) rejected.push({ identityKey: key, reason: 'superseded by another descriptor' });
      best.set(key, { d, digest });
    } else if (compareBytes(digest, held.digest) !== 0) {
      rejected.push({ identityKey: key, reason: 'superseded by another descriptor' });
    }
  }
  const accepted = [...best.values()]
    .map(({ d }) => ({ d, id: nodeIdOf(d.identityKey) }))
    .sort((a, b) => compareBytes(a.id, b.id))
    .map(({ d }) => d);
  return { accepted, rejected };
}

/**
 * Assigns mixes (sorted by node id) to `layerCount` layers, balanced:
 * a mix stays in its previous layer when that layer still exists; new mixes go,
 * in node-id order, to the smallest layer (lowest index on ties); then, while
 * the largest and smallest layers differ by more than one, the mix with the
 * highest node id moves from the largest layer (lowest index on ties) to the
 * smallest (lowest index on ties).
 */
export function assignLayers(mixes: NodeEntry[], layerCount: number, previous?: Document): NodeEntry[][] {
  const prevLayer = new Map<string, number>();
  if (previous) {
    previous.layers.forEach((layer, i) => {
      if (i < layerCount) for (const e of layer) prevLayer.set(toHex(e.nodeId), i);
    });
  }
  const layers: NodeEntry[][] = Array.from({ length: layerCount }, () => []);
  const sorted = [...mixes].sort((a, b) => compareBytes(a.nodeId, b.nodeId));
  const fresh: NodeEntry[] = [];
  for (const m of sorted) {
    const i = prevLayer.get(toHex(m.nodeId));
    if (i === undefined) fresh.push(m);
    else layers[i].push(m);
  }
  const smallest = (): number => layers.reduce((best, l, i) => (l.length < layers[best].length ? i : best), 0);
  const largest = (): number => layers.reduce((best, l, i) => (l.length > layers[best].length ? i : best), 0);
  for (const m of fresh) layers[smallest()].push(m);
  for (;;) {
    const big = largest();
    const small = smallest();
    if (layers[big].length - layers[small].length <= 1) break;
    layers[big].sort((a, b) => compareBytes(a.nodeId, b.nodeId));
    layers[small].push(layers[big].pop()!);
  }
  for (const l of layers) l.sort((a, b) => compareBytes(a.nodeId, b.nodeId));
  return layers;
}

/**
 * The document for `epoch`, the same for every authority that holds the same
 * descriptors (in any order) and the same previous document. Invalid
 * descriptors and descriptors for other epochs are left out.
 */
export function buildDocument(epoch: number, params: NetworkParams, descriptors: readonly SignedDescriptor[], previousDocument?: Document): Document {
  validateParams(params);
  if (!Number.isSafeInteger(epoch) || epoch < 0) fail('malformed', 'epoch must be a non-negative integer');
  const { accepted } = selectDescriptors(epoch, descriptors);
  const gateways = accepted.filter((d) => d.role === 'gateway').map((d) => entryFromDescriptor(d, epoch));
  const mixes = accepted.filter((d) => d.role === 'mix').map((d) => entryFromDescriptor(d, epoch));
  const doc: Document = {
    version: DOCUMENT_VERSION,
    epoch,
    params: { ...params, geometry: { ...params.geometry } },
    gateways,
    layers: assignLayers(mixes, params.layers, previousDocument),
  };
  validateDocument(doc);
  return doc;
}

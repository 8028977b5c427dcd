// A signed membership operation (docs/groups.md §Ops). The membership of a
// group is whatever the set of its ops resolves to (membership.ts); each op
// names the ops its author had seen (its dependencies, by id), so the ops form
// a DAG and "concurrent" has a meaning without any clock or server.
//
// Encoding (all integers big-endian), 129 + 32·d + b bytes:
//   offset     size  field
//        0        1  version = 1
//        1       16  group id
//       17        1  kind (OP_KIND below)
//       18       32  author: Ed25519 identity key
//       50        4  Lamport time, u32: 0 for create, else 1 + the largest of the dependencies'
//       54        8  author's clock, f64 ms since the Unix epoch (shown to users, never trusted for order)
//       62        1  dependency count d: 0 for create, 1 … MAX_OP_DEPS otherwise
//       63     32·d  dependency op ids, strictly ascending
//   63+32d        2  body length b, u16
//   65+32d        b  body (by kind, below)
//   65+32d+b     64  Ed25519 signature by the author over OP_SIGNATURE_DOMAIN ‖ bytes [0, 65+32d+b)
//
// Bodies:
//   create   salt 16 ‖ creator's address 225 (docs/e2ee.md §2) ‖ name (UTF-8, to the end, ≤ MAX_GROUP_NAME_BYTES)
//            the group id is SHA-256(GROUP_ID_DOMAIN ‖ author ‖ salt)[0..16], so only the author's key makes a create for it
//   add      the invitee's address, 225 bytes
//   accept, decline, leave, merge   empty (a merge changes nothing: it only names
//            concurrent heads as its dependencies, so that posts can name one head)
//   remove, promote, demote  the target's identity key, 32 bytes
//   rename   the new name (UTF-8, ≤ MAX_GROUP_NAME_BYTES)
// The op id is SHA-256 of the whole encoding, signature included.

import { concatBytes, ctEqual, isBytes } from '../bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, verify, type Ed25519PrivateKey } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import { ADDRESS_BYTES, addressFromBytes, addressToBytes, type Address } from '../e2ee/address.js';
import { ByteReader, ByteWriter, decodeUtf8 } from './codec.js';
import { GroupError } from './errors.js';

export const OP_VERSION = 1;
export const GROUP_ID_LENGTH = 16;
export const OP_ID_LENGTH = 32;
export const GROUP_SALT_LENGTH = 16;
/** Dependencies an op names (a u8): one op can merge this many concurrent heads. */
export const MAX_OP_DEPS = 255;
export const MAX_GROUP_NAME_BYTES = 128;
export const OP_SIGNATURE_DOMAIN = 'chaff-group-op-v1\0';
export const GROUP_ID_DOMAIN = 'chaff-group-id-v1\0';
const SIGNATURE_DOMAIN_BYTES = new TextEncoder().encode(OP_SIGNATURE_DOMAIN);
const GROUP_ID_DOMAIN_BYTES = new TextEncoder().encode(GROUP_ID_DOMAIN);

export const OP_KIND = { create: 1, add: 2, accept: 3, decline: 4, leave: 5, remove: 6, rename: 7, promote: 8, demote: 9, merge: 10 } as const;
export type OpKind = keyof typeof OP_KIND;
const KIND_BY_CODE = new Map<number, OpKind>(Object.entries(OP_KIND).map(([k, v]) => [v, k as OpKind]));

export type OpBody =
  | { kind: 'create'; salt: Uint8Array; creator: Address; name: string }
  | { kind: 'add'; invitee: Address }
  | { kind: 'accept' | 'decline' | 'leave' | 'merge' }
  | { kind: 'remove' | 'promote' | 'demote'; target: Uint8Array }
  | { kind: 'rename'; name: string };

/** A parsed op whose signature has not been checked yet (verifyOp). */
export interface ParsedOp {
  readonly id: Uint8Array;
  readonly groupId: Uint8Array;
  readonly author: Uint8Array;
  readonly lamport: number;
  readonly timeMs: number;
  readonly deps: readonly Uint8Array[];
  readonly body: OpBody;
  /** The whole encoding, as signed and sent. */
  readonly bytes: Uint8Array;
}

/** An op whose signature (and, for a create, group id) verified. */
export interface Op extends ParsedOp {
  readonly verified: true;
}

/** The group id a creator's key and salt name. */
export function groupIdOf(creator: Uint8Array, salt: Uint8Array): Uint8Array {
  return sha256(concatBytes(GROUP_ID_DOMAIN_BYTES, creator, salt)).slice(0, GROUP_ID_LENGTH);
}

const nameBytes = (name: string): Uint8Array => {
  if (typeof name !== 'string' || name.trim() === '') throw new GroupError('bad-argument', 'a group name must be a non-empty string');
  const b = new TextEncoder().encode(name);
  if (b.length > MAX_GROUP_NAME_BYTES) throw new GroupError('limit', `a group name is at most ${MAX_GROUP_NAME_BYTES} bytes of UTF-8, got ${b.length}`);
  if (decodeUtf8(b, 'group name') !== name) throw new GroupError('bad-argument', 'a group name must be valid Unicode (no lone surrogates)');
  return b;
};

function encodeBody(body: OpBody): Uint8Array {
  switch (body.kind) {
    case 'create':
      if (!isBytes(body.salt, GROUP_SALT_LENGTH)) throw new GroupError('bad-argument', `the salt must be ${GROUP_SALT_LENGTH} bytes`);
      return concatBytes(body.salt, addressToBytes(body.creator), nameBytes(body.name));
    case 'add':
      return addressToBytes(body.invitee);
    case 'accept':
    case 'decline':
    case 'leave':
    case 'merge':
      return new Uint8Array(0);
    case 'remove':
    case 'promote':
    case 'demote':
      if (!isBytes(body.target, ED25519_PUBLIC_KEY_LENGTH)) throw new GroupError('bad-argument', 'a target is a 32-byte identity key');
      return Uint8Array.from(body.target);
    case 'rename':
      return nameBytes(body.name);
  }
}

function decodeBody(kind: OpKind, bytes: Uint8Array): OpBody {
  const r = new ByteReader(bytes, `${kind} op body`);
  const address = (): Address => {
    try {
      return addressFromBytes(r.take(ADDRESS_BYTES));
    } catch (e) {
      if (e instanceof GroupError) throw e;
      throw new GroupError('malformed', `${kind} op: bad address (${(e as Error).message})`);
    }
  };
  const name = (): string => {
    const b = r.rest();
    if (b.length === 0 || b.length > MAX_GROUP_NAME_BYTES) throw new GroupError('malformed', `${kind} op: a name of ${b.length} bytes`);
    return decodeUtf8(b, 'group name');
  };
  let body: OpBody;
  switch (kind) {
    case 'create': {
      const salt = r.take(GROUP_SALT_LENGTH);
      body = { kind, salt, creator: address(), name: name() };
      break;
    }
    case 'add':
      body = { kind, invitee: address() };
      break;
    case 'accept':
    case 'decline':
    case 'leave':
    case 'merge':
      body = { kind };
      break;
    case 'remove':
    case 'promote':
    case 'demote':
      body = { kind, target: r.take(ED25519_PUBLIC_KEY_LENGTH) };
      break;
    case 'rename':
      body = { kind, name: name() };
      break;
  }
  r.end();
  return body;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export { compareBytes };

export interface NewOp {
  groupId: Uint8Array;
  author: Ed25519PrivateKey;
  /** The dependencies' ids and Lamport times (the author's current heads). */
  deps: ReadonlyArray<{ id: Uint8Array; lamport: number }>;
  timeMs: number;
  body: OpBody;
}

/** Encodes and signs a new op. */
export function signOp(o: NewOp): Op {
  if (!isBytes(o.groupId, GROUP_ID_LENGTH)) throw new GroupError('bad-argument', `a group id is ${GROUP_ID_LENGTH} bytes`);
  if (!Number.isFinite(o.timeMs)) throw new GroupError('bad-argument', 'the time must be finite');
  const isCreate = o.body.kind === 'create';
  if (isCreate !== (o.deps.length === 0)) throw new GroupError('bad-argument', 'a create op has no dependencies, every other op has some');
  if (o.deps.length > MAX_OP_DEPS) throw new GroupError('limit', `an op names at most ${MAX_OP_DEPS} dependencies`);
  const deps = [...o.deps].sort((a, b) => compareBytes(a.id, b.id));
  const lamport = isCreate ? 0 : 1 + Math.max(...deps.map((d) => d.lamport));
  const body = encodeBody(o.body);
  const w = new ByteWriter().u8(OP_VERSION).bytes(o.groupId).u8(OP_KIND[o.body.kind]).bytes(o.author.publicKey).u32(lamport).f64(o.timeMs).u8(deps.length);
  for (const d of deps) w.bytes(d.id);
  const signed = w.u16(body.length).bytes(body).finish();
  const bytes = concatBytes(signed, o.author.sign(concatBytes(SIGNATURE_DOMAIN_BYTES, signed)));
  return decodeOp(bytes);
}

/**
 * Parses an op without checking its signature: a member that already holds
 * an op (same id) need not verify it again. Admit only what verifyOp returns.
 */
export function parseOp(bytes: Uint8Array): ParsedOp {
  if (!isBytes(bytes)) throw new GroupError('malformed', 'an op is bytes');
  const r = new ByteReader(bytes, 'op');
  const version = r.u8();
  if (version !== OP_VERSION) throw new GroupError('unsupported', `op version ${version}`);
  const groupId = r.take(GROUP_ID_LENGTH);
  const code = r.u8();
  const kind = KIND_BY_CODE.get(code);
  if (!kind) throw new GroupError('unsupported', `op kind ${code}`);
  const author = r.take(ED25519_PUBLIC_KEY_LENGTH);
  const lamport = r.u32();
  const timeMs = r.f64();
  const depCount = r.u8();
  if (depCount > MAX_OP_DEPS || (kind === 'create') !== (depCount === 0)) throw new GroupError('malformed', `a ${kind} op with ${depCount} dependencies`);
  if (kind === 'create' && lamport !== 0) throw new GroupError('malformed', 'a create op has Lamport time 0');
  const deps: Uint8Array[] = [];
  for (let i = 0; i < depCount; i++) {
    const d = r.take(OP_ID_LENGTH);
    if (i > 0 && compareBytes(deps[i - 1], d) >= 0) throw new GroupError('malformed', 'op dependencies are not strictly ascending');
    deps.push(d);
  }
  const body = decodeBody(kind, r.take(r.u16()));
  r.take(ED25519_SIGNATURE_LENGTH);
  r.end();
  if (body.kind === 'create' && !ctEqual(body.creator.identityKey, author)) throw new GroupError('malformed', "a create op whose address is not its author's");
  return { id: sha256(bytes), groupId, author, lamport, timeMs, deps, body, bytes: Uint8Array.from(bytes) };
}

/** Checks a parsed op's signature and, for a create, that the group id is the one its author and salt name. */
export function verifyOp(op: ParsedOp): Op {
  const signedLength = op.bytes.length - ED25519_SIGNATURE_LENGTH;
  if (!verify(op.author, concatBytes(SIGNATURE_DOMAIN_BYTES, op.bytes.subarray(0, signedLength)), op.bytes.subarray(signedLength))) {
    throw new GroupError('bad-signature', `a ${op.body.kind} op whose signature does not verify`);
  }
  if (op.body.kind === 'create' && !ctEqual(groupIdOf(op.author, op.body.salt), op.groupId)) {
    throw new GroupError('bad-signature', 'a create op whose group id is not its author and salt');
  }
  return { ...op, verified: true };
}

/** parseOp, then verifyOp. */
export function decodeOp(bytes: Uint8Array): Op {
  return verifyOp(parseOp(bytes));
}

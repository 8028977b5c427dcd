// Forward packets and per-hop processing (docs/sphinx.md §Packet, §Unwrap).
//
//   packet  = header (geometry.headerLength) ‖ payload
//   payload = SPRP_n−1(… SPRP_0(tag (32 zero bytes) ‖ forward payload))
//
// Each hop checks the header MAC, decrypts its routing commands, peels one
// SPRP layer off the payload and, unless it is the last hop, blinds α and
// shifts β to make the next hop's header. A modified payload is garbled as a
// whole by the wide-block SPRP (AEZ), so the final hop's tag check catches
// any change made anywhere along the path.

import { abytes, ctEqual, ctIsZero, zeroize } from '../bytes.js';
import { sprpDecrypt, sprpEncrypt } from '../crypto/aez.js';
import { hmacSha256, sha512_256 } from '../crypto/hash.js';
import { aes256CtrXor } from '../crypto/stream.js';
import { LowOrderPointError, type X25519PrivateKey, x25519 } from '../crypto/x25519.js';
import { decodeCommands, type NextHopCommand, type RoutingCommand } from './commands.js';
import { SphinxError, wrongSize } from './errors.js';
import { AD_LENGTH, MAC_LENGTH, PAYLOAD_TAG_LENGTH, type Geometry } from './geometry.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { createHeader, SPHINX_AD, wipeSprpKeys, type PathHop } from './header.js';
import { deriveKeys, wipeKeys } from './kdf.js';
import { nativeSphinx, sphinxBackend, type SphinxBackend } from '../crypto/native.js';

/** Offsets of the header fields in a packet. */
export function packetOffsets(geometry: Geometry) {
  const alpha = AD_LENGTH;
  const beta = alpha + geometry.groupElementLength;
  const mac = beta + geometry.routingInfoLength;
  const payload = mac + MAC_LENGTH;
  return { alpha, beta, mac, payload } as const;
}

/** A forward packet carrying `payload` (exactly geometry.forwardPayloadLength bytes) along `path`. */
export function newPacket(geometry: Geometry, path: readonly PathHop[], payload: Uint8Array, random: RandomSource = systemRandom): Uint8Array {
  abytes(payload, geometry.forwardPayloadLength, 'payload', wrongSize);
  const { header, sprpKeys } = createHeader(geometry, path, random);
  const packet = new Uint8Array(geometry.packetLength);
  packet.set(header, 0);
  const body = packet.subarray(geometry.headerLength);
  body.set(payload, PAYLOAD_TAG_LENGTH); // the tag stays zero
  for (let i = sprpKeys.length - 1; i >= 0; i--) sprpEncrypt(sprpKeys[i].key, sprpKeys[i].iv, body, body);
  wipeSprpKeys(sprpKeys);
  return packet;
}

// What a hop learns from a packet: one of three kinds, told apart once here
// (after Nym's `ProcessedHeader`: ForwardHop | FinalHop, two types rather
// than one with nullable fields), so no consumer re-derives "forward or
// final" from the commands. Each kind carries only its own fields.

/** What every kind of hop result carries. */
interface HopResultBase {
  /** The hop's routing commands, in order, as decoded (a next-hop command when the packet goes on). */
  readonly commands: RoutingCommand[];
  /** SHA-512/256(α): equal for replays of the same packet at this hop. */
  readonly replayTag: Uint8Array;
}

/** The packet goes on: hold it `delayMs`, then send `packet` to `nextHop`. */
export interface ForwardHop extends HopResultBase {
  readonly kind: 'forward';
  /** Sphinx node id of the next hop (from the next-hop command). */
  readonly nextHop: Uint8Array;
  /** The delay command's value, ms; 0 without one. */
  readonly delayMs: number;
  /** The packet to send to the next hop. */
  readonly packet: Uint8Array;
}

/** The last hop of a forward packet: the payload, tag checked and removed. */
export interface FinalHop extends HopResultBase {
  readonly kind: 'final';
  /** The recipient command's id (a mailbox id, or a mix's own loop id). */
  readonly recipient: Uint8Array;
  /** The forward payload (geometry.forwardPayloadLength bytes). */
  readonly payload: Uint8Array;
}

/** The last hop of a SURB reply: the payload stays encrypted for the SURB's creator. */
export interface SurbReplyHop extends HopResultBase {
  readonly kind: 'surb-reply';
  /** The recipient command's id. */
  readonly recipient: Uint8Array;
  /** The SURB-reply command's id. */
  readonly surbId: Uint8Array;
  /** tag ‖ payload, still encrypted: only the SURB's creator can decrypt and check it (decryptSURBPayload). */
  readonly payload: Uint8Array;
}

/** A hop's result: switch on `kind`. */
export type UnwrapResult = ForwardHop | FinalHop | SurbReplyHop;

/** The result at a last hop (a forward packet's or a SURB reply's). */
export type LastHop = FinalHop | SurbReplyHop;

/**
 * What the symmetric part of a hop yields, after the shared secret and the
 * MAC check: the same bytes from the native addon (protocol/crypto/native.ts)
 * and from the TypeScript code.
 */
interface OpenedHop {
  /** SHA-512/256(α). */
  readonly replayTag: Uint8Array;
  /** This hop's routing commands (perHop bytes, decrypted). */
  readonly commands: Uint8Array;
  /** A packet-sized buffer: AD, the next hop's β and the payload one SPRP layer off (α and γ are the caller's to set). */
  readonly out: Uint8Array;
  readonly blindingFactor: Uint8Array;
}

const macMismatch = (replayTag: Uint8Array): SphinxError => new SphinxError('mac-mismatch', 'packet: header MAC mismatch', replayTag);

/** The hop in TypeScript on node:crypto and the TypeScript AEZ fallback. */
function openHopTypeScript(geometry: Geometry, sharedSecret: Uint8Array, packet: Uint8Array): OpenedHop {
  const off = packetOffsets(geometry);
  const replayTag = sha512_256(packet.subarray(off.alpha, off.beta));
  const keys = deriveKeys(sharedSecret);
  try {
    const mac = hmacSha256(keys.headerMac, packet.subarray(0, off.mac));
    if (!ctEqual(mac, packet.subarray(off.mac, off.payload))) throw macMismatch(replayTag);
    // Decrypt β with perHop zero bytes appended: the first perHop bytes are this
    // hop's commands, the rest is the next hop's β (length invariance).
    const perHop = geometry.perHopRoutingInfoLength;
    const routing = new Uint8Array(geometry.routingInfoLength + perHop);
    routing.set(packet.subarray(off.beta, off.mac));
    aes256CtrXor(keys.headerEncryption, keys.headerEncryptionIV, routing);
    const out = new Uint8Array(geometry.packetLength);
    out.set(routing.subarray(perHop), off.beta);
    sprpDecrypt(keys.payloadEncryption, keys.headerEncryptionIV, packet.subarray(off.payload), out.subarray(off.payload));
    return { replayTag, commands: routing.subarray(0, perHop), out, blindingFactor: Uint8Array.from(keys.blindingFactor) };
  } finally {
    wipeKeys(keys);
  }
}

/** The hop in one native call, or null when the addon cannot take this geometry or fails (the TypeScript path then runs). */
function openHopNative(geometry: Geometry, sharedSecret: Uint8Array, packet: Uint8Array): OpenedHop | null {
  const perHop = geometry.perHopRoutingInfoLength;
  if (!nativeSphinx || geometry.groupElementLength !== 32 || perHop > NATIVE_MAX_PER_HOP) return null;
  const out = new Uint8Array(geometry.packetLength);
  const commands = new Uint8Array(perHop);
  const blindingFactor = new Uint8Array(32);
  const replayTag = new Uint8Array(32);
  const rc = nativeSphinx.sphinxHop(sharedSecret, packet, out, commands, blindingFactor, replayTag, geometry.routingInfoLength);
  if (rc === 1) throw macMismatch(replayTag);
  return rc === 0 ? { replayTag, commands, out, blindingFactor } : null;
}

/** The addon's bound on perHopRoutingInfoLength (native/sphinx-hop.c). */
const NATIVE_MAX_PER_HOP = 512;

/**
 * Processes `packet` at the node holding `privateKey`. Never throws anything
 * but SphinxError for bad input; `packet` is not modified. Runs on the native
 * addon when it is loaded (sphinxBackend), else in TypeScript: the same result.
 */
export function unwrap(geometry: Geometry, privateKey: X25519PrivateKey, packet: Uint8Array): UnwrapResult {
  return unwrapWith(sphinxBackend, geometry, privateKey, packet);
}

/** unwrap() on a chosen back end ('native' falls back to TypeScript when the addon is absent): for tests and benchmarks. */
export function unwrapWith(backend: SphinxBackend, geometry: Geometry, privateKey: X25519PrivateKey, packet: Uint8Array): UnwrapResult {
  abytes(packet, geometry.packetLength, 'packet', wrongSize);
  const off = packetOffsets(geometry);
  if (!ctEqual(packet.subarray(0, AD_LENGTH), SPHINX_AD)) {
    throw new SphinxError('bad-version', 'packet: unknown version (additional data is not 0x0000)');
  }

  const alpha = packet.subarray(off.alpha, off.beta);
  let sharedSecret: Uint8Array;
  try {
    sharedSecret = privateKey.sharedSecret(alpha);
  } catch (err) {
    if (err instanceof LowOrderPointError) throw new SphinxError('low-order-point', 'packet: α is a low-order point');
    throw err;
  }
  let hop: OpenedHop;
  try {
    hop = (backend === 'native' ? openHopNative(geometry, sharedSecret, packet) : null) ?? openHopTypeScript(geometry, sharedSecret, packet);
  } finally {
    zeroize(sharedSecret);
  }
  try {
    return finishHop(geometry, alpha, hop);
  } finally {
    zeroize(hop.blindingFactor);
  }
}

/** From the decrypted commands: the next hop's packet, or the last hop's payload. */
function finishHop(geometry: Geometry, alpha: Uint8Array, hop: OpenedHop): UnwrapResult {
  const off = packetOffsets(geometry);
  const { replayTag, out } = hop;
  let commands: RoutingCommand[];
  try {
    commands = decodeCommands(hop.commands);
  } catch (err) {
    if (err instanceof SphinxError) throw new SphinxError(err.code, err.message, replayTag);
    throw err;
  }

  let next: NextHopCommand | null = null;
  let recipientId: Uint8Array | null = null;
  let surbId: Uint8Array | null = null;
  let delayMs = 0;
  for (const c of commands) {
    if (c.type === 'next-hop') next = c;
    else if (c.type === 'recipient') recipientId = c.id;
    else if (c.type === 'surb-reply') surbId = c.id;
    else delayMs = c.delayMs;
  }
  if (next) {
    let blinded: Uint8Array;
    try {
      blinded = x25519(hop.blindingFactor, alpha);
    } catch (err) {
      if (err instanceof LowOrderPointError) throw new SphinxError('low-order-point', 'packet: blinded α is a low-order point', replayTag);
      throw err;
    }
    out.set(SPHINX_AD, 0);
    out.set(blinded, off.alpha);
    out.set(next.mac, off.mac);
    return { kind: 'forward', commands, replayTag, nextHop: next.id, delayMs, packet: out };
  }

  // A last hop names its recipient (Katzenpost's server drops one that does not).
  if (recipientId === null) throw new SphinxError('bad-command', 'packet: last hop without a recipient command', replayTag);
  const body = out.subarray(off.payload);
  if (surbId !== null) {
    // Only the SURB's creator holds the keys that reveal and check the tag.
    return { kind: 'surb-reply', commands, replayTag, recipient: recipientId, surbId, payload: body.slice() };
  }
  if (!ctIsZero(body.subarray(0, PAYLOAD_TAG_LENGTH))) {
    throw new SphinxError('payload-tag', 'packet: payload tag mismatch (payload modified in transit)', replayTag);
  }
  return { kind: 'final', commands, replayTag, recipient: recipientId, payload: body.slice(PAYLOAD_TAG_LENGTH) };
}

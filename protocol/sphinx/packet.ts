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
// (after Nym's `ProcessedHeader`: ForwardHop | FinalHop), so no consumer
// re-derives "forward or final" from the commands or from null fields.
//
// Each kind keeps the other kinds' `packet`/`payload` as an explicit null, so
// code that reads `result.packet ?? …` keeps compiling; new code switches on
// `kind`, which narrows both fields to non-null.

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
  readonly payload: null;
}

/** The last hop of a forward packet: the payload, tag checked and removed. */
export interface FinalHop extends HopResultBase {
  readonly kind: 'final';
  /** The recipient command's id, or null without one (a mix's own loop cover need not name one). */
  readonly recipient: Uint8Array | null;
  /** The forward payload (geometry.forwardPayloadLength bytes). */
  readonly payload: Uint8Array;
  readonly packet: null;
}

/** The last hop of a SURB reply: the payload stays encrypted for the SURB's creator. */
export interface SurbReplyHop extends HopResultBase {
  readonly kind: 'surb-reply';
  /** The SURB-reply command's id. */
  readonly surbId: Uint8Array;
  /** The recipient command's id, or null without one. */
  readonly recipient: Uint8Array | null;
  /** tag ‖ payload, still encrypted: only the SURB's creator can decrypt and check it (decryptSURBPayload). */
  readonly payload: Uint8Array;
  readonly packet: null;
}

/** A hop's result: switch on `kind`. */
export type UnwrapResult = ForwardHop | FinalHop | SurbReplyHop;

/** The result at a last hop (a forward packet's or a SURB reply's). */
export type LastHop = FinalHop | SurbReplyHop;

/**
 * Processes `packet` at the node holding `privateKey`. Never throws anything
 * but SphinxError for bad input; `packet` is not modified.
 */
export function unwrap(geometry: Geometry, privateKey: X25519PrivateKey, packet: Uint8Array): UnwrapResult {
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
  const replayTag = sha512_256(alpha);
  const keys = deriveKeys(sharedSecret);
  zeroize(sharedSecret);
  try {
    const mac = hmacSha256(keys.headerMac, packet.subarray(0, off.mac));
    if (!ctEqual(mac, packet.subarray(off.mac, off.payload))) {
      throw new SphinxError('mac-mismatch', 'packet: header MAC mismatch', replayTag);
    }

    // Decrypt β with perHop zero bytes appended: the first perHop bytes are this
    // hop's commands, the rest is the next hop's β (length invariance).
    const perHop = geometry.perHopRoutingInfoLength;
    const routing = new Uint8Array(geometry.routingInfoLength + perHop);
    routing.set(packet.subarray(off.beta, off.mac));
    aes256CtrXor(keys.headerEncryption, keys.headerEncryptionIV, routing);
    let commands: RoutingCommand[];
    try {
      commands = decodeCommands(routing.subarray(0, perHop));
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
        blinded = x25519(keys.blindingFactor, alpha);
      } catch (err) {
        if (err instanceof LowOrderPointError) throw new SphinxError('low-order-point', 'packet: blinded α is a low-order point', replayTag);
        throw err;
      }
      const out = new Uint8Array(geometry.packetLength);
      out.set(SPHINX_AD, 0);
      out.set(blinded, off.alpha);
      out.set(routing.subarray(perHop), off.beta);
      out.set(next.mac, off.mac);
      sprpDecrypt(keys.payloadEncryption, keys.headerEncryptionIV, packet.subarray(off.payload), out.subarray(off.payload));
      return { kind: 'forward', commands, replayTag, nextHop: next.id, delayMs, packet: out, payload: null };
    }

    const body = new Uint8Array(packet.length - off.payload);
    sprpDecrypt(keys.payloadEncryption, keys.headerEncryptionIV, packet.subarray(off.payload), body);
    if (surbId !== null) {
      // Only the SURB's creator holds the keys that reveal and check the tag.
      return { kind: 'surb-reply', commands, replayTag, surbId, recipient: recipientId, payload: body, packet: null };
    }
    if (!ctIsZero(body.subarray(0, PAYLOAD_TAG_LENGTH))) {
      throw new SphinxError('payload-tag', 'packet: payload tag mismatch (payload modified in transit)', replayTag);
    }
    return { kind: 'final', commands, replayTag, recipient: recipientId, payload: body.slice(PAYLOAD_TAG_LENGTH), packet: null };
  } finally {
    wipeKeys(keys);
  }
}

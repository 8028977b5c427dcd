// Sphinx header creation (docs/sphinx.md §Header; Danezis & Goldberg 2009 §3.2
// with Katzenpost's parameterisation).
//
//   header = AD (0x0000) ‖ α (32) ‖ β (routing info, nrHops × perHop) ‖ γ (MAC, 32)
//
// The sender picks an ephemeral X25519 key x. Hop i shares s_i = x·b_0⋯b_{i−1}·P_i
// with the node and sees α_i = x·b_0⋯b_{i−1}·G, where b_j is hop j's blinding
// factor. β is built backwards from the last hop, each hop's block encrypted
// with that hop's AES-CTR stream; the filler that a hop shifts in is
// precomputed so every MAC covers exactly what the hop will receive.

import { abytes, concatBytes, xorInto, zeroize } from '../bytes.js';
import { hmacSha256 } from '../crypto/hash.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { aes256CtrKeyStream } from '../crypto/stream.js';
import { LowOrderPointError } from '../crypto/x25519.js';
import { commandLength, nextHop, writeCommand, type RoutingCommand } from './commands.js';
import { SphinxError } from './errors.js';
import { AD_LENGTH, NODE_ID_LENGTH, type Geometry } from './geometry.js';
import { hopSecrets, type HopSecrets } from './hop-secrets.js';
import { wipeKeys } from './kdf.js';

/** The version bytes every Chaff/Katzenpost Sphinx header starts with. */
export const SPHINX_AD = new Uint8Array(AD_LENGTH);

/** One hop of a path: the node's id, its X25519 Sphinx public key for the epoch, and its routing commands (never next-hop: header creation adds it). */
export interface PathHop {
  readonly id: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly commands: readonly RoutingCommand[];
}

/** Payload SPRP key and nonce of one hop. */
export interface SprpKey {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

export interface CreatedHeader {
  readonly header: Uint8Array;
  /** One per hop, in path order. The caller wipes them after use. */
  readonly sprpKeys: SprpKey[];
}

const invalidPath = (message: string): SphinxError => new SphinxError('invalid-path', message);

function validatePath(geometry: Geometry, path: readonly PathHop[]): void {
  if (!Array.isArray(path) || path.length < 1 || path.length > geometry.nrHops) {
    throw new SphinxError('invalid-path', `path must have 1 to ${geometry.nrHops} hops`);
  }
  path.forEach((hop, i) => {
    abytes(hop.id, NODE_ID_LENGTH, `hop ${i}: id`, invalidPath);
    abytes(hop.publicKey, geometry.groupElementLength, `hop ${i}: public key`, invalidPath);
    let length = 0;
    for (const cmd of hop.commands) {
      if (cmd.type === 'next-hop') {
        throw new SphinxError('invalid-path', `hop ${i}: next-hop commands are added by packet creation, not given`);
      }
      length += commandLength(cmd);
    }
    const isTerminal = i === path.length - 1;
    const room = geometry.perHopRoutingInfoLength - (isTerminal ? 0 : geometry.nextNodeHopLength);
    if (length > room) {
      throw new SphinxError('invalid-path', `hop ${i}: commands take ${length} bytes, at most ${room} fit`);
    }
  });
}

/**
 * Builds a header for `path` (1 … geometry.nrHops hops). Unused hop slots
 * are filled with random bytes, so the header does not reveal the path
 * length (Kuhn et al. 2020).
 */
export function createHeader(geometry: Geometry, path: readonly PathHop[], random: RandomSource = systemRandom): CreatedHeader {
  validatePath(geometry, path);
  const { perHopRoutingInfoLength: perHop, routingInfoLength } = geometry;
  const nrHops = path.length;

  const ephemeral = random(32);
  let secrets: HopSecrets;
  try {
    secrets = hopSecrets(path, ephemeral);
  } catch (err) {
    if (err instanceof LowOrderPointError) throw new SphinxError('invalid-path', 'a hop public key is a low-order point');
    throw err;
  } finally {
    zeroize(ephemeral);
  }
  const { keys, alphas } = secrets;

  // Hop i's key stream covers its β plus the perHop bytes it shifts in. The
  // first (routingInfoLength − i·perHop) bytes encrypt the routing info it
  // receives; the tail is the filler (padding) accumulated for later hops.
  const riKeyStream: Uint8Array[] = [];
  const riPadding: Uint8Array[] = [];
  for (let i = 0; i < nrHops; i++) {
    const stream = aes256CtrKeyStream(keys[i].headerEncryption, keys[i].headerEncryptionIV, routingInfoLength + perHop);
    const split = routingInfoLength - i * perHop;
    riKeyStream.push(stream.subarray(0, split));
    const padding = stream.subarray(split);
    if (i > 0) xorInto(padding, riPadding[i - 1]);
    riPadding.push(padding);
  }

  // β, from the last hop back to the first.
  let routingInfo: Uint8Array = random((geometry.nrHops - nrHops) * perHop);
  let mac: Uint8Array = new Uint8Array(0);
  for (let i = nrHops - 1; i >= 0; i--) {
    const block = new Uint8Array(perHop); // zero-padded after the commands
    let offset = 0;
    for (const cmd of path[i].commands) offset = writeCommand(cmd, block, offset);
    if (i < nrHops - 1) writeCommand(nextHop(path[i + 1].id, mac), block, offset);
    routingInfo = concatBytes(block, routingInfo);
    xorInto(routingInfo, riKeyStream[i]);
    mac = i > 0 ? hmacSha256(keys[i].headerMac, SPHINX_AD, alphas[i], routingInfo, riPadding[i - 1]) : hmacSha256(keys[i].headerMac, SPHINX_AD, alphas[i], routingInfo);
  }

  const header = concatBytes(SPHINX_AD, alphas[0], routingInfo, mac);
  const sprpKeys = keys.map((k) => ({ key: Uint8Array.from(k.payloadEncryption), iv: Uint8Array.from(k.headerEncryptionIV) }));
  for (const k of keys) wipeKeys(k);
  for (const s of riKeyStream) zeroize(s);
  return { header, sprpKeys };
}

export function wipeSprpKeys(keys: readonly SprpKey[]): void {
  for (const k of keys) zeroize(k.key, k.iv);
}

// Valid frames for every protocol a node serves, made with the project's own
// encoders: the seeds the fuzzer mutates (test/fuzz/protocol-fuzzer.ts) and
// the honest traffic it checks the nodes still take afterwards. Randomness
// comes from a seeded DRBG, so a run is reproduced from its seed.

import { toHex } from '../../protocol/bytes.js';
import type { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { signDescriptor } from '../../protocol/pki/descriptor.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import type { Topology } from '../../protocol/pki/routes.js';
import { signDocument } from '../../protocol/pki/signatures.js';
import { delay, newPacket, newSURB, recipient, surbReply, type Geometry, type PathHop, type RandomSource } from '../../protocol/sphinx/index.js';
import { DROP_RECIPIENT, encodeClientPayload } from '../../protocol/wire/client-payload.js';
import { encodeFetchRequest } from '../../protocol/wire/fetch.js';
import { encodeHandleClaimRequest, encodeReplyBodyRequest, NAME_SERVICE_RECIPIENT, type HandleClaimRequest } from '../../protocol/wire/handle.js';
import { encodeDescriptorRequest, encodeDocumentRequest, encodeShareRequest, encodeSignatureRequest } from '../../runtime/pki/wire.js';
import { rpcFrame } from './mutators.js';

/** A Sphinx packet over `route` (delay 0 at every hop), ending at `to` (a mailbox id, or drop cover). */
export function sphinxSeed(geometry: Geometry, route: readonly NodeEntry[], to: Uint8Array, random: RandomSource): Uint8Array {
  const path: PathHop[] = route.map((node, i) => ({
    id: node.nodeId,
    publicKey: node.sphinxKeys.current,
    commands: i === route.length - 1 ? [recipient(to)] : [delay(0)],
  }));
  const payload = encodeClientPayload(geometry, { surb: null, userPayload: random(geometry.userForwardPayloadLength) }, random);
  return newPacket(geometry, path, payload, random);
}

/** Drop cover: the recipient gateway discards it (docs/gateway.md §Exit). */
export const DROP_COVER = DROP_RECIPIENT;

/** A signed mailbox fetch request, framed for the RPC. */
export function fetchSeed(client: Ed25519PrivateKey, counter: bigint): Uint8Array {
  return rpcFrame(encodeFetchRequest({ counter, acks: [] }, client));
}

/** A register request (the empty body every gateway version accepts), framed for the RPC. */
export function registerSeed(): Uint8Array {
  return rpcFrame(new Uint8Array(0));
}

/** A short-handle claim or release (docs/handles.md §Claim RPC), framed for the RPC. */
export function handleClaimSeed(request: HandleClaimRequest): Uint8Array {
  return rpcFrame(encodeHandleClaimRequest(request));
}

/** A reply-body request for message `id` (docs/handles.md §Reply-body RPC), framed for the RPC. */
export function replyBodySeed(id: bigint): Uint8Array {
  return rpcFrame(encodeReplyBodyRequest(id));
}

/**
 * A SURB back over `route` (delay 0 at every hop) into `mailbox` as a SURB
 * reply: what a lookup carries for its answer (docs/handles.md §How it works).
 */
export function surbSeed(geometry: Geometry, route: readonly NodeEntry[], mailbox: Uint8Array, random: RandomSource): Uint8Array {
  const path: PathHop[] = route.map((node, i) => ({
    id: node.nodeId,
    publicKey: node.sphinxKeys.current,
    commands: i === route.length - 1 ? [recipient(mailbox), surbReply(random(16))] : [delay(0)],
  }));
  return newSURB(geometry, path, random).surb;
}

/**
 * A one-hop packet to the name service at `gateway` (addressed to
 * NAME_SERVICE_RECIPIENT) with `clientPayload` as its forward payload
 * (forwardPayloadLength bytes: a client payload carrying a lookup request,
 * or a damaged one).
 */
export function lookupSeed(geometry: Geometry, gateway: NodeEntry, clientPayload: Uint8Array, random: RandomSource): Uint8Array {
  return newPacket(geometry, [{ id: gateway.nodeId, publicKey: gateway.sphinxKeys.current, commands: [recipient(NAME_SERVICE_RECIPIENT)] }], clientPayload, random);
}

/**
 * A descriptor that `signer` (an identity nobody admitted) signs for
 * `epoch`: well formed and correctly signed, so only the authority's own
 * rules can refuse it.
 */
export function descriptorOf(signer: Ed25519PrivateKey, epoch: number, version: number, random: RandomSource) {
  return signDescriptor(
    {
      identityKey: signer.publicKey,
      name: `fuzz-${toHex(signer.publicKey).slice(0, 8)}`,
      role: 'mix',
      addresses: ['/ip4/127.0.0.1/tcp/9'],
      epoch,
      sphinxKeys: new Map([
        [epoch, X25519PrivateKey.fromBytes(random(32)).publicKey],
        [epoch + 1, X25519PrivateKey.fromBytes(random(32)).publicKey],
      ]),
      version,
    },
    signer,
  );
}

export function descriptorSeed(signer: Ed25519PrivateKey, epoch: number, version: number, random: RandomSource): Uint8Array {
  return rpcFrame(encodeDescriptorRequest(descriptorOf(signer, epoch, version, random)));
}

/** A share of `descriptors` for `epoch` (with no admission views), framed. */
export function shareSeed(epoch: number, descriptors: ReturnType<typeof descriptorOf>[]): Uint8Array {
  // Built as a variable, not a literal: the request type gains fields as the PKI evolves (admission views).
  const request = { epoch, descriptors, views: [] };
  return rpcFrame(encodeShareRequest(request));
}

/** `authority`'s signature over the document bytes, sent as a signature request for `epoch`, framed. */
export function signatureSeed(epoch: number, document: Uint8Array, authority: Ed25519PrivateKey): Uint8Array {
  return rpcFrame(encodeSignatureRequest({ epoch, document, signature: signDocument(document, authority) }));
}

export function documentSeed(epoch: number): Uint8Array {
  return rpcFrame(encodeDocumentRequest(epoch));
}

/** The document's node with identity key `identityKeyHex`. */
export function entryOf(topology: Topology, identityKeyHex: string): NodeEntry | undefined {
  return [...topology.document.gateways, ...topology.document.layers.flat()].find((n) => toHex(n.identityKey) === identityKeyHex);
}

// The testnet's probe client: a minimal client that speaks the gateway's
// client protocols (register, send, fetch) to push numbered probe packets
// through the mixnet and see what arrives. Used by `chaff testnet` and the
// integration tests. It is not the chat client (client/ issue): no cover
// traffic, no end-to-end encryption, no retransmission.
//
// Probe: the user payload of a client payload without a SURB-ACK
// (protocol/wire/client-payload.ts), userForwardPayloadLength bytes:
// magic "CHAF" (u32) ‖ seq (u32) ‖ send time (f64 ms) ‖ sum of the chosen
// mixing delays (u32 ms) ‖ zeros.

import type { Ed25519PrivateKey, Stream } from '@libp2p/interface';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import type { NodeEntry } from '../protocol/pki/document.js';
import type { Topology } from '../protocol/pki/routes.js';
import { delay, geometryFromUserForwardPayloadLength, newPacket, recipient, type Geometry, type PathHop } from '../protocol/sphinx/index.js';
import { sampleHopDelaysMs } from '../protocol/traffic/exponential.js';
import { cryptoUniform } from '../protocol/crypto/random.js';
import { encodeClientPayload } from '../protocol/wire/client-payload.js';
import { decodeFetchReply, encodeFetchRequest, fetchEntryBodyLength, mailboxIdOf } from '../protocol/wire/fetch.js';
import { CLIENT_FETCH_PROTOCOL, CLIENT_SEND_PROTOCOL } from '../protocol/wire/client-protocols.js';
import { createHost, type Host } from '../runtime/net/host.js';
import { callRpc } from '../runtime/net/rpc.js';
import { TopologyRouter } from '../node/net/topology-router.js';
import { GatewayLink } from '../client/net/gateway-link.js';
import { pkiSigningKey } from '../runtime/pki/signing-key.js';

const MAGIC = 0x43484146; // "CHAF"

export interface SentProbe {
  seq: number;
  sentMs: number;
  /** Delays chosen for every hop but the last (entry gateway, then each layer), ms. */
  delaysMs: number[];
  route: string[];
}

export interface FetchedMessage {
  /** The gateway's message id (mailbox sequence number). */
  id: bigint;
  /** The probe's number, or null if the body is not a probe. */
  seq: number | null;
  latencyMs: number | null;
  /** The mixing delays the sender chose, ms (null if not a probe). */
  delaySumMs: number | null;
}

/** Resolves node ids to peers through whichever documents the test hands over. */
function routerOf(topology: Topology): TopologyRouter {
  return new TopologyRouter({ current: () => topology, all: () => [topology] });
}

export class ProbeClient {
  readonly host: Host;
  readonly mailboxId: Uint8Array;
  readonly #key: Ed25519PrivateKey;
  #stream: Stream | null = null;
  #counter = 1n;

  private constructor(host: Host, key: Ed25519PrivateKey) {
    this.host = host;
    this.#key = key;
    this.mailboxId = mailboxIdOf(host.peerId.publicKey!.raw);
  }

  static async create(): Promise<ProbeClient> {
    const key = await generateKeyPair('Ed25519');
    return new ProbeClient(await createHost({ privateKey: key, listen: [] }), key);
  }

  /** Registers at `gateway` as the chat client does (GatewayLink pays the registration proof of work the gateway asks for). */
  async register(gateway: NodeEntry, _topology: Topology): Promise<void> {
    await GatewayLink.over(this.host, this.#key, gateway).register();
  }

  /**
   * Builds probe `seq` for mailbox `to` on a route entry → one mix per layer →
   * exit with the document's current Sphinx keys, and writes it on the send
   * stream to the entry gateway. `delaysMs`: a fixed delay for every hop
   * (one number) or per hop (length = layers + 1); default Exp(1/μ) samples.
   */
  async send(topology: Topology, entry: NodeEntry, exit: NodeEntry, to: Uint8Array, seq: number, delaysMs?: number | number[]): Promise<SentProbe> {
    const geometry = geometryFromUserForwardPayloadLength(topology.document.params.geometry);
    const uniform = cryptoUniform();
    const route = topology.clientRoute(entry.nodeId, exit.nodeId, uniform);
    const hops = route.length - 1;
    const delays =
      delaysMs === undefined
        ? sampleHopDelaysMs(1000 / topology.document.params.mu, route.length, uniform).slice(0, hops)
        : typeof delaysMs === 'number'
          ? Array.from({ length: hops }, () => delaysMs)
          : delaysMs;
    if (delays.length !== hops) throw new RangeError(`${hops} delays needed, got ${delays.length}`);
    const sentMs = Date.now();
    const probe = new Uint8Array(geometry.userForwardPayloadLength);
    const view = new DataView(probe.buffer);
    view.setUint32(0, MAGIC);
    view.setUint32(4, seq);
    view.setFloat64(8, sentMs);
    view.setUint32(
      16,
      delays.reduce((a, b) => a + b, 0),
    );
    const path: PathHop[] = route.map((e, i) => ({
      id: e.nodeId,
      publicKey: e.sphinxKeys.current,
      commands: i === hops ? [recipient(to)] : [delay(delays[i])],
    }));
    const packet = newPacket(geometry, path, encodeClientPayload(geometry, { surb: null, userPayload: probe }));
    if (!this.#stream || this.#stream.status !== 'open') {
      const peer = routerOf(topology).peerOf(entry).toString();
      this.#stream = await this.host.dialProtocol(
        entry.addresses.map((a) => multiaddr(a).encapsulate(`/p2p/${peer}`)),
        CLIENT_SEND_PROTOCOL,
      );
    }
    if (!this.#stream.send(packet)) await new Promise((r) => this.#stream!.addEventListener('drain', r, { once: true }));
    return { seq, sentMs, delaysMs: delays, route: route.map((e) => e.name) };
  }

  /** One signed fetch that acknowledges `acks` (at most 32); returns the real (non-dummy) entries, SURB replies as non-probes. */
  async fetch(gateway: NodeEntry, topology: Topology, acks: readonly bigint[] = []): Promise<FetchedMessage[]> {
    const geometry: Geometry = geometryFromUserForwardPayloadLength(topology.document.params.geometry);
    const counter = this.#counter++;
    const request = encodeFetchRequest({ counter, acks: [...acks] }, pkiSigningKey(this.#key));
    const reply = await callRpc(this.host, routerOf(topology).peerOf(gateway), gateway.addresses, CLIENT_FETCH_PROTOCOL, request, { maxResponseBytes: 4 << 20, timeoutMs: 5000 });
    return decodeFetchReply(reply, counter, fetchEntryBodyLength(geometry)).map((e) => {
      const view = new DataView(e.body.buffer, e.body.byteOffset, e.body.byteLength);
      const probe = e.kind === 'message' && e.body.length >= 20 && view.getUint32(0) === MAGIC;
      return {
        id: e.id!,
        seq: probe ? view.getUint32(4) : null,
        latencyMs: probe ? Date.now() - view.getFloat64(8) : null,
        delaySumMs: probe ? view.getUint32(16) : null,
      };
    });
  }

  async stop(): Promise<void> {
    this.#stream?.abort(new Error('stopping'));
    await this.host.stop();
  }
}

// The testnet's traffic probe: a minimal client that speaks the gateway's
// client protocols (register, send, fetch) to push numbered probe packets
// through the mixnet and count what arrives. It is not the chat client
// (client/ issue): no cover traffic, no encryption of its own, no ARQ.

import type { Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey as Libp2pEd25519Key } from '@libp2p/interface';
import { toHex } from '../../protocol/bytes.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import type { Topology } from '../../protocol/pki/routes.js';
import { delay, newPacket, recipient, type Geometry, type PathHop } from '../../protocol/sphinx/index.js';
import { sampleHopDelaysMs } from '../../protocol/traffic/exponential.js';
import { cryptoUniform } from '../../protocol/traffic/uniform.js';
import { decodeFetchReply, encodeFetchRequest, mailboxIdOf } from '../../protocol/wire/fetch.js';
import { CLIENT_FETCH_PROTOCOL, CLIENT_REGISTER_PROTOCOL, CLIENT_SEND_PROTOCOL } from '../gateway/gateway-service.js';
import { createHost, type Host } from '../net/host.js';
import { callRpc } from '../net/rpc.js';
import { TopologyRouter } from '../net/topology-router.js';
import { pkiSigningKey } from '../pki/signing-key.js';

const MAGIC = 0x43484146; // "CHAF"

export interface Delivered {
  seq: number;
  latencyMs: number;
  delaySumMs: number;
}

export class ProbeClient {
  readonly host: Host;
  readonly mailboxId: Uint8Array;
  readonly #key: Libp2pEd25519Key;
  #stream: Stream | null = null;
  #counter = 1n;
  #acks: bigint[] = [];

  private constructor(host: Host, key: Libp2pEd25519Key) {
    this.host = host;
    this.#key = key;
    this.mailboxId = mailboxIdOf(host.peerId.publicKey!.raw);
  }

  static async create(): Promise<ProbeClient> {
    const key = await generateKeyPair('Ed25519');
    const host = await createHost({ privateKey: key, listen: [] });
    return new ProbeClient(host, key);
  }

  async register(gateway: NodeEntry, router: TopologyRouter): Promise<void> {
    const reply = await callRpc(this.host, router.peerOf(gateway), gateway.addresses, CLIENT_REGISTER_PROTOCOL, new Uint8Array(0), { maxResponseBytes: 64 });
    if (toHex(reply) !== toHex(this.mailboxId)) throw new Error('gateway returned another mailbox id');
  }

  /** Builds a probe packet to `to` via entry gateway → layers → `exitGateway` and sends it to the entry gateway. */
  async send(topology: Topology, router: TopologyRouter, entry: NodeEntry, exit: NodeEntry, to: Uint8Array, seq: number, geometry: Geometry): Promise<number> {
    const uniform = cryptoUniform();
    const route = topology.clientRoute(entry.nodeId, exit.nodeId, uniform);
    const delays = sampleHopDelaysMs(1000 / topology.document.params.mu, route.length, uniform);
    const delaySum = delays.slice(0, -1).reduce((a, b) => a + b, 0);
    const payload = new Uint8Array(geometry.forwardPayloadLength);
    const view = new DataView(payload.buffer);
    view.setUint32(0, MAGIC);
    view.setUint32(4, seq);
    view.setFloat64(8, Date.now());
    view.setUint32(16, delaySum);
    const path: PathHop[] = route.map((e, i) => ({
      id: e.nodeId,
      publicKey: e.sphinxKeys.current,
      commands: i === route.length - 1 ? [recipient(to)] : [delay(delays[i])],
    }));
    const packet = newPacket(geometry, path, payload);
    if (!this.#stream || this.#stream.status !== 'open') {
      const peer = router.peerOf(entry).toString();
      this.#stream = await this.host.dialProtocol(entry.addresses.map((a) => multiaddr(a).encapsulate(`/p2p/${peer}`)), CLIENT_SEND_PROTOCOL);
    }
    if (!this.#stream.send(packet)) await new Promise((r) => this.#stream!.addEventListener('drain', r, { once: true }));
    return delaySum;
  }

  /** One fetch (acknowledging what the previous fetch returned); returns the probes delivered. */
  async fetch(gateway: NodeEntry, router: TopologyRouter, geometry: Geometry): Promise<Delivered[]> {
    const counter = this.#counter++;
    const request = encodeFetchRequest({ counter, acks: this.#acks.splice(0, 32) }, pkiSigningKey(this.#key));
    const reply = await callRpc(this.host, router.peerOf(gateway), gateway.addresses, CLIENT_FETCH_PROTOCOL, request, { maxResponseBytes: 4 << 20 });
    const entries = decodeFetchReply(reply, counter, geometry.payloadTagLength + geometry.forwardPayloadLength);
    const out: Delivered[] = [];
    for (const e of entries) {
      this.#acks.push(e.id!);
      const view = new DataView(e.body.buffer, e.body.byteOffset, e.body.byteLength);
      if (e.body.length < 20 || view.getUint32(0) !== MAGIC) continue;
      out.push({ seq: view.getUint32(4), latencyMs: Date.now() - view.getFloat64(8), delaySumMs: view.getUint32(16) });
    }
    return out;
  }

  async stop(): Promise<void> {
    this.#stream?.abort(new Error('stopping'));
    await this.host.stop();
  }
}

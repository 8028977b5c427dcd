// In-memory hosts for service tests that test logic, not the network: each
// implements the narrow host interfaces the services take
// (runtime/net/host.ts: ProtocolHost, DialHost, PeerHost) and connects a dial
// to the remote's handler through libp2p's own in-memory stream pair
// (@libp2p/utils streamPair: real Stream objects, with their events and
// backpressure), so no TCP port, Noise handshake or yamux session is needed
// and a test can run the services on a ManualClock. The tests where the
// network is the point (packet-link, RPC over TCP) keep real hosts.

import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection, DialTarget, Ed25519PrivateKey, PeerId, Stream, StreamHandler } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { streamPair } from '@libp2p/utils';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { DialHost, PeerHost, ProtocolHost } from '../../runtime/net/host.js';

/** The hosts that can reach each other, by peer id. */
export class MemoryNetwork {
  readonly #hosts = new Map<string, MemoryHost>();

  /** A host for `privateKey` (a fresh key if none), reachable by its peer id once created. */
  async host(privateKey?: Ed25519PrivateKey): Promise<MemoryHost> {
    const host = new MemoryHost(this, peerIdFromPrivateKey(privateKey ?? (await generateKeyPair('Ed25519'))));
    this.#hosts.set(host.peerId.toString(), host);
    return host;
  }

  /** Takes `host` off the network: dials to it fail as to a stopped node. */
  remove(host: MemoryHost): void {
    if (this.#hosts.get(host.peerId.toString()) === host) this.#hosts.delete(host.peerId.toString());
  }

  find(peer: string): MemoryHost | undefined {
    return this.#hosts.get(peer);
  }
}

export class MemoryHost implements ProtocolHost, DialHost, PeerHost {
  readonly peerId: PeerId;
  readonly #network: MemoryNetwork;
  readonly #handlers = new Map<string, StreamHandler>();
  /** The hosts that dialed this one, by peer id: what getConnections() reports (a gateway reads a client's source address there). */
  readonly #inbound = new Map<string, Connection>();
  /** The source address every memory connection reports (services that read one see loopback). */
  readonly address: Multiaddr = multiaddr('/ip4/127.0.0.1/tcp/4001');

  constructor(network: MemoryNetwork, peerId: PeerId) {
    this.#network = network;
    this.peerId = peerId;
  }

  async handle(protocol: string | string[], handler: StreamHandler): Promise<void> {
    for (const p of [protocol].flat()) {
      if (this.#handlers.has(p)) throw new Error(`${p} is already handled`);
      this.#handlers.set(p, handler);
    }
  }

  async unhandle(protocols: string | string[]): Promise<void> {
    for (const p of [protocols].flat()) this.#handlers.delete(p);
  }

  async dialProtocol(target: DialTarget, protocols: string | string[]): Promise<Stream> {
    const peer = peerOf(target);
    const remote = peer === undefined ? undefined : this.#network.find(peer);
    if (remote === undefined) throw new Error(`cannot reach ${peer ?? 'an address without a peer id'} (not on the memory network)`);
    const protocol = [protocols].flat().find((p) => remote.#handlers.has(p));
    if (protocol === undefined) throw new Error(`${peer} does not handle ${[protocols].flat().join(', ')}`);
    const [outbound, inbound] = await streamPair({ protocol });
    const connection = { remotePeer: this.peerId, remoteAddr: this.address } as unknown as Connection;
    remote.#inbound.set(this.peerId.toString(), connection);
    void Promise.resolve(remote.#handlers.get(protocol)!(inbound, connection)).catch((err: unknown) => inbound.abort(err as Error));
    return outbound;
  }

  /** The connections of the hosts that dialed this one (of `peer` only, when given); a memory connection stays until stop(). */
  getConnections(peer?: PeerId): Connection[] {
    if (peer === undefined) return [...this.#inbound.values()];
    const connection = this.#inbound.get(peer.toString());
    return connection === undefined ? [] : [connection];
  }

  /** Stops serving: unregisters every handler and leaves the network. */
  async stop(): Promise<void> {
    this.#handlers.clear();
    this.#inbound.clear();
    this.#network.remove(this);
  }
}

function peerOf(target: DialTarget): string | undefined {
  if (Array.isArray(target)) return target.map((a) => a.getComponents().find((c) => c.name === 'p2p')?.value).find((p) => p !== undefined);
  if ('getComponents' in target) return target.getComponents().find((c) => c.name === 'p2p')?.value;
  return target.toString();
}

// The relay's libp2p host: TCP + Noise + yamux and nothing else (no DHT, no
// identify, no relay, no UPnP, no AutoNAT). Peers and their addresses come
// from the signed topology document, so no discovery service is needed.

import './polyfill.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';

export interface HostOptions {
  readonly privateKey: PrivateKey;
  /** Listen multiaddrs, e.g. '/ip4/0.0.0.0/tcp/4001' ('/tcp/0' picks a free port). */
  readonly listen: readonly string[];
  /**
   * Connections held at most (libp2p's default, 300, prunes the rest). A
   * gateway holds one per client: the daemon sizes it from max_clients
   * (bench gateway.load found a gateway capped at 300 clients).
   */
  readonly maxConnections?: number;
  /** New inbound connections accepted per second from one IP address (libp2p's default: 5). */
  readonly inboundConnectionsPerSecondPerAddress?: number;
  /** Inbound connections in their handshake at once (libp2p's default: 10); more are reset. */
  readonly maxIncomingPendingConnections?: number;
}

export type Host = Libp2p;

// The parts of a host a service uses (js-libp2p's components model): each
// service names only these in its Components, so a test can hand it an
// in-memory host (test/helpers/memory-host.ts) instead of TCP on loopback.

/** Serves protocols: registers and unregisters stream handlers. */
export type ProtocolHost = Pick<Libp2p, 'handle' | 'unhandle'>;
/** Opens streams to other peers. */
export type DialHost = Pick<Libp2p, 'dialProtocol'>;
/** Who this host is and who is connected (a gateway reads a client's source address). */
export type PeerHost = Pick<Libp2p, 'peerId' | 'getConnections'>;

/** A started libp2p node; `await host.stop()` closes its connections and listeners. */
export async function createHost(options: HostOptions): Promise<Host> {
  return createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: [...options.listen] },
    connectionManager: {
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      ...(options.inboundConnectionsPerSecondPerAddress !== undefined ? { inboundConnectionThreshold: options.inboundConnectionsPerSecondPerAddress } : {}),
      ...(options.maxIncomingPendingConnections !== undefined ? { maxIncomingPendingConnections: options.maxIncomingPendingConnections } : {}),
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // yamux keep-alive pings (default on, every 30 s) keep an idle link's TCP
    // socket from hitting its 2-minute inactivity timeout.
    streamMuxers: [yamux({ enableKeepAlive: true })],
    peerDiscovery: [],
    services: {},
    // The built-in monitor pings every connection and aborts dead ones, which
    // is how a half-open TCP link (peer crashed, laptop slept) gets noticed.
    connectionMonitor: { enabled: true },
    start: true,
  });
}

// Resolves Sphinx node ids to libp2p peers through the verified documents a
// node holds, for forwarding on the packet link and for accepting inbound
// links only from nodes of the topology.

import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { ctEqual, toHex } from '../../protocol/bytes.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import type { Topology } from '../../protocol/pki/routes.js';
import type { PacketLink } from './packet-link.js';

/** Where a node finds the topology: the current epoch's document and the neighbouring ones still in use. */
export interface TopologyView {
  /** The document of the epoch at `nowMs`, if verified and held. */
  current(nowMs: number): Topology | null;
  /** Every document held (current, previous during its grace, next). */
  all(): readonly Topology[];
}

export class TopologyRouter {
  readonly #view: TopologyView;
  readonly #peers = new Map<string, PeerId>();

  constructor(view: TopologyView) {
    this.#view = view;
  }

  /** The node's entry in the newest document that lists it. */
  entry(nodeId: Uint8Array): NodeEntry | undefined {
    // Per forwarded packet: one pass, no copy or sort of the (two or three) documents.
    let best: { epoch: number; entry: NodeEntry } | undefined;
    for (const t of this.#view.all()) {
      if (best && t.epoch <= best.epoch) continue;
      const e = t.node(nodeId);
      if (e) best = { epoch: t.epoch, entry: e };
    }
    return best?.entry;
  }

  peerOf(entry: NodeEntry): PeerId {
    const key = toHex(entry.identityKey);
    let peer = this.#peers.get(key);
    if (!peer) {
      peer = peerIdFromPublicKey(publicKeyFromRaw(entry.identityKey));
      this.#peers.set(key, peer);
    }
    return peer;
  }

  /** Whether `peer` is a node of any document held. */
  isKnownPeer(peer: PeerId): boolean {
    const raw = peer.publicKey?.raw;
    if (!raw) return false;
    return this.#view.all().some((t) => [...t.document.gateways, ...t.document.layers.flat()].some((e) => ctEqual(e.identityKey, raw)));
  }

  /** Sends `packet` on `link` to the node with Sphinx id `nodeId`. */
  forward(link: PacketLink, nodeId: Uint8Array, packet: Uint8Array): 'sent' | 'unknown' | 'queue-full' {
    const entry = this.entry(nodeId);
    if (!entry) return 'unknown';
    return link.send(this.peerOf(entry), entry.addresses, packet) ? 'sent' : 'queue-full';
  }
}

// How many streams one peer may hold open at once on one protocol, counted
// by us rather than by libp2p.
//
// libp2p's own per-protocol bound (`maxInboundStreams`, per connection)
// resets a stream past it before any handler runs, so the refusal is never
// counted or logged, and it is per connection: a peer with two connections
// gets twice the streams. Our handlers therefore register with the generous
// LIBP2P_INBOUND_STREAM_CEILING and enforce their real bound here, per peer
// over all its connections, so every refusal is a counted drop
// (docs/wire.md §Stream bounds).

import type { PeerId } from '@libp2p/interface';

/**
 * The libp2p-level limit our handlers register with: above every bound we
 * enforce ourselves (the streams we refuse are reset at once, so few are
 * ever open together), and below yamux's 1000 streams per connection.
 */
export const LIBP2P_INBOUND_STREAM_CEILING = 256;

export class PeerStreamBound {
  readonly maxPerPeer: number;
  /** Open streams per peer (string id); an entry is deleted at zero, so the map holds only active peers. */
  readonly #open = new Map<string, number>();

  constructor(maxPerPeer: number) {
    if (!Number.isInteger(maxPerPeer) || maxPerPeer < 1 || maxPerPeer > LIBP2P_INBOUND_STREAM_CEILING) {
      throw new RangeError(`maxPerPeer must be an integer from 1 to ${LIBP2P_INBOUND_STREAM_CEILING}, got ${maxPerPeer}`);
    }
    this.maxPerPeer = maxPerPeer;
  }

  /**
   * Takes one of `peer`'s slots: a release function (idempotent) to call
   * when the stream ends, or null when the peer holds maxPerPeer already.
   */
  acquire(peer: PeerId | string): (() => void) | null {
    const key = typeof peer === 'string' ? peer : peer.toString();
    const count = this.#open.get(key) ?? 0;
    if (count >= this.maxPerPeer) return null;
    this.#open.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left <= 0) this.#open.delete(key);
      else this.#open.set(key, left);
    };
  }

  /** Streams `peer` holds open now. */
  openBy(peer: PeerId | string): number {
    return this.#open.get(typeof peer === 'string' ? peer : peer.toString()) ?? 0;
  }

  /** Peers with at least one stream open. */
  get peers(): number {
    return this.#open.size;
  }
}

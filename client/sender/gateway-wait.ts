// Fragments whose recipient's gateway is not in the current document. No
// route leads there, but the payload slot that found one must still send
// something (a decoy), or the stream would fall silent exactly while
// messages wait, which the link shows (issue 9 §4: "the Poisson streams
// must never pause or burst because of what is queued"). The fragment waits
// here, out of the ARQ's ready queue so it blocks no other contact's
// messages, with no transmission counted, until a document lists its
// gateway again; the daemon then sends it first.
//
// A fragment is normally caught before it is sealed (the messenger asks
// whether its gateway is routable), so the wait takes no ratchet step. One
// caught already sealed (the document changed in between) waits with its
// envelope (`item`): sealing again later would leave the recipient a gap of
// skipped keys. Items wait in memory only; after a restart the messenger
// queues the fragments again.
//
// Keys are the ARQ's fragment keys; gateways are compared by node id.

import { toHex } from '../../protocol/bytes.js';

export class GatewayWait<T> {
  /** Waiting fragment key → its gateway's node id (hex) and item, in the order they started waiting. */
  readonly #waiting = new Map<string, { gateway: string; item: T }>();

  /** `key` cannot be routed: its gateway `gateway` is not in the current document. */
  park(key: string, gateway: Uint8Array, item: T): void {
    this.#waiting.delete(key);
    this.#waiting.set(key, { gateway: toHex(gateway), item });
  }

  has(key: string): boolean {
    return this.#waiting.has(key);
  }

  /** Forgets `key` (delivered, cancelled, or its contact removed). */
  remove(key: string): void {
    this.#waiting.delete(key);
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** Forgets every fragment `isPending` says the sender no longer holds; returns how many still wait. */
  prune(isPending: (key: string) => boolean): number {
    for (const key of this.#waiting.keys()) if (!isPending(key)) this.#waiting.delete(key);
    return this.#waiting.size;
  }

  /** Waiting fragments per gateway (hex node id). */
  byGateway(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { gateway } of this.#waiting.values()) out.set(gateway, (out.get(gateway) ?? 0) + 1);
    return out;
  }

  /**
   * Hands `take`, oldest first, every fragment whose gateway `isRoutable`
   * (hex node id) now says is back, and forgets it; forgets every fragment
   * `isPending` says the sender no longer holds. Returns how many it took.
   */
  release(isRoutable: (gatewayHex: string) => boolean, isPending: (key: string) => boolean, take: (key: string, item: T) => void): number {
    let n = 0;
    for (const [key, { gateway, item }] of this.#waiting) {
      if (!isPending(key)) this.#waiting.delete(key);
      else if (isRoutable(gateway)) {
        this.#waiting.delete(key);
        take(key, item);
        n++;
      }
    }
    return n;
  }
}

// Fragments whose recipient's gateway is not in the current document. No
// route leads there, but the payload slot that found one must still send
// something (a decoy), or the stream would fall silent exactly while
// messages wait, which the link shows (issue 9 §4: "the Poisson streams
// must never pause or burst because of what is queued"). The fragment waits
// here, out of the ARQ's ready queue so it blocks no other contact's
// messages, with no transmission counted, until a document lists its
// gateway again; the daemon then puts it back at the front of the queue.
//
// Keys are the ARQ's fragment keys; gateways are compared by node id.

import { toHex } from '../../protocol/bytes.js';

export class GatewayWait {
  /** Waiting fragment key → its gateway's node id (hex), in the order they started waiting. */
  readonly #waiting = new Map<string, string>();

  /** `key` cannot be routed: its gateway `gateway` is not in the current document. */
  park(key: string, gateway: Uint8Array): void {
    this.#waiting.delete(key);
    this.#waiting.set(key, toHex(gateway));
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
    for (const g of this.#waiting.values()) out.set(g, (out.get(g) ?? 0) + 1);
    return out;
  }

  /**
   * Takes out, oldest first, every fragment whose gateway `isRoutable`
   * (hex node id) now says is back, and every fragment `isPending` says the
   * sender no longer holds.
   */
  release(isRoutable: (gatewayHex: string) => boolean, isPending: (key: string) => boolean): string[] {
    const out: string[] = [];
    for (const [key, gateway] of this.#waiting) {
      if (!isPending(key)) this.#waiting.delete(key);
      else if (isRoutable(gateway)) {
        this.#waiting.delete(key);
        out.push(key);
      }
    }
    return out;
  }
}

// The per-client budget on short-handle claims and releases (docs/gateway.md
// §Short handles): each one that reaches the handle registry may cost a
// synced LevelDB write, so a client alternating names could make the
// gateway write without end. Each client gets a token bucket of `perHour`
// requests, refilled over an hour (also the burst); a request over it is
// refused 'rate-limited' by node/gateway/handle-claim-handler.ts.
//
// Bounded: the handler charges only clients registered here, so there are
// at most max_clients buckets; the maintenance pass (GatewayService.maintain)
// drops a bucket once it is full again (an idle bucket is as good as a new
// one) and the buckets of clients no longer registered. Time is the
// gateway's injected Clock.
//
// The first refusal of a client in each hour is marked 'limited-first', so
// the gateway logs a flooding client once an hour, not once a request.

import { toHex } from '../../protocol/bytes.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { TokenBucket } from './token-bucket.js';

/** Claims and releases one client may make per hour, and in one burst (config `handle_claims_per_client_per_hour`). */
export const DEFAULT_HANDLE_CLAIMS_PER_CLIENT_PER_HOUR = 10;
/** The bucket's period, and how often a limited client is reported at most. */
const WINDOW_MS = 3_600_000;

/** 'ok': charged; 'limited': over the budget; 'limited-first': over it, the first time in this window for this client. */
export type ClaimCharge = 'ok' | 'limited' | 'limited-first';

interface Entry {
  readonly mailboxId: Uint8Array;
  readonly bucket: TokenBucket;
  /** Before this time a refusal is not reported again. */
  quietUntilMs: number;
}

export class HandleClaimBudget {
  /** Requests per client per hour, and the burst. */
  readonly perHour: number;
  readonly #clock: Pick<Clock, 'now'>;
  /** Mailbox id (hex) of a client that made a request → its bucket. */
  readonly #clients = new Map<string, Entry>();

  constructor(options: { perHour?: number; clock: Pick<Clock, 'now'> }) {
    const perHour = options.perHour ?? DEFAULT_HANDLE_CLAIMS_PER_CLIENT_PER_HOUR;
    if (!Number.isSafeInteger(perHour) || perHour < 1) throw new RangeError(`handle claims per client per hour must be a positive integer, got ${perHour}`);
    this.perHour = perHour;
    this.#clock = options.clock;
  }

  /** Charges one request of the client with mailbox `mailboxId` (a client registered here: the caller checks). */
  charge(mailboxId: Uint8Array): ClaimCharge {
    const now = this.#clock.now();
    const key = toHex(mailboxId);
    let entry = this.#clients.get(key);
    if (entry === undefined) {
      entry = { mailboxId: Uint8Array.from(mailboxId), bucket: new TokenBucket(this.perHour / 3600, this.perHour, now), quietUntilMs: now };
      this.#clients.set(key, entry);
    }
    if (entry.bucket.take(now)) return 'ok';
    if (now < entry.quietUntilMs) return 'limited';
    entry.quietUntilMs = now + WINDOW_MS;
    return 'limited-first';
  }

  /**
   * Drops the buckets that are full again (and whose client was not
   * reported within the window) and those of clients `isRegistered` no
   * longer knows; returns how many.
   */
  prune(isRegistered: (mailboxId: Uint8Array) => boolean): number {
    const now = this.#clock.now();
    let dropped = 0;
    for (const [key, entry] of this.#clients) {
      if ((entry.bucket.isFull(now) && now >= entry.quietUntilMs) || !isRegistered(entry.mailboxId)) {
        this.#clients.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Clients with a bucket held now. */
  get size(): number {
    return this.#clients.size;
  }
}

// How much a stranger may make the client keep (docs/client.md §Contact
// requests). Anyone who knows an address can write to it; each first
// envelope from an unknown identity opens an end-to-end session and a
// contact request. Without bounds a flood of strangers grew the client's
// sessions, memory, disk and per-entry work without end. The policy bounds:
//   - how many contact requests are held (count), evicting the oldest;
//   - how long one is held (age);
//   - how fast new ones are admitted (rate: a token bucket);
//   - what one request may hold (messages and content bytes).
// A request's session is its only session: a stranger who starts another one
// replaces the first. Once the user adds the stranger as a contact, none of
// this applies any more.

import type { RequestRecord } from './state.js';

export interface StrangerLimits {
  /** Contact requests held at once; the oldest is dropped for a new one. */
  maxRequests: number;
  /** A request is dropped this long after its first envelope. */
  maxRequestAgeMs: number;
  /** New requests admitted per hour (sustained). */
  requestsPerHour: number;
  /** New requests admitted at once after a quiet time. */
  requestBurst: number;
  /** Messages one request may hold. */
  maxMessagesPerRequest: number;
  /** Content bytes one request may hold (a file counts in full). */
  maxBytesPerRequest: number;
}

export const DEFAULT_STRANGER_LIMITS: Readonly<StrangerLimits> = Object.freeze({
  maxRequests: 50,
  maxRequestAgeMs: 14 * 24 * 3600_000,
  requestsPerHour: 20,
  requestBurst: 20,
  maxMessagesPerRequest: 20,
  maxBytesPerRequest: 1 << 20,
});

export type StrangerVerdict = { admit: true; evict: string[] } | { admit: false; reason: 'request-rate' };

export class StrangerPolicy {
  readonly limits: Readonly<StrangerLimits>;
  #tokens: number;
  #refilledMs: number;

  constructor(limits: Partial<StrangerLimits> = {}, nowMs = 0) {
    this.limits = Object.freeze({ ...DEFAULT_STRANGER_LIMITS, ...limits });
    this.#tokens = this.limits.requestBurst;
    this.#refilledMs = nowMs;
  }

  /**
   * A first envelope from a new stranger: admitted (with the requests to drop
   * first, by identity, oldest first) or refused for its rate. Consumes a
   * token when admitted.
   */
  admitNew(requests: ReadonlyMap<string, RequestRecord>, nowMs: number): StrangerVerdict {
    const elapsed = Math.max(0, nowMs - this.#refilledMs);
    this.#tokens = Math.min(this.limits.requestBurst, this.#tokens + (elapsed * this.limits.requestsPerHour) / 3600_000);
    this.#refilledMs = nowMs;
    if (this.#tokens < 1) return { admit: false, reason: 'request-rate' };
    this.#tokens -= 1;
    const evict = this.expired(requests, nowMs);
    const left = [...requests.values()].filter((r) => !evict.includes(r.identity)).sort((a, b) => a.firstMs - b.firstMs);
    while (left.length >= this.limits.maxRequests) evict.push(left.shift()!.identity);
    return { admit: true, evict };
  }

  /** Requests past their age. */
  expired(requests: ReadonlyMap<string, RequestRecord>, nowMs: number): string[] {
    return [...requests.values()].filter((r) => nowMs - r.firstMs > this.limits.maxRequestAgeMs).map((r) => r.identity);
  }

  /** Whether one more message of `bytes` content bytes fits in the request. */
  fits(request: RequestRecord, bytes: number): boolean {
    return request.messages < this.limits.maxMessagesPerRequest && (request.bytes ?? 0) + bytes <= this.limits.maxBytesPerRequest;
  }
}

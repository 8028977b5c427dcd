// A token bucket (RFC 2697-style single rate): `ratePerSecond` tokens are
// added continuously up to `burst`; each packet takes one. The gateway keeps
// one per client, sized from the network's λ's with headroom, so a client
// cannot flood layer 1 while a well-behaved Poisson stream is never refused.

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError('TokenBucket: rate must be positive');
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError('TokenBucket: burst must be at least 1');
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  /** Takes one token if available at `nowMs`. */
  take(nowMs: number): boolean {
    if (!this.available(nowMs)) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whether a token is available at `nowMs` (without taking it). */
  available(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= 1;
  }

  /**
   * Whether the bucket is full at `nowMs`: then it is indistinguishable from
   * a new one, so its owner can drop it (idle eviction) and create it again
   * when needed.
   */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.burst;
  }

  #refill(nowMs: number): void {
    if (nowMs > this.#lastMs) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#lastMs) / 1000) * this.ratePerSecond);
      this.#lastMs = nowMs;
    }
  }
}

/**
 * The bucket a gateway gives each client: the client's total Poisson rate
 * λ = λP + λL + λD times `headroom`, with a burst that a Poisson stream of
 * rate λ exceeds over one second with probability below ~1e-6.
 */
export function clientBucket(lambdaTotal: number, headroom: number, nowMs: number): TokenBucket {
  const rate = lambdaTotal * headroom;
  // Poisson(λ) tail: λ + 5√λ + 5 covers well beyond 1e-6 for λ ≥ 0.1.
  const burst = Math.ceil(lambdaTotal + 5 * Math.sqrt(lambdaTotal) + 5) * headroom;
  return new TokenBucket(rate, burst, nowMs);
}

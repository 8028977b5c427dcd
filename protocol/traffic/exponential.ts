// Exponential and Poisson-process sampling (Loopix, Piotrowska et al. 2017
// §4.1: per-hop delays Exp(μ) and client streams as Poisson processes).

import type { Uniform } from '../crypto/random.js';

function checkRate(rate: number, what: string): void {
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`${what} must be a positive finite rate, got ${rate}`);
}

/** One sample of Exp(rate): mean 1/rate, by inversion −ln(1 − U)/rate. */
export function sampleExponential(rate: number, uniform: Uniform): number {
  checkRate(rate, 'exponential rate');
  return -Math.log(1 - uniform()) / rate;
}

/** The largest delay a Sphinx delay command can carry (u32 milliseconds). */
export const MAX_DELAY_MS = 0xffffffff;

/**
 * P[Exp(μ) > bound]: how rarely an honest Exp(μ) draw exceeds the per-hop
 * delay bound (docs/sphinx.md §Delay bound). The bound is −ln(p)/μ ≈ 20.7
 * mean delays.
 */
export const HOP_DELAY_TAIL_PROBABILITY = 1e-9;

/**
 * The longest per-hop delay a hop honours and a sender draws, in whole ms,
 * for a mean per-hop delay of `meanDelayMs` (= 1000/μ): ⌈−ln(p)·mean⌉ with
 * p = HOP_DELAY_TAIL_PROBABILITY, at most MAX_DELAY_MS. A delay command above
 * it could only pin a hop's delay queue (an honest sender never draws one),
 * so hops refuse it. Senders and hops both call this with 1000/μ from the
 * document, so they compute the same number.
 */
export function maxHopDelayMs(meanDelayMs: number): number {
  if (!Number.isFinite(meanDelayMs) || meanDelayMs < 0) throw new RangeError(`mean delay must be ≥ 0 ms, got ${meanDelayMs}`);
  return Math.min(MAX_DELAY_MS, Math.ceil(-Math.log(HOP_DELAY_TAIL_PROBABILITY) * meanDelayMs));
}

/**
 * Per-hop delays for one packet, in whole milliseconds: each Exp with mean
 * `meanDelayMs` (= 1000/μ for μ in 1/s), chosen by the sender per packet,
 * truncated at maxHopDelayMs(meanDelayMs) so no hop refuses it. Truncation
 * moves probability p = 10⁻⁹ of each draw onto the bound: the sent delays
 * differ from Exp(μ) by total variation p per hop, so an observer's view of
 * a packet's timing changes by at most that (docs/sphinx.md §Delay bound).
 */
export function sampleHopDelaysMs(meanDelayMs: number, hops: number, uniform: Uniform): number[] {
  if (!Number.isFinite(meanDelayMs) || meanDelayMs < 0) throw new RangeError(`mean delay must be ≥ 0 ms, got ${meanDelayMs}`);
  if (!Number.isInteger(hops) || hops < 0) throw new RangeError(`hops must be a whole number, got ${hops}`);
  if (meanDelayMs === 0) return new Array<number>(hops).fill(0);
  const bound = maxHopDelayMs(meanDelayMs);
  return Array.from({ length: hops }, () => Math.min(bound, Math.round(sampleExponential(1 / meanDelayMs, uniform))));
}

/**
 * A Poisson process of `ratePerSecond` events per second: each call gives
 * the time (ms) of the next event after `fromMs`. Time is an argument, so
 * the same schedule runs on a real or a virtual clock.
 */
export class PoissonSchedule {
  readonly ratePerSecond: number;
  readonly #uniform: Uniform;

  constructor(ratePerSecond: number, uniform: Uniform) {
    checkRate(ratePerSecond, 'Poisson rate');
    this.ratePerSecond = ratePerSecond;
    this.#uniform = uniform;
  }

  /** The time of the next event after `fromMs`, in ms. */
  next(fromMs: number): number {
    return fromMs + 1000 * sampleExponential(this.ratePerSecond, this.#uniform);
  }
}

// Exponential and Poisson-process sampling (Loopix, Piotrowska et al. 2017
// §4.1: per-hop delays Exp(μ) and client streams as Poisson processes).

import type { Uniform } from './uniform.js';

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
 * Per-hop delays for one packet, in whole milliseconds: each Exp with mean
 * `meanDelayMs` (= 1000/μ for μ in 1/s), chosen by the sender per packet.
 */
export function sampleHopDelaysMs(meanDelayMs: number, hops: number, uniform: Uniform): number[] {
  if (!Number.isFinite(meanDelayMs) || meanDelayMs < 0) throw new RangeError(`mean delay must be ≥ 0 ms, got ${meanDelayMs}`);
  if (!Number.isInteger(hops) || hops < 0) throw new RangeError(`hops must be a whole number, got ${hops}`);
  if (meanDelayMs === 0) return new Array<number>(hops).fill(0);
  return Array.from({ length: hops }, () => Math.min(MAX_DELAY_MS, Math.round(sampleExponential(1 / meanDelayMs, uniform))));
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

// A day/night cycle: a user's rate at time t is r·(1 + a·sin(2πt/D)), a in
// [0, 1). Send times of this non-homogeneous Poisson process are drawn by
// thinning (Lewis & Shedler, "Simulation of nonhomogeneous Poisson processes
// by thinning", Naval Research Logistics Quarterly 26, 1979): propose events
// at the peak rate r·(1 + a) and keep each with probability rate(t)/peak.
// With a = 0 every proposal is kept: a plain Poisson process.

import type { Uniform } from '../../protocol/crypto/random.js';

export interface DayNight {
  /** Modulation depth a ∈ [0, 1). */
  amplitude: number;
  /** Cycle length D, ms. */
  periodMs: number;
}

/** The rate multiplier at time t: 1 + a·sin(2πt/D). */
export function dayNightFactor(cycle: DayNight, tMs: number): number {
  return 1 + cycle.amplitude * Math.sin((2 * Math.PI * tMs) / cycle.periodMs);
}

/**
 * The time (ms) of the next event after `fromMs` of a process with base
 * rate `ratePerS` modulated by `cycle`; Infinity for a zero rate.
 */
export function nextModulatedEvent(fromMs: number, ratePerS: number, cycle: DayNight, uniform: Uniform): number {
  if (!(ratePerS > 0)) return Infinity;
  if (!(cycle.amplitude >= 0 && cycle.amplitude < 1)) throw new RangeError(`day/night amplitude must be in [0, 1), got ${cycle.amplitude}`);
  const peak = ratePerS * (1 + cycle.amplitude);
  let t = fromMs;
  for (;;) {
    t += (-Math.log(1 - uniform()) / peak) * 1000;
    if (cycle.amplitude === 0 || uniform() * (1 + cycle.amplitude) < dayNightFactor(cycle, t)) return t;
  }
}

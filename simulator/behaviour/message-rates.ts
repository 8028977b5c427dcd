// Per-user message rates with a heavy tail: in real messaging a few users
// write far more than most. Each distribution is scaled to the configured
// mean, so changing the shape changes the spread, not the total traffic.
//
//   constant   every user has the mean rate
//   pareto     x_m / U^(1/α) with x_m = mean·(α − 1)/α (mean finite for α > 1)
//   lognormal  exp(m + σZ) with m = ln(mean) − σ²/2, Z standard normal
//              (Box–Muller)

import type { Uniform } from '../../protocol/crypto/random.js';
import type { RateDistribution } from './spec.js';

export interface RateShape {
  distribution: RateDistribution;
  paretoShape: number;
  lognormalSigma: number;
}

/** One standard normal draw (Box–Muller, using two uniforms). */
export function standardNormal(uniform: Uniform): number {
  const u1 = 1 - uniform(); // (0, 1]: log is finite
  const u2 = uniform();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** One rate per user with the given mean. */
export function drawUserRates(users: number, mean: number, shape: RateShape, uniform: Uniform): Float64Array {
  if (!Number.isInteger(users) || users < 0) throw new RangeError(`drawUserRates: users must be a whole number ≥ 0, got ${users}`);
  if (!Number.isFinite(mean) || mean < 0) throw new RangeError(`drawUserRates: mean must be a finite number ≥ 0, got ${mean}`);
  const rates = new Float64Array(users);
  for (let u = 0; u < users; u++) {
    switch (shape.distribution) {
      case 'constant':
        rates[u] = mean;
        break;
      case 'pareto': {
        const a = shape.paretoShape;
        if (!(a > 1)) throw new RangeError(`drawUserRates: the Pareto shape must be > 1 for a finite mean, got ${a}`);
        rates[u] = (mean * (a - 1)) / a / (1 - uniform()) ** (1 / a);
        break;
      }
      case 'lognormal': {
        const s = shape.lognormalSigma;
        rates[u] = Math.exp(Math.log(mean) - (s * s) / 2 + s * standardNormal(uniform));
        break;
      }
    }
  }
  return rates;
}

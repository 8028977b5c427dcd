// How simulated users behave, as configured in the [behaviour] table
// (docs/simulator.md §User behaviour): how often each user starts a
// conversation (a heavy-tailed rate per user), whom they write to (a
// neighbour in the social graph, by edge weight), whether a received
// message gets a reply, and an optional day/night cycle.

import type { TomlReader } from '../../protocol/config/typed-reader.js';

export const RATE_DISTRIBUTIONS = ['constant', 'pareto', 'lognormal'] as const;
export type RateDistribution = (typeof RATE_DISTRIBUTIONS)[number];

export interface BehaviourSpec {
  /** Mean rate at which a user starts messages (not counting replies), per hour. */
  ratePerHour: number;
  /** How the per-user rates spread around that mean. */
  rateDistribution: RateDistribution;
  /** Pareto tail index α (> 1 for a finite mean; smaller = heavier tail). */
  paretoShape: number;
  /** σ of the underlying normal of the lognormal. */
  lognormalSigma: number;
  /** Probability that reading a message makes the reader reply to its sender. */
  replyProbability: number;
  /** Mean time from reading a message to sending the reply (exponential), s. */
  replyDelayS: number;
  /** Day/night modulation depth a ∈ [0, 1): rate(t) = r·(1 + a·sin(2πt/day)); 0 = off. */
  dayNightAmplitude: number;
  /** Length of the day/night cycle, s. */
  dayLengthS: number;
}

export const BEHAVIOUR_KEYS = ['rate', 'rate_distribution', 'pareto_shape', 'lognormal_sigma', 'reply_probability', 'reply_delay', 'day_night', 'day_length'] as const;

export function readBehaviourSpec(b: TomlReader): BehaviourSpec {
  b.only(...BEHAVIOUR_KEYS);
  return {
    ratePerHour: b.number('rate', 30, 0, 1_000_000, { above: true, unit: 'messages per user per hour' }),
    rateDistribution: b.oneOf('rate_distribution', RATE_DISTRIBUTIONS, 'lognormal'),
    paretoShape: b.number('pareto_shape', 2.5, 1, 100, { above: true }),
    lognormalSigma: b.number('lognormal_sigma', 1, 0, 5),
    // A reply can trigger a reply: the chain must end, so p < 1.
    replyProbability: b.number('reply_probability', 0.5, 0, 0.95),
    replyDelayS: b.number('reply_delay', 30, 0, 86_400, { unit: 's' }),
    dayNightAmplitude: b.number('day_night', 0, 0, 0.99),
    dayLengthS: b.number('day_length', 86_400, 1, 365 * 86_400, { unit: 's' }),
  };
}

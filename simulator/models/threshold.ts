// The threshold-mix model of the disclosure-attack literature (Danezis 2003
// §3): N recipients; every round a batch of b messages leaves the mix: one
// from the target to a friend chosen uniformly among its m friends, and b − 1
// background messages to uniformly chosen recipients.

import type { Uniform } from '../../protocol/crypto/random.js';
import { DisclosureTracker, StatisticalDisclosureAttack } from '../attacks/sda.js';
import { randomIndex, sampleDistinct } from '../random.js';

export interface ThresholdParams {
  /** N: number of possible recipients. */
  recipients: number;
  /** b: messages per round (batch threshold). */
  batch: number;
  /** m: the target's friends. */
  friends: number;
  /** Give up after this many rounds (the result is then null). */
  maxRounds: number;
}

/** Runs rounds until the SDA's top-m guess is the friend set; returns that round, or null. */
export function roundsToDisclosure(p: ThresholdParams, uniform: Uniform): number | null {
  const friends = sampleDistinct(p.recipients, p.friends, uniform);
  const tracker = new DisclosureTracker(new StatisticalDisclosureAttack(p.recipients, p.batch), friends);
  const outputs = new Int32Array(p.batch);
  for (let round = 1; round <= p.maxRounds; round++) {
    outputs[0] = friends[randomIndex(p.friends, uniform)];
    for (let i = 1; i < p.batch; i++) outputs[i] = randomIndex(p.recipients, uniform);
    if (tracker.observe(outputs)) return round;
  }
  return null;
}

/**
 * Danezis' estimate of the rounds needed (SEC 2003 §4):
 *   t > [ m·l·( √((N−1)(b−1)/N²) + √((N−1)(b−1)/N² + (m−1)/m²) ) ]²
 * with l the number of standard deviations of confidence (l = 2 ≈ 95 %).
 */
export function danezisBound(p: Pick<ThresholdParams, 'recipients' | 'batch' | 'friends'>, l: number): number {
  const { recipients: N, batch: b, friends: m } = p;
  const noise = ((N - 1) * (b - 1)) / (N * N);
  return (m * l * (Math.sqrt(noise) + Math.sqrt(noise + (m - 1) / (m * m)))) ** 2;
}

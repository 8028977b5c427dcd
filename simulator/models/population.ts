// A threshold mix fed by a population of users (the setting of the
// least-squares disclosure attack, Pérez-González & Troncoso 2012 §3): each
// of U users has m friends with random sending probabilities; every round the
// mix collects b messages, each from a uniformly chosen user to a recipient
// drawn from that user's profile, and flushes them. The observer sees per
// round how many messages each user sent and each user received.

import type { Uniform } from '../../protocol/crypto/random.js';
import { LeastSquaresDisclosureAttack, profileMse } from '../attacks/lsda.js';
import { randomIndex, sampleDistinct } from '../random.js';

export interface PopulationParams {
  users: number;
  batch: number;
  friends: number;
  /** Report the attack's error after each of these numbers of rounds (ascending). */
  checkpoints: number[];
}

/** The true profile matrix: each user sends to `friends` distinct others with random weights summing to 1. */
export function randomProfiles(users: number, friends: number, uniform: Uniform): Float64Array {
  const p = new Float64Array(users * users);
  for (let i = 0; i < users; i++) {
    const others = sampleDistinct(users - 1, friends, uniform).map((j) => (j >= i ? j + 1 : j));
    const weights = others.map(() => 0.2 + uniform());
    const total = weights.reduce((a, b) => a + b, 0);
    others.forEach((j, k) => (p[i * users + j] = weights[k] / total));
  }
  return p;
}

function drawRecipient(profile: Float64Array, row: number, users: number, uniform: Uniform): number {
  let u = uniform();
  for (let j = 0; j < users; j++) {
    u -= profile[row * users + j];
    if (u < 0) return j;
  }
  // Rounding: the last recipient with a non-zero probability.
  for (let j = users - 1; j >= 0; j--) if (profile[row * users + j] > 0) return j;
  return 0;
}

/** Runs rounds and returns the LSDA's mean squared profile error at each checkpoint. */
export function lsdaErrorCurve(p: PopulationParams, uniform: Uniform): Array<{ rounds: number; mse: number }> {
  const profile = randomProfiles(p.users, p.friends, uniform);
  const attack = new LeastSquaresDisclosureAttack(p.users, p.users);
  const inputs = new Int32Array(p.users);
  const outputs = new Int32Array(p.users);
  const curve: Array<{ rounds: number; mse: number }> = [];
  let next = 0;
  const last = p.checkpoints[p.checkpoints.length - 1];
  for (let round = 1; round <= last; round++) {
    inputs.fill(0);
    outputs.fill(0);
    for (let k = 0; k < p.batch; k++) {
      const sender = randomIndex(p.users, uniform);
      inputs[sender]++;
      outputs[drawRecipient(profile, sender, p.users, uniform)]++;
    }
    attack.observe(inputs, outputs);
    if (round === p.checkpoints[next]) {
      curve.push({ rounds: round, mse: profileMse(attack.estimate(), profile) });
      next++;
    }
  }
  return curve;
}

/** Least-squares slope of log(mse) against log(rounds). */
export function logLogSlope(curve: ReadonlyArray<{ rounds: number; mse: number }>): number {
  const xs = curve.map((c) => Math.log(c.rounds));
  const ys = curve.map((c) => Math.log(c.mse));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

// The pool model: the statistical disclosure attack against a pool mix
// (Mathewson & Dingledine, "Practical Traffic Analysis: Extending and
// Resisting Statistical Disclosure", PET 2004, §3–4; docs/simulator.md
// §The pool model).
//
// Each round messages arrive: exactly b (a threshold pool mix) or a
// Poisson number with mean b (a timed pool mix, flushing once per round).
// In a round the target sends with probability p_t, to one of its m
// friends chosen uniformly; the other arrivals come from background
// senders to uniformly chosen recipients. At the flush the mix keeps f
// messages chosen at random (all of them when it holds no more than f)
// and sends the rest. It starts full of f background messages. With f = 0
// and p_t = 1 this is Danezis' threshold mix.
//
// The observer sees who sent each arrival and the recipients of each
// flush, and knows the mix's counts, so it knows the chance q = out/held
// that any held message leaves at a flush: a target message that arrived
// before flush j leaves at j with probability (∏ earlier (1 − q)) · q.
// The generalised SDA (attacks/generalised-sda.ts) weights each flush by
// W = Σ of those probabilities over the target's messages, and estimates
// the background from flushes with W = 0 (or uses 1/N). Rounds to
// disclosure: the first round at which the m recipients with the largest
// v̂ are exactly the friends, every friend strictly above every other
// recipient (as the threshold model).
//
// Per-message anonymity: the mix picks which messages leave uniformly, so
// each leaving message's sender distribution is the pool's average
// (PoolMixAnonymity). It is measured over MEASURED_ROUNDS rounds after a
// warm-up in which the initial pool is flushed out, together with the
// rounds each message spent in the mix.

import type { Uniform } from '../../protocol/crypto/random.js';
import { GeneralisedDisclosureAttack } from '../attacks/generalised-sda.js';
import { PoolMixAnonymity } from '../metrics/anonymity.js';
import { latencySummary } from '../metrics/cost.js';
import { randomIndex, sampleDistinct } from '../random.js';
import type { PoolConfig } from './pool-config.js';

/** A target message's departure chance is no longer followed below this (its weight is negligible). */
export const WEIGHT_CUTOFF = 1e-2;
/** Rounds over which per-message anonymity and time in the mix are measured. */
export const MEASURED_ROUNDS = 200;

export type PoolParams = Omit<PoolConfig, 'model' | 'seeds' | 'seed'>;

export interface PoolRun {
  /** The round of disclosure, or null if not within maxRounds. */
  roundsToDisclosure: number | null;
  /** Mean entropy of a leaving message's sender distribution, bits. */
  entropyBits: number;
  /** Mean of 2^H over leaving messages. */
  effectiveSetSize: number;
  /** Rounds a message spends in the mix: mean, median, 99th percentile. */
  latencyRounds: { mean: number; p50: number; p99: number };
}

interface Held {
  sender: number;
  recipient: number;
  round: number;
}

/** A Poisson(mean) draw: the number of events of a rate-`mean` process in one unit of time. */
function poisson(mean: number, uniform: Uniform): number {
  let t = -Math.log(1 - uniform());
  let k = 0;
  while (t < mean) {
    k++;
    t -= Math.log(1 - uniform());
  }
  return k;
}

/** Rounds before the initial pool has (almost surely) left: ~5 mean residence times. */
export function warmUpRounds(p: Pick<PoolParams, 'batch' | 'pool'>): number {
  return Math.ceil((5 * (p.pool + p.batch)) / p.batch);
}

export function runPool(p: PoolParams, uniform: Uniform): PoolRun {
  const N = p.recipients;
  const friends = sampleDistinct(N, p.friends, uniform);
  const isFriend = new Uint8Array(N);
  for (const f of friends) isFriend[f] = 1;
  const background = (): number => 1 + randomIndex(p.senders - 1, uniform);
  const attack = new GeneralisedDisclosureAttack(1, N, { background: p.background });
  const observer = new PoolMixAnonymity(p.senders);
  const held: Held[] = [];
  for (let i = 0; i < p.pool; i++) {
    const h = { sender: background(), recipient: randomIndex(N, uniform), round: 0 };
    held.push(h);
    observer.enterFrom(h.sender);
  }
  // Each target message's probability of still being in the pool (as the observer computes it).
  let tracked: number[] = [];
  const outputs: number[] = [];
  const target = [0];
  const weight = [0];
  const firstMeasured = warmUpRounds(p) + 1;
  const lastMeasured = firstMeasured + MEASURED_ROUNDS - 1;
  let entropySum = 0;
  let setSizeSum = 0;
  let measuredOutputs = 0;
  const residence: number[] = [];
  let disclosed: number | null = null;

  for (let round = 1; ; round++) {
    const measuring = round >= firstMeasured && round <= lastMeasured;
    const attacking = disclosed === null && round <= p.maxRounds;
    if (!attacking && round > lastMeasured) break;

    // Arrivals.
    const targetSends = uniform() < p.targetProbability;
    const arrivals = p.mix === 'threshold' ? p.batch - (targetSends ? 1 : 0) : poisson(p.batch, uniform);
    if (targetSends) {
      held.push({ sender: 0, recipient: friends[randomIndex(p.friends, uniform)], round });
      observer.enterFrom(0);
      tracked.push(1);
    }
    for (let i = 0; i < arrivals; i++) {
      const h = { sender: background(), recipient: randomIndex(N, uniform), round };
      held.push(h);
      observer.enterFrom(h.sender);
    }

    // Flush: keep f at random, send the rest.
    const total = held.length;
    const out = total - Math.min(p.pool, total);
    outputs.length = 0;
    for (let i = 0; i < out; i++) {
      const j = i + randomIndex(total - i, uniform);
      [held[i], held[j]] = [held[j], held[i]];
      outputs.push(held[i].recipient);
      if (measuring) {
        const h = observer.leaveEntropy();
        entropySum += h;
        setSizeSum += 2 ** h;
        measuredOutputs++;
        residence.push(round - held[i].round);
      } else observer.leave();
    }
    held.splice(0, out);
    if (out === 0 || !attacking) continue;

    // The observer's view of the flush.
    const q = out / total;
    let W = 0;
    const still: number[] = [];
    for (const remaining of tracked) {
      W += remaining * q;
      const next = remaining * (1 - q);
      if (next >= WEIGHT_CUTOFF) still.push(next);
    }
    tracked = still;
    if (W > 0) {
      weight[0] = W;
      attack.observe(outputs, target, weight);
    } else attack.observe(outputs, []);
    if (disclosedNow(attack.estimate(0), isFriend, friends)) disclosed = round;
  }

  const latency = latencySummary(residence);
  return {
    roundsToDisclosure: disclosed,
    entropyBits: measuredOutputs ? entropySum / measuredOutputs : Number.NaN,
    effectiveSetSize: measuredOutputs ? setSizeSum / measuredOutputs : Number.NaN,
    latencyRounds: { mean: latency.mean, p50: latency.p50, p99: latency.p99 },
  };
}

/** Every friend's estimate strictly above every other recipient's. */
function disclosedNow(v: Float64Array, isFriend: Uint8Array, friends: readonly number[]): boolean {
  let minFriend = Infinity;
  for (const f of friends) if (v[f] < minFriend) minFriend = v[f];
  for (let r = 0; r < v.length; r++) if (!isFriend[r] && v[r] >= minFriend) return false;
  return true;
}

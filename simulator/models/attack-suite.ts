// The three disclosure attacks run side by side on what one observer sees,
// each giving a score to every (sender, recipient) pair of users:
//
//   sda   Danezis' statistical disclosure attack (SEC 2003): per round, the
//         senders seen active get one message each among the round's
//         outputs; v̂ = b·mean(o) − (b − 1)·u with a uniform background u.
//         It only uses whether a sender was active, not how much.
//   gsda  the generalised SDA (Mathewson & Dingledine, PET 2004): each
//         delivered message is an output group of one, and every sender is
//         weighted by the probability that the message is theirs (for a
//         continuous mix: the delay-weighted posterior through the mixes);
//         the background is estimated from outputs a sender had no weight
//         in.
//   lsda  the least-squares disclosure attack (Pérez-González & Troncoso,
//         PETS 2012): per round, activity counts X and delivery counts Y;
//         P̂ = (XᵀX)⁻¹XᵀY.
//
// A model feeds rounds (an observation window, or one message for a server
// that sees everything) with observeRound and single deliveries with
// observeDelivery.
//
// Beside the attacks, recovery() always reports `popularity`, a reference
// and not an attack: (s, r) scores the deliveries r was seen to receive,
// the same for every s. It links nobody, yet on a graph with hubs it beats
// chance (popular users have more friends), so an attack's leakage is
// what it recovers beyond this. The linkage AUC (per recipient: which
// senders write to r) gives popularity exactly 0.5.

import { GeneralisedDisclosureAttack } from '../attacks/generalised-sda.js';
import { LeastSquaresDisclosureAttack } from '../attacks/lsda.js';
import { recoveryScores } from '../metrics/recovery.js';
import { linkageAuc } from './linkage-auc.js';

export const ATTACKS = ['sda', 'gsda', 'lsda'] as const;
export type AttackName = (typeof ATTACKS)[number];

export interface Recovery {
  /** ROC AUC over all pairs. */
  auc: number;
  averagePrecision: number;
  precisionAtDegree: number;
  /** Per-recipient AUC averaged over recipients: 0.5 for anything that knows only popularity (linkage-auc.ts). */
  linkageAuc: number;
}

export class AttackSuite {
  readonly users: number;
  readonly attacks: readonly AttackName[];
  readonly #sda: GeneralisedDisclosureAttack | null;
  readonly #gsda: GeneralisedDisclosureAttack | null;
  readonly #lsda: LeastSquaresDisclosureAttack | null;
  readonly #counts: Float64Array;
  readonly #received: Float64Array;
  readonly #active: number[] = [];

  constructor(users: number, attacks: readonly AttackName[]) {
    this.users = users;
    this.attacks = [...attacks];
    this.#sda = attacks.includes('sda') ? new GeneralisedDisclosureAttack(users, users, { background: 'uniform' }) : null;
    this.#gsda = attacks.includes('gsda') ? new GeneralisedDisclosureAttack(users, users, { background: 'estimated' }) : null;
    this.#lsda = attacks.includes('lsda') ? new LeastSquaresDisclosureAttack(users, users) : null;
    this.#counts = new Float64Array(users);
    this.#received = new Float64Array(users);
  }

  /** One round: how active each sender was (any count ≥ 0) and the recipients of the messages seen delivered. */
  observeRound(activity: ArrayLike<number>, outputs: ArrayLike<number>): void {
    if (activity.length !== this.users) throw new RangeError(`AttackSuite.observeRound: expected ${this.users} activity counts, got ${activity.length}`);
    for (let i = 0; i < outputs.length; i++) this.#received[outputs[i]]++;
    if (this.#sda && outputs.length > 0) {
      this.#active.length = 0;
      for (let s = 0; s < this.users; s++) if (activity[s] > 0) this.#active.push(s);
      this.#sda.observe(outputs, this.#active);
    }
    if (this.#lsda) {
      this.#counts.fill(0);
      for (let i = 0; i < outputs.length; i++) this.#counts[outputs[i]]++;
      this.#lsda.observe(activity, this.#counts);
    }
  }

  /** One delivery to `recipient`; `weights[i]` is the probability that `senders[i]` sent it. */
  observeDelivery(recipient: number, senders: ArrayLike<number>, weights: ArrayLike<number>): void {
    this.#gsda?.observe([recipient], senders, weights);
  }

  /** The score matrix (users × users, row = sender) of one attack. */
  scores(attack: AttackName): Float64Array {
    const a = attack === 'sda' ? this.#sda : attack === 'gsda' ? this.#gsda : null;
    if (a) return a.scores();
    if (attack === 'lsda' && this.#lsda) return this.#lsda.estimate();
    throw new RangeError(`AttackSuite: attack "${attack}" is not running`);
  }

  /** The popularity reference: every sender's row is the deliveries each recipient was seen to receive. */
  popularityScores(): Float64Array {
    const U = this.users;
    const out = new Float64Array(U * U);
    for (let s = 0; s < U; s++) out.set(this.#received, s * U);
    return out;
  }

  /** Every running attack's recovery of the true edges, then the popularity reference (self-pairs left out). */
  recovery(truth: Uint8Array): Record<string, Recovery> {
    const out: Record<string, Recovery> = {};
    const score = (name: string, scores: Float64Array): void => {
      const r = recoveryScores({ senders: this.users, recipients: this.users, scores }, truth);
      out[name] = { auc: r.auc, averagePrecision: r.averagePrecision, precisionAtDegree: r.precisionAtDegree, linkageAuc: linkageAuc(scores, truth, this.users) };
    };
    for (const attack of this.attacks) score(attack, this.scores(attack));
    score('popularity', this.popularityScores());
    return out;
  }
}

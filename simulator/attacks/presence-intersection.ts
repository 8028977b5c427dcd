// The intersection attack on online periods (Berthold, Pfitzmann &
// Standtke, "The disadvantages of free MIX routes and how to overcome
// them", 2000; Kesdogan, Agrawal & Penz, "Limits of anonymity in open
// environments", IH 2002): a message delivered to r was written by someone
// whose link was up when it could have been sent, so r's correspondents are
// in the intersection of the sets of users online before r's deliveries.
// Users are not online for every message of a partner, so the statistical
// form counts. A candidate's weight for a delivery at t is the fraction of
// the look-back window [t − Δ, t] its link was up (Δ covers the time a
// message can spend in the network); hits(s, r) sums s's weights over r's
// deliveries, and all(s) over every delivery seen. The score is the lift
//   (hits(s, r) / n_r) / (all(s) / n),
// how much more often s was online before r's deliveries than before
// deliveries in general: raw hit rates would rank a stranger who is always
// online above a partner who is online half the time (a strict
// intersection keeps both).
//
// A user online all the time is a candidate for every delivery: lift 1 for
// every recipient, so they are not linked to anyone.

export class PresenceIntersectionAttack {
  readonly users: number;
  readonly #hits: Float64Array;
  readonly #deliveries: Float64Array;
  readonly #all: Float64Array;
  #total = 0;

  constructor(users: number) {
    if (!Number.isInteger(users) || users < 1) throw new RangeError(`PresenceIntersectionAttack: users must be a whole number ≥ 1, got ${users}`);
    this.users = users;
    this.#hits = new Float64Array(users * users);
    this.#deliveries = new Float64Array(users);
    this.#all = new Float64Array(users);
  }

  /** One delivery to `recipient`; `candidate[s]` ∈ [0, 1] is how much s's link was up in the look-back window. */
  observe(recipient: number, candidate: ArrayLike<number>): void {
    const U = this.users;
    if (candidate.length !== U) throw new RangeError(`PresenceIntersectionAttack.observe: expected ${U} candidate weights, got ${candidate.length}`);
    this.#deliveries[recipient]++;
    this.#total++;
    for (let s = 0; s < U; s++) {
      const w = candidate[s];
      if (!(w >= 0 && w <= 1)) throw new RangeError(`PresenceIntersectionAttack.observe: user ${s}'s weight must be in [0, 1], got ${w}`);
      if (w === 0) continue;
      this.#hits[s * U + recipient] += w;
      this.#all[s] += w;
    }
  }

  /** users × users scores (row = sender): the lift; 0 for a recipient without deliveries or a sender never a candidate. */
  scores(): Float64Array {
    const U = this.users;
    const out = new Float64Array(U * U);
    for (let s = 0; s < U; s++) {
      if (this.#all[s] === 0) continue;
      const base = this.#all[s] / this.#total;
      for (let r = 0; r < U; r++) if (this.#deliveries[r] > 0) out[s * U + r] = this.#hits[s * U + r] / this.#deliveries[r] / base;
    }
    return out;
  }
}

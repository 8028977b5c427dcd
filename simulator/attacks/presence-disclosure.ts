// The statistical disclosure attack over online periods (after Danezis,
// SEC 2003, and Mathewson & Dingledine's background estimate, PET 2004):
// compare what r receives while s is online with what r receives while s
// is offline. Per observation window w the observer knows o_s(w) ∈ [0, 1],
// the share of the window s's link was up, and y_r(w), the deliveries to r
// it saw. With
//   S(s, r) = Σ_w o_s(w)·y_r(w),   O(s) = Σ_w o_s(w),   Y(r) = Σ_w y_r(w),
// the score is the deliveries to r per window of s online minus those per
// window of s offline:
//   v̂(s, r) = S/O − (Y − S)/(W − O).
// A user online in every window (O = W) has no offline windows to compare
// with: their score is 0 for every r, so they are not linked to anyone; a
// user never seen online gets 0 as well.

export class PresenceDisclosureAttack {
  readonly users: number;
  readonly #together: Float64Array;
  readonly #online: Float64Array;
  readonly #received: Float64Array;
  #windows = 0;

  constructor(users: number) {
    if (!Number.isInteger(users) || users < 1) throw new RangeError(`PresenceDisclosureAttack: users must be a whole number ≥ 1, got ${users}`);
    this.users = users;
    this.#together = new Float64Array(users * users);
    this.#online = new Float64Array(users);
    this.#received = new Float64Array(users);
  }

  get windows(): number {
    return this.#windows;
  }

  /** One window: each user's online share and the recipient of every delivery seen in it. */
  observeWindow(online: ArrayLike<number>, deliveries: ArrayLike<number>): void {
    const U = this.users;
    if (online.length !== U) throw new RangeError(`PresenceDisclosureAttack.observeWindow: expected ${U} online shares, got ${online.length}`);
    this.#windows++;
    for (let s = 0; s < U; s++) {
      const o = online[s];
      if (!(o >= 0 && o <= 1)) throw new RangeError(`PresenceDisclosureAttack.observeWindow: user ${s}'s online share must be in [0, 1], got ${o}`);
      this.#online[s] += o;
      if (o === 0) continue;
      const row = s * U;
      for (let i = 0; i < deliveries.length; i++) this.#together[row + deliveries[i]] += o;
    }
    for (let i = 0; i < deliveries.length; i++) this.#received[deliveries[i]]++;
  }

  /** users × users scores (row = sender). */
  scores(): Float64Array {
    const U = this.users;
    const W = this.#windows;
    const out = new Float64Array(U * U);
    for (let s = 0; s < U; s++) {
      const O = this.#online[s];
      // Online (nearly) always or never: nothing to contrast.
      if (O < 1e-9 || W - O < 1e-9) continue;
      for (let r = 0; r < U; r++) {
        const S = this.#together[s * U + r];
        out[s * U + r] = S / O - (this.#received[r] - S) / (W - O);
      }
    }
    return out;
  }
}

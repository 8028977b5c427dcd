// Activity leakage: how well a count the observer sees per user and window
// (the SURB-ACKs a corrupt gateway stores for the user, or the packets a
// global observer sees leave the client) tells the windows in which the
// user wrote a message from those in which they did not. Scored as the
// ROC AUC over user-windows (0.5 = the count says nothing; issue 9 §4:
// with drop cover in empty payload slots the ACKs are λL·t + real packets,
// with decoys λP + λL whatever the user does).
//
// Counts are small whole numbers, so they are kept as two histograms
// (active and idle windows) and the AUC (ties counting one half) is exact
// in O(distinct counts).

export class ActivityScore {
  readonly #active = new Map<number, number>();
  readonly #idle = new Map<number, number>();

  /** One user-window: the observed `count`, and whether the user was active (wrote a message) in it. */
  observe(count: number, active: boolean): void {
    const h = active ? this.#active : this.#idle;
    h.set(count, (h.get(count) ?? 0) + 1);
  }

  get windows(): number {
    return total(this.#active) + total(this.#idle);
  }

  get activeWindows(): number {
    return total(this.#active);
  }

  /** ROC AUC of the count as a test of "active"; NaN without both kinds of windows. */
  auc(): number {
    const pos = total(this.#active);
    const neg = total(this.#idle);
    if (pos === 0 || neg === 0) return Number.NaN;
    const values = [...new Set([...this.#active.keys(), ...this.#idle.keys()])].sort((a, b) => a - b);
    let negBelow = 0;
    let wins = 0;
    for (const v of values) {
      const p = this.#active.get(v) ?? 0;
      const n = this.#idle.get(v) ?? 0;
      wins += p * (negBelow + 0.5 * n);
      negBelow += n;
    }
    return wins / (pos * neg);
  }
}

function total(h: Map<number, number>): number {
  let n = 0;
  for (const c of h.values()) n += c;
  return n;
}

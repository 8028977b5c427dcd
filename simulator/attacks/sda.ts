// The statistical disclosure attack (Danezis, "Statistical Disclosure
// Attacks", SEC 2003) against a threshold mix.
//
// Each round the observer sees the b recipients of a batch that contains one
// message of the target. With o_t the round's output distribution (counts/b)
// and u the background distribution (uniform, 1/N), the estimate of the
// target's recipient distribution after t rounds is
//     v̂ = b · mean(o) − (b − 1) · u,
// and the guessed friend set is the top m of v̂. Since v̂ is an increasing
// affine function of the summed counts, the ranking of v̂ is the ranking of
// the counts, which is what we keep.

export class StatisticalDisclosureAttack {
  readonly recipients: number;
  readonly batch: number;
  readonly #counts: Int32Array;
  #rounds = 0;

  constructor(recipients: number, batch: number) {
    this.recipients = recipients;
    this.batch = batch;
    this.#counts = new Int32Array(recipients);
  }

  get rounds(): number {
    return this.#rounds;
  }

  /** One round's observed recipients (b entries, repeats allowed). */
  observe(outputs: ArrayLike<number>): void {
    for (let i = 0; i < outputs.length; i++) this.#counts[outputs[i]]++;
    this.#rounds++;
  }

  /** v̂: the estimated probability that the target sends to each recipient. */
  estimate(): Float64Array {
    const v = new Float64Array(this.recipients);
    const background = (this.batch - 1) / this.recipients;
    for (let r = 0; r < this.recipients; r++) v[r] = this.#counts[r] / this.#rounds - background;
    return v;
  }

  /** Count of recipient r over all rounds. */
  count(r: number): number {
    return this.#counts[r];
  }
}

/**
 * Tracks, round by round, whether the SDA's top-m guess equals the true
 * friend set: every friend's count strictly above every other recipient's
 * (a tie at the boundary makes the guess ambiguous, so it does not count).
 * O(batch + m) per round: counts only grow, so the best non-friend is kept
 * incrementally.
 */
export class DisclosureTracker {
  readonly #attack: StatisticalDisclosureAttack;
  readonly #friends: number[];
  readonly #isFriend: Uint8Array;
  #maxOther = 0;

  constructor(attack: StatisticalDisclosureAttack, friends: readonly number[]) {
    this.#attack = attack;
    this.#friends = [...friends];
    this.#isFriend = new Uint8Array(attack.recipients);
    for (const f of friends) this.#isFriend[f] = 1;
  }

  /** Feeds one round to the attack; true once the friend set is disclosed. */
  observe(outputs: ArrayLike<number>): boolean {
    this.#attack.observe(outputs);
    for (let i = 0; i < outputs.length; i++) {
      const r = outputs[i];
      if (!this.#isFriend[r]) this.#maxOther = Math.max(this.#maxOther, this.#attack.count(r));
    }
    let minFriend = Infinity;
    for (const f of this.#friends) minFriend = Math.min(minFriend, this.#attack.count(f));
    return minFriend > this.#maxOther;
  }
}

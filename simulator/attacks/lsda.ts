// The least-squares disclosure attack (Pérez-González & Troncoso, "Understanding
// statistical disclosure: a least squares approach", PETS 2012).
//
// Round r gives the observer x_r, how many messages each sender put into the
// mix, and y_r, how many each recipient got out. With P the users' sending
// profiles (P[i][j]: the probability that a message of sender i goes to j),
// E[y_r] = x_rᵀ P, so over R rounds Y ≈ X·P and the least-squares estimate is
//     P̂ = (XᵀX)⁻¹ XᵀY.
// Only the sufficient statistics XᵀX (senders²) and XᵀY (senders ×
// recipients) are kept, so memory does not grow with the rounds.

import { solveLinear } from '../linalg/solve.js';

export class LeastSquaresDisclosureAttack {
  readonly senders: number;
  readonly recipients: number;
  readonly #xtx: Float64Array;
  readonly #xty: Float64Array;
  #rounds = 0;

  constructor(senders: number, recipients: number) {
    this.senders = senders;
    this.recipients = recipients;
    this.#xtx = new Float64Array(senders * senders);
    this.#xty = new Float64Array(senders * recipients);
  }

  get rounds(): number {
    return this.#rounds;
  }

  /** One round: messages in per sender, messages out per recipient. */
  observe(inputs: ArrayLike<number>, outputs: ArrayLike<number>): void {
    const n = this.senders;
    const m = this.recipients;
    for (let i = 0; i < n; i++) {
      const xi = inputs[i];
      if (xi === 0) continue;
      for (let j = 0; j < n; j++) if (inputs[j] !== 0) this.#xtx[i * n + j] += xi * inputs[j];
      for (let k = 0; k < m; k++) if (outputs[k] !== 0) this.#xty[i * m + k] += xi * outputs[k];
    }
    this.#rounds++;
  }

  /** P̂, senders × recipients, row-major. */
  estimate(): Float64Array {
    return solveLinear(this.#xtx, this.#xty, this.senders, this.recipients);
  }
}

/** Mean squared error of an estimated profile matrix against the true one. */
export function profileMse(estimate: Float64Array, truth: Float64Array): number {
  if (estimate.length !== truth.length) throw new RangeError('profileMse: sizes differ');
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += (estimate[i] - truth[i]) ** 2;
  return sum / truth.length;
}

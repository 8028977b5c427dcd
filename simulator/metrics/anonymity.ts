// Sender anonymity of one message, as the observer's probability
// distribution over who sent it:
//
// - Shannon entropy H = −Σ pᵢ log₂ pᵢ in bits (Serjantov & Danezis,
//   "Towards an information theoretic metric for anonymity", PET 2002).
// - Effective anonymity set size 2^H: the number of equally likely senders
//   that would give the same entropy.
// - Degree of anonymity d = H / log₂ N for N possible senders (Díaz,
//   Seys, Claessens & Preneel, "Towards measuring anonymity", PET 2002):
//   1 when every sender is equally likely, 0 when one is certain.
// - Loopix's unlinkability ε = |ln(p₀ / p₁)| for two candidate senders
//   (Piotrowska et al., "The Loopix Anonymity System", USENIX Security
//   2017, §4, Analysis: sender–receiver third-party unlinkability measured
//   by how far the observer's likelihoods for two candidates differ;
//   0 = indistinguishable). Natural logarithm, as in differential
//   privacy's e^ε.
// - PoolMixAnonymity: a Poisson (exponential-delay) mix is memoryless, so
//   whichever packets are in the pool, each is equally likely to be the
//   next to leave: the leaving packet's sender distribution is the average
//   of the distributions of the packets in the pool (Loopix §4, the
//   entropy argument for the Poisson mix, after Kesdogan et al.'s
//   stop-and-go mix, IH 1998). The pool's summed
//   distribution then loses exactly that average: the observer cannot tell
//   which packet left, so every remaining one still "might" be any of them.
//   A model chains mixes by entering each leaving distribution into the
//   next hop.
//
// Distributions are arrays of non-negative weights over sender ids; they
// are normalised to sum to 1 (an all-zero or negative or non-finite entry
// is a RangeError).

function normalised(weights: ArrayLike<number>, what: string): { total: number } {
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`${what}: weight of sender ${i} must be a finite number ≥ 0, got ${w}`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError(`${what}: the distribution is empty (all weights are 0)`);
  return { total };
}

/** Shannon entropy in bits of a sender distribution (weights normalised to sum 1). */
export function shannonEntropy(distribution: ArrayLike<number>): number {
  const { total } = normalised(distribution, 'shannonEntropy');
  let h = 0;
  for (let i = 0; i < distribution.length; i++) {
    const p = distribution[i] / total;
    if (p > 0) h -= p * Math.log2(p);
  }
  return h > 0 ? h : 0; // rounding can leave −0 or −1e−17 for a point mass
}

/** 2^H: the size of a uniform set with the same entropy. */
export function effectiveAnonymitySetSize(distribution: ArrayLike<number>): number {
  return 2 ** shannonEntropy(distribution);
}

/**
 * Díaz et al.'s degree of anonymity H / log₂ N, with N the number of
 * possible senders (by default the length of the distribution). With a
 * single possible sender there is no anonymity to have: 0.
 */
export function degreeOfAnonymity(distribution: ArrayLike<number>, possibleSenders = distribution.length): number {
  if (!Number.isInteger(possibleSenders) || possibleSenders < 1) throw new RangeError(`degreeOfAnonymity: N must be a whole number ≥ 1, got ${possibleSenders}`);
  const h = shannonEntropy(distribution);
  if (possibleSenders === 1) return 0;
  return h / Math.log2(possibleSenders);
}

/** Loopix's ε = |ln(p0 / p1)|: 0 when the two senders are equally likely, Infinity when one is excluded. */
export function unlinkabilityEpsilon(p0: number, p1: number): number {
  for (const p of [p0, p1]) if (!Number.isFinite(p) || p < 0) throw new RangeError(`unlinkabilityEpsilon: probabilities must be finite and ≥ 0, got ${p}`);
  if (p0 === 0 && p1 === 0) throw new RangeError('unlinkabilityEpsilon: both probabilities are 0 (neither candidate could have sent it)');
  return Math.abs(Math.log(p0 / p1));
}

/** Values below this scale are folded back into the raw sums (keeps them in floating-point range). */
const RESCALE_BELOW = 1e-200;

/**
 * A sender distribution as its non-zero entries: `ids` ascending, `values`
 * the weights (all > 0). A packet that crossed an honest mix carries one:
 * its support is the pool's, often far smaller than the id space, and
 * walking it in ascending id order gives exactly the sums a dense array
 * would (adding a zero changes no floating-point sum).
 */
export interface SparseDistribution {
  ids: Int32Array;
  values: Float64Array;
}

/**
 * The observer's view of one Poisson mix: tracks the summed sender
 * distribution of the packets in the pool. Each operation costs the number
 * of senders it touches; leaving costs O(support) to copy out.
 */
export class PoolMixAnonymity {
  readonly senders: number;
  // The pool's summed distribution is scale · raw: a departure multiplies
  // the whole sum by (k − 1)/k, which is one multiplication of `scale`.
  readonly #raw: Float64Array;
  #scale = 1;
  #count = 0;
  // Sender ids with raw > 0, so clearing and copying out skip the zeros;
  // sorted (ascending) before a sparse copy-out when ids were added since.
  readonly #inSupport: Uint8Array;
  #support: number[] = [];
  #supportSorted = true;

  /** `senders`: the size of the sender id space (ids 0..senders−1). */
  constructor(senders: number) {
    if (!Number.isInteger(senders) || senders < 1) throw new RangeError(`PoolMixAnonymity: senders must be a whole number ≥ 1, got ${senders}`);
    this.senders = senders;
    this.#raw = new Float64Array(senders);
    this.#inSupport = new Uint8Array(senders);
  }

  /** Packets in the pool. */
  get size(): number {
    return this.#count;
  }

  /** A packet enters whose sender the observer knows (e.g. fresh from a client): a point mass. */
  enterFrom(sender: number): void {
    if (!Number.isInteger(sender) || sender < 0 || sender >= this.senders) throw new RangeError(`PoolMixAnonymity: sender ${sender} is not in [0, ${this.senders})`);
    this.#add(sender, 1 / this.#scale);
    this.#count++;
  }

  /** A packet enters carrying a sender distribution (e.g. one that left the previous hop); normalised. */
  enter(distribution: ArrayLike<number>): void {
    if (distribution.length !== this.senders) throw new RangeError(`PoolMixAnonymity: expected a distribution over ${this.senders} senders, got ${distribution.length}`);
    const { total } = normalised(distribution, 'PoolMixAnonymity.enter');
    const k = 1 / (total * this.#scale);
    for (let i = 0; i < distribution.length; i++) if (distribution[i] > 0) this.#add(i, distribution[i] * k);
    this.#count++;
  }

  /** A packet enters carrying a sparse sender distribution (ids in [0, senders), ascending); normalised. */
  enterSparse(distribution: SparseDistribution): void {
    const { ids, values } = distribution;
    if (ids.length !== values.length) throw new RangeError(`PoolMixAnonymity.enterSparse: ${ids.length} ids but ${values.length} values`);
    let total = 0;
    for (let j = 0; j < ids.length; j++) {
      const i = ids[j];
      const w = values[j];
      if (!Number.isInteger(i) || i < 0 || i >= this.senders || (j > 0 && i <= ids[j - 1]))
        throw new RangeError(`PoolMixAnonymity.enterSparse: ids must be ascending in [0, ${this.senders}), got ${i}`);
      if (!Number.isFinite(w) || w < 0) throw new RangeError(`PoolMixAnonymity.enterSparse: weight of sender ${i} must be a finite number ≥ 0, got ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError('PoolMixAnonymity.enterSparse: the distribution is empty (all weights are 0)');
    this.#addScaled(ids, values, total);
  }

  /**
   * A packet enters carrying a distribution that a PoolMixAnonymity over
   * the same ids just let leave (leaveSparse or leaveSparseInto): ascending
   * ids and positive values by construction, so it is not checked again
   * (the observer's hot path). Same result as enterSparse.
   */
  enterLeft(distribution: SparseDistribution): void {
    const { ids, values } = distribution;
    let total = 0;
    for (let j = 0; j < values.length; j++) total += values[j];
    if (!(total > 0) || ids.length !== values.length) throw new RangeError('PoolMixAnonymity.enterLeft: not a distribution a pool let leave');
    this.#addScaled(ids, values, total);
  }

  #addScaled(ids: Int32Array, values: Float64Array, total: number): void {
    const k = 1 / (total * this.#scale);
    for (let j = 0; j < ids.length; j++) if (values[j] > 0) this.#add(ids[j], values[j] * k);
    this.#count++;
  }

  /** A packet leaves: its sender distribution is the pool's average, as its non-zero entries (fresh arrays; sums to 1). */
  leaveSparse(): SparseDistribution {
    const d = this.leaveSparseInto(new Int32Array(this.#support.length), new Float64Array(this.#support.length));
    return { ids: d.ids.slice(), values: d.values.slice() };
  }

  /**
   * As leaveSparse, written into `ids` and `values` (each at least as long
   * as the pool's support, e.g. `senders`); returns views of the part used.
   * For a caller that consumes the distribution before the buffers' next use.
   */
  leaveSparseInto(ids: Int32Array, values: Float64Array): SparseDistribution {
    const k = this.#take();
    if (!this.#supportSorted) {
      this.#support.sort((a, b) => a - b);
      this.#supportSorted = true;
    }
    const support = this.#support;
    if (ids.length < support.length || values.length < support.length) throw new RangeError(`PoolMixAnonymity.leaveSparseInto: buffers of ${support.length} entries needed`);
    let n = 0;
    for (let j = 0; j < support.length; j++) {
      const v = this.#raw[support[j]] * k;
      if (v > 0) {
        ids[n] = support[j];
        values[n++] = v;
      }
    }
    this.#afterLeave();
    return { ids: ids.subarray(0, n), values: values.subarray(0, n) };
  }

  /** A packet leaves: its sender distribution is the pool's average (a fresh array, sums to 1). */
  leave(): Float64Array {
    const out = new Float64Array(this.senders);
    const k = this.#take();
    for (const i of this.#support) out[i] = this.#raw[i] * k;
    this.#afterLeave();
    return out;
  }

  /** A packet leaves; returns only its entropy in bits (no copy, for the last hop). */
  leaveEntropy(): number {
    const k = this.#take();
    let h = 0;
    for (const i of this.#support) {
      const p = this.#raw[i] * k;
      if (p > 0) h -= p * Math.log2(p);
    }
    this.#afterLeave();
    return h > 0 ? h : 0;
  }

  /** The entropy (bits) a packet leaving now would have, without removing it. */
  currentEntropy(): number {
    if (this.#count === 0) throw new RangeError('PoolMixAnonymity: the pool is empty');
    const k = this.#scale / this.#count;
    let h = 0;
    for (const i of this.#support) {
      const p = this.#raw[i] * k;
      if (p > 0) h -= p * Math.log2(p);
    }
    return h > 0 ? h : 0;
  }

  #add(i: number, x: number): void {
    if (!this.#inSupport[i]) {
      this.#inSupport[i] = 1;
      if (this.#supportSorted && this.#support.length > 0 && this.#support[this.#support.length - 1] > i) this.#supportSorted = false;
      this.#support.push(i);
    }
    this.#raw[i] += x;
  }

  /** Checks a packet can leave; returns the factor from raw to the leaving distribution. */
  #take(): number {
    if (this.#count === 0) throw new RangeError('PoolMixAnonymity: no packet in the pool to leave');
    return this.#scale / this.#count;
  }

  #afterLeave(): void {
    this.#count--;
    if (this.#count === 0) {
      // Empty pool: start clean rather than carry rounding residue.
      for (const i of this.#support) {
        this.#raw[i] = 0;
        this.#inSupport[i] = 0;
      }
      this.#support = [];
      this.#supportSorted = true;
      this.#scale = 1;
      return;
    }
    this.#scale *= this.#count / (this.#count + 1);
    if (this.#scale < RESCALE_BELOW) {
      for (const i of this.#support) this.#raw[i] *= this.#scale;
      this.#scale = 1;
    }
  }
}

// How much of the social graph an attack recovered: the attack gives a
// score to every (sender, recipient) pair (higher = more likely that they
// talk), the simulator knows the true edges, and these rank-based scores
// say how well the scores separate the two:
//
// - ROC AUC: the probability that a random true pair scores above a random
//   false one, ties counting one half (the Mann–Whitney U statistic over
//   P·N, i.e. the rank-sum formula with mid-ranks for ties). 0.5 = chance.
// - Average precision: the area under the precision–recall curve as a step
//   function, AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds
//   from high to low (pairs with equal scores enter together), as in
//   scikit-learn's average_precision_score. Chance level = P/(P+N).
// - Precision at degree: for each sender with d > 0 true recipients, the
//   share of true ones among its d highest-scored recipients; averaged over
//   those senders. A tie at the cut-off counts in expectation over a random
//   order of the tied recipients.
//
// Scores are a senders × recipients row-major matrix. By default sender and
// recipient ids index the same users, so self-pairs (s, s) are left out.

export interface PairScores {
  senders: number;
  recipients: number;
  /** scores[s · recipients + r] */
  scores: ArrayLike<number>;
}

export interface RecoveryOptions {
  /** Leave out pairs (s, s) (default true: senders and recipients are the same users). */
  excludeSelf?: boolean;
}

export interface RecoveryScores {
  auc: number;
  averagePrecision: number;
  precisionAtDegree: number;
  /** True pairs scored. */
  positives: number;
  /** False pairs scored. */
  negatives: number;
}

/**
 * The true-edge matrix (senders × recipients, 1 = edge) from an edge list;
 * `symmetric` (default true) marks both (source, target) and (target,
 * source), for undirected graphs whose users both send and receive.
 */
export function truthMatrix(senders: number, recipients: number, edges: Iterable<{ source: number; target: number }>, options: { symmetric?: boolean } = {}): Uint8Array {
  const truth = new Uint8Array(senders * recipients);
  const mark = (s: number, r: number): void => {
    if (!Number.isInteger(s) || !Number.isInteger(r) || s < 0 || s >= senders || r < 0 || r >= recipients) {
      throw new RangeError(`truthMatrix: edge ${s}→${r} is outside ${senders} senders × ${recipients} recipients`);
    }
    truth[s * recipients + r] = 1;
  };
  for (const e of edges) {
    mark(e.source, e.target);
    if (options.symmetric ?? true) mark(e.target, e.source);
  }
  return truth;
}

function check(p: PairScores, truth: ArrayLike<number>): void {
  const size = p.senders * p.recipients;
  if (!Number.isInteger(p.senders) || !Number.isInteger(p.recipients) || p.senders < 0 || p.recipients < 0) {
    throw new RangeError(`recovery: senders and recipients must be whole numbers, got ${p.senders} × ${p.recipients}`);
  }
  if (p.scores.length !== size) throw new RangeError(`recovery: expected ${size} scores (${p.senders} × ${p.recipients}), got ${p.scores.length}`);
  if (truth.length !== size) throw new RangeError(`recovery: expected ${size} truth entries, got ${truth.length}`);
}

/** The scores of true and false pairs, each sorted ascending. */
function split(p: PairScores, truth: ArrayLike<number>, options: RecoveryOptions): { pos: Float64Array; neg: Float64Array } {
  check(p, truth);
  const excludeSelf = options.excludeSelf ?? true;
  let positives = 0;
  let included = 0;
  for (let s = 0; s < p.senders; s++) {
    for (let r = 0; r < p.recipients; r++) {
      if (excludeSelf && s === r) continue;
      included++;
      if (truth[s * p.recipients + r]) positives++;
    }
  }
  const pos = new Float64Array(positives);
  const neg = new Float64Array(included - positives);
  let ip = 0;
  let ineg = 0;
  for (let s = 0; s < p.senders; s++) {
    for (let r = 0; r < p.recipients; r++) {
      if (excludeSelf && s === r) continue;
      const i = s * p.recipients + r;
      const x = p.scores[i];
      if (Number.isNaN(x)) throw new RangeError(`recovery: score of pair (${s}, ${r}) is NaN`);
      if (truth[i]) pos[ip++] = x;
      else neg[ineg++] = x;
    }
  }
  return { pos: pos.sort(), neg: neg.sort() };
}

/** The number of entries of ascending `a` below x (strict) or at most x. */
function countBelow(a: Float64Array, x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x || (inclusive && a[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function aucOf(pos: Float64Array, neg: Float64Array): number {
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  let wins = 0;
  for (let i = 0; i < pos.length; i++) {
    const below = countBelow(neg, pos[i], false);
    const atOrBelow = countBelow(neg, pos[i], true);
    wins += below + 0.5 * (atOrBelow - below);
  }
  return wins / (pos.length * neg.length);
}

function averagePrecisionOf(pos: Float64Array, neg: Float64Array): number {
  const P = pos.length;
  if (P === 0) return Number.NaN;
  let ap = 0;
  let previousTruePositives = 0;
  // Walk the positives from the highest score down, one threshold per distinct score.
  let i = P - 1;
  while (i >= 0) {
    const t = pos[i];
    while (i >= 0 && pos[i] === t) i--;
    const truePositives = P - 1 - i; // positives scoring ≥ t
    const falsePositives = neg.length - countBelow(neg, t, false); // negatives scoring ≥ t
    ap += ((truePositives - previousTruePositives) / P) * (truePositives / (truePositives + falsePositives));
    previousTruePositives = truePositives;
  }
  return ap;
}

function precisionAtDegreeOf(p: PairScores, truth: ArrayLike<number>, excludeSelf: boolean): number {
  const R = p.recipients;
  const row = new Float64Array(R);
  let total = 0;
  let users = 0;
  for (let s = 0; s < p.senders; s++) {
    let n = 0;
    let degree = 0;
    for (let r = 0; r < R; r++) {
      if (excludeSelf && s === r) continue;
      const x = p.scores[s * R + r];
      if (Number.isNaN(x)) throw new RangeError(`recovery: score of pair (${s}, ${r}) is NaN`);
      row[n++] = x;
      if (truth[s * R + r]) degree++;
    }
    if (degree === 0) continue;
    // The d-th highest score is the cut-off: pairs above it are in the top d,
    // and the tied ones fill the remaining places in random order.
    const sorted = row.subarray(0, n).sort();
    const cut = sorted[n - degree];
    let above = 0;
    let tied = 0;
    let hitsAbove = 0;
    let hitsTied = 0;
    for (let r = 0; r < R; r++) {
      if (excludeSelf && s === r) continue;
      const x = p.scores[s * R + r];
      const hit = truth[s * R + r] ? 1 : 0;
      if (x > cut) {
        above++;
        hitsAbove += hit;
      } else if (x === cut) {
        tied++;
        hitsTied += hit;
      }
    }
    total += (hitsAbove + (hitsTied * (degree - above)) / tied) / degree;
    users++;
  }
  return users > 0 ? total / users : Number.NaN;
}

/** ROC AUC over all pairs (ties count one half); NaN without both true and false pairs. */
export function rocAuc(p: PairScores, truth: ArrayLike<number>, options: RecoveryOptions = {}): number {
  const { pos, neg } = split(p, truth, options);
  return aucOf(pos, neg);
}

/** Average precision over all pairs (ties enter together); NaN without true pairs. */
export function averagePrecision(p: PairScores, truth: ArrayLike<number>, options: RecoveryOptions = {}): number {
  const { pos, neg } = split(p, truth, options);
  return averagePrecisionOf(pos, neg);
}

/** Mean over senders with true recipients of the precision of their top-d guesses (d = true degree). */
export function precisionAtDegree(p: PairScores, truth: ArrayLike<number>, options: RecoveryOptions = {}): number {
  check(p, truth);
  return precisionAtDegreeOf(p, truth, options.excludeSelf ?? true);
}

/** All three scores, sorting the pairs once. */
export function recoveryScores(p: PairScores, truth: ArrayLike<number>, options: RecoveryOptions = {}): RecoveryScores {
  const { pos, neg } = split(p, truth, options);
  return {
    auc: aucOf(pos, neg),
    averagePrecision: averagePrecisionOf(pos, neg),
    precisionAtDegree: precisionAtDegreeOf(p, truth, options.excludeSelf ?? true),
    positives: pos.length,
    negatives: neg.length,
  };
}

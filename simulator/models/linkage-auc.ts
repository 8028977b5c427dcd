// Linkage AUC: for each recipient r, the ROC AUC of r's column of scores,
// true senders (r's contacts) against the others; averaged over recipients
// with both (self-pairs left out, ties counting one half).
//
// Why beside the all-pairs AUC (metrics/recovery.ts): an observer that only
// learns how many messages each user receives can rank pairs by the
// recipient's popularity, and on a graph with hubs that beats chance over
// all pairs without linking anyone to anyone. Within one column every
// sender gets the same popularity, so such scores tie and give exactly 0.5;
// anything above 0.5 here says *who* writes to r.

/**
 * Mean over recipients of the column AUC; NaN when no recipient has both true and false senders.
 * With `positive`, only the true senders it accepts count as positives (the others are left out): one group's linkage.
 */
export function linkageAuc(scores: ArrayLike<number>, truth: ArrayLike<number>, users: number, positive?: (sender: number) => boolean): number {
  if (scores.length !== users * users || truth.length !== users * users) throw new RangeError(`linkageAuc: expected ${users} × ${users} scores and truth entries`);
  const pos: number[] = [];
  const neg: number[] = [];
  let total = 0;
  let columns = 0;
  for (let r = 0; r < users; r++) {
    pos.length = 0;
    neg.length = 0;
    for (let s = 0; s < users; s++) {
      if (s === r) continue;
      const x = scores[s * users + r];
      if (Number.isNaN(x)) throw new RangeError(`linkageAuc: score of pair (${s}, ${r}) is NaN`);
      if (!truth[s * users + r]) neg.push(x);
      else if (!positive || positive(s)) pos.push(x);
    }
    if (pos.length === 0 || neg.length === 0) continue;
    neg.sort((a, b) => a - b);
    let wins = 0;
    for (const x of pos) {
      const below = lowerBound(neg, x);
      const atOrBelow = upperBound(neg, x);
      wins += below + 0.5 * (atOrBelow - below);
    }
    total += wins / (pos.length * neg.length);
    columns++;
  }
  return columns ? total / columns : Number.NaN;
}

/** Entries of ascending `a` below x. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Entries of ascending `a` at most x. */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

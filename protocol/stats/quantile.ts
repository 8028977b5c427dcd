// The one sample quantile every report in Chaff uses (simulator, sweeps,
// testnet, benchmarks), so a p90 or p99 from one is comparable with another.
//
// Definition: linear interpolation between order statistics, type 7 of
// Hyndman & Fan, "Sample Quantiles in Statistical Packages", The American
// Statistician 50(4), 1996: for n sorted values x₀ ≤ … ≤ xₙ₋₁ and
// h = (n − 1)·q, Q(q) = x⌊h⌋ + (h − ⌊h⌋)·(x⌈h⌉ − x⌊h⌋). It is the default of
// R's quantile() and NumPy's percentile/quantile ("linear"); Q(0) is the
// minimum, Q(1) the maximum, Q(0.5) the usual median.

/**
 * The q-quantile (0 ≤ q ≤ 1) of values already sorted ascending; NaN for no
 * values. Use it to take several quantiles of one sample with one sort.
 */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be between 0 and 1, got ${q}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The q-quantile (0 ≤ q ≤ 1) of values in any order (a sorted copy is taken); NaN for no values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  return sortedQuantile(Float64Array.from(values).sort(), q);
}

/** The median, Q(0.5): the mean of the two middle values for an even count. */
export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

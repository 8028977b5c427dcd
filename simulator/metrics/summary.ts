// Summary statistics over seeds. Quantiles use linear interpolation between
// order statistics (the "type 7" definition of Hyndman & Fan 1996, the
// default of R and NumPy).

export interface Summary {
  n: number;
  mean: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    mean: n ? sorted.reduce((a, b) => a + b, 0) / n : Number.NaN,
    median: quantile(sorted, 0.5),
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    min: n ? sorted[0] : Number.NaN,
    max: n ? sorted[n - 1] : Number.NaN,
  };
}

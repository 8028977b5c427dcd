// Summary statistics over seeds. Quantiles are the project's one definition
// (protocol/stats/quantile.ts: Hyndman & Fan type 7, the default of R and NumPy).

import { sortedQuantile } from '../../protocol/stats/quantile.js';

export interface Summary {
  n: number;
  mean: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    mean: n ? sorted.reduce((a, b) => a + b, 0) / n : Number.NaN,
    median: sortedQuantile(sorted, 0.5),
    p10: sortedQuantile(sorted, 0.1),
    p90: sortedQuantile(sorted, 0.9),
    min: n ? sorted[0] : Number.NaN,
    max: n ? sorted[n - 1] : Number.NaN,
  };
}

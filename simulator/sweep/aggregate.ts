// Sweep aggregation: for each parameter combination, summary statistics of
// every numeric metric over the repeats that succeeded.
//
// A job's result is flattened to dotted keys: {metrics: {auc: 0.7}} gives
// "metrics.auc"; array elements get an index, {curve: [{mse: 1}]} gives
// "curve[0].mse". Only finite numbers count (booleans, strings, null, NaN and
// ±Infinity are left out), so `n` can be below the number of repeats.
// stddev is the sample standard deviation (n − 1 in the denominator), null
// for fewer than two values; median, p10 and p90 interpolate linearly between
// order statistics (Hyndman & Fan type 7, as simulator/metrics/summary.ts).

import { sortedQuantile } from '../../protocol/stats/quantile.js';
import type { SweepJob } from './jobs.js';
import type { JobOutcome } from './pool.js';
import type { VaryValue } from './vary.js';

export interface MetricStats {
  n: number;
  mean: number;
  stddev: number | null;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export interface CombinationAggregate {
  combination: number;
  params: Record<string, VaryValue>;
  /** Jobs of this combination (the repeats). */
  jobs: number;
  failed: number;
  metrics: Record<string, MetricStats>;
}

export interface Aggregation {
  /** Every metric key found, in order of first appearance (by job index). */
  metricKeys: string[];
  combinations: CombinationAggregate[];
}

/** Finite numbers of a nested value, by dotted key, in traversal order. */
export function flattenNumbers(value: unknown, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && prefix !== '') out.set(prefix, value);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flattenNumbers(v, `${prefix}[${i}]`, out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) flattenNumbers(v, prefix === '' ? k : `${prefix}.${k}`, out);
  }
  return out;
}

export function metricStats(values: readonly number[]): MetricStats {
  if (values.length === 0) throw new RangeError('metricStats needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const stddev = n < 2 ? null : Math.sqrt(sorted.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, stddev, median: sortedQuantile(sorted, 0.5), p10: sortedQuantile(sorted, 0.1), p90: sortedQuantile(sorted, 0.9), min: sorted[0], max: sorted[n - 1] };
}

/** `outcomes[i]` must be the outcome of `jobs[i]`. */
export function aggregate(jobs: readonly SweepJob[], outcomes: ReadonlyArray<JobOutcome<unknown>>): Aggregation {
  if (outcomes.length !== jobs.length) throw new RangeError(`${outcomes.length} outcomes for ${jobs.length} jobs`);
  const metricKeys: string[] = [];
  const seen = new Set<string>();
  const groups = new Map<number, { params: Record<string, VaryValue>; jobs: number; failed: number; values: Map<string, number[]> }>();
  jobs.forEach((job, i) => {
    const outcome = outcomes[i];
    if (outcome.index !== job.index) throw new RangeError(`outcome ${i} is for job ${outcome.index}`);
    let group = groups.get(job.combination);
    if (!group) {
      group = { params: job.params, jobs: 0, failed: 0, values: new Map() };
      groups.set(job.combination, group);
    }
    group.jobs++;
    if (!outcome.ok) {
      group.failed++;
      return;
    }
    for (const [key, value] of flattenNumbers(outcome.result)) {
      if (!seen.has(key)) {
        seen.add(key);
        metricKeys.push(key);
      }
      const list = group.values.get(key);
      if (list) list.push(value);
      else group.values.set(key, [value]);
    }
  });
  const combinations = [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([combination, g]) => {
      const metrics: Record<string, MetricStats> = {};
      for (const key of metricKeys) {
        const values = g.values.get(key);
        if (values) metrics[key] = metricStats(values);
      }
      return { combination, params: g.params, jobs: g.jobs, failed: g.failed, metrics };
    });
  return { metricKeys, combinations };
}

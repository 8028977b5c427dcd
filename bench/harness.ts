// Benchmark harness: each bench module exports `benchmarks`, a list of named
// measurements. Figures are reported against a baseline measured in the same
// run (a ratio), never asserted against a fixed time. Medians and other
// quantiles are the project's one definition (protocol/stats/quantile.ts).

import { median } from '../protocol/stats/quantile.js';

/** Options of `npm run bench`: `--full` asks benchmarks that have one for their full size (sim.scale: 10,000 users for an hour) instead of the quick default. */
export interface BenchOptions {
  full: boolean;
}

export interface Benchmark {
  /** Dotted name, e.g. "sphinx.unwrap"; `npm run bench -- sphinx` selects the group. */
  readonly name: string;
  readonly description: string;
  run(options: BenchOptions): Promise<Record<string, unknown>>;
}

/** Whether `npm run bench -- FILTER…` runs `name`: no filter, the exact name, or a group prefix ("sphinx" selects "sphinx.unwrap"). */
export function selects(filters: readonly string[], name: string): boolean {
  return filters.length === 0 || filters.some((f) => name === f || name.startsWith(`${f}.`));
}

export interface TimingOptions {
  /** Number of timed batches; the median batch is reported. */
  batches?: number;
  /** Minimum duration of one batch in milliseconds. */
  batchMs?: number;
  /** Untimed warm-up in milliseconds (lets V8 optimise the code first). */
  warmupMs?: number;
}

const now = (): bigint => process.hrtime.bigint();

/** Median µs per call of `fn` over several batches. */
export function timeUs(fn: () => void, options: TimingOptions = {}): number {
  const { batches = 7, batchMs = 100, warmupMs = 150 } = options;
  const warmEnd = now() + BigInt(Math.round(warmupMs * 1e6));
  while (now() < warmEnd) fn();
  const perCall: number[] = [];
  for (let b = 0; b < batches; b++) perCall.push(batchUs(fn, batchMs));
  return median(perCall);
}

function batchUs(fn: () => void, batchMs: number): number {
  const start = now();
  const end = start + BigInt(Math.round(batchMs * 1e6));
  let calls = 0;
  let t = start;
  while (t < end) {
    fn();
    calls++;
    t = now();
  }
  return Number(t - start) / 1e3 / calls;
}

export interface RelativeTiming {
  /** Median µs per call of the measured function. */
  us: number;
  /** Median µs per call of the baseline. */
  baselineUs: number;
  /** Median of the per-pair ratios measured/baseline. */
  ratio: number;
}

/**
 * Times `fn` against `baseline` in alternating batches and reports the median
 * ratio of adjacent pairs: the machine's speed drifts (frequency scaling,
 * a busy second core), and a ratio of neighbouring batches cancels most of it.
 */
export function timeRelative(fn: () => void, baseline: () => void, options: TimingOptions = {}): RelativeTiming {
  const { batches = 15, batchMs = 60, warmupMs = 200 } = options;
  const warmEnd = now() + BigInt(Math.round(warmupMs * 1e6));
  while (now() < warmEnd) {
    fn();
    baseline();
  }
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < batches; i++) {
    const x = batchUs(fn, batchMs);
    const y = batchUs(baseline, batchMs);
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  return { us: median(a), baselineUs: median(b), ratio: median(ratios) };
}

/** Rounds for printing. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

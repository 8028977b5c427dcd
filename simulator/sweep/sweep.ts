// `chaff sim sweep`: expand the plan into jobs, run them on the worker pool
// with a progress line, aggregate. A job that fails is recorded with its
// parameters and the sweep goes on; the caller exits non-zero when
// `failures` is not empty.

import { aggregate, type CombinationAggregate } from './aggregate.js';
import { expandJobs, type ConfigTable, type SweepJob, type SweepPlan } from './jobs.js';
import type { JobErrorInfo } from './messages.js';
import { defaultPoolSize, runPool, type JobOutcome } from './pool.js';
import { ProgressReporter, type ProgressStream } from './progress.js';
import type { VaryAxis, VaryValue } from './vary.js';

export interface SweepOptions extends SweepPlan {
  /** Module exporting `runJob(job: SweepJob)`; its result's numbers are the metrics. */
  jobModule: string | URL;
  /** Worker threads (default os.availableParallelism()). */
  workers?: number;
  /** Where the progress line goes (default process.stderr); null for none. */
  progress?: ProgressStream | null;
}

export interface SweepJobRecord {
  index: number;
  combination: number;
  params: Record<string, VaryValue>;
  repeat: number;
  seed: number | null;
  ok: boolean;
  /** The worker thread that ran the job. */
  threadId: number;
  /** For a queued sweep: the worker process that ran it, host:pid. */
  worker?: string;
  ms: number;
  result?: unknown;
  error?: JobErrorInfo;
}

export interface SweepFailure {
  index: number;
  params: Record<string, VaryValue>;
  repeat: number;
  seed: number | null;
  error: JobErrorInfo;
}

export interface SweepResult {
  baseConfig: ConfigTable;
  axes: VaryAxis[];
  repeat: number;
  seedKey: string | null;
  /** The seed of repeat 0 (null without a seed key or when the seed is varied). */
  baseSeed: number | null;
  /** Worker threads started (a queued sweep: worker processes that ran its jobs). */
  workers: number;
  elapsedMs: number;
  jobs: SweepJobRecord[];
  /** Every numeric metric found, dotted keys, in order of first appearance. */
  metricKeys: string[];
  combinations: CombinationAggregate[];
  failures: SweepFailure[];
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const jobs = expandJobs(options);
  const workers = Math.min(options.workers ?? defaultPoolSize(), jobs.length);
  const stream = options.progress === undefined ? process.stderr : options.progress;
  const progress = stream ? new ProgressReporter(stream, jobs.length) : null;
  progress?.update(0, 0);
  let outcomes;
  try {
    outcomes = await runPool(jobs, {
      jobModule: options.jobModule,
      size: options.workers,
      onSettled: (_outcome, settled, failed) => progress?.update(settled, failed),
    });
  } finally {
    progress?.close();
  }
  return sweepResult(options, jobs, outcomes, workers, performance.now() - started);
}

/**
 * The result of a sweep from its jobs' outcomes, wherever they ran (this
 * machine's threads, or queue workers: queue-sweep.ts). `workers`: how many
 * ran them; an outcome may name its worker (`host:pid`).
 */
export function sweepResult(plan: SweepPlan, jobs: readonly SweepJob[], outcomes: ReadonlyArray<JobOutcome<unknown> & { worker?: string }>, workers: number, elapsedMs: number): SweepResult {
  const { metricKeys, combinations } = aggregate(jobs, outcomes);
  const records: SweepJobRecord[] = jobs.map((job, i) => {
    const o = outcomes[i];
    const base = {
      index: job.index,
      combination: job.combination,
      params: job.params,
      repeat: job.repeat,
      seed: job.seed,
      ok: o.ok,
      threadId: o.threadId,
      ...(o.worker ? { worker: o.worker } : {}),
      ms: o.ms,
    };
    return o.ok ? { ...base, result: o.result } : { ...base, error: o.error };
  });
  const failures = records.flatMap((r) => (r.ok ? [] : [{ index: r.index, params: r.params, repeat: r.repeat, seed: r.seed, error: r.error as JobErrorInfo }]));
  const seedKey = plan.seedKey === undefined ? 'seed' : plan.seedKey;
  const seedVaried = plan.axes.some((a) => a.key === seedKey);
  return {
    baseConfig: plan.baseConfig,
    axes: [...plan.axes],
    repeat: plan.repeat,
    seedKey,
    baseSeed: seedKey === null || seedVaried ? null : jobs[0].seed,
    workers,
    elapsedMs,
    jobs: records,
    metricKeys,
    combinations,
    failures,
  };
}

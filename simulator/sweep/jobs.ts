// A sweep plan expanded into jobs: every combination of the varied values
// (cartesian product, first --vary outermost) × every repeat.
//
// A job's configuration is the base configuration (a plain table, as parsed
// from TOML, keys as in the file) with the varied keys overridden and the seed
// key set for the repeat:
//   seed(repeat r) = baseSeed + r · stride
// The stride is the number of seeds one job consumes (a run with `seeds = 30`
// uses seed … seed + 29), so repeats never share a seed. Every combination
// uses the same seeds for repeat r (common random numbers: differences between
// parameter values are not blurred by different randomness).

import { formatVaryValue, type VaryAxis, type VaryValue } from './vary.js';

export type ConfigTable = Record<string, unknown>;

export interface SweepJob {
  /** Position in the job list; results are reported in this order. */
  index: number;
  /** Which parameter combination (0-based, in expansion order). */
  combination: number;
  /** The varied keys and this job's values, in --vary order. */
  params: Record<string, VaryValue>;
  /** 0-based repeat number. */
  repeat: number;
  /** The seed written into the configuration, or null when the plan has no seed key. */
  seed: number | null;
  /** The full configuration for this job. */
  config: ConfigTable;
}

export interface SweepPlan {
  baseConfig: ConfigTable;
  axes: readonly VaryAxis[];
  /** Repeats per combination, each with its own seed. */
  repeat: number;
  /** The configuration key holding the first seed (default "seed"); null: the job module seeds itself from `job.repeat`. */
  seedKey?: string | null;
  /** First seed when the base configuration has none (default 1). */
  defaultSeed?: number;
  /** Seeds one job consumes (default 1); a function gets the job's configuration, e.g. `(c) => c.seeds`. */
  seedStride?: number | ((config: ConfigTable) => number);
  /** Called with each job's configuration before anything runs; throw to refuse it (e.g. simConfigFromObject). */
  validateConfig?: (config: ConfigTable) => void;
}

export class SweepPlanError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`sweep: ${message}`, options);
    this.name = 'SweepPlanError';
  }
}

/** Most jobs one sweep may have; beyond it the plan is almost certainly a mistake. */
export const MAX_JOBS = 100_000;

/** Every combination of the axes' values, the first axis outermost. */
export function combinations(axes: readonly VaryAxis[]): Array<Record<string, VaryValue>> {
  let out: Array<Record<string, VaryValue>> = [{}];
  for (const axis of axes) out = out.flatMap((partial) => axis.values.map((v) => ({ ...partial, [axis.key]: v })));
  return out;
}

/** "batch=20, friends=5" */
export function describeParams(params: Readonly<Record<string, VaryValue>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${formatVaryValue(v)}`)
    .join(', ');
}

function isTable(v: unknown): v is ConfigTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Sets a dotted key, creating intermediate tables; refuses to go through a non-table value. */
export function setKey(config: ConfigTable, key: string, value: unknown): void {
  const parts = key.split('.');
  let table = config;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = table[parts[i]];
    if (next === undefined) table[parts[i]] = {};
    else if (!isTable(next)) throw new SweepPlanError(`cannot set ${key}: ${parts.slice(0, i + 1).join('.')} is not a table in the configuration`);
    table = table[parts[i]] as ConfigTable;
  }
  table[parts[parts.length - 1]] = Array.isArray(value) ? [...value] : value;
}

export function getKey(config: ConfigTable, key: string): unknown {
  let value: unknown = config;
  for (const part of key.split('.')) {
    if (!isTable(value)) return undefined;
    value = value[part];
  }
  return value;
}

export function expandJobs(plan: SweepPlan): SweepJob[] {
  const { axes, repeat } = plan;
  if (!isTable(plan.baseConfig)) throw new SweepPlanError('the base configuration must be a table');
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_JOBS) throw new SweepPlanError(`--repeat ${repeat}: expected a whole number from 1 to ${MAX_JOBS}`);
  if (axes.length === 0) throw new SweepPlanError('nothing is varied');
  const total = axes.reduce((n, a) => n * a.values.length, repeat);
  if (total > MAX_JOBS) throw new SweepPlanError(`${total} jobs (${axes.map((a) => a.values.length).join(' × ')} × ${repeat} repeats) is more than ${MAX_JOBS}`);

  const seedKey = plan.seedKey === undefined ? 'seed' : plan.seedKey;
  let baseSeed: number | null = null;
  if (seedKey !== null) {
    if (repeat > 1 && axes.some((a) => a.key === seedKey)) {
      throw new SweepPlanError(`--vary ${seedKey} together with --repeat ${repeat}: the repeats set the seed; vary it or repeat, not both`);
    }
    const configured = getKey(plan.baseConfig, seedKey);
    baseSeed = configured === undefined ? (plan.defaultSeed ?? 1) : (configured as number);
    if (!Number.isSafeInteger(baseSeed) || baseSeed < 0) throw new SweepPlanError(`${seedKey} = ${JSON.stringify(configured)} in the configuration: expected a whole number ≥ 0`);
  }

  const jobs: SweepJob[] = [];
  combinations(axes).forEach((params, combination) => {
    for (let r = 0; r < repeat; r++) {
      const config = structuredClone(plan.baseConfig);
      for (const [key, value] of Object.entries(params)) setKey(config, key, value);
      let seed: number | null = null;
      try {
        if (seedKey !== null && !(seedKey in params)) {
          const stride = typeof plan.seedStride === 'function' ? plan.seedStride(config) : (plan.seedStride ?? 1);
          if (!Number.isSafeInteger(stride) || stride < 1) throw new SweepPlanError(`the seed stride is ${stride}, expected a whole number ≥ 1`);
          seed = (baseSeed as number) + r * stride;
          if (!Number.isSafeInteger(seed)) throw new SweepPlanError(`the seed for repeat ${r} overflows`);
          setKey(config, seedKey, seed);
        } else if (seedKey !== null) {
          const varied = params[seedKey];
          seed = typeof varied === 'number' ? varied : null;
        }
        plan.validateConfig?.(config);
      } catch (err) {
        // Name the combination: the hooks only see a configuration.
        const message = (err as Error).message.replace(/^sweep: /, '');
        throw new SweepPlanError(`with ${describeParams(params)}: ${message}`, { cause: err });
      }
      jobs.push({ index: jobs.length, combination, params: { ...params }, repeat: r, seed, config });
    }
  });
  return jobs;
}

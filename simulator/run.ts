// Runs a configured simulation and writes its results (docs/simulator.md §Output).

import type { DirectConfig, LoopixConfig, PoolConfig, PopulationConfig, SimConfig, ThresholdConfig } from './config.js';
import { summarize, type Summary } from './metrics/summary.js';
import type { ObservationSpec, LoopixNetworkSpec } from './models/continuous-config.js';
import type { ContinuousMetrics, ContinuousRun, CurvePoint, RunCounts } from './models/continuous-run.js';
import { runDirect } from './models/direct.js';
import type { GraphSpec } from './models/graph-spec.js';
import { runLoopix } from './models/loopix.js';
import { logLogSlope, lsdaErrorCurve } from './models/population.js';
import { runPool, type PoolParams, type PoolRun } from './models/pool.js';
import { buildRunReport } from './models/run-report.js';
import { meanOfRecords } from './models/seed-average.js';
import { danezisBound, roundsToDisclosure } from './models/threshold.js';
import type { BehaviourSpec } from './behaviour/spec.js';
import type { PresenceSpec } from './presence/spec.js';
import type { WorkloadSpec } from './workload/spec.js';
import { seededUniform } from './random.js';
import { writeResultsFolder } from './report/results-folder.js';

export interface ThresholdResults {
  model: 'threshold';
  parameters: { recipients: number; batch: number; friends: number; maxRounds: number };
  seed: number;
  seeds: number;
  metrics: {
    /** Over the runs that disclosed within maxRounds; `undisclosed` counts the others. */
    roundsToDisclosure: Summary & { undisclosed: number };
    /** Danezis 2003's estimate for l = 2 (≈95 %) and l = 3. */
    danezisBound: { l2: number; l3: number };
  };
  runs: Array<{ seed: number; roundsToDisclosure: number | null }>;
}

export interface PopulationResults {
  model: 'population';
  parameters: { users: number; batch: number; friends: number; checkpoints: number[] };
  seed: number;
  seeds: number;
  metrics: {
    /** LSDA mean squared profile error after each checkpoint, averaged over seeds. */
    lsda: { curve: Array<{ rounds: number; mse: number }>; logLogSlope: number };
  };
  runs: Array<{ seed: number; curve: Array<{ rounds: number; mse: number }> }>;
}

export interface PoolResults {
  model: 'pool';
  parameters: PoolParams;
  seed: number;
  seeds: number;
  metrics: {
    /** Over the runs that disclosed within maxRounds; `undisclosed` counts the others. */
    roundsToDisclosure: Summary & { undisclosed: number };
    /** Per leaving message, averaged over runs: entropy (bits), 2^H, and H / log2(senders). */
    anonymity: { entropyBits: number; effectiveSetSize: number; degree: number };
    /** Rounds a message spends in the mix, averaged over runs. */
    latencyRounds: { mean: number; p50: number; p99: number };
  };
  runs: Array<{ seed: number } & PoolRun>;
}

export interface ContinuousParameters extends ObservationSpec {
  workload: WorkloadSpec;
  /** The synthetic workload's graph and behaviour (absent for a trace). */
  graph?: GraphSpec;
  behaviour?: BehaviourSpec;
  presence: PresenceSpec;
  /** The loopix model's network (absent for direct). */
  network?: LoopixNetworkSpec;
}

export interface ContinuousResults {
  model: 'loopix' | 'direct';
  parameters: ContinuousParameters;
  seed: number;
  seeds: number;
  /** Means over the seeds' runs. */
  metrics: ContinuousMetrics;
  counts: RunCounts;
  /** Recovery over observation time, means over the seeds' runs. */
  curves: { recovery: CurvePoint[] };
  runs: ContinuousRun[];
}

export type SimResults = ThresholdResults | PopulationResults | PoolResults | ContinuousResults;

function runPopulation(config: PopulationConfig): PopulationResults {
  const params = { users: config.users, batch: config.batch, friends: config.friends, checkpoints: config.checkpoints };
  const runs = Array.from({ length: config.seeds }, (_, i) => ({ seed: config.seed + i, curve: lsdaErrorCurve(params, seededUniform(config.seed + i)) }));
  const curve = config.checkpoints.map((rounds, k) => ({ rounds, mse: runs.reduce((a, r) => a + r.curve[k].mse, 0) / runs.length }));
  return { model: 'population', parameters: params, seed: config.seed, seeds: config.seeds, metrics: { lsda: { curve, logLogSlope: logLogSlope(curve) } }, runs };
}

function runThreshold(config: ThresholdConfig): ThresholdResults {
  const params = { recipients: config.recipients, batch: config.batch, friends: config.friends, maxRounds: config.maxRounds };
  const runs = Array.from({ length: config.seeds }, (_, i) => {
    const seed = config.seed + i;
    return { seed, roundsToDisclosure: roundsToDisclosure(params, seededUniform(seed)) };
  });
  const disclosed = runs.flatMap((r) => (r.roundsToDisclosure === null ? [] : [r.roundsToDisclosure]));
  return {
    model: 'threshold',
    parameters: params,
    seed: config.seed,
    seeds: config.seeds,
    metrics: {
      roundsToDisclosure: { ...summarize(disclosed), undisclosed: runs.length - disclosed.length },
      danezisBound: { l2: danezisBound(params, 2), l3: danezisBound(params, 3) },
    },
    runs,
  };
}

function runPoolModel(config: PoolConfig): PoolResults {
  const { model: _model, seeds: _seeds, seed: _seed, ...params } = config;
  const runs = Array.from({ length: config.seeds }, (_, i) => ({ seed: config.seed + i, ...runPool(params, seededUniform(config.seed + i)) }));
  const disclosed = runs.flatMap((r) => (r.roundsToDisclosure === null ? [] : [r.roundsToDisclosure]));
  const mean = meanOfRecords(runs.map((r) => ({ entropyBits: r.entropyBits, effectiveSetSize: r.effectiveSetSize, latencyRounds: r.latencyRounds })));
  return {
    model: 'pool',
    parameters: params,
    seed: config.seed,
    seeds: config.seeds,
    metrics: {
      roundsToDisclosure: { ...summarize(disclosed), undisclosed: runs.length - disclosed.length },
      anonymity: { entropyBits: mean.entropyBits, effectiveSetSize: mean.effectiveSetSize, degree: mean.entropyBits / Math.log2(config.senders) },
      latencyRounds: mean.latencyRounds,
    },
    runs,
  };
}

function runContinuous(config: LoopixConfig | DirectConfig): ContinuousResults {
  const runs = Array.from({ length: config.seeds }, (_, i) => (config.model === 'loopix' ? runLoopix(config, config.seed + i) : runDirect(config, config.seed + i)));
  const { workload, graph, behaviour, presence, durationS, epochS, curvePoints, attacks } = config;
  const parameters: ContinuousParameters = { workload, ...(workload.kind === 'synthetic' ? { graph, behaviour } : {}), presence, durationS, epochS, curvePoints, attacks };
  if (config.model === 'loopix') parameters.network = config.network;
  return {
    model: config.model,
    parameters,
    seed: config.seed,
    seeds: config.seeds,
    metrics: meanOfRecords(runs.map((r) => r.metrics)),
    counts: meanOfRecords(runs.map((r) => r.counts)),
    curves: { recovery: meanOfRecords(runs.map((r) => r.curve)) },
    runs,
  };
}

export function runSimulation(config: ThresholdConfig): ThresholdResults;
export function runSimulation(config: PopulationConfig): PopulationResults;
export function runSimulation(config: PoolConfig): PoolResults;
export function runSimulation(config: LoopixConfig | DirectConfig): ContinuousResults;
export function runSimulation(config: SimConfig): SimResults;
export function runSimulation(config: SimConfig): SimResults {
  switch (config.model) {
    case 'threshold':
      return runThreshold(config);
    case 'population':
      return runPopulation(config);
    case 'pool':
      return runPoolModel(config);
    case 'loopix':
    case 'direct':
      return runContinuous(config);
  }
}

/**
 * Writes into `outDir` (created if needed): results.json, the model's CSV
 * tables (runs.csv always), its SVG plots and index.html. Returns the paths.
 */
export async function writeResults(results: SimResults, outDir: string): Promise<string[]> {
  const report = buildRunReport(results);
  return writeResultsFolder(outDir, {
    results,
    resultsLabel: 'parameters, seeds, every metric and every run',
    tables: report.csv,
    plots: report.plots,
    report: report.content,
  });
}

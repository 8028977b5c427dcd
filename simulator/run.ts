// Runs a configured simulation and writes its results (docs/simulator.md §Output).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PopulationConfig, SimConfig, ThresholdConfig } from './config.js';
import { logLogSlope, lsdaErrorCurve } from './models/population.js';
import { summarize, type Summary } from './metrics/summary.js';
import { danezisBound, roundsToDisclosure } from './models/threshold.js';
import { seededUniform } from './random.js';

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

export type SimResults = ThresholdResults | PopulationResults;

function runPopulation(config: PopulationConfig): PopulationResults {
  const params = { users: config.users, batch: config.batch, friends: config.friends, checkpoints: config.checkpoints };
  const runs = Array.from({ length: config.seeds }, (_, i) => ({ seed: config.seed + i, curve: lsdaErrorCurve(params, seededUniform(config.seed + i)) }));
  const curve = config.checkpoints.map((rounds, k) => ({ rounds, mse: runs.reduce((a, r) => a + r.curve[k].mse, 0) / runs.length }));
  return { model: 'population', parameters: params, seed: config.seed, seeds: config.seeds, metrics: { lsda: { curve, logLogSlope: logLogSlope(curve) } }, runs };
}

export function runSimulation(config: ThresholdConfig): ThresholdResults;
export function runSimulation(config: PopulationConfig): PopulationResults;
export function runSimulation(config: SimConfig): SimResults;
export function runSimulation(config: SimConfig): SimResults {
  if (config.model === 'population') return runPopulation(config);
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

/** Writes results.json and runs.csv into `outDir` (created if needed). */
export function writeResults(results: SimResults, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'results.json');
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const csv = join(outDir, 'runs.csv');
  const rows =
    results.model === 'threshold'
      ? ['seed,roundsToDisclosure', ...results.runs.map((r) => `${r.seed},${r.roundsToDisclosure ?? ''}`)]
      : ['seed,rounds,mse', ...results.runs.flatMap((r) => r.curve.map((c) => `${r.seed},${c.rounds},${c.mse}`))];
  writeFileSync(csv, `${rows.join('\n')}\n`);
  return [json, csv];
}

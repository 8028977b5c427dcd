// Runs a configured simulation and writes its results (docs/simulator.md §Output).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimConfig } from './config.js';
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

export type SimResults = ThresholdResults;

export function runSimulation(config: SimConfig): SimResults {
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
  writeFileSync(csv, `seed,roundsToDisclosure\n${results.runs.map((r) => `${r.seed},${r.roundsToDisclosure ?? ''}`).join('\n')}\n`);
  return [json, csv];
}

// How `chaff sim sweep` plugs the simulator into the generic sweep: the job
// module, the base configuration as a raw TOML table (so --vary names keys as
// the file does, e.g. max_rounds), validation of every job's configuration
// before anything runs, and the seed stride (a run with `seeds = n` uses
// seed … seed + n − 1, so repeat r starts at seed + r·n).

import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { dirname, resolve } from 'node:path';
import { resolveConfigPaths, simConfigFromObject, SimConfigError } from '../config.js';
import type { ConfigTable, SweepPlan } from './jobs.js';

export const SIM_JOB_MODULE = new URL('./sim-job.ts', import.meta.url);

/** Reads and checks a simulator configuration file; returns it as the raw table, its file paths made absolute. */
export function loadSimSweepBase(path: string): ConfigTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SimConfigError('--config', path, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: ConfigTable;
  try {
    raw = parseToml(text) as ConfigTable;
  } catch (err) {
    throw new SimConfigError('(file)', path, `not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  // Paths relative to the file (graph.path, workload.path) before the check: a trace is read when its configuration is.
  const resolved = resolveConfigPaths(raw, dirname(resolve(path)));
  simConfigFromObject(resolved);
  return resolved;
}

export const SIM_SWEEP_HOOKS: Required<Pick<SweepPlan, 'seedKey' | 'seedStride' | 'validateConfig'>> = {
  seedKey: 'seed',
  seedStride: (config) => simConfigFromObject(config).seeds,
  validateConfig: (config) => {
    simConfigFromObject(config);
  },
};

/** The configuration keys that name input files: a queued sweep sends these files to its workers. */
export const SIM_FILE_KEYS: readonly string[] = ['graph.path', 'workload.path'];

/** Axis units for the simulator's keys and metrics (a key not listed gets none). */
export const SIM_UNITS: Readonly<Record<string, string>> = {
  recipients: 'recipients',
  users: 'users',
  batch: 'messages per round',
  friends: 'recipients',
  max_rounds: 'rounds',
  seeds: 'runs',
  'roundsToDisclosure.n': 'runs',
  'roundsToDisclosure.undisclosed': 'runs',
  'roundsToDisclosure.mean': 'rounds',
  'roundsToDisclosure.median': 'rounds',
  'roundsToDisclosure.p10': 'rounds',
  'roundsToDisclosure.p90': 'rounds',
  'roundsToDisclosure.min': 'rounds',
  'roundsToDisclosure.max': 'rounds',
  'danezisBound.l2': 'rounds',
  'danezisBound.l3': 'rounds',
};

// Simulator configuration (TOML). Errors name the key, the bad value and what
// is allowed. docs/simulator.md lists every key.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { TomlReader } from '../protocol/config/typed-reader.js';
import { simConfigReader, SimConfigError, type ConfigTable } from './models/config-reader.js';
import { readContinuousConfig, type DirectConfig, type LoopixConfig } from './models/continuous-config.js';
import { MODELS, type ModelName } from './models/model-names.js';
import { readPoolConfig, type PoolConfig } from './models/pool-config.js';

export { MODELS, SimConfigError };
export type { DirectConfig, LoopixConfig, ModelName, PoolConfig };

export interface ThresholdConfig {
  model: 'threshold';
  /** N */
  recipients: number;
  /** b */
  batch: number;
  /** m */
  friends: number;
  /** Number of runs (one per seed). */
  seeds: number;
  /** First seed; run i uses seed + i. */
  seed: number;
  maxRounds: number;
}

/** A threshold mix fed by a population of users, attacked with the LSDA. */
export interface PopulationConfig {
  model: 'population';
  users: number;
  batch: number;
  friends: number;
  /** Rounds after which the attack's error is measured (ascending). */
  checkpoints: number[];
  seeds: number;
  seed: number;
}

export type SimConfig = ThresholdConfig | PopulationConfig | PoolConfig | LoopixConfig | DirectConfig;

function readThreshold(t: TomlReader): ThresholdConfig {
  t.only('model', 'recipients', 'batch', 'friends', 'seeds', 'seed', 'max_rounds');
  const recipients = t.integer('recipients', undefined, 2, 100_000_000);
  const friends = t.integer('friends', undefined, 1, recipients);
  return {
    model: 'threshold',
    recipients,
    batch: t.integer('batch', undefined, 1, 1_000_000),
    friends,
    seeds: t.integer('seeds', 30, 1, 100_000),
    seed: t.integer('seed', 1, 0, Number.MAX_SAFE_INTEGER),
    maxRounds: t.integer('max_rounds', 1_000_000, 1, 1_000_000_000),
  };
}

function readPopulation(t: TomlReader): PopulationConfig {
  t.only('model', 'users', 'batch', 'friends', 'checkpoints', 'seeds', 'seed');
  const users = t.integer('users', undefined, 2, 2000);
  const checkpoints = t.value('checkpoints') ?? [250, 500, 1000, 2000, 4000, 8000];
  if (!Array.isArray(checkpoints) || checkpoints.length < 2 || checkpoints.some((c, i) => !Number.isInteger(c) || c < 1 || c > 10_000_000 || (i > 0 && c <= checkpoints[i - 1]))) {
    throw new SimConfigError('checkpoints', checkpoints, 'expected at least two ascending whole numbers of rounds, e.g. [250, 500, 1000]');
  }
  return {
    model: 'population',
    users,
    batch: t.integer('batch', undefined, 1, 1_000_000),
    friends: t.integer('friends', undefined, 1, users - 1),
    checkpoints: checkpoints as number[],
    seeds: t.integer('seeds', 10, 1, 100_000),
    seed: t.integer('seed', 1, 0, Number.MAX_SAFE_INTEGER),
  };
}

export function simConfigFromObject(raw: unknown): SimConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SimConfigError('(file)', raw, 'expected a TOML table');
  const t = simConfigReader(raw as ConfigTable);
  const model = t.oneOf('model', MODELS);
  switch (model) {
    case 'threshold':
      return readThreshold(t);
    case 'population':
      return readPopulation(t);
    case 'pool':
      return readPoolConfig(t);
    case 'loopix':
    case 'direct':
      return readContinuousConfig(t, model);
  }
}

/**
 * Makes the configuration's file paths (graph.path, workload.path)
 * absolute, relative to `baseDir` (the directory of the configuration
 * file), so a run or a sweep worker finds them whatever its working
 * directory. Returns a copy.
 */
export function resolveConfigPaths(raw: ConfigTable, baseDir: string): ConfigTable {
  let out = raw;
  for (const key of ['graph', 'workload']) {
    const table = out[key];
    if (typeof table !== 'object' || table === null || Array.isArray(table)) continue;
    const path = (table as ConfigTable).path;
    if (typeof path !== 'string' || path === '' || isAbsolute(path)) continue;
    out = { ...out, [key]: { ...(table as ConfigTable), path: resolve(baseDir, path) } };
  }
  return out;
}

export function loadSimConfig(path: string): SimConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SimConfigError('--config', path, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    throw new SimConfigError('(file)', path, `not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) raw = resolveConfigPaths(raw as ConfigTable, dirname(resolve(path)));
  return simConfigFromObject(raw);
}

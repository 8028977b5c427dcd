// Simulator configuration (TOML). Errors name the key, the bad value and what
// is allowed. docs/simulator.md lists every key.

import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';

export class SimConfigError extends Error {
  readonly key: string;
  constructor(key: string, value: unknown, allowed: string) {
    super(`sim config: ${key} = ${JSON.stringify(value)} is not allowed; ${allowed}`);
    this.name = 'SimConfigError';
    this.key = key;
  }
}

/** Models this build of the simulator implements. */
export const MODELS = ['threshold', 'population'] as const;
export type ModelName = (typeof MODELS)[number];

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

export type SimConfig = ThresholdConfig | PopulationConfig;

type Table = Record<string, unknown>;

function integer(t: Table, key: string, fallback: number | undefined, min: number, max: number): number {
  const value = t[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SimConfigError(key, value, `expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export function simConfigFromObject(raw: unknown): SimConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SimConfigError('(file)', raw, 'expected a TOML table');
  const t = raw as Table;
  const model = t.model;
  if (!MODELS.includes(model as ModelName)) {
    throw new SimConfigError('model', model, `allowed: ${MODELS.map((m) => `"${m}"`).join(', ')}`);
  }
  const known =
    model === 'threshold'
      ? ['model', 'recipients', 'batch', 'friends', 'seeds', 'seed', 'max_rounds']
      : ['model', 'users', 'batch', 'friends', 'checkpoints', 'seeds', 'seed'];
  for (const key of Object.keys(t)) {
    if (!known.includes(key)) throw new SimConfigError(key, t[key], `unknown key for model "${model}"; allowed keys: ${known.join(', ')}`);
  }
  if (model === 'population') {
    const users = integer(t, 'users', undefined, 2, 2000);
    const checkpoints = t.checkpoints ?? [250, 500, 1000, 2000, 4000, 8000];
    if (!Array.isArray(checkpoints) || checkpoints.length < 2 || checkpoints.some((c, i) => !Number.isInteger(c) || c < 1 || c > 10_000_000 || (i > 0 && c <= checkpoints[i - 1]))) {
      throw new SimConfigError('checkpoints', checkpoints, 'expected at least two ascending whole numbers of rounds, e.g. [250, 500, 1000]');
    }
    return {
      model: 'population',
      users,
      batch: integer(t, 'batch', undefined, 1, 1_000_000),
      friends: integer(t, 'friends', undefined, 1, users - 1),
      checkpoints: checkpoints as number[],
      seeds: integer(t, 'seeds', 10, 1, 100_000),
      seed: integer(t, 'seed', 1, 0, Number.MAX_SAFE_INTEGER),
    };
  }
  const recipients = integer(t, 'recipients', undefined, 2, 100_000_000);
  const friends = integer(t, 'friends', undefined, 1, recipients);
  return {
    model: 'threshold',
    recipients,
    batch: integer(t, 'batch', undefined, 1, 1_000_000),
    friends,
    seeds: integer(t, 'seeds', 30, 1, 100_000),
    seed: integer(t, 'seed', 1, 0, Number.MAX_SAFE_INTEGER),
    maxRounds: integer(t, 'max_rounds', 1_000_000, 1, 1_000_000_000),
  };
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
  return simConfigFromObject(raw);
}

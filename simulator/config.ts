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
export const MODELS = ['threshold'] as const;
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

export type SimConfig = ThresholdConfig;

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
  const known = ['model', 'recipients', 'batch', 'friends', 'seeds', 'seed', 'max_rounds'];
  for (const key of Object.keys(t)) {
    if (!known.includes(key)) throw new SimConfigError(key, t[key], `unknown key for model "${model}"; allowed keys: ${known.join(', ')}`);
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

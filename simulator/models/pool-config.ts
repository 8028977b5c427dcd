// Configuration of the pool model (docs/simulator.md §The pool model).

import type { TomlReader } from '../../protocol/config/typed-reader.js';

export const POOL_MIX_KINDS = ['threshold', 'timed'] as const;
export type PoolMixKind = (typeof POOL_MIX_KINDS)[number];

export interface PoolConfig {
  model: 'pool';
  /** N: possible recipients. */
  recipients: number;
  /** m: the target's friends. */
  friends: number;
  /** b: messages per round (threshold: exactly; timed: Poisson mean). */
  batch: number;
  /** f: messages the mix keeps in its pool at each flush. */
  pool: number;
  mix: PoolMixKind;
  /** S: senders, the target (id 0) included; the others send the background. */
  senders: number;
  /** Probability that the target sends a message in a round. */
  targetProbability: number;
  /** How the attack estimates the background: from rounds without the target, or uniform 1/N. */
  background: 'estimated' | 'uniform';
  maxRounds: number;
  seeds: number;
  seed: number;
}

export const POOL_KEYS = ['model', 'recipients', 'friends', 'batch', 'pool', 'mix', 'senders', 'target_probability', 'background', 'max_rounds', 'seeds', 'seed'] as const;

export function readPoolConfig(t: TomlReader): PoolConfig {
  t.only(...POOL_KEYS);
  const recipients = t.integer('recipients', undefined, 2, 10_000_000);
  return {
    model: 'pool',
    recipients,
    friends: t.integer('friends', undefined, 1, recipients),
    batch: t.integer('batch', undefined, 1, 100_000),
    pool: t.integer('pool', undefined, 0, 1_000_000),
    mix: t.oneOf('mix', POOL_MIX_KINDS, 'threshold'),
    senders: t.integer('senders', Math.min(recipients, 100_000), 2, 1_000_000),
    targetProbability: t.number('target_probability', 0.5, 0, 1, { above: true }),
    background: t.oneOf('background', ['estimated', 'uniform'] as const, 'estimated'),
    maxRounds: t.integer('max_rounds', 100_000, 1, 100_000_000),
    seeds: t.integer('seeds', 10, 1, 100_000),
    seed: t.integer('seed', 1, 0, Number.MAX_SAFE_INTEGER),
  };
}

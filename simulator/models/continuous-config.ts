// Configuration of the continuous-time models, `loopix` and `direct`
// (docs/simulator.md lists every key with its default). Both run users on
// a social graph ([graph]) with the same behaviour ([behaviour]) and the
// same observation windows, so one file can be swept over
// `model = direct, loopix`: the direct model accepts the network keys and
// ignores them (it has no mixes, no cover and no gateways).
//
// The network defaults are Chaff's production defaults (node/config.ts:
// μ = 2/s, λP = 2/s, λL = 1/s, λD = 0.5/s, λM = 1/s, three layers;
// client/config.ts: one mailbox pull per second; node/config.ts: 16
// entries per fetch reply).

import { readBehaviourSpec, type BehaviourSpec } from '../behaviour/spec.js';
import { ATTACKS, type AttackName } from './attack-suite.js';
import type { TomlReader } from '../../protocol/config/typed-reader.js';
import { SimConfigError } from './config-reader.js';
import { readGraphSpec, type GraphSpec } from './graph-spec.js';
import { readPresenceSpec, type PresenceSpec } from '../presence/spec.js';
import { readWorkloadSpec, traceDurationS, type WorkloadSpec } from '../workload/spec.js';

export interface ObservationSpec {
  /** Simulated time, s. */
  durationS: number;
  /** Observation window (the attacks' round), s. */
  epochS: number;
  /** Points of the recovery curves (evenly spaced windows; the last is the end). */
  curvePoints: number;
  attacks: AttackName[];
}

export interface LoopixNetworkSpec {
  layers: number;
  mixesPerLayer: number;
  gateways: number;
  /** Per-hop delay rate, 1/s (mean delay 1/μ s per hop). */
  mu: number;
  lambdaP: number;
  lambdaL: number;
  lambdaD: number;
  /** Loops per mix per second. */
  lambdaM: number;
  /** Mailbox pull interval, s. */
  pullIntervalS: number;
  /** Entries in every fetch reply. */
  fetchBatch: number;
  corruptMixes: number;
  corruptGateways: number;
  /** Whether real packets, decoys and loops carry a SURB-ACK back to the sender's gateway. */
  acks: boolean;
  /**
   * Whether an empty payload slot sends a decoy (acknowledged like a real
   * packet; Chaff) or unacknowledged drop cover (the Loopix paper).
   */
  decoys: boolean;
}

interface ContinuousCommon extends ObservationSpec {
  workload: WorkloadSpec;
  graph: GraphSpec;
  behaviour: BehaviourSpec;
  presence: PresenceSpec;
  seeds: number;
  seed: number;
}

export interface LoopixConfig extends ContinuousCommon {
  model: 'loopix';
  network: LoopixNetworkSpec;
}

export interface DirectConfig extends ContinuousCommon {
  model: 'direct';
}

export const OBSERVATION_KEYS = ['duration', 'epoch', 'curve_points', 'attacks'] as const;
export const NETWORK_KEYS = [
  'layers',
  'mixes_per_layer',
  'gateways',
  'mu',
  'lambda_p',
  'lambda_l',
  'lambda_d',
  'lambda_m',
  'pull_interval',
  'fetch_batch',
  'corrupt_mixes',
  'corrupt_gateways',
  'acks',
  'decoys',
] as const;
export const CONTINUOUS_KEYS = ['model', 'workload', 'graph', 'behaviour', 'presence', ...OBSERVATION_KEYS, ...NETWORK_KEYS, 'seeds', 'seed'] as const;

/** Most client packets one run may simulate (U · (λP + λL + λD) · duration): beyond it a run takes hours. */
export const MAX_CLIENT_PACKETS = 50_000_000;

export const DEFAULT_NETWORK: Readonly<LoopixNetworkSpec> = Object.freeze({
  layers: 3,
  mixesPerLayer: 3,
  gateways: 4,
  mu: 2,
  lambdaP: 2,
  lambdaL: 1,
  lambdaD: 0.5,
  lambdaM: 1,
  pullIntervalS: 1,
  fetchBatch: 4,
  corruptMixes: 0,
  corruptGateways: 0.25,
  acks: true,
  decoys: true,
});

function readObservation(t: TomlReader, defaultDurationS = 1800): ObservationSpec {
  const durationS = t.number('duration', defaultDurationS, 1, 400 * 86_400, { unit: 's of simulated time' });
  const epochS = t.number('epoch', 60, 0.001, durationS, { unit: 's, at most the duration' });
  const windows = Math.floor(durationS / epochS + 1e-9);
  if (windows > 1_000_000) throw new SimConfigError('epoch', epochS, `expected at most 1,000,000 windows in the duration (${durationS} s)`);
  return {
    durationS,
    epochS,
    curvePoints: t.integer('curve_points', Math.min(6, windows), 1, windows),
    attacks: t.subset('attacks', ATTACKS, ATTACKS),
  };
}

function readNetwork(t: TomlReader): LoopixNetworkSpec {
  const d = DEFAULT_NETWORK;
  return {
    layers: t.integer('layers', d.layers, 1, 16),
    mixesPerLayer: t.integer('mixes_per_layer', d.mixesPerLayer, 1, 1000),
    gateways: t.integer('gateways', d.gateways, 1, 1000),
    mu: t.number('mu', d.mu, 0.001, 1000, { unit: 'per second' }),
    lambdaP: t.number('lambda_p', d.lambdaP, 0, 1000, { above: true, unit: 'per second' }),
    lambdaL: t.number('lambda_l', d.lambdaL, 0, 1000, { unit: 'per second' }),
    lambdaD: t.number('lambda_d', d.lambdaD, 0, 1000, { unit: 'per second' }),
    lambdaM: t.number('lambda_m', d.lambdaM, 0, 1000, { unit: 'per second per mix' }),
    pullIntervalS: t.number('pull_interval', d.pullIntervalS, 0.05, 3600, { unit: 's' }),
    fetchBatch: t.integer('fetch_batch', d.fetchBatch, 1, 1024),
    corruptMixes: t.number('corrupt_mixes', d.corruptMixes, 0, 1, { unit: 'a fraction of the mixes' }),
    corruptGateways: t.number('corrupt_gateways', d.corruptGateways, 0, 1, { unit: 'a fraction of the gateways' }),
    acks: t.boolean('acks', d.acks),
    decoys: t.boolean('decoys', d.decoys),
  };
}

export function readContinuousConfig(t: TomlReader, model: 'loopix' | 'direct'): LoopixConfig | DirectConfig {
  t.only(...CONTINUOUS_KEYS);
  const workload = readWorkloadSpec(t.sub('workload'), t);
  // A trace's duration defaults to its span, in whole windows (workload/spec.ts).
  const epoch = t.value('epoch');
  const defaultDurationS = workload.kind === 'trace' ? traceDurationS(workload.spanS, typeof epoch === 'number' && epoch > 0 ? epoch : 60) : undefined;
  const common: ContinuousCommon = {
    workload,
    graph: readGraphSpec(t.sub('graph')),
    behaviour: readBehaviourSpec(t.sub('behaviour')),
    presence: readPresenceSpec(t.sub('presence'), workload.kind === 'trace'),
    ...readObservation(t, defaultDurationS),
    seeds: t.integer('seeds', 3, 1, 10_000),
    seed: t.integer('seed', 1, 0, Number.MAX_SAFE_INTEGER),
  };
  const network = readNetwork(t);
  if (model === 'direct') return { model, ...common };
  // A CSV graph's size is only known once it is read (at run time): not checked here.
  const users =
    workload.kind === 'trace'
      ? workload.users
      : common.graph.kind === 'karate-club'
        ? 34
        : common.graph.kind === 'csv'
          ? 0
          : common.graph.kind === 'stochastic-block'
            ? common.graph.sizes.reduce((a, b) => a + b, 0)
            : common.graph.users;
  const packets = users * (network.lambdaP + network.lambdaL + network.lambdaD) * common.durationS;
  if (packets > MAX_CLIENT_PACKETS) {
    throw new SimConfigError(
      'duration',
      common.durationS,
      `${users} users sending λP + λL + λD = ${network.lambdaP + network.lambdaL + network.lambdaD}/s for this long make ${packets.toExponential(1)} packets; at most ${MAX_CLIENT_PACKETS.toExponential(0)} per run (shorten the run or use fewer users)`,
    );
  }
  return { model, ...common, network };
}

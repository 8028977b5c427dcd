// The users and the messages they write in a continuous-time model: either
// the synthetic users of simulator/behaviour on a configured graph, or a
// message trace replayed (trace-workload.ts). The models see only this
// interface.

import type { Clock } from '../../protocol/traffic/clock.js';
import { UserPopulation, type Message } from '../behaviour/users.js';
import type { BehaviourSpec } from '../behaviour/spec.js';
import type { SocialGraph } from '../graphs/social-graph.js';
import { buildGraph, type GraphSpec } from '../models/graph-spec.js';
import { seededStream, STREAM_BEHAVIOUR, STREAM_GRAPH, STREAM_REPLIES } from '../models/streams.js';
import type { WorkloadSpec } from './spec.js';
import { readTrace } from './spec.js';
import { TraceWorkload } from './trace-workload.js';

export interface Workload {
  /** The users and who writes to whom: the ground truth the attacks try to recover. */
  readonly graph: SocialGraph;
  /** Messages written so far. */
  readonly written: number;
  /** Of those, replies. */
  readonly replies: number;
  /** Schedules the first messages. */
  start(): void;
  /** The recipient read `message` at `readMs` (now or later). */
  read(message: Message, readMs: number): void;
}

export interface WorkloadConfig {
  workload: WorkloadSpec;
  graph: GraphSpec;
  behaviour: BehaviourSpec;
}

export interface WorkloadOptions {
  clock: Clock;
  /** Hands a message the user just wrote to the transport. */
  send: (message: Message) => void;
  /** Nobody writes at or after this time, ms. */
  untilMs: number;
}

export function buildWorkload(config: WorkloadConfig, seed: number, options: WorkloadOptions): Workload {
  const spec = config.workload;
  if (spec.kind === 'trace') return new TraceWorkload({ trace: readTrace(spec.path), timeScale: spec.timeScale, ...options });
  const graph = buildGraph(config.graph, seededStream(seed, STREAM_GRAPH));
  const users = new UserPopulation({
    graph,
    spec: config.behaviour,
    startsUniform: seededStream(seed, STREAM_BEHAVIOUR),
    repliesUniform: seededStream(seed, STREAM_REPLIES),
    ...options,
  });
  return {
    graph,
    get written() {
      return users.written;
    },
    get replies() {
      return users.replies;
    },
    start: () => users.start(),
    read: (message, readMs) => users.read(message, readMs),
  };
}

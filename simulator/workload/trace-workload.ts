// A message trace replayed on the simulator's clock: message i is written
// by from[i] to to[i] at offsetS[i] · time_scale. Messages are scheduled one
// at a time (each schedules the next), so a long trace holds one pending
// event, not one per message. Replies are part of the trace: reading a
// message triggers nothing.

import type { Clock } from '../../protocol/traffic/clock.js';
import type { Message } from '../behaviour/users.js';
import { SocialGraph } from '../graphs/social-graph.js';
import type { MessageTrace } from './message-trace.js';
import type { Workload } from './workload.js';

/** The trace's edges, directed, weighted by their message counts: the ground truth of a trace workload. */
export function traceGraph(trace: MessageTrace): SocialGraph {
  const weights = new Map<number, number>();
  const n = trace.names.length;
  for (let i = 0; i < trace.from.length; i++) {
    const key = trace.from[i] * n + trace.to[i];
    weights.set(key, (weights.get(key) ?? 0) + 1);
  }
  const edges = [...weights].map(([key, weight]) => ({ source: Math.floor(key / n), target: key % n, weight }));
  return new SocialGraph(n, edges, { directed: true, names: trace.names });
}

export interface TraceWorkloadOptions {
  trace: MessageTrace;
  /** Simulated seconds per second of the trace. */
  timeScale: number;
  clock: Clock;
  send: (message: Message) => void;
  /** Messages at or after this time are not written, ms. */
  untilMs: number;
}

export class TraceWorkload implements Workload {
  readonly graph: SocialGraph;
  readonly #o: TraceWorkloadOptions;
  #next = 0;

  constructor(options: TraceWorkloadOptions) {
    this.#o = options;
    this.graph = traceGraph(options.trace);
  }

  get written(): number {
    return this.#next;
  }

  get replies(): number {
    return 0;
  }

  /** When message i is written, ms of simulated time. */
  timeMs(i: number): number {
    return this.#o.trace.offsetS[i] * this.#o.timeScale * 1000;
  }

  start(): void {
    this.#scheduleNext();
  }

  read(): void {
    // The trace holds the replies that were written.
  }

  #scheduleNext(): void {
    const i = this.#next;
    if (i >= this.#o.trace.from.length) return;
    const at = this.timeMs(i);
    if (at >= this.#o.untilMs) return;
    this.#o.clock.at(at, () => {
      this.#next++;
      const { trace } = this.#o;
      this.#o.send({ id: i + 1, from: trace.from[i], to: trace.to[i], createdMs: at, reply: false });
      this.#scheduleNext();
    });
  }
}

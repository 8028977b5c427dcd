// What a continuous-time model needs from presence, in one place so that
// the models' own code only calls it (simulator/models/loopix.ts,
// direct.ts): the schedule (links up and down, when a recipient reads) and,
// when anyone is ever offline, the observer of presence with its attacks.
// With every client always online (the default) there is no observer and
// the run is exactly what it was before presence existed.

import type { AttackSuite, Recovery } from '../models/attack-suite.js';
import type { PresenceSpec } from './spec.js';
import type { WorkloadSpec } from '../workload/spec.js';
import { readTrace } from '../workload/spec.js';
import { buildPresence } from './build.js';
import { PresenceObserver, type PresenceStats } from './observer.js';
import type { PresenceSchedule } from './schedule.js';

export interface PresenceHooks {
  schedule: PresenceSchedule;
  observer: PresenceObserver | null;
  /** At a point of the recovery curve: the presence attacks' recovery (none without an observer). */
  checkpoint(timeS: number, truth: Uint8Array, suite: AttackSuite): Record<string, Recovery>;
  /** `{ presence }` for the run's metrics, or nothing. */
  metrics(): { presence?: PresenceStats };
}

/**
 * `horizonMs`: the end of the run, drain included; `lookbackMs`: how long a
 * message may take from its sender's link to the delivery the observer
 * sees (0 for a server that relays at once).
 */
export function presenceHooks(config: { presence: PresenceSpec; workload: WorkloadSpec }, seed: number, users: number, horizonMs: number, lookbackMs: number): PresenceHooks {
  const { presence, workload } = config;
  const trace = workload.kind === 'trace' ? { trace: readTrace(workload.path), timeScale: workload.timeScale } : undefined;
  const schedule = buildPresence(presence, { users, seed, horizonMs, trace });
  const observer = presence.kind === 'always' ? null : new PresenceObserver(schedule, lookbackMs);
  return {
    schedule,
    observer,
    checkpoint: (timeS, truth, suite) => (observer ? observer.checkpoint(timeS, truth, Object.fromEntries(suite.attacks.map((a) => [a, suite.scores(a)]))) : {}),
    metrics: () => (observer ? { presence: observer.stats() } : {}),
  };
}

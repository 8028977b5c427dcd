// Draws the presence schedule of one run from its [presence] spec
// (spec.ts): alternating sessions and gaps, or sessions around each user's
// messages in the trace. Presence draws from a seeded stream of its own, so
// the graph, the messages and the network's draws are the same with and
// without it (common random numbers).

import type { Uniform } from '../../protocol/crypto/random.js';
import { standardNormal } from '../behaviour/message-rates.js';
import { seededStream } from '../models/streams.js';
import type { MessageTrace } from '../workload/message-trace.js';
import { PresenceSchedule } from './schedule.js';
import type { LengthShape, PresenceSpec } from './spec.js';

/** The presence stream; simulator/models/streams.ts numbers the others from 0 (graph, behaviour, network, replies). */
export const STREAM_PRESENCE = 8;

/** One length with the shape's mean, s. */
export function drawLength(shape: LengthShape, uniform: Uniform): number {
  const m = shape.meanS;
  switch (shape.distribution) {
    case 'constant':
      return m;
    case 'exponential':
      return -Math.log(1 - uniform()) * m;
    case 'lognormal': {
      const s = shape.lognormalSigma;
      return Math.exp(Math.log(m) - (s * s) / 2 + s * standardNormal(uniform));
    }
    case 'pareto': {
      const a = shape.paretoShape;
      return (m * (a - 1)) / a / (1 - uniform()) ** (1 / a);
    }
  }
}

/** `count` of `users` chosen uniformly (a partial Fisher–Yates shuffle). */
function chooseUsers(users: number, count: number, uniform: Uniform): Uint8Array {
  const ids = Array.from({ length: users }, (_, i) => i);
  const chosen = new Uint8Array(users);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(uniform() * (users - i));
    [ids[i], ids[j]] = [ids[j], ids[i]];
    chosen[ids[i]] = 1;
  }
  return chosen;
}

/** Sessions and gaps alternating from 0 to `horizonMs`; the first state is online with the stationary probability. */
function alternatingSessions(session: LengthShape, gap: LengthShape, horizonMs: number, uniform: Uniform): Float64Array {
  const out: number[] = [];
  let online = uniform() < session.meanS / (session.meanS + gap.meanS);
  let t = 0;
  while (t < horizonMs) {
    // Whole ms, at least one: sessions stay disjoint and non-empty.
    const length = Math.max(1, Math.round(drawLength(online ? session : gap, uniform) * 1000));
    if (online) out.push(t, t + length);
    t += length;
    online = !online;
  }
  return Float64Array.from(out);
}

/** Online around each message a user writes (or, for a user who writes none, receives): [t − before, t + after], merged. */
function traceSessions(trace: MessageTrace, timeScale: number, beforeS: number, afterS: number): Float64Array[] {
  const U = trace.names.length;
  const writes = new Uint8Array(U);
  for (let i = 0; i < trace.from.length; i++) writes[trace.from[i]] = 1;
  const lists: number[][] = Array.from({ length: U }, () => []);
  const add = (u: number, tMs: number): void => {
    const list = lists[u];
    const start = Math.max(0, tMs - beforeS * 1000);
    const end = tMs + Math.max(1, afterS * 1000);
    // Messages come in time order, so a session only ever grows at its end.
    if (list.length && start <= list[list.length - 1]) list[list.length - 1] = Math.max(list[list.length - 1], end);
    else list.push(start, end);
  };
  for (let i = 0; i < trace.from.length; i++) {
    const tMs = trace.offsetS[i] * timeScale * 1000;
    add(trace.from[i], tMs);
    if (!writes[trace.to[i]]) add(trace.to[i], tMs);
  }
  return lists.map((l) => Float64Array.from(l));
}

export interface PresenceContext {
  users: number;
  seed: number;
  /** How far to draw sessions, ms (the end of the run, drain included). */
  horizonMs: number;
  /** The trace of a trace workload (for kind = "trace"). */
  trace?: { trace: MessageTrace; timeScale: number };
}

export function buildPresence(spec: PresenceSpec, context: PresenceContext): PresenceSchedule {
  const { users, seed, horizonMs } = context;
  if (spec.kind === 'always') return PresenceSchedule.always(users);
  const uniform = seededStream(seed, STREAM_PRESENCE);
  const always = chooseUsers(users, Math.round(spec.alwaysOnline * users), uniform);
  let sessions: Float64Array[];
  if (spec.kind === 'sessions') {
    sessions = Array.from({ length: users }, () => alternatingSessions(spec.session, spec.gap, horizonMs, uniform));
  } else {
    if (!context.trace) throw new RangeError('buildPresence: presence.kind = "trace" needs the trace of a trace workload');
    sessions = traceSessions(context.trace.trace, context.trace.timeScale, spec.beforeS, spec.afterS);
  }
  return new PresenceSchedule(sessions.map((s, u) => (always[u] ? null : s)));
}

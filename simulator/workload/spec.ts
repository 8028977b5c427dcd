// Where a continuous-time model's messages come from, as configured in the
// [workload] table (docs/simulator.md §Workloads):
//
//   kind = "synthetic"  (the default) users on the [graph] write as the
//                        [behaviour] table says (simulator/behaviour);
//   kind = "trace"      a message log (message-trace.ts) replayed as it
//                        was: who wrote to whom and when; the ground truth
//                        is the log's (directed) edges. `time_scale`
//                        multiplies the log's times (0.01 replays 100 days
//                        in one).
//
// A trace is read when the configuration is, so that a bad row is refused
// before anything runs and `duration` can default to the trace's span.

import type { TomlReader } from '../../protocol/config/typed-reader.js';
import { SimConfigError } from '../models/config-reader.js';
import { MAX_USERS } from '../models/graph-spec.js';
import { loadMessageTrace, MessageTraceError, type MessageTrace } from './message-trace.js';

export const WORKLOAD_KINDS = ['synthetic', 'trace'] as const;

export type WorkloadSpec = { kind: 'synthetic' } | { kind: 'trace'; path: string; timeScale: number; users: number; messages: number; spanS: number };

/** Reads [workload]; `top` is the whole configuration, to refuse [graph] and [behaviour] beside a trace. */
export function readWorkloadSpec(w: TomlReader, top: TomlReader): WorkloadSpec {
  const kind = w.oneOf('kind', WORKLOAD_KINDS, 'synthetic');
  if (kind === 'synthetic') {
    w.only('kind');
    return { kind };
  }
  w.only('kind', 'path', 'time_scale');
  for (const table of ['graph', 'behaviour']) {
    if (top.has(table)) throw new SimConfigError(table, top.value(table), `not used with workload.kind = "trace": the trace gives the users, whom they write to and when (remove [${table}])`);
  }
  const path = w.string('path');
  const timeScale = w.number('time_scale', 1, 0, 1_000_000, { above: true, unit: 'simulated seconds per second of the trace' });
  const trace = readTrace(path);
  if (trace.names.length < 3 || trace.names.length > MAX_USERS) throw new SimConfigError('workload.path', path, `the trace has ${trace.names.length} users; expected 3 … ${MAX_USERS}`);
  return { kind, path, timeScale, users: trace.names.length, messages: trace.from.length, spanS: trace.spanS * timeScale };
}

/** The trace of a trace workload; a file that cannot be read or has a bad row is a SimConfigError on workload.path. */
export function readTrace(path: string): MessageTrace {
  try {
    return loadMessageTrace(path);
  } catch (err) {
    if (err instanceof MessageTraceError) throw new SimConfigError('workload.path', path, `expected a message log with the header sender,recipient,time: ${err.message}`);
    throw err;
  }
}

/**
 * The default `duration` of a trace workload: the span from the first
 * message to the last, plus a second so that the last message is in, made
 * a whole number of observation windows so that every message is observed.
 */
export function traceDurationS(spanS: number, epochS: number): number {
  return Math.ceil((spanS + 1) / epochS - 1e-9) * epochS;
}

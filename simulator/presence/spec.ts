// When users' clients are online, as configured in the [presence] table
// (docs/simulator.md §Presence):
//
//   kind = "always"    every client is online all the time (the default,
//                      and what every result before presence assumed);
//   kind = "sessions"  each user alternates online sessions and offline
//                      gaps, drawn independently from the configured
//                      distributions with the configured means;
//   kind = "trace"     derived from a trace workload: a user is online from
//                      `before` seconds before each message they write to
//                      `after` seconds after it (a user who writes nothing
//                      in the trace: around the messages they receive).
//
// With `always_online = f`, a share f of the users (drawn per seed) is
// online all the time anyway: the comparison group inside one run.

import type { TomlReader } from '../../protocol/config/typed-reader.js';
import { SimConfigError } from '../models/config-reader.js';

export const PRESENCE_KINDS = ['always', 'sessions', 'trace'] as const;
export const LENGTH_DISTRIBUTIONS = ['exponential', 'lognormal', 'pareto', 'constant'] as const;
export type LengthDistribution = (typeof LENGTH_DISTRIBUTIONS)[number];

export interface LengthShape {
  distribution: LengthDistribution;
  /** Mean, s. */
  meanS: number;
  /** σ of the underlying normal (lognormal). */
  lognormalSigma: number;
  /** Tail index α > 1 (pareto). */
  paretoShape: number;
}

export type PresenceSpec =
  { kind: 'always' } | { kind: 'sessions'; session: LengthShape; gap: LengthShape; alwaysOnline: number } | { kind: 'trace'; beforeS: number; afterS: number; alwaysOnline: number };

const SESSION_KEYS = ['kind', 'session', 'gap', 'session_distribution', 'gap_distribution', 'lognormal_sigma', 'pareto_shape', 'always_online'];

export function readPresenceSpec(p: TomlReader, traceWorkload: boolean): PresenceSpec {
  const kind = p.oneOf('kind', PRESENCE_KINDS, 'always');
  switch (kind) {
    case 'always':
      p.only('kind');
      return { kind };
    case 'sessions': {
      p.only(...SESSION_KEYS);
      const lognormalSigma = p.number('lognormal_sigma', 1, 0, 5);
      const paretoShape = p.number('pareto_shape', 2.5, 1, 100, { above: true });
      const shape = (key: string, meanS: number): LengthShape => ({
        distribution: p.oneOf(`${key}_distribution`, LENGTH_DISTRIBUTIONS, 'exponential'),
        meanS: p.number(key, meanS, 1, 365 * 86_400, { unit: 's, the mean' }),
        lognormalSigma,
        paretoShape,
      });
      return { kind, session: shape('session', 1800), gap: shape('gap', 5400), alwaysOnline: p.number('always_online', 0, 0, 1, { unit: 'a share of the users' }) };
    }
    case 'trace':
      p.only('kind', 'before', 'after', 'always_online');
      if (!traceWorkload) throw new SimConfigError(p.field('kind'), kind, 'presence.kind = "trace" is derived from a trace: it needs workload.kind = "trace"');
      return {
        kind,
        beforeS: p.number('before', 60, 0, 86_400, { unit: 's of simulated time online before each message written' }),
        afterS: p.number('after', 600, 0, 86_400, { unit: 's of simulated time online after it' }),
        alwaysOnline: p.number('always_online', 0, 0, 1, { unit: 'a share of the users' }),
      };
  }
}

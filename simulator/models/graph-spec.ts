// The social graph a continuous-time model runs on, as configured in the
// [graph] table: a generator (Barabási–Albert, Watts–Strogatz, stochastic
// block model, Erdős–Rényi), Zachary's karate club, or a CSV edge list
// with weights (simulator/graphs). Generators draw from the run's seeded
// graph stream, so every seed gets its own graph.

import type { Uniform } from '../../protocol/crypto/random.js';
import { barabasiAlbert, EdgeListFormatError, erdosRenyi, karateClub, loadEdgeListCsv, stochasticBlockModel, wattsStrogatz, type SocialGraph } from '../graphs/index.js';
import type { TomlReader } from '../../protocol/config/typed-reader.js';
import { SimConfigError } from './config-reader.js';

export const GRAPH_KINDS = ['karate-club', 'barabasi-albert', 'watts-strogatz', 'stochastic-block', 'erdos-renyi', 'csv'] as const;
export type GraphKind = (typeof GRAPH_KINDS)[number];

export type GraphSpec =
  | { kind: 'karate-club' }
  | { kind: 'barabasi-albert'; users: number; m: number }
  | { kind: 'watts-strogatz'; users: number; k: number; beta: number }
  | { kind: 'stochastic-block'; sizes: number[]; pIn: number; pOut: number }
  | { kind: 'erdos-renyi'; users: number; p: number }
  | { kind: 'csv'; path: string; directed: boolean };

/** Most users a model runs with: the attacks keep users × users matrices. */
export const MAX_USERS = 2000;

const KEYS: Record<GraphKind, readonly string[]> = {
  'karate-club': ['kind'],
  'barabasi-albert': ['kind', 'users', 'm'],
  'watts-strogatz': ['kind', 'users', 'k', 'beta'],
  'stochastic-block': ['kind', 'sizes', 'p_in', 'p_out'],
  'erdos-renyi': ['kind', 'users', 'p'],
  csv: ['kind', 'path', 'directed'],
};

export function readGraphSpec(g: TomlReader): GraphSpec {
  const kind = g.oneOf('kind', GRAPH_KINDS, 'karate-club');
  g.only(...KEYS[kind]);
  switch (kind) {
    case 'karate-club':
      return { kind };
    case 'barabasi-albert': {
      const users = g.integer('users', 100, 3, MAX_USERS);
      return { kind, users, m: g.integer('m', 2, 1, users - 1) };
    }
    case 'watts-strogatz': {
      const users = g.integer('users', 100, 3, MAX_USERS);
      const k = g.integer('k', 4, 2, users - 1);
      if (k % 2 !== 0) throw new SimConfigError(g.field('k'), k, 'expected an even number (each user links to k/2 neighbours on either side)');
      return { kind, users, k, beta: g.number('beta', 0.1, 0, 1) };
    }
    case 'stochastic-block': {
      const sizes = g.integers('sizes', [25, 25, 25, 25], 1, MAX_USERS);
      const total = sizes.reduce((a, b) => a + b, 0);
      if (total < 3 || total > MAX_USERS) throw new SimConfigError(g.field('sizes'), sizes, `expected block sizes adding up to 3 … ${MAX_USERS} users`);
      return { kind, sizes, pIn: g.number('p_in', 0.2, 0, 1), pOut: g.number('p_out', 0.01, 0, 1) };
    }
    case 'erdos-renyi':
      return { kind, users: g.integer('users', 100, 3, MAX_USERS), p: g.number('p', 0.05, 0, 1) };
    case 'csv':
      return { kind, path: g.string('path'), directed: g.boolean('directed', false) };
  }
}

/** Builds the graph; a CSV that cannot be read or parsed is a SimConfigError on graph.path. */
export function buildGraph(spec: GraphSpec, uniform: Uniform): SocialGraph {
  switch (spec.kind) {
    case 'karate-club':
      return karateClub();
    case 'barabasi-albert':
      return barabasiAlbert(spec.users, spec.m, uniform);
    case 'watts-strogatz':
      return wattsStrogatz(spec.users, spec.k, spec.beta, uniform);
    case 'stochastic-block':
      return stochasticBlockModel(spec.sizes, spec.pIn, spec.pOut, uniform);
    case 'erdos-renyi':
      return erdosRenyi(spec.users, spec.p, uniform);
    case 'csv': {
      let graph: SocialGraph;
      try {
        graph = loadEdgeListCsv(spec.path, { directed: spec.directed }).graph;
      } catch (err) {
        if (err instanceof EdgeListFormatError) throw new SimConfigError('graph.path', spec.path, `a readable CSV edge list (source,target[,weight]) is expected: ${err.message}`);
        throw err;
      }
      if (graph.n < 3 || graph.n > MAX_USERS) throw new SimConfigError('graph.path', spec.path, `the edge list has ${graph.n} users; expected 3 … ${MAX_USERS}`);
      return graph;
    }
  }
}

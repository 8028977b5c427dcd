// Whom a user writes to: one of their neighbours in the social graph, with
// probability proportional to the edge weight (a CSV edge list weighted by
// message counts reproduces who writes to whom how often). Cumulative
// weights per user, binary search per draw.

import type { Uniform } from '../../protocol/crypto/random.js';
import type { SocialGraph } from '../graphs/social-graph.js';

export class RecipientPicker {
  readonly #graph: SocialGraph;
  readonly #cumulative: Float64Array[];

  constructor(graph: SocialGraph) {
    this.#graph = graph;
    this.#cumulative = Array.from({ length: graph.n }, (_, u) => {
      const w = graph.neighbourWeights(u);
      const c = new Float64Array(w.length);
      let total = 0;
      for (let i = 0; i < w.length; i++) c[i] = total += w[i];
      return c;
    });
  }

  /** Whether `user` has anyone to write to. */
  canSend(user: number): boolean {
    return this.#graph.degree(user) > 0;
  }

  /** A neighbour of `user`, by edge weight; throws for a user without neighbours. */
  pick(user: number, uniform: Uniform): number {
    const c = this.#cumulative[user];
    if (c === undefined || c.length === 0) throw new RangeError(`RecipientPicker: user ${user} has no neighbours to write to`);
    const x = uniform() * c[c.length - 1];
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.#graph.neighbours(user)[lo];
  }
}

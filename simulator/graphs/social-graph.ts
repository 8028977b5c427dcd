// Who talks to whom: the ground truth a traffic-analysis attack tries to
// recover. Users are ids 0..n−1; an edge carries a positive weight (how
// much the pair talks; 1 for unweighted graphs). Undirected unless stated.
//
// Stored as compressed sparse rows (CSR): for user u, its neighbours are
// targets[offsets[u] .. offsets[u+1]) in increasing id order, with their
// weights alongside. Undirected edges appear in both rows; directed edges
// only in the source's row (neighbours = out-neighbours, degree = out-degree).

export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}

export interface Edge {
  source: number;
  target: number;
  weight: number;
}

export interface SocialGraphOptions {
  directed?: boolean;
  /** Display names, one per user id (e.g. from a CSV edge list). */
  names?: readonly string[];
}

export class SocialGraph {
  readonly n: number;
  readonly directed: boolean;
  readonly names: readonly string[] | undefined;
  /** Each edge once (undirected: source < target), sorted by (source, target). */
  readonly edges: readonly Edge[];
  readonly #offsets: Int32Array;
  readonly #targets: Int32Array;
  readonly #weights: Float64Array;

  /**
   * Builds a graph from an edge list. Strict: an id outside [0, n), a
   * self-loop, a repeated edge (for undirected graphs (u, v) and (v, u) are
   * the same edge) or a weight that is not a positive finite number is a
   * GraphError. The CSV loader applies its own policy for self-loops and
   * duplicates before calling this.
   */
  constructor(n: number, edges: Iterable<{ source: number; target: number; weight?: number }>, options: SocialGraphOptions = {}) {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new GraphError(`graph size must be a whole number ≥ 0, got ${n}`);
    if (options.names !== undefined && options.names.length !== n) throw new GraphError(`names: expected ${n}, got ${options.names.length}`);
    this.n = n;
    this.directed = options.directed ?? false;
    this.names = options.names;
    const list: Edge[] = [];
    for (const e of edges) {
      const weight = e.weight ?? 1;
      for (const id of [e.source, e.target]) {
        if (!Number.isInteger(id) || id < 0 || id >= n) throw new GraphError(`edge ${e.source}–${e.target}: id ${id} is not a user id in [0, ${n})`);
      }
      if (e.source === e.target) throw new GraphError(`edge ${e.source}–${e.target}: self-loop`);
      if (!Number.isFinite(weight) || weight <= 0) throw new GraphError(`edge ${e.source}–${e.target}: weight must be a positive finite number, got ${weight}`);
      const swap = !this.directed && e.source > e.target;
      list.push({ source: swap ? e.target : e.source, target: swap ? e.source : e.target, weight });
    }
    list.sort((a, b) => a.source - b.source || a.target - b.target);
    for (let i = 1; i < list.length; i++) {
      if (list[i].source === list[i - 1].source && list[i].target === list[i - 1].target) {
        throw new GraphError(`edge ${list[i].source}–${list[i].target} appears more than once`);
      }
    }
    this.edges = list;

    const offsets = new Int32Array(n + 1);
    for (const e of list) {
      offsets[e.source + 1]++;
      if (!this.directed) offsets[e.target + 1]++;
    }
    for (let u = 0; u < n; u++) offsets[u + 1] += offsets[u];
    const fill = offsets.slice(0, n);
    const targets = new Int32Array(offsets[n]);
    const weights = new Float64Array(offsets[n]);
    const place = (u: number, v: number, w: number): void => {
      targets[fill[u]] = v;
      weights[fill[u]++] = w;
    };
    // Rows come out sorted without a sort: edges go in (source, target)
    // order, so row u first receives its mirrored entries (neighbours v < u,
    // in increasing v) and then its own (v > u, increasing).
    for (const e of list) {
      place(e.source, e.target, e.weight);
      if (!this.directed) place(e.target, e.source, e.weight);
    }
    this.#offsets = offsets;
    this.#targets = targets;
    this.#weights = weights;
  }

  /** Number of edges (each undirected edge once). */
  get edgeCount(): number {
    return this.edges.length;
  }

  /** Number of neighbours (out-neighbours when directed). */
  degree(u: number): number {
    this.#check(u);
    return this.#offsets[u + 1] - this.#offsets[u];
  }

  /** Every user's degree. */
  degrees(): Int32Array {
    const d = new Int32Array(this.n);
    for (let u = 0; u < this.n; u++) d[u] = this.#offsets[u + 1] - this.#offsets[u];
    return d;
  }

  /** Sum of the weights of u's edges. */
  strength(u: number): number {
    this.#check(u);
    let s = 0;
    for (let i = this.#offsets[u]; i < this.#offsets[u + 1]; i++) s += this.#weights[i];
    return s;
  }

  /** u's neighbours in increasing id order (a read-only view: do not modify). */
  neighbours(u: number): Int32Array {
    this.#check(u);
    return this.#targets.subarray(this.#offsets[u], this.#offsets[u + 1]);
  }

  /** The weights of u's edges, aligned with neighbours(u) (a read-only view). */
  neighbourWeights(u: number): Float64Array {
    this.#check(u);
    return this.#weights.subarray(this.#offsets[u], this.#offsets[u + 1]);
  }

  /** The weight of edge u→v (u–v when undirected), 0 when there is none. */
  weight(u: number, v: number): number {
    this.#check(u);
    this.#check(v);
    let lo = this.#offsets[u];
    let hi = this.#offsets[u + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = this.#targets[mid];
      if (t === v) return this.#weights[mid];
      if (t < v) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  hasEdge(u: number, v: number): boolean {
    return this.weight(u, v) > 0;
  }

  #check(u: number): void {
    if (!Number.isInteger(u) || u < 0 || u >= this.n) throw new GraphError(`user id ${u} is not in [0, ${this.n})`);
  }
}

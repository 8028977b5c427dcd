// The observer's per-packet sender distributions (packet-posterior.ts)
// without touching every user at every hop (docs/simulator.md §Scale).
//
// PosteriorTracker keeps each honest node's summed distribution as a
// vector over users + cover, and every hop adds the leaving packet's share
// of one vector into another: O(users) per hop. Yet everything a hop does
// is linear in those vectors and the same for every sender id. Stack the
// pools' vectors as the rows of X (nodes × ids). A hop is one of
//
//   POINT(n, s, w)   X[n, s] += w          a packet of known sender enters n
//   ADD(n, m, β)     X[n] += β · X[m]      the packet leaving m (its share β = 1/count) enters n
//   SCALE(m, γ)      X[m] *= γ             m lost a packet: (count − 1)/count, 0 when emptied
//
// so after a batch of ops, X = F·X₀ + P, with X₀ the rows at the batch's
// start, F the product of the ADD and SCALE ops (nodes × nodes) and P the
// points, each carried by the column of the ops after it. This class logs
// the ops (O(nodes) each, to keep F current) and folds them into X₀ when
// the log reaches about nodes × ids ops: one backward pass over the log
// (O(nodes) per op) gives P, and F·X₀ costs nodes² × ids, so a hop costs
// O(nodes) amortised, whatever the number of users.
//
// A distribution is computed only where the observer uses it: a delivery
// scored by an attack, a message's anonymity, or a packet held at a
// corrupt node (which keeps it unmixed). Row m as of op i is read by one
// backward pass over the log from i (a row vector through the ops, the
// points it meets) plus F[m]·X₀: O(i + nodes × ids). gsda only takes
// senders with probability above GSDA_MIN_WEIGHT; a cheap upper bound on
// any user's weight in a row (F[m]·max X₀ + the most any one user entered
// in this batch) skips the read when no user can reach it, which is every
// loop in a large population.
//
// The results are PosteriorTracker's up to floating-point rounding (sums
// in another order); test/simulator/models/deferred-posterior.test.ts runs
// both on the same packets and the loopix model with each. Its cost moves
// from hops to reads and holds, so with corrupt mixes (a held packet at
// every corrupt hop, each an O(i + nodes × ids) read) the loopix model
// keeps PosteriorTracker.

import type { SparseDistribution } from '../metrics/anonymity.js';
import { forEachUserProbability, type Posterior, type SenderPosteriors } from './packet-posterior.js';

const POINT = 0;
const ADD = 1;
const SCALE = 2;

/** A batch folds when its log holds this many ops per (node × id) entry of X₀, so the fold's nodes² × ids is a few ops per logged op. */
const FOLD_OPS_PER_ENTRY = 1;
const MIN_FOLD_OPS = 256;
/** The skip test leaves this factor of slack under the threshold, so rounding cannot skip a weight the exact read would keep. */
const SKIP_MARGIN = 0.5;

export class DeferredPosteriorTracker implements SenderPosteriors {
  readonly users: number;
  readonly cover: number;
  /** Ids: users + cover. */
  readonly #ids: number;
  /** Pool row of each node, −1 for a corrupt node. */
  readonly #row: Int32Array;
  readonly #rows: number;
  /** X₀, rows × ids, row-major. */
  #base: Float64Array;
  #fresh: Float64Array;
  /** Largest user entry of each row of X₀. */
  readonly #baseMax: Float64Array;
  /** F, rows × rows: X = F·X₀ + P. */
  readonly #forward: Float64Array;
  /** Packets in each pool. */
  readonly #count: Int32Array;
  /** The cover column of X, kept current (for the users' share of a row). */
  readonly #coverMass: Float64Array;
  // The op log.
  #kind = new Uint8Array(1024);
  #a = new Int32Array(1024);
  #b = new Int32Array(1024);
  #w = new Float64Array(1024);
  #ops = 0;
  readonly #foldAt: number;
  /** What each user's points added to X in this batch, and the most of any user. */
  readonly #batchWeight: Float64Array;
  #batchMax = 0;
  // The packet that left a pool in this event and whose fate (entered, read, gone) is not known yet.
  #pending: Posterior | null = null;
  #pendingRow = -1;
  // Buffers for reads (see leave()): a dense row, the sparse copy handed out, a row vector over rows.
  readonly #dense: Float64Array;
  readonly #scratchIds: Int32Array;
  readonly #scratchValues: Float64Array;
  readonly #y: Float64Array;
  readonly #columns: Float64Array;

  /** `corrupt[node]` = 1 for the nodes whose linkage the observer learns. */
  constructor(users: number, corrupt: ArrayLike<number>) {
    this.users = users;
    this.cover = users;
    this.#ids = users + 1;
    this.#row = new Int32Array(corrupt.length).fill(-1);
    let rows = 0;
    for (let n = 0; n < corrupt.length; n++) if (!corrupt[n]) this.#row[n] = rows++;
    this.#rows = rows;
    this.#base = new Float64Array(rows * this.#ids);
    this.#fresh = new Float64Array(rows * this.#ids);
    this.#baseMax = new Float64Array(rows);
    this.#forward = identity(rows);
    this.#count = new Int32Array(rows);
    this.#coverMass = new Float64Array(rows);
    this.#foldAt = Math.max(MIN_FOLD_OPS, FOLD_OPS_PER_ENTRY * rows * this.#ids);
    this.#batchWeight = new Float64Array(users);
    this.#dense = new Float64Array(this.#ids);
    this.#scratchIds = new Int32Array(this.#ids);
    this.#scratchValues = new Float64Array(this.#ids);
    this.#y = new Float64Array(rows);
    this.#columns = new Float64Array(rows * rows);
  }

  /** A packet enters `node` (at an honest node, its pool; at a corrupt one it keeps its distribution). */
  enter(node: number, p: Posterior): void {
    const n = this.#row[node];
    if (this.#pending === p) {
      const m = this.#pendingRow;
      this.#pending = null;
      if (n < 0) {
        // Held unmixed at a corrupt node: it needs its own copy of the distribution.
        const d = this.#read(m);
        p.dist = { ids: d.ids.slice(), values: d.values.slice() };
        p.point = -1;
        this.#removeOne(m);
        return;
      }
      if (n === m) return; // left and came back at once: the pool is as it was
      const c = this.#count[m];
      this.#log(ADD, n, m, 1 / c);
      this.#removeOne(m);
      this.#count[n]++;
      return;
    }
    this.#settlePending();
    if (n < 0) {
      if (p.dist && p.dist.ids.buffer === this.#scratchIds.buffer) p.dist = { ids: p.dist.ids.slice(), values: p.dist.values.slice() };
      return;
    }
    this.#maybeFold();
    if (p.point >= 0) this.#log(POINT, n, p.point, 1);
    else {
      // A distribution held at a corrupt node: its entries, normalised (as PoolMixAnonymity.enterLeft).
      const { ids, values } = p.dist as SparseDistribution;
      let total = 0;
      for (let j = 0; j < values.length; j++) total += values[j];
      if (!(total > 0)) throw new RangeError('DeferredPosteriorTracker.enter: the packet carries an empty distribution');
      const k = 1 / total;
      for (let j = 0; j < ids.length; j++) if (values[j] > 0) this.#log(POINT, n, ids[j], values[j] * k);
    }
    this.#count[n]++;
  }

  /**
   * A packet leaves `node`: at an honest node its distribution becomes the
   * pool's average, computed only if it is read (settle, userWeights) or
   * held at a corrupt node before this tracker's next call for another packet.
   */
  leave(node: number, p: Posterior): void {
    this.#settlePending();
    const m = this.#row[node];
    if (m < 0) return;
    if (this.#count[m] === 0) throw new RangeError('DeferredPosteriorTracker.leave: no packet in the pool to leave');
    this.#maybeFold();
    this.#pending = p;
    this.#pendingRow = m;
    p.point = -1;
    p.dist = null;
  }

  /** Makes `p.point`/`p.dist` hold its distribution (valid until the next leave()). */
  settle(p: Posterior): void {
    if (this.#pending !== p) return;
    const m = this.#pendingRow;
    this.#pending = null;
    p.dist = this.#read(m);
    this.#removeOne(m);
  }

  /** As forEachUserProbability on the settled packet; skips the read when no user can reach `minWeight`. */
  userWeights(p: Posterior, minWeight: number, visit: (user: number, probability: number) => void): void {
    if (this.#pending === p && minWeight > 0 && this.#cannotReach(this.#pendingRow, minWeight)) return;
    this.settle(p);
    forEachUserProbability(p, this.users, visit, minWeight);
  }

  /** Whether no user's share of row m's distribution can exceed `minWeight` (a sound upper bound, with slack for rounding). */
  #cannotReach(m: number, minWeight: number): boolean {
    const R = this.#rows;
    let bound = this.#batchMax;
    for (let k = 0; k < R; k++) bound += this.#forward[m * R + k] * this.#baseMax[k];
    const userMass = this.#count[m] - this.#coverMass[m];
    return bound < SKIP_MARGIN * minWeight * userMass;
  }

  /** The packet of a leave() nobody read: the pool just loses it. */
  #settlePending(): void {
    if (!this.#pending) return;
    const m = this.#pendingRow;
    this.#pending = null;
    this.#removeOne(m);
  }

  /** Pool m's count drops by one: its row scales by (c − 1)/c, or clears. */
  #removeOne(m: number): void {
    const c = this.#count[m]--;
    this.#log(SCALE, m, 0, c > 1 ? (c - 1) / c : 0);
  }

  #log(kind: number, a: number, b: number, w: number): void {
    if (this.#ops === this.#kind.length) this.#grow();
    const i = this.#ops++;
    this.#kind[i] = kind;
    this.#a[i] = a;
    this.#b[i] = b;
    this.#w[i] = w;
    const R = this.#rows;
    const F = this.#forward;
    if (kind === POINT) {
      if (b < this.users) {
        const x = (this.#batchWeight[b] += w);
        if (x > this.#batchMax) this.#batchMax = x;
      } else this.#coverMass[a] += w;
    } else if (kind === ADD) {
      for (let k = 0; k < R; k++) F[a * R + k] += w * F[b * R + k];
      this.#coverMass[a] += w * this.#coverMass[b];
    } else {
      for (let k = 0; k < R; k++) F[a * R + k] *= w;
      this.#coverMass[a] *= w;
    }
  }

  #grow(): void {
    const size = 2 * this.#kind.length;
    const kind = new Uint8Array(size);
    kind.set(this.#kind);
    const a = new Int32Array(size);
    a.set(this.#a);
    const b = new Int32Array(size);
    b.set(this.#b);
    const w = new Float64Array(size);
    w.set(this.#w);
    this.#kind = kind;
    this.#a = a;
    this.#b = b;
    this.#w = w;
  }

  #maybeFold(): void {
    if (this.#ops >= this.#foldAt) this.#fold();
  }

  /** X₀ ← F·X₀ + P; the log starts again. */
  #fold(): void {
    const R = this.#rows;
    const I = this.#ids;
    const out = this.#fresh;
    // P: a backward pass with H = the product of the ops after the current one (H starts as the identity).
    const H = this.#columns;
    H.fill(0);
    for (let r = 0; r < R; r++) H[r * R + r] = 1;
    out.fill(0);
    for (let i = this.#ops - 1; i >= 0; i--) {
      const a = this.#a[i];
      const w = this.#w[i];
      switch (this.#kind[i]) {
        case POINT: {
          const s = this.#b[i];
          for (let r = 0; r < R; r++) {
            const h = H[r * R + a];
            if (h !== 0) out[r * I + s] += w * h;
          }
          break;
        }
        case ADD: {
          const b = this.#b[i];
          for (let r = 0; r < R; r++) H[r * R + b] += w * H[r * R + a];
          break;
        }
        default:
          for (let r = 0; r < R; r++) H[r * R + a] *= w;
      }
    }
    const F = this.#forward;
    const base = this.#base;
    for (let r = 0; r < R; r++) {
      const row = r * I;
      for (let k = 0; k < R; k++) {
        const f = F[r * R + k];
        if (f === 0) continue;
        const from = k * I;
        for (let s = 0; s < I; s++) out[row + s] += f * base[from + s];
      }
    }
    this.#fresh = base;
    this.#base = out;
    const users = this.users;
    for (let r = 0; r < R; r++) {
      const row = r * I;
      let max = 0;
      for (let s = 0; s < users; s++) if (out[row + s] > max) max = out[row + s];
      this.#baseMax[r] = max;
      this.#coverMass[r] = out[row + users];
    }
    F.fill(0);
    for (let r = 0; r < R; r++) F[r * R + r] = 1;
    this.#ops = 0;
    this.#batchWeight.fill(0);
    this.#batchMax = 0;
  }

  /** Row m of X now, divided by its count, as its non-zero entries in the scratch buffers. */
  #read(m: number): SparseDistribution {
    const R = this.#rows;
    const I = this.#ids;
    const dense = this.#dense;
    dense.fill(0);
    // The points of this batch: a row vector y from e_m backwards through the ops.
    const y = this.#y;
    y.fill(0);
    y[m] = 1;
    for (let i = this.#ops - 1; i >= 0; i--) {
      const a = this.#a[i];
      const w = this.#w[i];
      switch (this.#kind[i]) {
        case POINT:
          if (y[a] !== 0) dense[this.#b[i]] += w * y[a];
          break;
        case ADD:
          if (y[a] !== 0) y[this.#b[i]] += w * y[a];
          break;
        default:
          y[a] *= w;
      }
    }
    const F = this.#forward;
    const base = this.#base;
    for (let k = 0; k < R; k++) {
      const f = F[m * R + k];
      if (f === 0) continue;
      const from = k * I;
      for (let s = 0; s < I; s++) dense[s] += f * base[from + s];
    }
    const scale = 1 / this.#count[m];
    const ids = this.#scratchIds;
    const values = this.#scratchValues;
    let n = 0;
    for (let s = 0; s < I; s++) {
      const v = dense[s] * scale;
      if (v > 0) {
        ids[n] = s;
        values[n++] = v;
      }
    }
    return { ids: ids.subarray(0, n), values: values.subarray(0, n) };
  }
}

function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

// What the observer believes about who sent a packet, hop by hop through
// the mixnet (docs/simulator.md §Per-message anonymity).
//
// The observer watches every link, so it sees each packet enter and leave
// every node, but all packets look alike. A packet fresh from client s has
// the point distribution on s. A mix holds each packet for an independent
// Exp(μ) delay; an exponential delay is memoryless, so whichever packets a
// mix holds, each is equally likely to be the next to leave, and the
// leaving packet's sender distribution is the average of those in the
// pool (PoolMixAnonymity, metrics/anonymity.ts; Loopix §4). A corrupt node
// tells the observer which input became which output, so a packet crosses
// it with its distribution unchanged.
//
// Sender ids are the users 0 … U−1 plus COVER = U, the origin of packets
// that no user sent (SURB-ACKs and mix loops). The observer knows those at
// their origin: an ACK leaves the exit gateway at the instant a packet
// arrives there (the last hop has no delay), and a mix's own loop is
// granted to the observer, an upper bound on what it learns. Downstream
// they are cover in the pools they cross.
//
// A distribution is kept as its non-zero entries in ascending id order
// (SparseDistribution): a pool's support is often much smaller than the
// id space, and walking the entries in id order gives exactly the sums of
// the dense arrays the observer used before (so the same results, bit for
// bit). The cost per hop is still the support of the pool, which for a
// large population is most users (docs/simulator.md §Scale).

import { PoolMixAnonymity, type SparseDistribution } from '../metrics/anonymity.js';

/** A packet's distribution: a point mass on `point`, or `dist` over users + cover. */
export interface Posterior {
  /** The sender id of a point mass, or −1 when `dist` holds the distribution. */
  point: number;
  dist: SparseDistribution | null;
}

/** The sparse form of a dense distribution (its non-zero entries). */
export function sparseDistribution(dense: ArrayLike<number>): SparseDistribution {
  const ids: number[] = [];
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) ids.push(i);
  return { ids: Int32Array.from(ids), values: Float64Array.from(ids, (i) => dense[i]) };
}

/** A posterior as a dense array over `size` ids (a point mass is 1 at its id). */
export function denseDistribution(p: Posterior, size: number): Float64Array {
  const out = new Float64Array(size);
  if (p.point >= 0) out[p.point] = 1;
  else if (p.dist) p.dist.ids.forEach((id, j) => (out[id] = p.dist!.values[j]));
  return out;
}

/**
 * What the loopix model asks of the observer's sender distributions: the
 * exact, dense-per-pool PosteriorTracker below, or the same results
 * computed lazily (DeferredPosteriorTracker, deferred-posterior.ts).
 */
export interface SenderPosteriors {
  /** The id of packets no user sent (SURB-ACKs, mix loops). */
  readonly cover: number;
  /** A packet enters `node`: at an honest node its pool, at a corrupt one it keeps its distribution. */
  enter(node: number, p: Posterior): void;
  /** A packet leaves `node`: at an honest node its distribution becomes the pool's average. */
  leave(node: number, p: Posterior): void;
  /** Makes `p.point`/`p.dist` hold the packet's distribution before it is read (valid until the next leave()). */
  settle(p: Posterior): void;
  /** forEachUserProbability on the packet's distribution. */
  userWeights(p: Posterior, minWeight: number, visit: (user: number, probability: number) => void): void;
}

export class PosteriorTracker implements SenderPosteriors {
  readonly users: number;
  readonly cover: number;
  readonly #pools: Array<PoolMixAnonymity | null>;
  // Where leave() writes a packet's distribution: it is read at once (entered
  // into the next pool or used at delivery, in the same event), so one pair
  // of buffers serves every packet; a packet that crosses a corrupt node
  // keeps its distribution for the node's delay, so it gets its own copy there.
  readonly #scratchIds: Int32Array;
  readonly #scratchValues: Float64Array;

  /** `corrupt[node]` = 1 for the nodes whose linkage the observer learns. */
  constructor(users: number, corrupt: ArrayLike<number>) {
    this.users = users;
    this.cover = users;
    this.#pools = Array.from({ length: corrupt.length }, (_, n) => (corrupt[n] ? null : new PoolMixAnonymity(users + 1)));
    this.#scratchIds = new Int32Array(users + 1);
    this.#scratchValues = new Float64Array(users + 1);
  }

  /** A packet enters `node`'s delay pool (its distribution, if any, is one leave() gave it). */
  enter(node: number, p: Posterior): void {
    const pool = this.#pools[node];
    if (!pool) {
      if (p.dist && p.dist.ids.buffer === this.#scratchIds.buffer) p.dist = { ids: p.dist.ids.slice(), values: p.dist.values.slice() };
      return;
    }
    if (p.point >= 0) pool.enterFrom(p.point);
    else pool.enterLeft(p.dist as SparseDistribution);
  }

  /**
   * A packet leaves `node`'s pool: at an honest node its distribution
   * becomes the pool's average. That distribution is valid until the next
   * leave(): read it (enter it into the next node, or score the delivery)
   * before then.
   */
  leave(node: number, p: Posterior): void {
    const pool = this.#pools[node];
    if (!pool) return;
    p.dist = pool.leaveSparseInto(this.#scratchIds, this.#scratchValues);
    p.point = -1;
  }

  /** Distributions are computed at every hop here: nothing to do. */
  settle(): void {}

  userWeights(p: Posterior, minWeight: number, visit: (user: number, probability: number) => void): void {
    forEachUserProbability(p, this.users, visit, minWeight);
  }
}

/**
 * The distribution over users alone (cover removed and renormalised): who
 * sent a packet delivered into a mailbox, which only users send. Calls
 * `visit(user, probability)` for each user with probability above
 * `minWeight`.
 */
export function forEachUserProbability(p: Posterior, users: number, visit: (user: number, probability: number) => void, minWeight = 0): void {
  if (p.point >= 0) {
    if (p.point < users) visit(p.point, 1);
    return;
  }
  const { ids, values } = p.dist as SparseDistribution;
  // Ids ascend, so the users (ids below `users`) come first.
  let end = 0;
  let total = 0;
  while (end < ids.length && ids[end] < users) total += values[end++];
  if (!(total > 0)) return;
  for (let j = 0; j < end; j++) {
    const q = values[j] / total;
    if (q > minWeight) visit(ids[j], q);
  }
}

export interface MessageAnonymity {
  /** Shannon entropy of the sender distribution, bits. */
  entropyBits: number;
  /** |ln(p_true / p_best_other)|: Infinity when no other user is possible. */
  epsilon: number;
}

/**
 * Per-message anonymity of a delivered packet whose true sender is
 * `sender`: the entropy of the observer's sender distribution (Serjantov &
 * Danezis 2002) and Loopix's ε for the two most plausible candidates, the
 * true sender against the likeliest other user.
 */
export function messageAnonymity(p: Posterior, users: number, sender: number): MessageAnonymity {
  let h = 0;
  let pTrue = 0;
  let pOther = 0;
  forEachUserProbability(p, users, (u, q) => {
    h -= q * Math.log2(q);
    if (u === sender) pTrue = q;
    else if (q > pOther) pOther = q;
  });
  const epsilon = pOther === 0 ? Infinity : pTrue === 0 ? Infinity : Math.abs(Math.log(pTrue / pOther));
  return { entropyBits: h > 0 ? h : 0, epsilon };
}

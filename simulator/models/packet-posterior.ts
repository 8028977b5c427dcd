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

import { PoolMixAnonymity } from '../metrics/anonymity.js';

/** A packet's distribution: a point mass on `point`, or `dist` over users + cover. */
export interface Posterior {
  /** The sender id of a point mass, or −1 when `dist` holds the distribution. */
  point: number;
  dist: Float64Array | null;
}

export class PosteriorTracker {
  readonly users: number;
  readonly cover: number;
  readonly #pools: Array<PoolMixAnonymity | null>;

  /** `corrupt[node]` = 1 for the nodes whose linkage the observer learns. */
  constructor(users: number, corrupt: ArrayLike<number>) {
    this.users = users;
    this.cover = users;
    this.#pools = Array.from({ length: corrupt.length }, (_, n) => (corrupt[n] ? null : new PoolMixAnonymity(users + 1)));
  }

  /** A packet enters `node`'s delay pool. */
  enter(node: number, p: Posterior): void {
    const pool = this.#pools[node];
    if (!pool) return;
    if (p.point >= 0) pool.enterFrom(p.point);
    else pool.enter(p.dist as Float64Array);
  }

  /** A packet leaves `node`'s pool: at an honest node its distribution becomes the pool's average. */
  leave(node: number, p: Posterior): void {
    const pool = this.#pools[node];
    if (!pool) return;
    p.dist = pool.leave();
    p.point = -1;
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
  const d = p.dist as Float64Array;
  let total = 0;
  for (let u = 0; u < users; u++) total += d[u];
  if (!(total > 0)) return;
  for (let u = 0; u < users; u++) {
    const q = d[u] / total;
    if (q > minWeight) visit(u, q);
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

// What one run of a continuous-time model (loopix, direct) measures, and
// the bookkeeping both share: when the recovery curve is sampled, and the
// per-message latency and anonymity log.

import { latencySummary } from '../metrics/cost.js';
import { summarize } from '../metrics/summary.js';
import type { Recovery } from './attack-suite.js';
import type { MessageAnonymity } from './packet-posterior.js';
import type { PresenceStats } from '../presence/observer.js';

export interface LatencyStats {
  mean: number;
  p50: number;
  p99: number;
}

export interface AnonymityStats {
  /** Shannon entropy of each real message's sender distribution, bits. */
  entropyBits: { mean: number; p10: number; median: number; p90: number };
  /** Mean over messages of 2^H. */
  effectiveSetSize: number;
  /** Mean over messages of H / log2(users) (Díaz et al.). */
  degree: number;
  /** Loopix ε over messages: finite values' median and p90, and the share that is infinite (no other candidate). */
  epsilon: { median: number; p90: number; infiniteShare: number };
}

export interface TrafficStats {
  /** Real messages written per user per second (conversation starts and replies). */
  messagesPerUserPerSecond: number;
  /** Packets each client sends per second (real and cover alike). */
  packetsPerUserPerSecond: number;
  /** Those packets' bytes per user per second. */
  bytesPerUserPerSecond: number;
  /** Mailbox pulls (request and fixed-size reply) per user per second. */
  pullBytesPerUserPerSecond: number;
  /** Share of client packets that carry a real message. */
  realShare: number;
  /** Packets each mix or gateway relays per second (mean over nodes). */
  nodePacketsPerSecond: number;
}

/** Whether what the observer counts per user and window tells when the user sends (metrics/activity.ts). */
export interface ActivityStats {
  /** ROC AUC of the SURB-ACKs stored per user and window (users behind a corrupt gateway) against "wrote a message in it"; 0.5 = chance, NaN without such users. */
  ackAuc: number;
  /** The same for the packets a global observer sees leave each client. */
  sendAuc: number;
  /** User-windows scored by ackAuc. */
  ackUserWindows: number;
  /** Share of user-windows in which the user wrote a message. */
  activeShare: number;
}

export interface ContinuousMetrics {
  /** Each attack's recovery of the social graph at the end of the run (and the popularity reference). */
  recovery: Record<string, Recovery>;
  anonymity: AnonymityStats;
  latencyMs: { delivery: LatencyStats; read: LatencyStats };
  traffic: TrafficStats;
  /** loopix only. */
  activity?: ActivityStats;
  /** When clients are not always online: what presence leaks (presence/observer.ts). */
  presence?: PresenceStats;
}

export interface RunCounts {
  users: number;
  edges: number;
  /** Real messages written. */
  messages: number;
  /** Of those, replies. */
  replies: number;
  delivered: number;
  /** Written but not delivered by the end of the drain. */
  undelivered: number;
}

export interface CurvePoint {
  /** Observation time, s. */
  timeS: number;
  recovery: Record<string, Recovery>;
}

export interface ContinuousRun {
  seed: number;
  metrics: ContinuousMetrics;
  counts: RunCounts;
  curve: CurvePoint[];
}

/** Window numbers (1-based) at which the recovery curve is sampled: `points` evenly spaced, the last = `windows`. */
export function checkpointWindows(windows: number, points: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= points; i++) {
    const w = Math.max(1, Math.round((windows * i) / points));
    if (out[out.length - 1] !== w) out.push(w);
  }
  return out;
}

/** Latency and anonymity of every delivered real message. */
export class MessageLog {
  readonly #delivery: number[] = [];
  readonly #read: number[] = [];
  readonly #entropy: number[] = [];
  readonly #epsilon: number[] = [];
  #infinite = 0;
  readonly #users: number;

  constructor(users: number) {
    this.#users = users;
  }

  get delivered(): number {
    return this.#delivery.length;
  }

  record(deliveryMs: number, readMs: number, anonymity: MessageAnonymity): void {
    this.#delivery.push(deliveryMs);
    this.#read.push(readMs);
    this.#entropy.push(anonymity.entropyBits);
    if (Number.isFinite(anonymity.epsilon)) this.#epsilon.push(anonymity.epsilon);
    else this.#infinite++;
  }

  latency(): { delivery: LatencyStats; read: LatencyStats } {
    const pick = (xs: number[]): LatencyStats => {
      const s = latencySummary(xs);
      return { mean: s.mean, p50: s.p50, p99: s.p99 };
    };
    return { delivery: pick(this.#delivery), read: pick(this.#read) };
  }

  anonymity(): AnonymityStats {
    const h = summarize(this.#entropy);
    const n = this.#entropy.length;
    const eps = summarize(this.#epsilon);
    const log2Users = Math.log2(this.#users);
    return {
      entropyBits: { mean: h.mean, p10: h.p10, median: h.median, p90: h.p90 },
      effectiveSetSize: n ? this.#entropy.reduce((a, x) => a + 2 ** x, 0) / n : Number.NaN,
      degree: n && log2Users > 0 ? h.mean / log2Users : Number.NaN,
      epsilon: { median: eps.median, p90: eps.p90, infiniteShare: n ? this.#infinite / n : Number.NaN },
    };
  }
}

// What an observer of every client's link learns from presence, and the
// two attacks that use it (simulator/attacks/presence-*.ts). The observer
// sees when each client's link is up (a client connected to its gateway
// sends its Poisson stream and pulls; offline it sends nothing), plus the
// deliveries the model lets it see (loopix: deposits at corrupt gateways;
// direct: every message at the server). The model calls delivery() for
// each one and endWindow() at the end of each observation window.
//
// Reports, beside each attack's recovery, the linkage of the always-online
// users and of the part-time users separately (the linkage AUC with only
// that group's true senders as positives), at every
// point of the recovery curve: how leakage grows with observation time for
// each group.

import { PresenceDisclosureAttack } from '../attacks/presence-disclosure.js';
import { PresenceIntersectionAttack } from '../attacks/presence-intersection.js';
import type { Recovery } from '../models/attack-suite.js';
import { linkageAuc } from '../models/linkage-auc.js';
import { recoveryScores } from '../metrics/recovery.js';
import type { PresenceSchedule } from './schedule.js';

export const PRESENCE_ATTACKS = ['presence-intersection', 'presence-disclosure'] as const;

export interface GroupLinkage {
  /** Linkage AUC of the senders online all the time (NaN without any). */
  alwaysOnline: number;
  /** Linkage AUC of the others. */
  partTime: number;
}

export interface PresenceStats {
  /** Mean share of the observed time a client's link was up. */
  onlineShare: number;
  alwaysOnlineUsers: number;
  partTimeUsers: number;
  /** Per attack (the model's and the presence attacks): each group's linkage at the end. */
  linkageAuc: Record<string, GroupLinkage>;
  /** The same at every point of the recovery curve. */
  curve: Array<{ timeS: number; linkageAuc: Record<string, GroupLinkage> }>;
}

export class PresenceObserver {
  readonly #schedule: PresenceSchedule;
  readonly #lookbackMs: number;
  readonly #intersection: PresenceIntersectionAttack;
  readonly #disclosure: PresenceDisclosureAttack;
  readonly #candidate: Float64Array;
  readonly #online: Float64Array;
  readonly #windowDeliveries: number[] = [];
  readonly #curve: PresenceStats['curve'] = [];
  #observedMs = 0;
  #onlineTotalMs = 0;

  /** `lookbackMs`: how long before its delivery a message may have left its sender (0: at the same instant). */
  constructor(schedule: PresenceSchedule, lookbackMs: number) {
    this.#schedule = schedule;
    this.#lookbackMs = lookbackMs;
    this.#intersection = new PresenceIntersectionAttack(schedule.users);
    this.#disclosure = new PresenceDisclosureAttack(schedule.users);
    this.#candidate = new Float64Array(schedule.users);
    this.#online = new Float64Array(schedule.users);
  }

  /** A delivery to `recipient` seen at `atMs`. */
  delivery(recipient: number, atMs: number): void {
    const U = this.#schedule.users;
    const from = atMs - this.#lookbackMs;
    for (let s = 0; s < U; s++) {
      this.#candidate[s] = this.#lookbackMs > 0 ? this.#schedule.onlineMs(s, from, atMs) / this.#lookbackMs : this.#schedule.isOnline(s, atMs) ? 1 : 0;
    }
    this.#intersection.observe(recipient, this.#candidate);
    this.#windowDeliveries.push(recipient);
  }

  /** The window [startMs, endMs) is over. */
  endWindow(startMs: number, endMs: number): void {
    const length = endMs - startMs;
    for (let s = 0; s < this.#schedule.users; s++) {
      const ms = this.#schedule.onlineMs(s, startMs, endMs);
      this.#online[s] = Math.min(1, ms / length);
      this.#onlineTotalMs += ms;
    }
    this.#observedMs += length;
    this.#disclosure.observeWindow(this.#online, this.#windowDeliveries);
    this.#windowDeliveries.length = 0;
  }

  #scores(): Record<string, Float64Array> {
    return { 'presence-intersection': this.#intersection.scores(), 'presence-disclosure': this.#disclosure.scores() };
  }

  /** The presence attacks' recovery of the true edges (as AttackSuite.recovery). */
  recovery(truth: Uint8Array): Record<string, Recovery> {
    const U = this.#schedule.users;
    const out: Record<string, Recovery> = {};
    for (const [name, scores] of Object.entries(this.#scores())) {
      const r = recoveryScores({ senders: U, recipients: U, scores }, truth);
      out[name] = { auc: r.auc, averagePrecision: r.averagePrecision, precisionAtDegree: r.precisionAtDegree, linkageAuc: linkageAuc(scores, truth, U) };
    }
    return out;
  }

  /** Each group's linkage under every attack: `others` are the model's attacks' scores. */
  groupLinkage(truth: Uint8Array, others: Record<string, Float64Array>): Record<string, GroupLinkage> {
    const U = this.#schedule.users;
    const out: Record<string, GroupLinkage> = {};
    for (const [name, scores] of Object.entries({ ...others, ...this.#scores() })) {
      out[name] = {
        alwaysOnline: linkageAuc(scores, truth, U, (s) => this.#schedule.alwaysOnline(s)),
        partTime: linkageAuc(scores, truth, U, (s) => !this.#schedule.alwaysOnline(s)),
      };
    }
    return out;
  }

  /** A point of the curve: the recovery to add to the model's, and the groups' linkage kept for stats(). */
  checkpoint(timeS: number, truth: Uint8Array, others: Record<string, Float64Array>): Record<string, Recovery> {
    this.#curve.push({ timeS, linkageAuc: this.groupLinkage(truth, others) });
    return this.recovery(truth);
  }

  stats(): PresenceStats {
    let always = 0;
    for (let s = 0; s < this.#schedule.users; s++) if (this.#schedule.alwaysOnline(s)) always++;
    const last = this.#curve[this.#curve.length - 1];
    return {
      onlineShare: this.#observedMs > 0 ? this.#onlineTotalMs / (this.#observedMs * this.#schedule.users) : Number.NaN,
      alwaysOnlineUsers: always,
      partTimeUsers: this.#schedule.users - always,
      linkageAuc: last ? last.linkageAuc : {},
      curve: this.#curve,
    };
  }
}

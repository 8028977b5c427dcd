// Each user's online sessions as sorted, disjoint intervals [start, end) of
// simulated ms, and the questions the models and the observer ask of them.
// A user without a list is online all the time. Lookups are binary
// searches; memory is 16 bytes per session (a user online for half an hour
// every two hours over 30 days has 360 sessions: 5.8 kB).

import type { Clock } from '../../protocol/traffic/clock.js';

export class PresenceSchedule {
  readonly users: number;
  /** Per user: [start0, end0, start1, end1, …] in ms, or null for always online. */
  readonly #sessions: Array<Float64Array | null>;

  constructor(sessions: Array<Float64Array | null>) {
    this.users = sessions.length;
    for (const [u, s] of sessions.entries()) {
      if (s === null) continue;
      for (let i = 0; i < s.length; i++) {
        if (!(s[i] >= 0) || (i > 0 && !(s[i] > s[i - 1]))) throw new RangeError(`PresenceSchedule: user ${u}'s sessions must be ascending, disjoint and non-empty`);
      }
      if (s.length % 2 !== 0) throw new RangeError(`PresenceSchedule: user ${u} has an unfinished session`);
    }
    this.#sessions = sessions;
  }

  /** Every user online all the time. */
  static always(users: number): PresenceSchedule {
    return new PresenceSchedule(Array.from({ length: users }, () => null));
  }

  alwaysOnline(user: number): boolean {
    return this.#sessions[user] === null;
  }

  /** The sessions of a part-time user as [start, end) pairs, ms (null: always online). */
  sessions(user: number): Float64Array | null {
    return this.#sessions[user];
  }

  /** Index of the first session whose end is after t (sessions.length/2 if none). */
  #sessionAfter(s: Float64Array, t: number): number {
    let lo = 0;
    let hi = s.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[2 * mid + 1] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  isOnline(user: number, t: number): boolean {
    return this.nextOnline(user, t) === t;
  }

  /** t when the user is online at t, else when they next come online; Infinity if never. */
  nextOnline(user: number, t: number): number {
    const s = this.#sessions[user];
    if (s === null) return t;
    const i = this.#sessionAfter(s, t);
    if (2 * i >= s.length) return Infinity;
    return Math.max(t, s[2 * i]);
  }

  /** When the session the user is in at t ends (Infinity for always online); t if offline. */
  sessionEnd(user: number, t: number): number {
    const s = this.#sessions[user];
    if (s === null) return Infinity;
    const i = this.#sessionAfter(s, t);
    return 2 * i < s.length && s[2 * i] <= t ? s[2 * i + 1] : t;
  }

  /** Online ms in [a, b). */
  onlineMs(user: number, a: number, b: number): number {
    const s = this.#sessions[user];
    if (s === null) return Math.max(0, b - a);
    let total = 0;
    for (let i = this.#sessionAfter(s, a); 2 * i < s.length && s[2 * i] < b; i++) total += Math.min(b, s[2 * i + 1]) - Math.max(a, s[2 * i]);
    return total;
  }

  /**
   * When a message deposited at t is read: at the next mailbox pull while
   * the recipient is online (`nextPull(t)`, the client's pull grid), or at
   * once when they come online (a client pulls when it connects). Infinity
   * when the recipient never comes online again.
   */
  readAt(user: number, t: number, nextPull: (t: number) => number): number {
    const online = this.nextOnline(user, t);
    if (online === Infinity) return Infinity;
    if (online > t) return online;
    const pull = nextPull(t);
    return pull < this.sessionEnd(user, t) ? pull : this.readAt(user, this.sessionEnd(user, t), nextPull);
  }

  /**
   * Runs `up(user)` when each user's link comes up and `down(user)` when it
   * goes down, on `clock`, for sessions that start before `untilMs`. Users
   * online at the clock's time come up at once. One pending event per user.
   */
  drive(clock: Clock, up: (user: number) => void, down: (user: number) => void, untilMs: number): void {
    const now = clock.now();
    for (let u = 0; u < this.users; u++) {
      const s = this.#sessions[u];
      if (s === null) {
        up(u);
        continue;
      }
      const step = (i: number): void => {
        if (2 * i >= s.length || s[2 * i] >= untilMs) return;
        const start = (): void => {
          up(u);
          clock.at(s[2 * i + 1], () => {
            down(u);
            step(i + 1);
          });
        };
        if (s[2 * i] <= now) start();
        else clock.at(s[2 * i], start);
      };
      step(this.#sessionAfter(s, now));
    }
  }
}

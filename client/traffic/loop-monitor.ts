// Watches the client's loop cover (Loopix §4.5): every loop should come back
// to our own mailbox about its chosen delays after it left. Loops that do
// not return point at an active attack (a node dropping or delaying our
// packets: an (n−1) attack) or an unhealthy node; `status` shows them.
//
// A loop carries 16 random bytes at the start of its payload as its id; to
// the gateway the payload is as random as an end-to-end envelope.
//
// It also watches the decoys of the payload stream (docs/traffic.md §What
// the ACKs show): each should bring its SURB-ACK back through the layers.
// A decoy's ACK crosses the same mixes as a real packet's, so decoys whose
// ACKs stop coming back show a path that drops packets, at λP a second
// instead of λL.
//
// A Startable built from its init options and its one component, a Clock:
// a loop's or decoy's timer is armed when it leaves, and stop() cancels
// them all.

import { toHex } from '../../protocol/bytes.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';

export const LOOP_ID_LENGTH = 16;

export interface LoopStats {
  sent: number;
  /** Came back by the expected time. */
  returned: number;
  /** Came back, but after the expected time. */
  late: number;
  /** Not back `lostAfterMs` after the expected time (counted once). */
  lost: number;
  outstanding: number;
  /** The loops' own SURB-ACKs that came back (loops carry one, like real packets). */
  acksReturned: number;
}

export interface DecoyStats {
  sent: number;
  /** Their SURB-ACKs that came back (at any time before counted lost). */
  returned: number;
  /** ACK not back `lostAfterMs` after the expected time; then forgotten. */
  lost: number;
  outstanding: number;
}

export interface LoopMonitorInit {
  /** How long past its expected return a loop (or a decoy's ACK) counts as lost. */
  lostAfterMs: number;
}

/** What the loop monitor uses: time (when a loop or a decoy's ACK counts as lost). */
export interface LoopMonitorComponents {
  clock: Clock;
}

interface Outstanding {
  expectedMs: number;
  lost: boolean;
  surbId: string;
}

export class LoopMonitor implements Startable {
  readonly #clock: Clock;
  readonly #lostAfterMs: number;
  readonly #loops = new Map<string, Outstanding>();
  readonly #acks = new Map<string, number>();
  readonly #stats = { sent: 0, returned: 0, late: 0, lost: 0, acksReturned: 0 };
  readonly #timers = new Set<TimerHandle>();
  /** Decoys' SURB ids (hex) → the timer that counts the decoy lost. */
  readonly #decoys = new Map<string, TimerHandle>();
  readonly #decoyStats = { sent: 0, returned: 0, lost: 0 };
  #stopped = false;

  constructor(components: LoopMonitorComponents, init: LoopMonitorInit) {
    if (!(init.lostAfterMs > 0)) throw new RangeError('lostAfterMs must be positive');
    this.#clock = components.clock;
    this.#lostAfterMs = init.lostAfterMs;
  }

  /** Nothing to start: a timer is armed when a loop or a decoy leaves. */
  async start(): Promise<void> {}

  /** Cancels every timer; loops and decoys sent later are counted but never counted lost. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    for (const t of this.#decoys.values()) t.cancel();
    this.#decoys.clear();
  }

  /** A loop left with payload starting with `id`; it should be back by `expectedMs`. */
  sent(id: Uint8Array, surbId: Uint8Array, expectedMs: number): void {
    const key = toHex(id.subarray(0, LOOP_ID_LENGTH));
    const surb = toHex(surbId);
    this.#loops.set(key, { expectedMs, lost: false, surbId: surb });
    this.#acks.set(surb, expectedMs);
    this.#stats.sent++;
    const timer = this.#at(expectedMs + this.#lostAfterMs, () => {
      this.#timers.delete(timer);
      const loop = this.#loops.get(key);
      if (loop && !loop.lost) {
        loop.lost = true;
        this.#stats.lost++;
      }
      // Forget it a while later: a very late loop is still recognised as ours.
      const forget = this.#at(this.#clock.now() + 10 * this.#lostAfterMs, () => {
        this.#timers.delete(forget);
        this.#loops.delete(key);
        this.#acks.delete(surb);
      });
      this.#timers.add(forget);
    });
    this.#timers.add(timer);
  }

  /** Whether a fetched message is one of our loops (and records its return). */
  returned(payload: Uint8Array): boolean {
    if (payload.length < LOOP_ID_LENGTH) return false;
    const key = toHex(payload.subarray(0, LOOP_ID_LENGTH));
    const loop = this.#loops.get(key);
    if (!loop) return false;
    this.#loops.delete(key);
    if (loop.lost) {
      // Counted lost earlier; it did come back after all.
      this.#stats.lost--;
      this.#stats.late++;
    } else if (this.#clock.now() > loop.expectedMs) this.#stats.late++;
    else this.#stats.returned++;
    return true;
  }

  /** A decoy left; its SURB-ACK `surbId` should be back by `expectedMs`. */
  decoySent(surbId: Uint8Array, expectedMs: number): void {
    const key = toHex(surbId);
    this.#decoyStats.sent++;
    this.#decoys.set(
      key,
      this.#at(expectedMs + this.#lostAfterMs, () => {
        if (this.#decoys.delete(key)) this.#decoyStats.lost++;
      }),
    );
  }

  /** Whether a SURB reply is the ACK of one of our loops or decoys (and records it). */
  ackReturned(surbId: Uint8Array): boolean {
    const key = toHex(surbId);
    const decoy = this.#decoys.get(key);
    if (decoy) {
      decoy.cancel();
      this.#decoys.delete(key);
      this.#decoyStats.returned++;
      return true;
    }
    if (!this.#acks.has(key)) return false;
    this.#acks.delete(key);
    this.#stats.acksReturned++;
    return true;
  }

  decoyStats(): DecoyStats {
    return { ...this.#decoyStats, outstanding: this.#decoys.size };
  }

  stats(): LoopStats {
    let outstanding = 0;
    for (const l of this.#loops.values()) if (!l.lost) outstanding++;
    return { ...this.#stats, outstanding };
  }

  /** A timer, or none after stop(). */
  #at(atMs: number, fn: () => void): TimerHandle {
    return this.#stopped ? NO_TIMER : this.#clock.at(atMs, fn);
  }
}

const NO_TIMER: TimerHandle = { cancel: () => undefined };

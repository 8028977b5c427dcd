// Automatic repeat request over SURB-ACKs (Loopix §4.4; Katzenpost's ARQ):
// every real packet carries a SURB-ACK that the recipient's gateway sends
// once the packet is stored. A packet whose ACK has not come back by
// `timeoutMs` (the round trip the sender chose plus slack) is sent again on
// a fresh route, up to `maxAttempts` transmissions; then its message fails
// and the user is told. Which waiting fragment goes next is the send order's
// (send-order.ts, docs/client.md §Sending order): retransmissions first,
// then round-robin across recipients, a one-fragment message before the
// rest of a file, so nothing waits behind an unrelated message.
//
// Keys are opaque strings (the caller's fragment ids). The durable part (what
// is still to be delivered) lives in the caller's store; on restart the
// caller enqueues every unacknowledged fragment again.
//
// A Startable built from its init options and its one component, a Clock:
// nothing runs until a fragment leaves (its timeout is armed then), and
// stop() cancels every timeout.

import { toHex } from '../../protocol/bytes.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import { SendOrder, type QueuedFragment } from './send-order.js';

export interface ArqInit {
  maxAttempts: number;
  /**
   * Keep retransmitting past maxAttempts until this long after a fragment's
   * first transmission (default 0: give up at maxAttempts). A dead mix stays
   * in the documents for up to two epochs, so a window of two epochs lets a
   * message outlive it instead of failing.
   */
  minRetryWindowMs?: number;
  /** A fragment's ACK arrived (first time). */
  onAcked?: (key: string, info: { attempts: number; rttMs: number }) => void;
  /** A fragment was transmitted `maxAttempts` times without an ACK. */
  onGaveUp: (key: string, attempts: number) => void;
  /** A fragment's ACK did not come in time; it is queued again. */
  onTimeout?: (key: string, attempts: number) => void;
}

/** What the ARQ uses: time (its retransmission timeouts). */
export interface ArqComponents {
  clock: Clock;
}

interface Pending {
  attempts: number;
  /** When the first transmission (since this process started) left. */
  firstSentMs: number | null;
  /** The latest transmission, until its timeout. */
  inFlight: { surbId: string; sentMs: number; timer: TimerHandle } | null;
  /**
   * Every transmission's SURB: a late ACK of an earlier transmission still
   * proves delivery, so it is accepted until the fragment is done.
   */
  surbs: Map<string, { surbKeys: Uint8Array; sentMs: number }>;
}

export interface ArqStats {
  queued: number;
  inFlight: number;
  transmissions: number;
  retransmissions: number;
  acked: number;
  gaveUp: number;
  /** ACKs whose SURB id is not (or no longer) in flight: late or duplicate. */
  unknownAcks: number;
}

/** The timeout of a transmission after stop(): none. */
const NO_TIMER: TimerHandle = { cancel: () => undefined };

export class Arq implements Startable {
  readonly #o: ArqInit;
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();
  /** Waiting to be sent; a key waits at most once. */
  readonly #order = new SendOrder();
  readonly #bySurb = new Map<string, string>();
  readonly #stats = { transmissions: 0, retransmissions: 0, acked: 0, gaveUp: 0, unknownAcks: 0 };
  #stopped = false;

  constructor(components: ArqComponents, init: ArqInit) {
    if (!Number.isInteger(init.maxAttempts) || init.maxAttempts < 1) throw new RangeError('maxAttempts must be a whole number ≥ 1');
    this.#o = init;
    this.#clock = components.clock;
  }

  /** Nothing to start: a timeout is armed when its fragment leaves. */
  async start(): Promise<void> {}

  /** Cancels every timeout (daemon stop); the store still knows what is undelivered. Later transmissions arm none. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const p of this.#pending.values()) p.inFlight?.timer.cancel();
  }

  /**
   * Queues a fragment for its first transmission since this process started
   * (no-op if already known): `fragment` says where it goes in the send
   * order, `attempts` how many transmissions it had before a restart.
   */
  enqueue(key: string, fragment: QueuedFragment, attempts = 0): void {
    if (this.#pending.has(key)) return;
    this.#order.add(key, fragment);
    this.#pending.set(key, { attempts, firstSentMs: null, inFlight: null, surbs: new Map() });
  }

  has(key: string): boolean {
    return this.#pending.has(key);
  }

  /** Transmissions of `key` so far (0 if unknown). */
  attempts(key: string): number {
    return this.#pending.get(key)?.attempts ?? 0;
  }

  /** The next fragment to transmit, or undefined (the stream then sends cover). */
  next(): string | undefined {
    return this.#order.next();
  }

  /** `key` could not be handed to the network (link down): it goes back to the front, no attempt counted. */
  unsent(key: string): void {
    const p = this.#pending.get(key);
    if (!p || p.inFlight) return;
    this.#order.putBack(key);
  }

  /** `key` left in a packet whose ACK is `surbId`; it counts as lost after `timeoutMs`. */
  sent(key: string, surbId: Uint8Array, surbKeys: Uint8Array, timeoutMs: number): void {
    const p = this.#pending.get(key);
    if (!p) return;
    p.attempts++;
    this.#stats.transmissions++;
    if (p.attempts > 1) this.#stats.retransmissions++;
    const id = toHex(surbId);
    const sentMs = this.#clock.now();
    p.firstSentMs ??= sentMs;
    const timer = this.#stopped ? NO_TIMER : this.#clock.at(sentMs + timeoutMs, () => this.#timeout(key, id));
    p.inFlight = { surbId: id, sentMs, timer };
    p.surbs.set(id, { surbKeys, sentMs });
    this.#bySurb.set(id, key);
  }

  /**
   * The SURB-ACK `surbId` arrived. Returns the fragment key and the SURB keys
   * to authenticate the ACK with (the caller calls `confirm` once the ACK
   * decrypted), or undefined for an unknown or stale ACK.
   */
  lookup(surbId: Uint8Array): { key: string; surbKeys: Uint8Array } | undefined {
    const id = toHex(surbId);
    const key = this.#bySurb.get(id);
    const p = key === undefined ? undefined : this.#pending.get(key);
    const surb = p?.surbs.get(id);
    if (!surb) {
      this.#stats.unknownAcks++;
      return undefined;
    }
    return { key: key!, surbKeys: surb.surbKeys };
  }

  /** The ACK `surbId` of `key` is genuine: the fragment is delivered. */
  confirm(key: string, surbId: Uint8Array): void {
    const p = this.#pending.get(key);
    if (!p) return;
    const surb = p.surbs.get(toHex(surbId));
    const rttMs = surb ? this.#clock.now() - surb.sentMs : 0;
    this.#forget(key, p);
    this.#stats.acked++;
    this.#o.onAcked?.(key, { attempts: p.attempts, rttMs });
  }

  /** Drops a fragment (its message was cancelled or its contact removed). */
  remove(key: string): void {
    const p = this.#pending.get(key);
    if (p) this.#forget(key, p);
  }

  stats(): ArqStats {
    let inFlight = 0;
    for (const p of this.#pending.values()) if (p.inFlight) inFlight++;
    return { queued: this.#order.size, inFlight, ...this.#stats };
  }

  #forget(key: string, p: Pending): void {
    p.inFlight?.timer.cancel();
    p.inFlight = null;
    for (const [id, surb] of p.surbs) {
      this.#bySurb.delete(id);
      surb.surbKeys.fill(0);
    }
    p.surbs.clear();
    this.#pending.delete(key);
    this.#order.remove(key);
  }

  #timeout(key: string, surbId: string): void {
    const p = this.#pending.get(key);
    if (!p || p.inFlight?.surbId !== surbId) return;
    p.inFlight = null;
    const windowOpen = this.#clock.now() - (p.firstSentMs ?? 0) < (this.#o.minRetryWindowMs ?? 0);
    if (p.attempts >= this.#o.maxAttempts && !windowOpen) {
      this.#forget(key, p);
      this.#stats.gaveUp++;
      this.#o.onGaveUp(key, p.attempts);
      return;
    }
    this.#o.onTimeout?.(key, p.attempts);
    this.#order.retransmit(key);
  }
}

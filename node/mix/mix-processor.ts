// The mix pipeline for one packet: unwrap with the epoch keys, refuse
// replays, hold for the sender's delay, hand to the next hop. Every packet
// that does not go on is counted by reason (docs/operators.md §Metrics).
//
// Transport, storage and time come in as interfaces, so the same processor
// runs inside the node daemon and, in virtual time, inside the simulator.
//
// The unwrap itself runs in an UnwrapStage: in this thread (the default,
// InlineUnwrapStage) or on worker threads (UnwrapPool), where packets finish
// out of order. The replay check stays here, in one place: each packet's
// check is issued only after the checks of every packet that arrived before
// it (or their drop), so replays are recorded in arrival order, once each,
// whichever worker unwrapped which copy.

import type { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import type { ForwardHop, Geometry, LastHop } from '../../protocol/sphinx/index.js';
import { DelayQueue } from './delay-queue.js';
import type { MixDropReason } from './drop-reason.js';
import { InlineUnwrapStage, type UnwrapStage } from './unwrap-stage.js';
import type { UnwrapOutcome } from './unwrap-with-keys.js';

export type { MixDropReason } from './drop-reason.js';

/** Where a packet came from: another relay, or (at an entry gateway) a client. */
export type PacketOrigin = 'relay' | 'client';

/** A Sphinx key the mix holds, with the epoch it belongs to. */
export interface EpochKey {
  readonly epoch: number;
  readonly key: X25519PrivateKey;
}

export interface MixDeps {
  readonly geometry: Geometry;
  readonly clock: Clock;
  /** The keys to try, most likely first (current epoch, then the previous one during its grace window, then the next). */
  keys(): readonly EpochKey[];
  /** Records `tag` for `epoch`; resolves false if it was already there (a replay). */
  checkReplay(epoch: number, tag: Uint8Array): Promise<boolean>;
  /**
   * The longest delay command honoured now, ms: maxHopDelayMs(1000/μ) for the
   * documents held (hop-delay-bound.ts). A longer one is refused and counted
   * as 'delay-too-long': honest senders never draw one, and held it would pin
   * a delay-queue slot for up to 49.7 days.
   */
  maxDelayMs(): number;
  /** Sends to the node with Sphinx id `nodeId`: 'sent', 'unknown' (not in the document) or 'queue-full'. */
  forward(nodeId: Uint8Array, packet: Uint8Array): 'sent' | 'unknown' | 'queue-full';
  /**
   * A packet whose last hop is this node: a gateway deposits it in a mailbox,
   * a mix takes back its own loop cover. Resolves whether it was taken
   * (false: counted as 'final-hop-refused').
   */
  onFinalHop?(hop: LastHop, origin: PacketOrigin): boolean | Promise<boolean>;
  /** Called for every drop (for logs); counting is done here. */
  onDrop?(reason: MixDropReason): void;
  /** Where packets are unwrapped (with keys()); default: in this thread. Its owner stops it. */
  unwrapStage?: UnwrapStage;
}

export interface MixLimits {
  /** Packets accepted but not yet unwrapped. */
  inputQueue: number;
  /** Packets held for their delay. */
  delayQueue: number;
}

interface Held {
  nextHop: Uint8Array;
  packet: Uint8Array;
}

export class MixProcessor {
  readonly drops = new Map<MixDropReason, number>();
  received = 0;
  forwarded = 0;
  readonly #deps: MixDeps;
  readonly #limits: MixLimits;
  readonly #delay: DelayQueue<Held>;
  readonly #stage: UnwrapStage;
  #inFlight = 0;
  #stopped = false;
  /** Arrival numbers: the next to give, and the packet whose turn it is to issue its replay check (or be dropped). */
  #nextSeq = 0;
  #turnSeq = 0;
  /** Packets unwrapped before their turn, by arrival number. */
  readonly #waiting = new Map<number, () => void>();

  constructor(deps: MixDeps, limits: MixLimits) {
    this.#deps = deps;
    this.#limits = limits;
    this.#stage = deps.unwrapStage ?? new InlineUnwrapStage(deps.geometry, () => deps.keys());
    this.#delay = new DelayQueue<Held>(limits.delayQueue, deps.clock, (held) => this.#forward(held));
  }

  /** Packets accepted and not yet through the replay check (being unwrapped, or waiting on the replay cache). */
  get inputDepth(): number {
    return this.#inFlight;
  }

  /** Packets held for their delay. */
  get delayDepth(): number {
    return this.#delay.size;
  }

  /**
   * Accepts one packet from the network. Never throws; resolves once the
   * packet is held, forwarded or dropped (callers need not wait: the input
   * queue bounds the work in progress).
   */
  async accept(packet: Uint8Array, origin: PacketOrigin = 'relay'): Promise<void> {
    this.received++;
    if (this.#stopped) return this.#drop('shutdown');
    if (this.#inFlight >= this.#limits.inputQueue) return this.#drop('input-queue-full');
    this.#inFlight++;
    try {
      await this.#process(packet, origin, this.#nextSeq++);
    } catch {
      // Only a failing replay store gets here (or a bug: an error unwrap never throws for a
      // packet): refuse rather than risk forwarding a replay.
      this.#drop('replay-store-error');
    } finally {
      this.#inFlight--;
    }
  }

  /** Stops: packets still held for their delay are dropped and counted. */
  stop(): void {
    this.#stopped = true;
    for (const _ of this.#delay.stop()) this.#drop('shutdown');
  }

  async #process(packet: Uint8Array, origin: PacketOrigin, seq: number): Promise<void> {
    let outcome: UnwrapOutcome | null = null;
    let failure: { error: unknown } | null = null;
    try {
      const unwrapped = this.#stage.unwrap(packet);
      outcome = unwrapped instanceof Promise ? await unwrapped : unwrapped;
    } catch (error) {
      failure = { error };
    }
    // Replay checks are issued in arrival order: wait until every earlier packet has issued its own or been dropped.
    if (seq !== this.#turnSeq) await new Promise<void>((resolve) => this.#waiting.set(seq, resolve));
    let fresh: Promise<boolean>;
    let forward: ForwardHop | null = null;
    let last: LastHop | null = null;
    try {
      if (failure) throw failure.error;
      if (!outcome!.ok) return this.#drop(outcome!.reason);
      const { result, epoch } = outcome!;
      // Before the replay check, so a refused packet costs no replay-cache write.
      if (result.kind === 'forward' && result.delayMs > this.#deps.maxDelayMs()) return this.#drop('delay-too-long');
      fresh = this.#deps.checkReplay(epoch, result.replayTag);
      if (result.kind === 'forward') forward = result;
      else last = result;
    } finally {
      this.#passTurn();
    }
    if (!(await fresh)) return this.#drop('replay');
    if (!forward) {
      const taken = (await this.#deps.onFinalHop?.(last!, origin)) ?? false;
      return taken ? undefined : this.#drop('final-hop-refused');
    }
    const pushed = this.#delay.push({ nextHop: forward.nextHop, packet: forward.packet }, forward.delayMs);
    // A packet whose unwrap ended after stop() is a shutdown drop, not load.
    if (pushed !== 'held') this.#drop(pushed === 'full' ? 'delay-queue-full' : 'shutdown');
  }

  /** The packet whose turn it was has issued its replay check (or was dropped): the next one may go. */
  #passTurn(): void {
    const next = ++this.#turnSeq;
    const wake = this.#waiting.get(next);
    if (wake) {
      this.#waiting.delete(next);
      wake();
    }
  }

  #forward(held: Held): void {
    const outcome = this.#deps.forward(held.nextHop, held.packet);
    if (outcome === 'sent') this.forwarded++;
    else this.#drop(outcome === 'unknown' ? 'unknown-next-hop' : 'forward-queue-full');
  }

  #drop(reason: MixDropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    this.#deps.onDrop?.(reason);
  }

  /** Drops by reason as a plain object (for metrics and summaries). */
  dropCounts(): Record<string, number> {
    return Object.fromEntries(this.drops);
  }
}

// The mix pipeline for one packet: unwrap with the epoch keys, refuse
// replays, hold for the sender's delay, hand to the next hop. Every packet
// that does not go on is counted by reason (docs/operators.md §Metrics).
//
// Transport, storage and time come in as interfaces, so the same processor
// runs inside the node daemon and, in virtual time, inside the simulator.

import type { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { isSphinxError, type Geometry, type RoutingCommand, type SphinxErrorCode, unwrap, type UnwrapResult } from '../../protocol/sphinx/index.js';
import { DelayQueue } from './delay-queue.js';

/** Why a mix did not forward a packet. */
export type MixDropReason =
  | 'wrong-size'
  | 'bad-version'
  | 'low-order-point'
  | 'mac-failure'
  | 'bad-command'
  | 'payload-tag'
  | 'delay-too-long'
  | 'replay'
  | 'replay-store-error'
  | 'input-queue-full'
  | 'delay-queue-full'
  | 'forward-queue-full'
  | 'unknown-next-hop'
  | 'final-hop-refused'
  | 'shutdown';

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
  onFinalHop?(commands: RoutingCommand[], payload: Uint8Array, origin: PacketOrigin): boolean | Promise<boolean>;
  /** Called for every drop (for logs); counting is done here. */
  onDrop?(reason: MixDropReason): void;
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

/**
 * The drop reason for each Sphinx error code; null for the codes unwrap never
 * throws (they come from building packets and SURBs). Exhaustive: a new code
 * does not compile until it is given a reason here.
 */
const ERROR_REASON = {
  'wrong-size': 'wrong-size',
  'bad-version': 'bad-version',
  'low-order-point': 'low-order-point',
  'mac-mismatch': 'mac-failure',
  'bad-command': 'bad-command',
  'payload-tag': 'payload-tag',
  'invalid-path': null,
  'invalid-geometry': null,
  'invalid-surb-keys': null,
} as const satisfies Record<SphinxErrorCode, MixDropReason | null>;

export class MixProcessor {
  readonly drops = new Map<MixDropReason, number>();
  received = 0;
  forwarded = 0;
  readonly #deps: MixDeps;
  readonly #limits: MixLimits;
  readonly #delay: DelayQueue<Held>;
  #inFlight = 0;
  #stopped = false;

  constructor(deps: MixDeps, limits: MixLimits) {
    this.#deps = deps;
    this.#limits = limits;
    this.#delay = new DelayQueue<Held>(limits.delayQueue, deps.clock, (held) => this.#forward(held));
  }

  /** Packets accepted and not yet unwrapped (waiting on the replay cache). */
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
      await this.#process(packet, origin);
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

  async #process(packet: Uint8Array, origin: PacketOrigin): Promise<void> {
    let result: UnwrapResult | null = null;
    let epoch = -1;
    let lastError: MixDropReason = 'mac-failure';
    for (const k of this.#deps.keys()) {
      try {
        result = unwrap(this.#deps.geometry, k.key, packet);
        epoch = k.epoch;
        break;
      } catch (err) {
        // Anything but a refusal of the packet is a bug: accept() counts it and goes on.
        if (!isSphinxError(err)) throw err;
        const reason = ERROR_REASON[err.code];
        if (reason === null) throw err;
        lastError = reason;
        // A MAC failure may only mean another epoch's key: try the next one.
        if (err.code !== 'mac-mismatch') break;
      }
    }
    if (!result) return this.#drop(lastError);

    // Before the replay check, so a refused packet costs no replay-cache write.
    if (result.kind === 'forward' && result.delayMs > this.#deps.maxDelayMs()) return this.#drop('delay-too-long');
    if (!(await this.#deps.checkReplay(epoch, result.replayTag))) return this.#drop('replay');
    if (result.kind !== 'forward') {
      const taken = (await this.#deps.onFinalHop?.(result.commands, result.payload, origin)) ?? false;
      return taken ? undefined : this.#drop('final-hop-refused');
    }
    if (!this.#delay.push({ nextHop: result.nextHop, packet: result.packet }, result.delayMs)) this.#drop('delay-queue-full');
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

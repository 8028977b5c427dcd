// A Loopix client's outgoing streams (Piotrowska et al. 2017, §4.1–4.2):
//
//   payload stream, rate λP: each event sends the next queued real packet,
//                            or a decoy when nothing is queued;
//   loop stream,    rate λL: each event sends a loop cover packet that
//                            returns to the sender;
//   drop stream,    rate λD: each event sends a drop cover packet (0 = off).
//
// The three are independent Poisson processes, so what leaves the client is
// one Poisson stream of rate λP + λL + λD whatever the user does: a real
// message only replaces a decoy that would have left at that moment.
//
// Loopix fills an empty payload slot with drop cover; Chaff sends a decoy
// instead (Katzenpost's decoy traffic spec, "SURB loops"): a packet built
// like a real one whose SURB-ACK comes back like a real packet's. A real
// packet is acknowledged and Loopix's drop is not, so with drops the ACKs
// reaching a sender's gateway would count its real packets (λL·t + real);
// with decoys they arrive at λP + λL whatever is queued (docs/traffic.md
// §What the ACKs show). Drop cover (λD) stays unacknowledged: it does not
// depend on the queue.
// Time comes from an injected Clock, so the client daemon and the simulator
// run this same code (design notes §2).

import type { Clock, TimerHandle } from './clock.js';
import { PoissonSchedule } from './exponential.js';
import type { Uniform } from '../crypto/random.js';

export interface ClientRates {
  /** Payload stream (real or drop), events per second; > 0. */
  lambdaP: number;
  /** Loop cover, events per second; 0 turns it off. */
  lambdaL: number;
  /** Extra drop cover, events per second; 0 turns it off. */
  lambdaD: number;
}

/** What one stream event sends: a payload event sends `real` or `decoy`, a loop event `loop`, a drop event `drop`. */
export type StreamPacket<T> = { kind: 'real'; item: T } | { kind: 'decoy' } | { kind: 'drop' } | { kind: 'loop' };

export interface ClientStreamsOptions<T> {
  clock: Clock;
  uniform: Uniform;
  rates: ClientRates;
  /** The next real packet to send at this payload event, or undefined for a decoy. */
  nextReal: () => T | undefined;
  /** Sends what the event asks for. Must not throw (a failure is the caller's to count). */
  emit: (packet: StreamPacket<T>, atMs: number) => void;
}

export interface ClientStreamCounts {
  real: number;
  decoy: number;
  drop: number;
  loop: number;
}

export function checkClientRates(rates: ClientRates): void {
  const ok = (v: number, positive: boolean) => Number.isFinite(v) && (positive ? v > 0 : v >= 0);
  if (!ok(rates.lambdaP, true)) throw new RangeError(`lambdaP must be a positive rate, got ${rates.lambdaP}`);
  if (!ok(rates.lambdaL, false)) throw new RangeError(`lambdaL must be a rate ≥ 0, got ${rates.lambdaL}`);
  if (!ok(rates.lambdaD, false)) throw new RangeError(`lambdaD must be a rate ≥ 0, got ${rates.lambdaD}`);
}

/**
 * The network's rates raised, never lowered, by the user's own wishes
 * (client issue: "rates and μ come from the document; a user may only
 * raise them").
 */
export function raiseRates(network: ClientRates, wanted: Partial<ClientRates>): ClientRates {
  return {
    lambdaP: Math.max(network.lambdaP, wanted.lambdaP ?? 0),
    lambdaL: Math.max(network.lambdaL, wanted.lambdaL ?? 0),
    lambdaD: Math.max(network.lambdaD, wanted.lambdaD ?? 0),
  };
}

type StreamName = 'payload' | 'loop' | 'drop';

/** How far behind the clock a stream may schedule its next event. */
export const MAX_CATCH_UP_MS = 1000;

export class ClientStreams<T> {
  readonly #o: ClientStreamsOptions<T>;
  #rates: ClientRates;
  readonly #timers = new Map<StreamName, TimerHandle>();
  readonly #counts: ClientStreamCounts = { real: 0, decoy: 0, drop: 0, loop: 0 };
  #running = false;

  constructor(options: ClientStreamsOptions<T>) {
    checkClientRates(options.rates);
    this.#o = options;
    this.#rates = { ...options.rates };
  }

  get rates(): ClientRates {
    return { ...this.#rates };
  }

  get running(): boolean {
    return this.#running;
  }

  counts(): ClientStreamCounts {
    return { ...this.#counts };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const now = this.#o.clock.now();
    for (const s of ['payload', 'loop', 'drop'] as const) this.#schedule(s, now);
  }

  stop(): void {
    this.#running = false;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
  }

  /** New rates (a new epoch's document): each stream's next event is drawn afresh (memoryless, so no bias). */
  setRates(rates: ClientRates): void {
    checkClientRates(rates);
    this.#rates = { ...rates };
    if (!this.#running) return;
    this.stop();
    this.start();
  }

  #rate(stream: StreamName): number {
    return stream === 'payload' ? this.#rates.lambdaP : stream === 'loop' ? this.#rates.lambdaL : this.#rates.lambdaD;
  }

  #schedule(stream: StreamName, fromMs: number): void {
    const rate = this.#rate(stream);
    if (rate <= 0) return;
    // A fresh schedule per draw keeps setRates simple; sampling is the same.
    const at = new PoissonSchedule(rate, this.#o.uniform).next(fromMs);
    this.#timers.set(
      stream,
      this.#o.clock.at(at, () => this.#fire(stream, at)),
    );
  }

  #fire(stream: StreamName, atMs: number): void {
    if (!this.#running) return;
    // Schedule from the planned time, not from when the timer ran, so timer
    // lateness does not lower the rate; but after a long stall (a laptop
    // waking up) start afresh rather than send a burst of catch-up packets.
    this.#schedule(stream, Math.max(atMs, this.#o.clock.now() - MAX_CATCH_UP_MS));
    let packet: StreamPacket<T>;
    if (stream === 'loop') packet = { kind: 'loop' };
    else if (stream === 'drop') packet = { kind: 'drop' };
    else {
      const item = this.#o.nextReal();
      packet = item === undefined ? { kind: 'decoy' } : { kind: 'real', item };
    }
    this.#counts[packet.kind]++;
    this.#o.emit(packet, atMs);
  }
}

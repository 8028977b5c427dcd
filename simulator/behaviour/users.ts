// The simulated users on a clock: each user starts messages as a Poisson
// process of their own rate (drawn heavy-tailed, message-rates.ts),
// modulated by the day/night cycle (day-night.ts), each to a neighbour
// chosen by edge weight (recipient-picker.ts). When a recipient reads a
// message, they reply to its sender with probability p after an
// exponential delay, so conversations come in bursts of alternating
// messages (a reply can itself be answered: a conversation has on average
// 1/(1 − p) messages).
//
// Conversation starts draw from one seeded stream and replies from
// another, so the starts do not depend on when the network delivers.

import type { Clock } from '../../protocol/traffic/clock.js';
import type { Uniform } from '../../protocol/crypto/random.js';
import type { SocialGraph } from '../graphs/social-graph.js';
import { nextModulatedEvent, type DayNight } from './day-night.js';
import { drawUserRates } from './message-rates.js';
import { RecipientPicker } from './recipient-picker.js';
import type { BehaviourSpec } from './spec.js';

export interface Message {
  id: number;
  from: number;
  to: number;
  /** When the user wrote it (and handed it to the client or the server), ms. */
  createdMs: number;
  /** Whether it answers a message the writer read. */
  reply: boolean;
}

export interface UserPopulationOptions {
  graph: SocialGraph;
  spec: BehaviourSpec;
  clock: Clock;
  /** Draws the rates, start times and recipients. */
  startsUniform: Uniform;
  /** Draws reply decisions and delays. */
  repliesUniform: Uniform;
  /** Hands a message the user just wrote to the transport. */
  send: (message: Message) => void;
  /** Nobody writes at or after this time, ms. */
  untilMs: number;
}

export class UserPopulation {
  /** Each user's conversation-start rate, per second. */
  readonly rates: Float64Array;
  readonly #o: UserPopulationOptions;
  readonly #picker: RecipientPicker;
  readonly #cycle: DayNight;
  #written = 0;
  #replies = 0;

  constructor(options: UserPopulationOptions) {
    this.#o = options;
    const { graph, spec } = options;
    this.#picker = new RecipientPicker(graph);
    const perHour = drawUserRates(graph.n, spec.ratePerHour, { distribution: spec.rateDistribution, paretoShape: spec.paretoShape, lognormalSigma: spec.lognormalSigma }, options.startsUniform);
    // Users with nobody to write to start nothing.
    this.rates = perHour.map((r, u) => (this.#picker.canSend(u) ? r / 3600 : 0));
    this.#cycle = { amplitude: spec.dayNightAmplitude, periodMs: spec.dayLengthS * 1000 };
  }

  /** Messages written so far. */
  get written(): number {
    return this.#written;
  }

  /** Of those, replies. */
  get replies(): number {
    return this.#replies;
  }

  /** Schedules every user's first conversation start. */
  start(): void {
    const now = this.#o.clock.now();
    for (let u = 0; u < this.rates.length; u++) this.#scheduleStart(u, now);
  }

  /** The recipient read `message` at `readMs` (now or later): maybe reply. */
  read(message: Message, readMs: number): void {
    const { spec, repliesUniform, clock } = this.#o;
    if (spec.replyProbability === 0 || repliesUniform() >= spec.replyProbability) return;
    const at = readMs + (spec.replyDelayS > 0 ? -Math.log(1 - repliesUniform()) * spec.replyDelayS * 1000 : 0);
    if (at >= this.#o.untilMs) return;
    clock.at(at, () => this.#write(message.to, message.from, true));
  }

  #scheduleStart(user: number, fromMs: number): void {
    const at = nextModulatedEvent(fromMs, this.rates[user], this.#cycle, this.#o.startsUniform);
    if (at >= this.#o.untilMs) return;
    this.#o.clock.at(at, () => {
      this.#write(user, this.#picker.pick(user, this.#o.startsUniform), false);
      this.#scheduleStart(user, at);
    });
  }

  #write(from: number, to: number, reply: boolean): void {
    this.#written++;
    if (reply) this.#replies++;
    this.#o.send({ id: this.#written, from, to, createdMs: this.#o.clock.now(), reply });
  }
}

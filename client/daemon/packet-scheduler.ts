// The client's Poisson streams (protocol/traffic/client-streams.ts, shared
// with the simulator, which is why they stay in protocol) and what each of
// their events sends:
//
//   payload event ─▶ a pending handle lookup (client/handles/handle-lookups.ts)
//                 ─▶ or the next prepared envelope (real) ─▶ or a decoy when none can go
//   loop event    ─▶ a loop to our own mailbox (watched by the loop monitor)
//   drop event    ─▶ drop cover (never acknowledged)
//
// Whatever is queued, a payload event sends exactly one packet, so the
// streams never pause or burst because of the queue (issue 9 §4). Only what
// is the same for every client leaves a slot empty: no document yet, or a
// link that refuses every packet alike. A real fragment is handed to the ARQ
// with its retransmission timeout (client/sender/round-trip.ts); a fragment
// whose gateway left the document waits in the waiting room and its slot
// sends a decoy. A handle lookup goes ahead of the envelopes (a user waits
// for it, and it is one packet): addressed to the name service at the named
// gateway, with the SURB-ACK every payload packet carries as its answer's
// way back, and a timeout computed as a real fragment's; it never touches
// the ARQ or the messenger.
//
// A Startable: start() starts the streams (from then on packets leave at
// λP + λL + λD), stop() stops them (no packet leaves after it resolves).

import { randomBytes } from 'node:crypto';
import { ctEqual } from '../../protocol/bytes.js';
import type { Topology } from '../../protocol/pki/routes.js';
import type { Uniform } from '../../protocol/crypto/random.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { ClientStreams, type ClientRates, type StreamPacket } from '../../protocol/traffic/client-streams.js';
import { encodeLookupRequest, NAME_SERVICE_RECIPIENT } from '../../protocol/wire/handle.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { HandleLookups, LookupSlot } from '../handles/handle-lookups.js';
import type { Messenger, PreparedEnvelope } from '../messenger.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';
import type { Arq } from '../sender/arq.js';
import { expectedReturnMs, retransmitTimeoutMs } from '../sender/round-trip.js';
import type { LoopMonitor } from '../traffic/loop-monitor.js';
import type { PacketFactory } from '../traffic/packet-factory.js';
import type { SendMeter } from '../traffic/send-meter.js';
import type { EpochLog } from './epoch-log.js';
import type { NetworkView } from './network-view.js';
import type { PreparedEnvelopes } from './prepared-envelopes.js';
import type { GatewayWaitingRoom } from './waiting-room.js';

/** The timeout counted for a real fragment that could not be built (it then fails after maxAttempts instead of taking every slot). */
const UNBUILDABLE_TIMEOUT_MS = 10_000;

export interface PacketSchedulerInit {
  fetchIntervalMs: number;
  retransmitSlackMs: number;
  /** The streams' first rates (the first document's, raised by the user's: document-follower.ts ratesOf). */
  rates: ClientRates;
}

export interface PacketSchedulerComponents {
  /** The streams' time and randomness (event times). */
  clock: Clock;
  uniform: Uniform;
  link: Pick<GatewayLinkLike, 'trySend' | 'connected' | 'gateway' | 'mailboxId' | 'deliveryId'>;
  factory: Pick<PacketFactory, 'real' | 'loop' | 'decoy' | 'drop' | 'userPayloadLength'>;
  arq: Pick<Arq, 'unsent' | 'sent' | 'attempts'>;
  loops: Pick<LoopMonitor, 'sent' | 'decoySent'>;
  messenger: Pick<Messenger, 'fragmentSent'>;
  view: Pick<NetworkView, 'current'>;
  prepared: Pick<PreparedEnvelopes, 'take'>;
  waiting: Pick<GatewayWaitingRoom, 'park'>;
  meter: Pick<SendMeter, 'sent'>;
  /** Handle lookups waiting for a payload slot (none without it). */
  lookups?: Pick<HandleLookups, 'next' | 'sent' | 'unsent' | 'failed'>;
  epochLog: EpochLog;
  /** Loop payloads (16 random bytes identify a loop; the rest is random like an envelope). */
  random?: (n: number) => Uint8Array;
}

/** What a payload event sends when it sends something real: a handle lookup or a prepared envelope. */
export type PayloadItem = { kind: 'lookup'; lookup: LookupSlot } | { kind: 'envelope'; envelope: PreparedEnvelope };

export interface SentCounts {
  /** Real payload packets: prepared envelopes and handle lookups. */
  real: number;
  decoy: number;
  drop: number;
  loop: number;
}

export class PacketScheduler implements Startable {
  /** The streams whose events this scheduler fills (their rates follow the documents: document-follower.ts). */
  readonly streams: ClientStreams<PayloadItem>;
  readonly #init: PacketSchedulerInit;
  readonly #c: PacketSchedulerComponents;
  readonly #random: (n: number) => Uint8Array;
  /** Packets that actually left, by kind (stream events minus those the link could not take). */
  readonly #sent: SentCounts = { real: 0, decoy: 0, drop: 0, loop: 0 };

  constructor(components: PacketSchedulerComponents, init: PacketSchedulerInit) {
    this.#init = init;
    this.#c = components;
    this.#random = components.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.streams = new ClientStreams<PayloadItem>({
      clock: components.clock,
      uniform: components.uniform,
      rates: init.rates,
      nextReal: () => this.nextReal(),
      emit: (packet, at) => this.emit(packet, at),
    });
  }

  async start(): Promise<void> {
    this.streams.start();
  }

  async stop(): Promise<void> {
    this.streams.stop();
  }

  /** Packets that left, by kind. */
  sent(): SentCounts {
    return { ...this.#sent };
  }

  /**
   * The stream's nextReal: the lookup or envelope a payload event sends, or
   * undefined for a decoy. A pending lookup first. None while the link is
   * down: the link would refuse it and the envelope be sealed again for a
   * later slot, so every slot of an outage would cost a ratchet step (the
   * recipient refuses a message that skips more than MAX_SKIP,
   * docs/e2ee.md) and a synced write.
   */
  nextReal(): PayloadItem | undefined {
    if (!this.#c.link.connected) return undefined;
    const lookup = this.#c.lookups?.next();
    if (lookup) return { kind: 'lookup', lookup };
    const envelope = this.#c.prepared.take();
    return envelope && { kind: 'envelope', envelope };
  }

  /** The stream's emit: sends what one stream event asks for. Never throws. */
  emit(packet: StreamPacket<PayloadItem>, atMs: number): void {
    const topology = this.#c.view.current();
    if (!topology) {
      if (packet.kind === 'real' && packet.item.kind === 'envelope') this.#c.arq.unsent(packet.item.envelope.key);
      if (packet.kind === 'real' && packet.item.kind === 'lookup') this.#c.lookups?.unsent(packet.item.lookup);
      return;
    }
    const { factory } = this.#c;
    const own = this.#c.link.gateway.nodeId;
    const mailbox = this.#ownInbox();
    try {
      if (packet.kind === 'drop') {
        if (this.#send(factory.drop(topology, own, mailbox).packet)) this.#sent.drop++;
      } else if (packet.kind === 'loop') {
        const payload = this.#random(factory.userPayloadLength);
        const built = factory.loop(topology, own, mailbox, payload);
        if (this.#send(built.packet)) {
          this.#sent.loop++;
          this.#c.loops.sent(payload, built.surbId!, this.#expectedReturn(topology, atMs, built.forwardDelayMs));
        }
      } else {
        const item = packet.kind === 'real' ? packet.item : null;
        const sent = item?.kind === 'lookup' ? this.#sendLookup(topology, item.lookup) : item?.kind === 'envelope' ? this.#sendReal(topology, item.envelope) : false;
        if (!sent) this.#sendDecoy(topology, atMs);
      }
    } catch (err) {
      this.#c.epochLog.warn('could not build a packet', { kind: packet.kind, error: (err as Error).message });
    }
  }

  /**
   * Where our own SURB-ACKs and loops are addressed: the private delivery id
   * once registered (docs/gateway.md §Contact requests and the delivery id),
   * so they land in the main lane like our contacts' messages and a stranger
   * filling the contact-request lane cannot make them drop.
   */
  #ownInbox(): Uint8Array {
    return this.#c.link.deliveryId ?? this.#c.link.mailboxId;
  }

  #expectedReturn(topology: Topology, atMs: number, delaysMs: number): number {
    return expectedReturnMs(atMs, delaysMs, { layers: topology.document.layers.length, fetchIntervalMs: this.#init.fetchIntervalMs });
  }

  /** A decoy in a payload slot (docs/traffic.md §What the ACKs show): its ACK comes back like a real packet's. */
  #sendDecoy(topology: Topology, atMs: number): void {
    const built = this.#c.factory.decoy(topology, this.#c.link.gateway.nodeId, this.#ownInbox());
    // Its ACK is recognised by the SURB id alone: the keys are not needed.
    built.surbKeys?.fill(0);
    if (this.#send(built.packet)) {
      this.#sent.decoy++;
      this.#c.loops.decoySent(built.surbId!, this.#expectedReturn(topology, atMs, built.forwardDelayMs + built.ackDelayMs));
    }
  }

  /**
   * Sends a real fragment; false when it cannot be built (then the slot
   * sends a decoy instead, and the fragment goes back to the queue, or
   * waits for its gateway). A link that refuses it counts as the slot used:
   * it refuses a decoy as well.
   */
  #sendReal(topology: Topology, item: PreparedEnvelope): boolean {
    const { key, envelope, gateway, mailbox: to } = item;
    const { arq } = this.#c;
    let built;
    try {
      built = this.#c.factory.real(topology, this.#c.link.gateway.nodeId, this.#ownInbox(), gateway, to, envelope);
    } catch (err) {
      if (!topology.document.gateways.some((g) => ctEqual(g.nodeId, gateway))) this.#c.waiting.park(key, gateway, item);
      else {
        // Any other build error: count it as a transmission that went nowhere,
        // so a fragment that can never be built fails after maxAttempts
        // instead of taking every slot.
        arq.sent(key, this.#random(16), new Uint8Array(0), UNBUILDABLE_TIMEOUT_MS);
      }
      this.#c.epochLog.warn('could not build a real packet; the slot sent a decoy', { error: (err as Error).message });
      return false;
    }
    if (!this.#send(built.packet)) {
      built.surbKeys?.fill(0);
      arq.unsent(key);
      return true;
    }
    this.#sent.real++;
    const attempt = arq.attempts(key) + 1;
    arq.sent(key, built.surbId!, built.surbKeys!, this.#timeoutOf(topology, built, attempt));
    this.#c.messenger.fragmentSent(key, attempt);
    return true;
  }

  /**
   * Sends a handle lookup to the name service at its gateway; false when it
   * cannot be built (the lookup then fails, and the slot sends a decoy). A
   * link that refuses it counts as the slot used, as for a real fragment;
   * the lookup takes the next slot.
   */
  #sendLookup(topology: Topology, slot: LookupSlot): boolean {
    const lookups = this.#c.lookups!;
    let built;
    try {
      const request = encodeLookupRequest(slot.name, this.#c.factory.userPayloadLength);
      built = this.#c.factory.real(topology, this.#c.link.gateway.nodeId, this.#ownInbox(), slot.gateway, NAME_SERVICE_RECIPIENT, request);
    } catch (err) {
      lookups.failed(slot, err as Error);
      this.#c.epochLog.warn('could not build a handle lookup; the slot sent a decoy', { error: (err as Error).message });
      return false;
    }
    if (!this.#send(built.packet)) {
      built.surbKeys?.fill(0);
      lookups.unsent(slot);
      return true;
    }
    this.#sent.real++;
    lookups.sent(slot, built.surbId!, built.surbKeys!, this.#timeoutOf(topology, built, slot.attempt));
    return true;
  }

  /** When to give up waiting for the ACK (or answer) of a packet sent on its `attempt`-th try (client/sender/round-trip.ts). */
  #timeoutOf(topology: Topology, built: { forwardDelayMs: number; ackDelayMs: number }, attempt: number): number {
    return retransmitTimeoutMs({
      layers: topology.document.layers.length,
      fetchIntervalMs: this.#init.fetchIntervalMs,
      forwardDelayMs: built.forwardDelayMs,
      ackDelayMs: built.ackDelayMs,
      slackMs: this.#init.retransmitSlackMs,
      attempt,
    });
  }

  #send(packet: Uint8Array): boolean {
    const ok = this.#c.link.trySend(packet);
    if (ok) this.#c.meter.sent(packet.length);
    return ok;
  }
}

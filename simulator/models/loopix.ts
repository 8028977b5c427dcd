// The Loopix model (Piotrowska et al., "The Loopix Anonymity System",
// USENIX Security 2017; docs/simulator.md §The loopix model): users on a
// social graph write messages (simulator/behaviour); each user's client is
// the SHIPPED scheduler, ClientStreams from protocol/traffic, running on
// the virtual clock: one Poisson stream λP that sends the next queued
// message or a decoy, loops λL, drops λD. Every packet crosses entry
// gateway → one mix per layer → exit gateway, each hop holding it for the
// delay the sender drew with the shipped sampleHopDelaysMs (Exp, mean 1/μ);
// the exit hop has no delay (the Sphinx recipient command). Real packets,
// decoys and loops carry a SURB-ACK that the exit gateway sends straight
// back through the layers to the sender's gateway (with `decoys = false`
// an empty payload slot sends unacknowledged drop cover instead, as in
// the Loopix paper). Mixes send loops λM.
// Recipients pull their mailbox at a constant rate.
//
// The observer (docs/simulator.md §Adversary):
// - a global passive observer of every link: per client, when each packet
//   leaves (all alike: real and cover); per node, packets in and out, which
//   it chains into each packet's sender distribution (packet-posterior.ts);
//   the pulls show nothing (constant rate, fixed-size replies);
// - corrupt mixes reveal their input-output linkage;
// - a corrupt gateway sees deposits into its users' mailboxes with their
//   times (messages, and its own users' loops, which it cannot tell
//   apart), and the SURB-ACKs arriving for its users (one per real packet,
//   decoy or loop they sent). It does not see who sent a deposit.
// Per observation window the observer counts, per user, the activity it
// can see (ACKs when the user's gateway is corrupt, else packets sent) and
// the deposits per recipient; sda and lsda run on those windows. gsda
// weights every deposit by the packet's sender distribution: the
// delay-weighted attack on a continuous mix. The activity scores
// (metrics/activity.ts) ask, per user and window, whether the ACKs (corrupt
// gateway) or the packets sent (global observer) tell the windows in which
// the user wrote a message.

import { geometryFromUserForwardPayloadLength, NIKE_X25519 } from '../../protocol/sphinx/geometry.js';
import { ClientStreams, type StreamPacket } from '../../protocol/traffic/client-streams.js';
import { PoissonSchedule, sampleHopDelaysMs } from '../../protocol/traffic/exponential.js';
import { DEFAULT_FETCH_SLOTS, FETCH_REQUEST_LENGTH, fetchMessageBodyLength, fetchReplyLength } from '../../protocol/wire/fetch.js';
import type { Message } from '../behaviour/users.js';
import { VirtualClock } from '../engine/virtual-clock.js';
import { ActivityScore } from '../metrics/activity.js';
import { trafficCost } from '../metrics/cost.js';
import { truthMatrix } from '../metrics/recovery.js';
import { randomIndex } from '../random.js';
import { AttackSuite } from './attack-suite.js';
import type { LoopixConfig } from './continuous-config.js';
import { checkpointWindows, MessageLog, type ContinuousRun, type CurvePoint } from './continuous-run.js';
import { MixnetTopology } from './mixnet-topology.js';
import { DeferredPosteriorTracker } from './deferred-posterior.js';
import { messageAnonymity, PosteriorTracker, type Posterior, type SenderPosteriors } from './packet-posterior.js';
import { seededStream, STREAM_NETWORK } from './streams.js';
import { presenceHooks } from '../presence/hooks.js';
import { buildWorkload } from '../workload/workload.js';

/** The user payload of Chaff's production geometry (protocol/sphinx/geometry.ts). */
const USER_PAYLOAD_BYTES = 2048;

/**
 * gsda leaves out senders whose probability of having sent a deposit is
 * at most this: the tail of the delay distribution, which would otherwise
 * expose every sender to every deposit and leave no background to
 * estimate (attacks/generalised-sda.ts).
 */
export const GSDA_MIN_WEIGHT = 1e-2;

/** After the observed time, the network runs on (cover included) to deliver what is in flight, at most this long. */
export function drainMs(layers: number, mu: number): number {
  return Math.max(60_000, (10 * (layers + 1) * 1000) / mu);
}

type Kind = 'real' | 'decoy' | 'loop' | 'drop' | 'ack' | 'mix-loop';

interface NetPacket extends Posterior {
  kind: Kind;
  /** The user who sent it (for an ACK: the user it returns to); −1 for a mix loop. */
  sender: number;
  route: number[];
  /** Delay at route[i], ms (the last node has none). */
  delays: number[];
  hop: number;
  message: Message | null;
}

/** The packet length of Chaff's geometry for `layers` mix layers (entry gateway, the layers, exit gateway). */
export function packetLength(layers: number): number {
  return geometryFromUserForwardPayloadLength({ nike: NIKE_X25519, nrHops: layers + 2, userForwardPayloadLength: USER_PAYLOAD_BYTES, withSURB: true }).packetLength;
}

/** Bytes of one mailbox pull: the request and a reply of `fetchBatch` message slots and the default ACK slots. */
export function pullBytes(layers: number, fetchBatch: number): number {
  const geometry = geometryFromUserForwardPayloadLength({ nike: NIKE_X25519, nrHops: layers + 2, userForwardPayloadLength: USER_PAYLOAD_BYTES, withSURB: true });
  return FETCH_REQUEST_LENGTH + fetchReplyLength({ messages: fetchBatch, acks: DEFAULT_FETCH_SLOTS.acks }, fetchMessageBodyLength(geometry));
}

/**
 * How the observer computes sender distributions: 'deferred' (only where
 * read; O(nodes) per hop), 'dense' (every hop; O(users) per hop, the
 * reference the deferred one is tested against), 'auto' (deferred unless
 * mixes are corrupt: every packet held at a corrupt mix is a read).
 */
export type PosteriorMethod = 'auto' | 'deferred' | 'dense';

export interface LoopixRunOptions {
  posterior?: PosteriorMethod;
}

export function runLoopix(config: LoopixConfig, seed: number, options: LoopixRunOptions = {}): ContinuousRun {
  const net = config.network;
  const clock = new VirtualClock(0);
  const durationMs = config.durationS * 1000;
  const users = buildWorkload(config, seed, {
    clock,
    send: (m) => {
      queues[m.from].push(m);
      if (observing) wrote[m.from]++;
    },
    untilMs: durationMs,
  });
  const graph = users.graph;
  const U = graph.n;
  const uniform = seededStream(seed, STREAM_NETWORK);
  const epochMs = config.epochS * 1000;
  const windows = Math.floor(config.durationS / config.epochS + 1e-9);
  const checkpoints = new Set(checkpointWindows(windows, config.curvePoints));
  const topology = new MixnetTopology(net, uniform);
  const gatewayOf = topology.assignGateways(U, uniform);
  const pullMs = net.pullIntervalS * 1000;
  const pullPhase = Float64Array.from({ length: U }, () => uniform() * pullMs);
  const meanDelayMs = 1000 / net.mu;
  const method = options.posterior ?? 'auto';
  const deferred = method === 'deferred' || (method === 'auto' && net.corruptMixes === 0);
  const tracker: SenderPosteriors = deferred ? new DeferredPosteriorTracker(U, topology.corrupt) : new PosteriorTracker(U, topology.corrupt);
  const suite = new AttackSuite(U, config.attacks);
  const truth = truthMatrix(U, U, graph.edges, { symmetric: !graph.directed });
  const log = new MessageLog(U);
  const queues: Message[][] = Array.from({ length: U }, () => []);

  // What the observer counts in the current window.
  const sent = new Float64Array(U);
  const acked = new Float64Array(U);
  /** Messages each user wrote in the window: the activity the scores try to tell. */
  const wrote = new Float64Array(U);
  const activity = new Float64Array(U);
  const ackActivity = new ActivityScore();
  const sendActivity = new ActivityScore();
  const outputs: number[] = [];
  const weightSenders: number[] = [];
  const weights: number[] = [];
  let observing = true;
  const curve: CurvePoint[] = [];

  // Cost counters over the observed time.
  let clientPackets = 0;
  let realPackets = 0;
  let nodeArrivals = 0;
  let running = true;

  // Presence (docs/simulator.md §Presence): links up and down, reads while online, what the observer sees of it.
  const presence = presenceHooks(config, seed, U, durationMs + drainMs(net.layers, net.mu), (10 * (net.layers + 1) * 1000) / net.mu);

  const nextPull = (user: number, t: number): number => {
    const phase = pullPhase[user];
    return t <= phase ? phase : phase + Math.ceil((t - phase) / pullMs) * pullMs;
  };

  // Packets held at a node, by slot: a hop is scheduled as (hopDone, slot)
  // on the engine's allocation-free path, not as a closure per hop.
  const held: Array<NetPacket | undefined> = [];
  const freeSlots: number[] = [];
  const hopDone = {
    fire(slot: number): void {
      const p = held[slot] as NetPacket;
      held[slot] = undefined;
      freeSlots.push(slot);
      tracker.leave(p.route[p.hop], p);
      p.hop++;
      arrive(p);
    },
  };

  const arrive = (p: NetPacket): void => {
    const node = p.route[p.hop];
    if (clock.now() < durationMs) nodeArrivals++;
    if (p.hop === p.route.length - 1) {
      finish(p, node);
      return;
    }
    tracker.enter(node, p);
    const slot = freeSlots.length > 0 ? (freeSlots.pop() as number) : held.length;
    held[slot] = p;
    clock.schedule(clock.now() + p.delays[p.hop], hopDone, slot);
  };

  const send = (kind: Kind, sender: number, route: number[], point: number, message: Message | null): void => {
    const delays = sampleHopDelaysMs(meanDelayMs, route.length - 1, uniform);
    arrive({ kind, sender, route, delays, hop: 0, point, dist: null, message });
  };

  const sendAck = (p: NetPacket): void => {
    if (!net.acks) return;
    send('ack', p.sender, topology.ackRoute(gatewayOf[p.sender], uniform), tracker.cover, null);
  };

  /** A message-kind deposit into `recipient`'s mailbox at gateway `gw`. */
  const deposit = (p: NetPacket, recipient: number, gw: number): void => {
    if (!observing || !topology.corrupt[gw]) return;
    outputs.push(recipient);
    weightSenders.length = 0;
    weights.length = 0;
    tracker.userWeights(p, GSDA_MIN_WEIGHT, (u, q) => {
      weightSenders.push(u);
      weights.push(q);
    });
    suite.observeDelivery(recipient, weightSenders, weights);
    presence.observer?.delivery(recipient, clock.now());
  };

  const finish = (p: NetPacket, node: number): void => {
    switch (p.kind) {
      case 'real': {
        const m = p.message as Message;
        deposit(p, m.to, node);
        const now = clock.now();
        const read = presence.schedule.readAt(m.to, now, (t) => nextPull(m.to, t));
        // Never read: the recipient does not come online again before the end (counted undelivered).
        if (read === Infinity) return sendAck(p);
        tracker.settle(p);
        log.record(now - m.createdMs, read - m.createdMs, messageAnonymity(p, U, p.sender));
        users.read(m, read);
        sendAck(p);
        return;
      }
      case 'loop':
        deposit(p, p.sender, node);
        sendAck(p);
        return;
      case 'decoy':
        // Addressed to the drop recipient: nothing stored, the ACK sent as for a message.
        sendAck(p);
        return;
      case 'ack':
        if (observing && topology.corrupt[node]) acked[p.sender]++;
        return;
      case 'drop':
      case 'mix-loop':
        return;
    }
  };

  const emit = (s: number, packet: StreamPacket<Message>): void => {
    if (clock.now() < durationMs) {
      clientPackets++;
      if (packet.kind === 'real') realPackets++;
    }
    if (observing) sent[s]++;
    const entry = gatewayOf[s];
    if (packet.kind === 'real') send('real', s, topology.clientRoute(entry, gatewayOf[packet.item.to], uniform), s, packet.item);
    else if (packet.kind === 'loop') send('loop', s, topology.clientRoute(entry, entry, uniform), s, null);
    else send(packet.kind === 'decoy' && net.decoys ? 'decoy' : 'drop', s, topology.clientRoute(entry, randomIndex(topology.gateways, uniform), uniform), s, null);
  };

  const clients = Array.from(
    { length: U },
    (_, s) =>
      new ClientStreams<Message>({
        clock,
        uniform,
        rates: { lambdaP: net.lambdaP, lambdaL: net.lambdaL, lambdaD: net.lambdaD },
        nextReal: () => queues[s].shift(),
        emit: (packet) => emit(s, packet),
      }),
  );

  const scheduleMixLoop = (mix: number, schedule: PoissonSchedule, fromMs: number): void => {
    const at = schedule.next(fromMs);
    clock.at(at, () => {
      if (!running) return;
      // The mix sends its own loop at once: it enters no pool of its own.
      const route = topology.mixLoopRoute(mix, uniform);
      send('mix-loop', -1, route, tracker.cover, null);
      scheduleMixLoop(mix, schedule, at);
    });
  };

  for (let w = 1; w <= windows; w++) {
    clock.at(w * epochMs, () => {
      for (let s = 0; s < U; s++) {
        const byAcks = net.acks && topology.corrupt[gatewayOf[s]];
        activity[s] = byAcks ? acked[s] : sent[s];
        if (byAcks) ackActivity.observe(acked[s], wrote[s] > 0);
        sendActivity.observe(sent[s], wrote[s] > 0);
      }
      suite.observeRound(activity, outputs);
      presence.observer?.endWindow((w - 1) * epochMs, w * epochMs);
      sent.fill(0);
      acked.fill(0);
      wrote.fill(0);
      outputs.length = 0;
      if (checkpoints.has(w)) curve.push({ timeS: w * config.epochS, recovery: { ...suite.recovery(truth), ...presence.checkpoint(w * config.epochS, truth, suite) } });
      if (w === windows) observing = false;
    });
  }

  users.start();
  presence.schedule.drive(
    clock,
    (s) => clients[s].start(),
    (s) => clients[s].stop(),
    durationMs + drainMs(net.layers, net.mu),
  );
  if (net.lambdaM > 0) {
    const schedule = new PoissonSchedule(net.lambdaM, uniform);
    for (let l = 0; l < topology.layers; l++) for (let j = 0; j < topology.mixesPerLayer; j++) scheduleMixLoop(topology.mixId(l, j), schedule, 0);
  }

  clock.run(durationMs);
  // Deliver what is in flight (the network keeps running, cover included).
  const end = durationMs + drainMs(net.layers, net.mu);
  const undelivered = (): number => users.written - log.delivered;
  while (clock.now() < end && undelivered() > 0) clock.run(Math.min(end, clock.now() + 1000));
  running = false;
  for (const c of clients) c.stop();

  const cost = trafficCost({ users: U, durationMs, packets: clientPackets, realPackets, bytes: clientPackets * packetLength(net.layers) });
  return {
    seed,
    metrics: {
      recovery: curve[curve.length - 1].recovery,
      anonymity: log.anonymity(),
      latencyMs: log.latency(),
      traffic: {
        messagesPerUserPerSecond: users.written / U / config.durationS,
        packetsPerUserPerSecond: cost.packetsPerUserPerSecond,
        bytesPerUserPerSecond: cost.bytesPerUserPerSecond,
        pullBytesPerUserPerSecond: pullBytes(net.layers, net.fetchBatch) / net.pullIntervalS,
        realShare: cost.realShare,
        nodePacketsPerSecond: nodeArrivals / topology.nodes / config.durationS,
      },
      ...presence.metrics(),
      activity: { ackAuc: ackActivity.auc(), sendAuc: sendActivity.auc(), ackUserWindows: ackActivity.windows, activeShare: sendActivity.activeWindows / Math.max(1, sendActivity.windows) },
    },
    counts: { users: U, edges: graph.edgeCount, messages: users.written, replies: users.replies, delivered: log.delivered, undelivered: undelivered() },
    curve,
  };
}

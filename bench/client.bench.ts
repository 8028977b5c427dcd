// The chat client on a whole test network (real processes on 127.0.0.1:
// 3 authorities, 3 layers × 2 mixes, 2 gateways, and two `chaff client
// daemon`s, alice at gateway A and bob at gateway B; test/helpers/chat.ts).
// Each benchmark starts its own network (about a minute) and reports its
// figures against what the configured rates predict, computed for the same
// run:
//
//   client.latency     end-to-end ms (alice writes → bob's client has it)
//                      against 1/λP (wait for a payload slot) + (layers + 1)/μ
//                      (the chosen mixing delays) + fetch interval / 2;
//   client.bandwidth   an idle client's bytes/s up and down at the network's
//                      default rates (node/config.ts) against
//                      (λP + λL + λD) × packet + fetches/s × request up and
//                      fetches/s × fixed-size reply down (message slots
//                      and ACK slots, docs/gateway.md §Fetch), and down/up;
//   client.throughput  the highest offered message rate (evenly spaced
//                      1-fragment texts, rising in steps) at which alice's
//                      queue stays bounded, against λP (one message per
//                      payload slot is the ceiling).
//
// Bytes are the client's application bytes (status().traffic): libp2p's
// Noise and yamux framing is not counted.

import type { ClientStatus, MessageRecord } from '../client/api.js';
import { DEFAULT_CLIENT_SETTINGS } from '../client/config.js';
import { configFromObject } from '../node/config.js';
import { geometryFromUserForwardPayloadLength } from '../protocol/sphinx/geometry.js';
import { FETCH_REQUEST_LENGTH, fetchMessageBodyLength, fetchReplyLength } from '../protocol/wire/fetch.js';
import { DEFAULT_SHAPE, type TestnetShape } from '../testnet/plan.js';
import { ChatNetwork, Conversation, sleep, waitUntil, type ChatNetworkOptions } from '../test/helpers/chat.js';
import { median, quantile } from '../protocol/stats/quantile.js';
import { round, type Benchmark } from './harness.js';

/** Runs `fn` on a fresh chat network, stopped after it (also bench/client-daemon.bench.ts). */
export async function withChat<T>(options: ChatNetworkOptions, fn: (chat: ChatNetwork) => Promise<T>): Promise<T> {
  const chat = await ChatNetwork.start(options);
  try {
    return await fn(chat);
  } finally {
    await chat.stop();
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<[number, number]>): number {
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The network's default rates and fetch slots: what node/config.ts gives a config that sets none (also bench/gateway-load.bench.ts). */
export function networkDefaults(): { lambdaP: number; lambdaL: number; lambdaD: number; mu: number; fetchBatch: number; fetchAckBatch: number } {
  const c = configFromObject(
    {
      node: { name: 'defaults', role: 'gateway', data_dir: '/nonexistent', listen: ['/ip4/127.0.0.1/tcp/1'] },
      authorities: [{ name: 'a', identity: '11'.repeat(32), addresses: ['/ip4/127.0.0.1/tcp/2'] }],
    },
    '/',
  );
  const a = c.authority;
  return { lambdaP: a.lambdaP, lambdaL: a.lambdaL, lambdaD: a.lambdaD, mu: a.mu, fetchBatch: c.gateway.fetchBatch, fetchAckBatch: c.gateway.fetchAckBatch };
}

/** The testnet with the network's default λ's; μ and the epoch stay the testnet's (neither changes an idle client's bytes or work). */
export function defaultRatesShape(): Partial<TestnetShape> {
  const d = networkDefaults();
  return { ...DEFAULT_SHAPE, lambdaP: d.lambdaP, lambdaL: d.lambdaL, lambdaD: d.lambdaD };
}

const packetsOf = (s: ClientStatus): number => s.traffic.packetsSent.real + s.traffic.packetsSent.decoy + s.traffic.packetsSent.drop + s.traffic.packetsSent.loop;

// ------------------------------------------------------------------ latency

const LATENCY_SHAPE: Partial<TestnetShape> = { ...DEFAULT_SHAPE };
const LATENCY_FETCH_MS = 250;
const LATENCY_MESSAGES = 40;
/** Far apart compared with 1/λP, so each message finds the queue empty. */
const LATENCY_GAP_MS = 1500;

async function latency(): Promise<Record<string, unknown>> {
  return withChat({ shape: LATENCY_SHAPE, fetchIntervalMs: LATENCY_FETCH_MS }, async (chat) => {
    const conv = new Conversation(chat.alice, chat.bob, 'bob', 'alice');
    const p = chat.topology.document.params;
    const layers = chat.topology.document.layers.length;
    await sleep(3000); // the daemons' first fetches and loops settle
    await conv.sendNumbered('lat', LATENCY_MESSAGES, LATENCY_GAP_MS);
    await waitUntil(
      `${LATENCY_MESSAGES} messages at bob`,
      60_000,
      async () => (await conv.receivedHistory('lat')).length === LATENCY_MESSAGES,
      () => conv.describe('lat'),
    );
    await waitUntil("alice's ACKs", 30_000, async () => (await conv.sentHistory('lat')).every((m) => m.state === 'delivered'));
    const received = await conv.receivedHistory('lat');
    const sent = await conv.sentHistory('lat');
    const endToEnd = received.map((m) => m.deliveredMs! - m.sentMs);
    const ackRtt = sent.map((m: MessageRecord) => m.deliveredMs! - m.sentMs);
    const hopMs = 1000 / p.mu;
    const slotWaitMs = 1000 / p.lambdaP;
    const fetchWaitMs = LATENCY_FETCH_MS / 2;
    // Forward: entry gateway and every layer hold the packet; the exit gateway stores it.
    const forwardDelayMs = (layers + 1) * hopMs;
    const expectedMs = slotWaitMs + forwardDelayMs + fetchWaitMs;
    // The ACK: every layer holds it (the exit gateway sends it at once), then alice fetches it.
    const expectedAckMs = slotWaitMs + forwardDelayMs + layers * hopMs + fetchWaitMs;
    const measured = mean(endToEnd);
    return {
      messages: LATENCY_MESSAGES,
      rates: { lambdaP: p.lambdaP, mu: p.mu, fetchIntervalMs: LATENCY_FETCH_MS },
      meanMs: round(measured),
      p50Ms: round(median(endToEnd)),
      p90Ms: round(quantile(endToEnd, 0.9)),
      maxMs: round(Math.max(...endToEnd)),
      expected: { meanMs: round(expectedMs), slotWaitMs: round(slotWaitMs), mixingDelayMs: round(forwardDelayMs), fetchWaitMs: round(fetchWaitMs) },
      overheadMs: round(measured - expectedMs),
      ratio: round(measured / expectedMs),
      ackRoundTrip: { meanMs: round(mean(ackRtt)), p50Ms: round(median(ackRtt)), expectedMs: round(expectedAckMs), overheadMs: round(mean(ackRtt) - expectedAckMs) },
      retransmissions: sent.reduce((a, m) => a + m.retransmissions, 0),
    };
  });
}

// ---------------------------------------------------------------- bandwidth

const BANDWIDTH_WINDOW_MS = 60_000;

async function bandwidth(): Promise<Record<string, unknown>> {
  const d = networkDefaults();
  const fetchIntervalMs = DEFAULT_CLIENT_SETTINGS.fetchIntervalMs;
  return withChat({ shape: defaultRatesShape(), fetchIntervalMs }, async (chat) => {
    const geometry = geometryFromUserForwardPayloadLength(chat.topology.document.params.geometry);
    await sleep(5000);
    const clients = [chat.alice, chat.bob];
    const s0 = await Promise.all(clients.map((c) => c.api.status()));
    await sleep(BANDWIDTH_WINDOW_MS);
    const s1 = await Promise.all(clients.map((c) => c.api.status()));
    const lambda = d.lambdaP + d.lambdaL + d.lambdaD;
    const fetchesPerS = 1000 / fetchIntervalMs;
    const replyBytes = fetchReplyLength({ messages: d.fetchBatch, acks: d.fetchAckBatch }, fetchMessageBodyLength(geometry));
    const theory = {
      packetsPerS: lambda,
      upBps: lambda * geometry.packetLength + fetchesPerS * FETCH_REQUEST_LENGTH,
      downBps: fetchesPerS * replyBytes,
    };
    const perClient = clients.map((c, i) => {
      const s = (s1[i].uptimeMs - s0[i].uptimeMs) / 1000;
      const up = s1[i].traffic.bytesSent - s0[i].traffic.bytesSent;
      const down = s1[i].traffic.bytesReceived - s0[i].traffic.bytesReceived;
      // A fetch counts its request and its fixed-size reply only when it succeeds, so
      // the replies give the fetches exactly, and the rest of the bytes sent are packets.
      const fetches = down / replyBytes;
      return {
        client: c.name,
        seconds: round(s),
        // Stream events (status().traffic.packetsSent), whether or not a packet left.
        packetsPerS: round((packetsOf(s1[i]) - packetsOf(s0[i])) / s),
        // Packets that reached the gateway link.
        linkPacketsPerS: round((up - fetches * FETCH_REQUEST_LENGTH) / geometry.packetLength / s),
        fetchesPerS: round(fetches / s),
        upBps: round(up / s, 0),
        downBps: round(down / s, 0),
        real: s1[i].traffic.packetsSent.real - s0[i].traffic.packetsSent.real,
      };
    });
    const up = mean(perClient.map((c) => c.upBps));
    const down = mean(perClient.map((c) => c.downBps));
    return {
      rates: { lambdaP: d.lambdaP, lambdaL: d.lambdaL, lambdaD: d.lambdaD, fetchIntervalMs, fetchBatch: d.fetchBatch, fetchAckBatch: d.fetchAckBatch },
      packetBytes: geometry.packetLength,
      fetchRequestBytes: FETCH_REQUEST_LENGTH,
      fetchReplyBytes: replyBytes,
      perClient,
      packetsPerS: round(mean(perClient.map((c) => c.packetsPerS))),
      linkPacketsPerS: round(mean(perClient.map((c) => c.linkPacketsPerS))),
      upBps: round(up, 0),
      downBps: round(down, 0),
      theory: { packetsPerS: theory.packetsPerS, fetchesPerS, upBps: round(theory.upBps, 0), downBps: round(theory.downBps, 0) },
      upRatio: round(up / theory.upBps, 3),
      downRatio: round(down / theory.downBps, 3),
      // The target (issue 14): an idle client downloads at most what it uploads.
      downOverUp: round(down / up, 3),
      // Poisson: over the window, the packet count's relative standard deviation.
      packetsRelSd: round(1 / Math.sqrt(lambda * (BANDWIDTH_WINDOW_MS / 1000)), 3),
    };
  });
}

// --------------------------------------------------------------- throughput

const THROUGHPUT_SHAPE: Partial<TestnetShape> = { lambdaP: 10, lambdaL: 1, lambdaD: 1, mu: 50, epochDurationMs: 20_000 };
const THROUGHPUT_FETCH_MS = 200;
const STEP_MS = 15_000;
/** Offered rates as multiples of λP; none at exactly 1, where a queue is a random walk (unbounded, but only as √t). */
const FACTORS = [0.5, 0.75, 0.9, 0.95, 1.05, 1.25, 1.5];
/** Little's law: the queue at a step's end over the offered rate is about a message's wait; bounded means under this. */
const MAX_WAIT_S = 3;
const SAMPLE_MS = 250;

interface Step {
  factor: number;
  offeredPerS: number;
  messages: number;
  realPerS: number;
  ackedPerS: number;
  queueEnd: number;
  queueMax: number;
  /** queueEnd / offered rate: about how long a message waited to be sent, s. */
  waitS: number;
  /** Growth of the waiting queue over the step's second half, messages/s. */
  growthPerS: number;
  bounded: boolean;
}

async function throughput(): Promise<Record<string, unknown>> {
  return withChat({ shape: THROUGHPUT_SHAPE, fetchIntervalMs: THROUGHPUT_FETCH_MS }, async (chat) => {
    const alice = chat.alice;
    const lambdaP = chat.topology.document.params.lambdaP;
    // Bounded: over the step's second half the queue grows by less than 5%
    // of λP per second, and at the end a message waits under MAX_WAIT_S.
    const limit = 0.05 * lambdaP;
    const steps: Step[] = [];
    let unboundedInARow = 0;
    let n = 0;
    for (const factor of FACTORS) {
      const rate = factor * lambdaP;
      const s0 = await alice.api.status();
      const t0 = Date.now();
      const end = t0 + STEP_MS;
      const samples: Array<[number, number]> = [];
      let messages = 0;
      let nextSend = t0;
      let nextSample = t0;
      while (Date.now() < end) {
        const now = Date.now();
        if (now >= nextSend) {
          await alice.api.sendText('bob', `tp #${n++}`);
          messages++;
          nextSend += 1000 / rate;
          continue;
        }
        if (now >= nextSample) {
          const s = await alice.api.status();
          samples.push([(Date.now() - t0) / 1000, s.queue.queued]);
          nextSample += SAMPLE_MS;
          continue;
        }
        await sleep(Math.max(1, Math.min(nextSend, nextSample, end) - Date.now()));
      }
      const s1 = await alice.api.status();
      const seconds = (s1.uptimeMs - s0.uptimeMs) / 1000;
      const half = samples.filter(([t]) => t >= STEP_MS / 2000);
      const growth = slope(half);
      const offered = messages / seconds;
      const waitS = s1.queue.queued / offered;
      const bounded = growth < limit && waitS < MAX_WAIT_S;
      steps.push({
        factor,
        offeredPerS: round(offered),
        messages,
        realPerS: round((s1.traffic.packetsSent.real - s0.traffic.packetsSent.real) / seconds),
        ackedPerS: round((s1.traffic.acksReceived - s0.traffic.acksReceived) / seconds),
        queueEnd: s1.queue.queued,
        queueMax: Math.max(...samples.map(([, q]) => q)),
        waitS: round(waitS),
        growthPerS: round(growth),
        bounded,
      });
      unboundedInARow = bounded ? 0 : unboundedInARow + 1;
      // Drain before the next step.
      await waitUntil("alice's queue to drain", 120_000, async () => {
        const s = await alice.api.status();
        return s.queue.queued === 0 && s.queue.inFlight === 0;
      });
      if (unboundedInARow >= 2) break;
    }
    // The last bounded step before the first unbounded one.
    const firstUnbounded = steps.findIndex((s) => !s.bounded);
    const sustained = Math.max(0, ...steps.slice(0, firstUnbounded < 0 ? steps.length : firstUnbounded).map((s) => s.offeredPerS));
    const saturated = steps.filter((s) => !s.bounded);
    return {
      lambdaP,
      stepSeconds: STEP_MS / 1000,
      boundedIf: `queue growth < ${round(limit)} msg/s over the step's second half and queue/offered < ${MAX_WAIT_S} s at its end`,
      steps,
      sustainedMsgsPerS: sustained,
      ratio: round(sustained / lambdaP),
      // Once saturated, the payload stream sends a real packet in every slot: λP (less the slots lost to a link hiccup).
      saturatedRealPerS: saturated.length ? round(mean(saturated.map((s) => s.realPerS))) : null,
    };
  });
}

export const benchmarks: Benchmark[] = [
  {
    name: 'client.latency',
    description: 'end-to-end ms of a chat message on a local testnet (client daemons, 3 layers) against 1/λP + the chosen mixing delays + fetch interval/2',
    run: latency,
  },
  {
    name: 'client.bandwidth',
    description: "an idle client's bytes/s up and down at the network's default rates, against (λP+λL+λD) × packet + fetch requests up and fixed-size fetch replies down",
    run: bandwidth,
  },
  {
    name: 'client.throughput',
    description: "the highest offered message rate (1-fragment texts, evenly spaced) at which alice's queue stays bounded, against λP",
    run: throughput,
  },
];

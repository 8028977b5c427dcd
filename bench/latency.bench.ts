// Added latency per hop on 127.0.0.1: a sender, a chain of 3 mixes (one per
// layer; real MixServices with real LevelDB replay caches) and a sink that
// counts frames, all on their own libp2p hosts in this process. Packets go
// one at a time (the next leaves after the previous arrives), so nothing
// queues and this process's one core is never shared by two packets.
//
//   per-hop overhead = (end-to-end − configured delays) / hops
//
// measured with a delay command of 0 ms at every hop, and of DELAYED_MS at
// every hop to show the delay is honoured (the overhead should not grow with
// it). End-to-end includes 4 link crossings (sender → mix 1 → 2 → 3 → sink)
// for 3 hops. Baseline, interleaved packet by packet with the mix samples so
// drift cancels: one raw libp2p round trip of a packet-size frame between two
// of the same hosts (an echo protocol); rawOneWayMs is half of it.

import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { Stream } from '@libp2p/interface';
import type { Host } from '../runtime/net/host.js';
import { PacketLink } from '../node/net/packet-link.js';
import { silentLogger } from '../runtime/log/logger.js';
import { delay, newPacket, recipient, type PathHop } from '../protocol/sphinx/index.js';
import { documentOf, entryOf, geometry, mean, newHost, newMix, quietly, total, type BenchMix } from './fixtures/mixnet.js';
import { median, quantile } from '../protocol/stats/quantile.js';
import { round, type Benchmark } from './harness.js';

const SIZE = geometry.packetLength;
const HOPS = 3;
const ECHO_PROTOCOL = '/chaff/bench-echo/1';
const WARMUP = 20;
/** Samples per configured delay. */
const SAMPLES: Record<number, number> = { 0: 300, 20: 80 };
const DELAYED_MS = 20;
const TARGET_MS = 2;

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

interface Chain {
  sender: Host;
  sink: Host;
  mixes: BenchMix[];
  senderLink: PacketLink;
  sinkLink: PacketLink;
  path(delayMs: number): PathHop[];
  arrivals: number;
  wake?: () => void;
}

async function setup(): Promise<Chain> {
  const sender = await newHost();
  const sink = await newHost();
  const mixes: BenchMix[] = [];
  for (let i = 0; i < HOPS; i++) mixes.push(await newMix(`mix-${i + 1}`));
  const senderEntry = entryOf(sender, 'sender');
  const sinkEntry = entryOf(sink, 'sink');
  const document = documentOf(
    [senderEntry, sinkEntry],
    mixes.map((m) => [m.entry]),
  );
  for (const m of mixes) await m.start(document);
  const chain: Chain = {
    sender,
    sink,
    mixes,
    arrivals: 0,
    senderLink: new PacketLink({ host: sender, logger: silentLogger }, { packetLength: SIZE, onFrame: () => undefined }),
    sinkLink: new PacketLink(
      { host: sink, logger: silentLogger },
      {
        packetLength: SIZE,
        onFrame: () => {
          chain.arrivals++;
          chain.wake?.();
        },
      },
    ),
    path: (delayMs) => [
      ...mixes.map((m) => ({ id: m.entry.nodeId, publicKey: m.key.publicKey, commands: [delay(delayMs)] })),
      { id: sinkEntry.nodeId, publicKey: sinkEntry.sphinxKeys.current, commands: [recipient(new Uint8Array(32))] },
    ],
  };
  await chain.senderLink.start();
  await chain.sinkLink.start();
  // The raw baseline: the sink echoes every byte back.
  await sink.handle(ECHO_PROTOCOL, (stream) => {
    stream.addEventListener('message', (evt) => {
      const data = evt.data;
      if (data instanceof Uint8Array) stream.send(data);
      else for (const chunk of data) stream.send(chunk);
    });
    stream.addEventListener('remoteCloseWrite', () => void stream.close().catch(() => undefined));
  });
  return chain;
}

/** ms from send until the sink has the frame; rejects after `timeoutMs`. */
function timeOne(chain: Chain, packet: Uint8Array, timeoutMs = 5_000): Promise<number> {
  const first = chain.mixes[0];
  const peer = peerIdFromPublicKey(publicKeyFromRaw(first.entry.identityKey));
  const target = chain.arrivals + 1;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      chain.wake = undefined;
      reject(new Error('packet did not reach the sink'));
    }, timeoutMs);
    const t0 = nowMs();
    chain.wake = () => {
      if (chain.arrivals < target) return;
      const t = nowMs() - t0;
      clearTimeout(timer);
      chain.wake = undefined;
      resolve(t);
    };
    chain.senderLink.send(peer, first.entry.addresses, packet);
  });
}

/** ms of one echo round trip of a SIZE-byte frame on an open stream. */
function echoOnce(stream: Stream, frame: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const t0 = nowMs();
    const onMessage = (evt: { data: { byteLength: number } }): void => {
      got += evt.data.byteLength;
      if (got < SIZE) return;
      stream.removeEventListener('message', onMessage);
      resolve(nowMs() - t0);
    };
    stream.addEventListener('message', onMessage);
    stream.send(frame);
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const benchmarks: Benchmark[] = [
  {
    name: 'net.latency',
    description: `added ms per mix hop (beyond the configured delay) across ${HOPS} mixes on loopback, one ${SIZE}-byte packet at a time, against one raw libp2p round trip`,
    async run() {
      const chain = await setup();
      try {
        const payload = new Uint8Array(geometry.forwardPayloadLength);
        const build = (delayMs: number, n: number) => Array.from({ length: n }, () => newPacket(geometry, chain.path(delayMs), payload));
        const packets: Record<number, Uint8Array[]> = { 0: build(0, WARMUP + SAMPLES[0]), [DELAYED_MS]: build(DELAYED_MS, SAMPLES[DELAYED_MS]) };
        const echo = await chain.sender.dialProtocol(chain.sink.getMultiaddrs(), ECHO_PROTOCOL);
        const frame = new Uint8Array(SIZE).fill(0x5a);

        // Warm-up: every link dialled, JIT on the path.
        for (let i = 0; i < WARMUP; i++) {
          await timeOne(chain, packets[0][i]);
          await echoOnce(echo, frame);
        }
        const rtts: number[] = [];
        const figures: Record<string, unknown> = {};
        const perHopMeans: Record<number, number> = {};
        for (const d of [0, DELAYED_MS]) {
          const list = d === 0 ? packets[0].slice(WARMUP) : packets[d];
          const perHop: number[] = [];
          for (const p of list) {
            rtts.push(await echoOnce(echo, frame));
            await pause(1);
            const e2e = await timeOne(chain, p);
            perHop.push((e2e - HOPS * d) / HOPS);
            await pause(1);
          }
          perHopMeans[d] = mean(perHop);
          figures[`delay${d}`] = {
            samples: perHop.length,
            endToEndMeanMs: round(mean(perHop) * HOPS + HOPS * d),
            perHopMeanMs: round(mean(perHop)),
            perHopMedianMs: round(median(perHop)),
            perHopP99Ms: round(quantile(perHop, 0.99)),
            perHopMinMs: round(Math.min(...perHop)),
          };
        }
        await echo.close();
        // A zero-delay hop still waits for a setTimeout (DelayQueue on systemClock), which Node clamps to 1 ms.
        const timer: number[] = [];
        for (let i = 0; i < 100; i++) {
          const t0 = nowMs();
          await pause(0);
          timer.push(nowMs() - t0);
        }
        const rawRtt = median(rtts);
        const drops = chain.mixes.reduce((a, m) => a + total(m.service!.processor.dropCounts()) + total(m.service!.link.stats().drops), 0);
        return {
          packetBytes: SIZE,
          hops: HOPS,
          ...figures,
          perHopMeanMs: round(perHopMeans[0]),
          perHopP99Ms: (figures.delay0 as { perHopP99Ms: number }).perHopP99Ms,
          targetMs: TARGET_MS,
          growthWithDelayMs: round(perHopMeans[DELAYED_MS] - perHopMeans[0]),
          rawRttMedianMs: round(rawRtt, 3),
          rawRttP99Ms: round(quantile(rtts, 0.99), 3),
          rawOneWayMs: round(rawRtt / 2, 3),
          ratio: round(perHopMeans[0] / (rawRtt / 2)),
          setTimeout0MeanMs: round(mean(timer), 3),
          delivered: chain.arrivals,
          drops,
        };
      } finally {
        await quietly(() => chain.senderLink.stop());
        await quietly(() => chain.sinkLink.stop());
        for (const m of chain.mixes) await m.stop();
        await quietly(() => chain.sender.stop());
        await quietly(() => chain.sink.stop());
      }
    },
  },
];

// Relay transport throughput between two local hosts (TCP + Noise + yamux on
// 127.0.0.1) at the production Sphinx packet size: a raw libp2p stream written
// as fast as its backpressure allows, and the same frames through PacketLink
// (bounded queue, pump, inbound reassembly). The ratio packet-link/raw is the
// cost of the link layer; raw frames/s is the baseline the mix throughput
// benchmark is measured against. Rounds alternate so machine drift cancels.

import { generateKeyPair } from '@libp2p/crypto/keys';
import { createHost, type Host } from '../runtime/net/host.js';
import { PacketLink } from '../node/net/packet-link.js';
import { silentLogger } from '../runtime/log/logger.js';
import { PRODUCTION_GEOMETRY } from '../protocol/sphinx/index.js';
import { median } from '../protocol/stats/quantile.js';
import { round, type Benchmark } from './harness.js';
import { RawSink, rawStreamRate } from './fixtures/raw-stream.js';

const SIZE = PRODUCTION_GEOMETRY.packetLength;
const FRAMES = 10_000;
const ROUNDS = 5;

interface Pair {
  a: Host;
  b: Host;
  sender: PacketLink;
  receiver: PacketLink;
  linkFrames: number;
  raw: RawSink;
  wake?: () => void;
}

async function setup(): Promise<Pair> {
  const listen = ['/ip4/127.0.0.1/tcp/0'];
  const a = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen });
  const b = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen });
  const pair = {} as Pair;
  pair.a = a;
  pair.b = b;
  pair.linkFrames = 0;
  pair.sender = new PacketLink({ host: a, logger: silentLogger }, { packetLength: SIZE, onFrame: () => undefined, queueCapacity: 1024 });
  pair.receiver = new PacketLink(
    { host: b, logger: silentLogger },
    {
      packetLength: SIZE,
      onFrame: () => {
        pair.linkFrames++;
        pair.wake?.();
      },
    },
  );
  await pair.sender.start();
  await pair.receiver.start();
  pair.raw = await RawSink.serve(b);
  return pair;
}

function waitFor(pair: Pair, cond: () => boolean): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve) => {
    pair.wake = () => {
      if (cond()) {
        pair.wake = undefined;
        resolve();
      }
    };
  });
}

/** Frames/s through PacketLink; the producer tops the queue up as it drains. */
async function linkRound(pair: Pair, frame: Uint8Array): Promise<number> {
  const peer = pair.b.peerId;
  const addrs = pair.b.getMultiaddrs();
  const target = pair.linkFrames + FRAMES;
  const t0 = process.hrtime.bigint();
  let queued = 0;
  while (queued < FRAMES) {
    if (pair.sender.queueDepth(peer) >= 1000) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    pair.sender.send(peer, addrs, frame);
    queued++;
  }
  await waitFor(pair, () => pair.linkFrames >= target);
  return FRAMES / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export const benchmarks: Benchmark[] = [
  {
    name: 'net.stream',
    description: `frames/s of ${SIZE}-byte frames between two local hosts: a raw libp2p stream, PacketLink, and the ratio packet-link/raw`,
    async run() {
      const pair = await setup();
      try {
        const frame = new Uint8Array(SIZE).fill(0x5a);
        // Warm-up: connection, stream negotiation, JIT.
        await rawStreamRate(pair.a, pair.raw, frame, FRAMES);
        await linkRound(pair, frame);
        const raw: number[] = [];
        const link: number[] = [];
        const ratios: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          const x = await rawStreamRate(pair.a, pair.raw, frame, FRAMES);
          const y = await linkRound(pair, frame);
          raw.push(x);
          link.push(y);
          ratios.push(y / x);
        }
        const st = pair.sender.stats();
        const drops = Object.values(st.drops).reduce((a, b) => a + b, 0) + Object.values(pair.receiver.stats().drops).reduce((a, b) => a + b, 0);
        return {
          packetBytes: SIZE,
          framesPerRound: FRAMES,
          rounds: ROUNDS,
          rawFramesPerSecond: Math.round(median(raw)),
          linkFramesPerSecond: Math.round(median(link)),
          rawMiBPerSecond: round((median(raw) * SIZE) / 2 ** 20, 1),
          ratio: round(median(ratios)),
          linkStreamsOpened: st.streamsOpened,
          drops,
        };
      } finally {
        await pair.sender.stop();
        await pair.receiver.stop();
        await pair.a.stop();
        await pair.b.stop();
      }
    },
  },
];

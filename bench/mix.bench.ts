// Mix throughput: packets/s through ONE mix with zero delay on 127.0.0.1 at
// the production geometry. A sender host → the mix (a real MixService with a
// real LevelDB replay cache in a temporary folder) → a sink host that counts
// frames. Two such mixes run, one with 1 unwrap worker thread and one with N
// (every core but one, at least 2), and are measured in alternating rounds.
// Measured in the same run, in alternating rounds so machine drift cancels:
//   - raw libp2p stream throughput of the same frame size between two hosts
//     of this process (as bench/net.bench.ts measures it), and
//   - the single-core Sphinx unwrap rate (unwrap in a tight loop).
// ratio = mix / min(raw, unwrap): the mix can go no faster than either its
// transport or its crypto; 1 would mean it hides one behind the other.
//
// Each mix runs in a child process (bench/fixtures/mix-child.ts). On this
// 2-core machine the sender and the sink (both in this process) would
// otherwise share the mix's core and event loop, and the figure would be the
// throughput of "send + mix + receive" on one core, not of a mix. Here the
// mix has one core to itself, as a relay has in production, while this
// process does the work of both ends — the same work as the raw-stream
// baseline, which is measured between two hosts of this one process.
// LevelDB's write thread (libuv pool) still competes with the mix for cores,
// as it does in a deployed node.
//
// The sender keeps at most WINDOW packets in flight (sent but not yet at the
// sink): below the mix's link queue, so a packet can only be dropped for a
// real fault. Every packet is distinct (a fresh Sphinx packet each), so the
// replay cache lets all through. Packets are built before timing, half here
// and half in the child while it waits (Sphinx creation is a client cost).

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { Host } from '../runtime/net/host.js';
import { PacketLink } from '../node/net/packet-link.js';
import { silentLogger } from '../runtime/log/logger.js';
import { X25519PrivateKey } from '../protocol/crypto/x25519.js';
import type { NodeEntry } from '../protocol/pki/document.js';
import { delay, newPacket, recipient, unwrap } from '../protocol/sphinx/index.js';
import { documentOf, entryOf, geometry, newHost, quietly, total } from './fixtures/mixnet.js';
import { RawSink, rawStreamRate } from './fixtures/raw-stream.js';
import type { FromChild, MixChildStats, ToChild } from './fixtures/mix-child.js';
import { median } from '../protocol/stats/quantile.js';
import { defaultUnwrapWorkers } from '../node/config.js';
import { round, timeUs, type Benchmark } from './harness.js';
import { p, packetsFor, poolRound, startPool, type PoolRound } from './fixtures/unwrap-pool-rounds.js';

const SIZE = geometry.packetLength;
const ROUNDS = 5;
const PER_ROUND = 2000;
const WARMUP = 1000;
const RAW_FRAMES = 5000;
const WINDOW = 1000;
/** Loopix (Piotrowska et al., 2017) reported about 300 packets/s per relay. */
const LOOPIX_PER_SECOND = 300;
/** The mix.throughput comparison: 1 worker against every core but one (at least 2, so a 2-core machine still compares two settings). */
const WORKERS_N = Math.max(2, defaultUnwrapWorkers());
const POOL_PACKETS = 1500;
const POOL_ROUNDS = 7;
/** Packets in flight per worker in mix.unwrapPool: enough to keep a worker busy between batches. */
const POOL_IN_FLIGHT = 16;
const CHILD = fileURLToPath(new URL('./fixtures/mix-child.ts', import.meta.url));

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** The two ends in this process: sender link, sink link counting frames, and a raw-stream sink. */
class Ends {
  sinkFrames = 0;
  lastArrival = 0;
  /** The arrival time of frame number markAt (the start of a round's timed part). */
  markAt = -1;
  markTime = 0;
  raw: RawSink | null = null;
  wake?: () => void;
  readonly senderLink: PacketLink;
  readonly sinkLink: PacketLink;
  constructor(
    readonly sender: Host,
    readonly sink: Host,
  ) {
    this.senderLink = new PacketLink({ host: sender, logger: silentLogger }, { packetLength: SIZE, onFrame: () => undefined, queueCapacity: 4096 });
    this.sinkLink = new PacketLink(
      { host: sink, logger: silentLogger },
      {
        packetLength: SIZE,
        onFrame: () => {
          this.sinkFrames++;
          this.lastArrival = now();
          if (this.sinkFrames === this.markAt) this.markTime = this.lastArrival;
          this.wake?.();
        },
      },
    );
  }

  async start(): Promise<void> {
    await this.senderLink.start();
    await this.sinkLink.start();
    this.raw = await RawSink.serve(this.sink);
  }

  /** Resolves true once `cond` holds (checked on every arrival), false after `ms`. */
  waitFor(cond: () => boolean, ms = 15_000): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, ms);
      this.wake = () => {
        if (cond()) {
          clearTimeout(timer);
          this.wake = undefined;
          resolve(true);
        }
      };
    });
  }

  /** Frames/s through one raw stream between the same two hosts (the baseline). */
  rawRound(frames: number): Promise<number> {
    return rawStreamRate(this.sender, this.raw!, new Uint8Array(SIZE).fill(0x5a), frames);
  }

  /**
   * Packets/s through the mix: `packets` sent with at most WINDOW in flight;
   * the rate is taken from the 10% arrival on, so connection ramp-up and the
   * first unwraps' JIT do not count. Returns null if packets went missing.
   */
  async mixRound(mix: NodeEntry, packets: Uint8Array[]): Promise<{ perSecond: number; lost: number }> {
    const peer = peerIdFromPublicKey(publicKeyFromRaw(mix.identityKey));
    const base = this.sinkFrames;
    const n = packets.length;
    const skip = Math.floor(n / 10);
    const arrived = (): number => this.sinkFrames - base;
    this.markAt = base + skip;
    this.markTime = 0;
    let sent = 0;
    let refused = 0;
    while (sent < n) {
      if (sent - arrived() >= WINDOW) await this.waitFor(() => sent - arrived() <= WINDOW / 2);
      if (!this.senderLink.send(peer, mix.addresses, packets[sent++])) refused++;
    }
    await this.waitFor(() => arrived() >= n - refused, 10_000);
    const got = arrived();
    const perSecond = this.markTime > 0 && got > skip ? (got - skip) / (this.lastArrival - this.markTime) : 0;
    return { perSecond, lost: n - got };
  }

  async stop(): Promise<void> {
    await quietly(() => this.senderLink.stop());
    await quietly(() => this.sinkLink.stop());
    await quietly(() => this.sender.stop());
    await quietly(() => this.sink.stop());
  }
}

/** The next message of `type` from the child; rejects if it exits first. */
function next<T extends FromChild['type']>(child: ChildProcess, type: T, ms = 60_000): Promise<Extract<FromChild, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if ((m as FromChild).type !== type) return;
      done();
      resolve(m as Extract<FromChild, { type: T }>);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`mix child exited (${code}) before '${type}'`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`mix child: no '${type}' within ${ms} ms`));
    }, ms);
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function childCpuUs(child: ChildProcess): Promise<number> {
  const reply = next(child, 'stats');
  tell(child, { type: 'stats' });
  return (await reply).stats.cpuUs;
}

const tell = (child: ChildProcess, m: ToChild): void => void child.send(m);

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** µs per unwrap on this core (packets for a local key; unwrap does not check replays, so 32 can cycle). */
function unwrapTimer(): () => number {
  const key = X25519PrivateKey.generate();
  const path = [
    { id: new Uint8Array(32).fill(1), publicKey: key.publicKey, commands: [delay(0)] },
    { id: new Uint8Array(32).fill(2), publicKey: X25519PrivateKey.generate().publicKey, commands: [recipient(new Uint8Array(32))] },
  ];
  const payload = new Uint8Array(geometry.forwardPayloadLength);
  const packets = Array.from({ length: 32 }, () => newPacket(geometry, path, payload));
  let i = 0;
  return () => timeUs(() => void unwrap(geometry, key, packets[i++ & 31]), { batches: 5, batchMs: 80, warmupMs: 50 });
}

export const benchmarks: Benchmark[] = [
  {
    name: 'mix.throughput',
    description: `packets/s of ${SIZE}-byte Sphinx packets through one mix (own process, zero delay, LevelDB replay cache) on loopback with 1 and with N unwrap workers, against raw libp2p stream frames/s and single-core unwraps/s`,
    async run() {
      const ends = new Ends(await newHost(), await newHost());
      const configs = [1, WORKERS_N];
      const children: ChildProcess[] = [];
      try {
        await ends.start();
        for (const w of configs) children.push(fork(CHILD, [String(w)], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
        const mixes = (await Promise.all(children.map((c) => next(c, 'hello')))).map((h) => h.entry);
        const senderEntry = entryOf(ends.sender, 'sender');
        const sinkEntry = entryOf(ends.sink, 'sink');
        const document = documentOf([senderEntry, sinkEntry], [mixes]);

        // Build the packets, half here and half in each child, in parallel.
        const perMix = WARMUP + ROUNDS * PER_ROUND;
        const theirs = Math.floor(perMix / 2);
        const started = children.map((c) => next(c, 'started', 120_000));
        for (const c of children) tell(c, { type: 'start', document, build: theirs, sink: sinkEntry });
        const payload = new Uint8Array(geometry.forwardPayloadLength);
        const packets = mixes.map((mix) => {
          const path = [
            { id: mix.nodeId, publicKey: mix.sphinxKeys.current, commands: [delay(0)] },
            { id: sinkEntry.nodeId, publicKey: sinkEntry.sphinxKeys.current, commands: [recipient(new Uint8Array(32))] },
          ];
          return Array.from({ length: perMix - theirs }, () => newPacket(geometry, path, payload));
        });
        for (let i = 0; i < children.length; i++) packets[i].push(...(await started[i]).packets);
        const unwrapUs = unwrapTimer();

        // Warm-up: connections, stream negotiation, JIT on every side.
        const at = configs.map(() => 0);
        const take = (i: number, k: number): Uint8Array[] => packets[i].slice(at[i], (at[i] += k));
        await ends.rawRound(1000);
        let lost = 0;
        for (let i = 0; i < mixes.length; i++) lost += (await ends.mixRound(mixes[i], take(i, WARMUP))).lost;
        unwrapUs();

        const cpuBefore = await Promise.all(children.map((c) => childCpuUs(c)));
        const rates: number[][] = configs.map(() => []);
        const ratios: number[][] = configs.map(() => []);
        const speedups: number[] = [];
        const raw: number[] = [];
        const unwraps: number[] = [];
        let parentCpuUs = 0;
        let mixSeconds = 0;
        for (let r = 0; r < ROUNDS; r++) {
          const y = await ends.rawRound(RAW_FRAMES);
          const z = 1e6 / unwrapUs();
          raw.push(y);
          unwraps.push(z);
          for (let i = 0; i < mixes.length; i++) {
            const t0 = now();
            const c0 = process.cpuUsage();
            const x = await ends.mixRound(mixes[i], take(i, PER_ROUND));
            mixSeconds += now() - t0;
            parentCpuUs += (({ user, system }) => user + system)(process.cpuUsage(c0));
            lost += x.lost;
            rates[i].push(x.perSecond);
            ratios[i].push(x.perSecond / Math.min(y, z));
          }
          speedups.push(rates[1][r] / rates[0][r]);
        }

        const stats: MixChildStats[] = [];
        for (const c of children) {
          const reply = next(c, 'stats');
          tell(c, { type: 'stats' });
          stats.push((await reply).stats);
        }
        const nonZero = (rec: Record<string, number>) => Object.fromEntries(Object.entries(rec).filter(([, v]) => v > 0));
        const linkDrops = { sender: ends.senderLink.stats().drops, sink: ends.sinkLink.stats().drops };
        const drops = stats.reduce((n, st) => n + total(st.processorDrops) + total(st.linkDrops), total(linkDrops.sender) + total(linkDrops.sink));
        const perConfig = (i: number) => ({
          workers: configs[i],
          packetsPerSecond: Math.round(median(rates[i])),
          ratio: round(median(ratios[i])),
          vsLoopix: round(median(rates[i]) / LOOPIX_PER_SECOND, 1),
          // CPU µs per packet in the mix process, all its threads (≈ 1e6 / packetsPerSecond × busy cores).
          mixCpuUsPerPacket: round((stats[i].cpuUs - cpuBefore[i]) / (ROUNDS * PER_ROUND), 1),
          mixReceived: stats[i].received,
          mixForwarded: stats[i].forwarded,
          dropReasons: nonZero({ ...stats[i].processorDrops, ...stats[i].linkDrops }),
        });
        return {
          packetBytes: SIZE,
          hops: 1,
          delayMs: 0,
          packetsPerRound: PER_ROUND,
          rounds: ROUNDS,
          window: WINDOW,
          mixProcess: 'child',
          workers1: perConfig(0),
          workersN: perConfig(1),
          // Whole-mix rate with N workers over 1 worker, per round. On a 2-core machine the sender and sink
          // (this process) take one core, so N workers cannot show their scaling here: see mix.unwrapPool.
          speedupWorkers: round(median(speedups)),
          rawStreamPerSecond: Math.round(median(raw)),
          unwrapPerSecond: Math.round(median(unwraps)),
          ratioTarget: 0.7,
          vsLoopixTarget: 10,
          // The share of a core this process (sender + sink) used during the mix rounds.
          endsCpuShare: round(parentCpuUs / 1e6 / mixSeconds),
          sinkReceived: ends.sinkFrames,
          lost,
          drops,
          linkDropReasons: nonZero({ ...linkDrops.sender, ...linkDrops.sink }),
        };
      } finally {
        for (const child of children) {
          if (child.connected) {
            const stopped = next(child, 'stopped', 10_000).catch(() => undefined);
            tell(child, { type: 'stop' });
            await stopped;
          }
          if (!(await exited(child, 5_000))) {
            child.kill('SIGKILL');
            await exited(child, 2_000);
          }
        }
        await ends.stop();
      }
    },
  },
  {
    name: 'mix.unwrapPool',
    description: `packets/s and per-packet latency through the mix's own unwrap stage (worker threads) with 1 and with 2 workers, in alternating rounds; speedupWorkers = 2-worker / 1-worker rate`,
    async run() {
      const key = X25519PrivateKey.generate();
      const keys = [{ epoch: 0, key }];
      const packets = packetsFor(key, POOL_PACKETS);
      const inlineUs = unwrapTimer()();
      const one = await startPool(keys, 1);
      const two = await startPool(keys, 2);
      const unbatched = await startPool(keys, 1, 1);
      try {
        // Warm-up: worker start, JIT in the workers and here.
        for (const pool of [one, two, unbatched]) await poolRound(pool, packets.slice(0, 400), POOL_IN_FLIGHT);
        const ones: PoolRound[] = [];
        const twos: PoolRound[] = [];
        const ratios: number[] = [];
        const unbatchedRates: number[] = [];
        for (let r = 0; r < POOL_ROUNDS; r++) {
          const a = await poolRound(one, packets, POOL_IN_FLIGHT);
          const b = await poolRound(two, packets, POOL_IN_FLIGHT);
          ones.push(a);
          twos.push(b);
          ratios.push(b.perSecond / a.perSecond);
          if (r % 2 === 0) unbatchedRates.push((await poolRound(unbatched, packets, POOL_IN_FLIGHT)).perSecond);
        }
        const latency = (rounds: PoolRound[]) => {
          const all = rounds.flatMap((x) => x.latencyUs).sort((x, y) => x - y);
          return { p50: p(all, 0.5), p99: p(all, 0.99) };
        };
        const rate1 = median(ones.map((x) => x.perSecond));
        const rate1Unbatched = median(unbatchedRates);
        return {
          packetBytes: SIZE,
          packetsPerRound: POOL_PACKETS,
          rounds: POOL_ROUNDS,
          inFlightPerWorker: POOL_IN_FLIGHT,
          inlinePerSecond: Math.round(1e6 / inlineUs),
          workers1PerSecond: Math.round(rate1),
          workers2PerSecond: Math.round(median(twos.map((x) => x.perSecond))),
          speedupWorkers: round(median(ratios)),
          speedupTarget: 1.6,
          latencyUs: { workers1: latency(ones), workers2: latency(twos) },
          // The event loop's own cost per packet (the core a mix keeps for its links).
          loopUsPerPacket: { workers1: round(median(ones.map((x) => x.loopUsPerPacket)), 1), workers2: round(median(twos.map((x) => x.loopUsPerPacket)), 1) },
          // CPU µs per packet, all threads: equal for 1 and 2 workers means the work scales with free cores, whatever this run's load.
          cpuUsPerPacket: { workers1: round(median(ones.map((x) => x.cpuUsPerPacket)), 1), workers2: round(median(twos.map((x) => x.cpuUsPerPacket)), 1) },
          // One message per packet instead of batches (what a task-per-message pool does).
          workers1UnbatchedPerSecond: Math.round(rate1Unbatched),
          perMessageUs: round(1e6 / rate1Unbatched - 1e6 / rate1, 1),
          failed: [...ones, ...twos].reduce((n, x) => n + x.failed, 0),
        };
      } finally {
        await Promise.all([one.stop(), two.stop(), unbatched.stop()]);
      }
    },
  },
];

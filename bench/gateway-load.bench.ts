// gateway.load: one gateway serving many clients at the production rates
// (issue 14, "A gateway with a thousand clients"). Three kinds of process:
//
//   this process       the sink (a libp2p host whose PacketLink counts every
//                      packet the gateway forwards) and the orchestration;
//   gateway child      the gateway as node/daemon.ts builds it, with the
//                      production limits (bench/fixtures/gateway-load-gateway.ts);
//   client children    the clients, each a real client link with its own
//                      identity and connection, sending λP + λL + λD Sphinx
//                      packets a second (headers built before the run) and
//                      one signed fetch a second
//                      (bench/fixtures/gateway-load-clients.ts).
//
// Reported against what the rates predict for the same run (the baseline):
//   dropRate         1 − packets the sink received / packets the clients handed
//                    to their send streams (after the gateway's delay queue
//                    drained); target < 0.001;
//   fetch latency    p50, p99 (ms, request to decoded reply, at the client);
//   per client       the gateway process's CPU (ms of CPU per second) and
//                    memory (RSS with the clients connected, less the idle
//                    gateway's), application bytes up and down per day
//                    against the rates' prediction;
//   load             the machine's load average at start and end (the clients
//                    and the gateway share its cores).
//
// Sizes: quick by default (100 clients, 30 s) so `npm run bench` stays
// short; `--full` or CHAFF_GATEWAY_LOAD=full runs 1,000 clients for 300 s.
// CHAFF_GATEWAY_LOAD_CLIENTS, _SECONDS and _PROCESSES override each.
// Not modelled: packets arriving from the mixes for the clients' mailboxes
// (the gateway's exit role), so every fetch reply is all dummies; its size
// and encoding cost are those of a full one.

import { cpus, loadavg } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { PacketLink } from '../node/net/packet-link.js';
import { toHex } from '../protocol/bytes.js';
import { X25519PrivateKey } from '../protocol/crypto/x25519.js';
import { quantile } from '../protocol/stats/quantile.js';
import { FETCH_REQUEST_LENGTH, fetchMessageBodyLength, fetchReplyLength } from '../protocol/wire/fetch.js';
import { silentLogger } from '../runtime/log/logger.js';
import { networkDefaults } from './client.bench.js';
import { round, type Benchmark } from './harness.js';
import type { ClientsChildArgs, FromClientsChild } from './fixtures/gateway-load-clients.js';
import type { FromGatewayChild, GatewayChildArgs, GatewaySample } from './fixtures/gateway-load-gateway.js';
import { awaitMessage, forkChild, stopChild } from './fixtures/gateway-load-ipc.js';
import { entryOf, geometry, newHost, quietly } from './fixtures/mixnet.js';

const GATEWAY_CHILD = new URL('./fixtures/gateway-load-gateway.ts', import.meta.url);
const CLIENTS_CHILD = new URL('./fixtures/gateway-load-clients.ts', import.meta.url);
const FETCH_INTERVAL_MS = 1000;
const DAY_S = 86_400;

interface LoadSize {
  clients: number;
  durationS: number;
  processes: number;
}

function sizeOf(full: boolean): LoadSize {
  const env = process.env;
  const isFull = full || env.CHAFF_GATEWAY_LOAD === 'full';
  const int = (name: string, fallback: number): number => {
    const v = env[name];
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    return n;
  };
  return {
    clients: int('CHAFF_GATEWAY_LOAD_CLIENTS', isFull ? 1000 : 100),
    durationS: int('CHAFF_GATEWAY_LOAD_SECONDS', isFull ? 300 : 30),
    processes: int('CHAFF_GATEWAY_LOAD_PROCESSES', 2),
  };
}

async function sampleOf(gateway: ChildProcess): Promise<GatewaySample> {
  const reply = awaitMessage<FromGatewayChild, 'sample'>(gateway, 'sample', 30_000, 'gateway child');
  gateway.send({ type: 'sample' });
  return (await reply).sample;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const total = (r: Record<string, number>): number => sum(Object.values(r));
const nonZero = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).filter(([, v]) => v > 0));

async function gatewayLoad(full: boolean): Promise<Record<string, unknown>> {
  const size = sizeOf(full);
  const rates = networkDefaults();
  const packetRate = rates.lambdaP + rates.lambdaL + rates.lambdaD;
  const loadStart = loadavg();

  const sinkHost = await newHost();
  let sinkReceived = 0;
  const sinkLink = new PacketLink({ host: sinkHost, logger: silentLogger }, { packetLength: geometry.packetLength, onFrame: () => void sinkReceived++ });
  const sinkKey = X25519PrivateKey.generate();
  const sinkEntry = entryOf(sinkHost, 'sink', sinkKey.publicKey);
  const children: ChildProcess[] = [];
  try {
    await sinkLink.start();
    const gatewayArgs: GatewayChildArgs = {
      sink: { peerId: sinkHost.peerId.toString(), addrs: sinkHost.getMultiaddrs().map(String), nodeId: toHex(sinkEntry.nodeId) },
      ...rates,
    };
    const gateway = forkChild(GATEWAY_CHILD, gatewayArgs);
    children.push(gateway);
    const { entry: gatewayEntry } = await awaitMessage<FromGatewayChild, 'hello'>(gateway, 'hello', 60_000, 'gateway child');
    const idle = await sampleOf(gateway);

    const clientChildren = Array.from({ length: size.processes }, (_, i) => {
      const share = Math.floor(size.clients / size.processes) + (i < size.clients % size.processes ? 1 : 0);
      const args: ClientsChildArgs = {
        gateway: gatewayEntry,
        sink: { nodeId: toHex(sinkEntry.nodeId), sphinxPublic: toHex(sinkKey.publicKey) },
        clients: share,
        packetRate,
        mu: rates.mu,
        fetchIntervalMs: FETCH_INTERVAL_MS,
        durationMs: size.durationS * 1000,
      };
      const child = forkChild(CLIENTS_CHILD, args);
      children.push(child);
      return child;
    });
    const connectStart = performance.now();
    // Generous: on this 2-core machine, shared, 1,000 clients took 400 s to connect and their
    // 440,000 headers more than 800 s to build (load 15–30): a second per client, 4 ms per header.
    const readyMs = 60_000 + size.clients * 1000 + size.clients * packetRate * size.durationS * 4;
    await Promise.all(clientChildren.map((c, i) => awaitMessage<FromClientsChild, 'ready'>(c, 'ready', readyMs, `clients child ${i}`)));
    const connectS = (performance.now() - connectStart) / 1000;

    const before = await sampleOf(gateway);
    const t0 = performance.now();
    const results = Promise.all(clientChildren.map((c, i) => awaitMessage<FromClientsChild, 'done'>(c, 'done', size.durationS * 1000 + 120_000, `clients child ${i}`)));
    for (const c of clientChildren) c.send({ type: 'go', durationMs: size.durationS * 1000 });
    const done = (await results).map((m) => m.result);
    const after = await sampleOf(gateway);
    const elapsedS = (performance.now() - t0) / 1000;
    const loadEnd = loadavg();

    // Let what is still on its way drain: the clients' send buffers, the gateway's
    // queues (the longest delay is ~10 s) and its link to the sink. Done when the
    // gateway holds nothing and the sink's count has not moved for 2 s (at most 60 s).
    let drained = after;
    let lastCount = -1;
    let stableMs = 0;
    for (let waited = 0; waited < 60_000 && stableMs < 2000; waited += 500) {
      await new Promise((r) => setTimeout(r, 500));
      drained = await sampleOf(gateway);
      const idle = drained.stats.mix.delayDepth === 0 && drained.stats.mix.inputDepth === 0;
      stableMs = idle && sinkReceived === lastCount ? stableMs + 500 : 0;
      lastCount = sinkReceived;
    }

    const clients = sum(done.map((r) => r.clients));
    const sent = sum(done.map((r) => r.sent));
    // The streams ran for durationS; the children answered once their last fetches had (elapsedMs).
    const runS = size.durationS;
    const latencies = done.flatMap((r) => Array.from(r.fetchLatencyMs)).sort((a, b) => a - b);
    const fetches = sum(done.map((r) => r.fetches));
    const fetchFailures = sum(done.map((r) => r.fetchFailures));
    const gatewayCpuS = (after.cpuUs - before.cpuUs) / 1e6;
    const replyBytes = fetchReplyLength({ messages: rates.fetchBatch, acks: rates.fetchAckBatch }, fetchMessageBodyLength(geometry));
    const upPerClientS = sum(done.map((r) => r.bytesSent)) / clients / runS;
    const downPerClientS = sum(done.map((r) => r.bytesReceived)) / clients / runS;
    const theoryUp = packetRate * geometry.packetLength + (1000 / FETCH_INTERVAL_MS) * FETCH_REQUEST_LENGTH;
    const theoryDown = (1000 / FETCH_INTERVAL_MS) * replyBytes;
    const s = drained.stats;
    return {
      clients,
      durationS: runS,
      // From 'go' until every client process reported (the last fetches answered or timed out).
      elapsedS: round(elapsedS, 1),
      rates: { ...rates, packetsPerClientPerS: packetRate, fetchesPerClientPerS: 1000 / FETCH_INTERVAL_MS },
      processes: { clients: size.processes, gateway: 1 },
      // Registration, connection and building the headers ahead, all processes in parallel.
      setupS: round(connectS, 1),
      headers: { builtAhead: sum(done.map((r) => r.builtAhead)), builtLive: sum(done.map((r) => r.builtLive)), buildS: round(Math.max(...done.map((r) => r.buildS)), 1) },
      packetsPerS: round(sent / runS, 1),
      theoryPacketsPerS: round(clients * packetRate, 1),
      sent,
      sinkReceived,
      dropRate: sent === 0 ? null : round(Math.max(0, sent - sinkReceived) / sent, 5),
      sendFailures: sum(done.map((r) => r.sendFailures)),
      gatewayDrops: { entry: nonZero(s.entry.drops), mix: nonZero(s.mix.drops as Record<string, number>), link: nonZero(s.linkDrops), fetch: nonZero(s.fetch.drops) },
      gatewayDropsTotal: total(s.entry.drops) + total(s.mix.drops as Record<string, number>) + total(s.linkDrops),
      fetch: {
        count: fetches,
        failures: fetchFailures,
        failureRate: fetches === 0 ? null : round(fetchFailures / fetches, 5),
        p50Ms: latencies.length ? round(quantile(latencies, 0.5), 1) : null,
        p99Ms: latencies.length ? round(quantile(latencies, 0.99), 1) : null,
        maxMs: latencies.length ? round(latencies[latencies.length - 1], 1) : null,
        replyBytes,
      },
      gateway: {
        cpuCores: round(gatewayCpuS / elapsedS, 3),
        cpuMsPerClientPerS: round((gatewayCpuS * 1000) / elapsedS / clients, 3),
        rssMB: round(after.rssBytes / 2 ** 20, 1),
        idleRssMB: round(idle.rssBytes / 2 ** 20, 1),
        memoryPerClientKB: round((after.rssBytes - idle.rssBytes) / 1024 / clients, 1),
        heapPerClientKB: round((after.heapUsedBytes - idle.heapUsedBytes) / 1024 / clients, 1),
        registeredClients: s.registeredClients,
      },
      clientProcessesCpuCores: round(sum(done.map((r) => r.cpuUs)) / 1e6 / runS, 3),
      perClientPerDay: {
        upMB: round((upPerClientS * DAY_S) / 1e6, 1),
        downMB: round((downPerClientS * DAY_S) / 1e6, 1),
        theoryUpMB: round((theoryUp * DAY_S) / 1e6, 1),
        theoryDownMB: round((theoryDown * DAY_S) / 1e6, 1),
        upRatio: round(upPerClientS / theoryUp, 3),
        downRatio: round(downPerClientS / theoryDown, 3),
      },
      load: { start: loadStart.map((x) => round(x, 2)), end: loadEnd.map((x) => round(x, 2)), cores: cpus().length },
    };
  } finally {
    await Promise.all(children.map((c) => stopChild(c, 60_000).catch(() => undefined)));
    await quietly(() => sinkLink.stop());
    await quietly(() => sinkHost.stop());
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'gateway.load',
    description:
      'one gateway (own process, production limits) serving clients from other processes at λP + λL + λD packets/s and one signed fetch/s each over real libp2p connections: drop rate, fetch latency, CPU, memory and bytes per client against the rates (quick: 100 clients, 30 s; --full or CHAFF_GATEWAY_LOAD=full: 1,000 clients, 300 s)',
    // `options` is BenchOptions where the harness passes it (npm run bench -- --full).
    async run(options?: { full?: boolean }) {
      return gatewayLoad(options?.full === true);
    },
  },
];

// `chaff testnet` (npm start): a whole network on 127.0.0.1, each node its
// own process: 3 authorities, 3 layers × 2 mixes, 2 gateways. Waits for a
// threshold-signed document, prints the topology, then sends numbered probe
// packets from a client at gateway A to a client at gateway B and reports
// what the network routed, dropped and delivered. Run again on the same
// folder, it resumes that network (testnet-folder.ts). docs/testnet.md.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromHex, toHex } from '../protocol/bytes.js';
import { nodeIdOf } from '../protocol/pki/node-id.js';
import { epochAt } from '../protocol/pki/epoch.js';
import { sortedQuantile } from '../protocol/stats/quantile.js';
import { Topology } from '../protocol/pki/routes.js';
import { geometryFromUserForwardPayloadLength } from '../protocol/sphinx/geometry.js';
import { PoissonSchedule } from '../protocol/traffic/exponential.js';
import { cryptoUniform } from '../protocol/crypto/random.js';
import { authorityPeers } from '../runtime/pki/authority-peers.js';
import { PkiClient, type VerifiedDocument } from '../runtime/pki/pki-client.js';
import { createHost } from '../runtime/net/host.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Document, NodeEntry } from '../protocol/pki/document.js';
import { DEFAULT_SHAPE, type PlannedNode, type TestnetPlan } from './plan.js';
import { PLAN_FILE } from './plan-file.js';
import { FolderLock } from './folder-lock.js';
import { openTestnet } from './testnet-folder.js';
import { ProbeClient, type FetchedMessage } from './probe-client.js';
import { ChatClient, ChatLedger, retransmissionsOf, type ChatSummary } from './chat-clients.js';
import { chaffEntry } from './chaff-entry.js';

export interface TestnetOptions {
  dir?: string;
  /** Seconds of traffic; undefined = until SIGINT/SIGTERM. */
  durationS?: number;
  json: boolean;
  out: (line: string) => void;
  /** Trace mode: gateways and clients write observer traces and ground truth into this folder. */
  traceDir?: string;
  /** Remove the network in `dir`, if any, and create a new one (testnet-folder.ts). */
  fresh?: boolean;
}

export interface TestnetSummary {
  dataDir: string;
  /** Whether this run resumed the network already in dataDir (testnet.json) rather than creating one. */
  resumed: boolean;
  epoch: number;
  sent: number;
  delivered: number;
  lost: number;
  routed: number;
  dropped: Record<string, number>;
  latencyMs: { mean: number; p50: number; p99: number } | null;
  meanHopLatencyMs: number | null;
  mixLoops: { sent: number; returned: number };
  /** The chat between the two client daemons, alice and bob. */
  messages: ChatSummary;
}

/** alice writes to bob this often; bob answers every third message. */
const CHAT_INTERVAL_MS = 2000;

function startNode(plan: TestnetPlan, node: PlannedNode, traceDir?: string): ChildProcess {
  // Appended: a resumed network's logs follow those of its earlier runs.
  const log = createWriteStream(join(plan.dir, `${node.name}.log`), { flags: 'a' });
  const trace = traceDir && node.role === 'gateway' ? ['--trace', join(traceDir, `observer-${node.name}.jsonl`)] : [];
  // Detached: a Ctrl-C in the terminal reaches only the testnet, which then
  // reads every node's metrics and stops the nodes itself (SIGTERM).
  const child = spawn(process.execPath, [chaffEntry(), 'node', '--config', node.configPath, ...trace], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

/**
 * Waits until every node answers on its metrics port (a node serves metrics
 * once all its services run), until `deadline` or `give()`; returns the names
 * of the nodes still not answering.
 */
async function waitForNodes(plan: TestnetPlan, deadline: number, give: () => boolean): Promise<string[]> {
  let waiting = plan.nodes;
  for (;;) {
    const up = await Promise.all(
      waiting.map((n) =>
        fetch(`http://127.0.0.1:${n.metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) })
          .then(async (res) => {
            await res.arrayBuffer();
            return res.ok;
          })
          .catch(() => false),
      ),
    );
    waiting = waiting.filter((_, i) => !up[i]);
    if (waiting.length === 0 || give() || Date.now() > deadline) return waiting.map((n) => n.name);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sums a metric over every node's /metrics text, by label value. */
async function scrape(plan: TestnetPlan): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  await Promise.all(
    plan.nodes.map(async (n) => {
      try {
        const res = await fetch(`http://127.0.0.1:${n.metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
        texts.set(n.name, await res.text());
      } catch {
        texts.set(n.name, '');
      }
    }),
  );
  return texts;
}

function sumMetric(texts: Map<string, string>, name: string, nodes?: (node: string) => boolean): { total: number; byLabel: Record<string, number> } {
  const byLabel: Record<string, number> = {};
  let total = 0;
  const re = new RegExp(`^${name}(?:\\{[a-z]+="([^"]*)"\\})? ([0-9.e+-]+)$`, 'gm');
  for (const [node, text] of texts) {
    if (nodes && !nodes(node)) continue;
    for (const m of text.matchAll(re)) {
      const v = Number(m[2]);
      total += v;
      if (m[1] !== undefined) byLabel[m[1]] = (byLabel[m[1]] ?? 0) + v;
    }
  }
  return { total, byLabel };
}

export async function runTestnet(options: TestnetOptions): Promise<TestnetSummary> {
  // Absolute: node configs name their data folders, and a leftover node is recognised by its config path.
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'chaff-testnet-')));
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`--dir ${dir} is a file, not a folder`);
  mkdirSync(dir, { recursive: true });
  const lock = FolderLock.acquire(dir);
  const releaseLock = (): void => lock.release();
  process.once('exit', releaseLock);
  try {
    return await runIn(dir, options);
  } finally {
    process.off('exit', releaseLock);
    lock.release();
  }
}

/** Runs the network in `dir` (whose lock the caller holds). */
async function runIn(dir: string, options: TestnetOptions): Promise<TestnetSummary> {
  const out = options.out;
  const startedMs = Date.now();
  // A new network's genesis is now: descriptors for epoch 1 are uploaded
  // during epoch 0 and the first document is for epoch 1. A resumed one
  // keeps its genesis, and its epochs went on while it was down.
  const { plan, resumed, notes } = await openTestnet(dir, { shape: DEFAULT_SHAPE, nowMs: startedMs, fresh: options.fresh === true });
  const { shape, genesisMs } = plan;
  for (const note of notes) out(note);
  if (resumed) {
    const epoch = epochAt(startedMs, { genesisMs, epochDurationMs: shape.epochDurationMs });
    out(`resuming the network in ${dir} (${PLAN_FILE}): genesis ${new Date(genesisMs).toISOString()}, now epoch ${epoch}; the same keys and ports, so profiles made from its network.toml work again`);
  } else {
    out(`data folder: ${dir} (configs, node folders and one log per node; \`chaff testnet --dir ${dir}\` starts this network again)`);
  }
  out(
    `starting ${plan.nodes.length} nodes: ${shape.authorities} authorities, ${shape.layers} layers × ${shape.mixesPerLayer} mixes, ${shape.gateways} gateways; epochs of ${shape.epochDurationMs / 1000} s`,
  );
  if (options.traceDir) {
    mkdirSync(options.traceDir, { recursive: true });
    out(`trace mode: observer traces and ground truth go to ${options.traceDir} (for chaff sim attack)`);
  }
  const children = plan.nodes.map((n) => ({ node: n, child: startNode(plan, n, options.traceDir) }));
  const exited: string[] = [];
  for (const { node, child } of children) child.on('exit', (code, signal) => exited.push(`${node.name} (${signal ?? code})`));
  // Should the testnet itself die, it takes its nodes with it.
  const killAll = (): void => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const c of chatters) c.kill();
  };
  process.once('exit', killAll);

  const watchHost = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [] });
  const pki = new PkiClient(
    { host: watchHost },
    { authorities: authorityPeers(plan.nodes.filter((n) => n.role === 'authority').map((a) => ({ name: a.name, identity: a.identityKey, addresses: [`/ip4/127.0.0.1/tcp/${a.port}`] }))) },
  );
  await pki.start();
  const clients: ProbeClient[] = [];
  const chatters: ChatClient[] = [];
  let stopping = false;
  const onSignal = (): void => {
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The testnet's own first two gateways (gateway-a, gateway-b), by node id: a document lists gateways
  // in its own order, and alice and bob must find the gateways of their profiles at every run.
  const ownGateways = plan.nodes.filter((n) => n.role === 'gateway').map((n) => toHex(nodeIdOf(fromHex(n.identityKey))));
  const gatewaysOf = (d: Document): NodeEntry[] => ownGateways.slice(0, 2).flatMap((id) => d.gateways.filter((g) => toHex(g.nodeId) === id));

  try {
    // 1. Wait for a threshold-signed document for the current epoch.
    let topology: Topology | null = null;
    // A resumed network publishes its first document one or two epochs after its nodes start (the round for
    // epoch E + 1 runs during E; a round whose signing point has passed is skipped).
    const deadline = Date.now() + 4 * shape.epochDurationMs + 10_000;
    while (!topology && !stopping) {
      if (exited.length) throw new Error(`nodes exited: ${exited.join(', ')} (see their logs in ${dir})`);
      if (Date.now() > deadline) throw new Error(`no valid document after ${(deadline - startedMs) / 1000} s (see the logs in ${dir})`);
      const epoch = Date.now() >= genesisMs ? epochAt(Date.now(), { genesisMs, epochDurationMs: shape.epochDurationMs }) : 0;
      try {
        const v = await pki.fetchDocument(epoch);
        if (v.document.layers.every((l) => l.length > 0) && gatewaysOf(v.document).length === 2) topology = new Topology(v.document);
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (!topology) throw new Error('stopped before the network was up');
    // A resumed network's authorities serve the documents they stored at once, before the relays
    // listen again: traffic starts once every node serves its metrics (the last step of its start).
    const waiting = await waitForNodes(plan, deadline, () => stopping || exited.length > 0);
    if (waiting.length > 0 && !stopping)
      throw new Error(exited.length ? `nodes exited: ${exited.join(', ')}` : `nodes not up after ${(deadline - startedMs) / 1000} s: ${waiting.join(', ')} (see their logs in ${dir})`);
    if (stopping) throw new Error('stopped before the network was up');
    const doc = topology.document;
    out(`document for epoch ${doc.epoch}: signed by a majority of the authorities`);
    out(`  gateways: ${doc.gateways.map((g) => g.name).join(', ')}`);
    doc.layers.forEach((l, i) => out(`  layer ${i + 1}:  ${l.map((m) => m.name).join(', ')}`));
    out(
      `  parameters: mean hop delay ${(1000 / doc.params.mu).toFixed(0)} ms, λP ${doc.params.lambdaP}/s, λM ${doc.params.lambdaM}/s, packets of ${geometryFromUserForwardPayloadLength(doc.params.geometry).packetLength} B`,
    );

    // 2. Traffic: probes from a client at gateway A to a client at gateway B.
    const [gwA, gwB] = gatewaysOf(doc);
    const alice = await ProbeClient.create();
    const bob = await ProbeClient.create();
    clients.push(alice, bob);
    await alice.register(gwA, topology);
    await bob.register(gwB, topology);
    out(`traffic: probes from a client at ${gwA.name} to a client at ${gwB.name}, Poisson at ${doc.params.lambdaP}/s${options.durationS ? ` for ${options.durationS} s` : ' (Ctrl-C to stop)'}`);

    // Chat: two client daemons with cover traffic, alice at gateway A and bob at B.
    // Profiles an earlier run made are started again (their mailboxes wait at their gateways), never made anew.
    const reused = ChatClient.exists(dir, 'alice') && ChatClient.exists(dir, 'bob');
    out(`chat: starting the client daemons alice (at ${gwA.name}) and bob (at ${gwB.name})${reused ? ', from their profiles of an earlier run' : ''}`);
    const fetchIntervalMs = 250;
    const chatClient = (name: string, gateway: NodeEntry): Promise<ChatClient> => {
      const tracePath = options.traceDir ? { tracePath: join(options.traceDir, `truth-${name}.jsonl`) } : {};
      if (ChatClient.exists(dir, name)) return ChatClient.open({ dir, name, ...tracePath });
      return ChatClient.create({ dir, name, networkFile: plan.networkFile, gateway: toHex(gateway.nodeId), fetchIntervalMs, ...tracePath });
    };
    const started = await Promise.allSettled([chatClient('alice', gwA), chatClient('bob', gwB)]);
    for (const s of started) if (s.status === 'fulfilled') chatters.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [chatA, chatB] = chatters;
    await chatA.ensureContact('bob', chatB.address);
    await chatB.ensureContact('alice', chatA.address);
    const ledger: ChatLedger = new ChatLedger((d) => {
      if (!options.json) out(`  ${d.from} → ${d.to}: "${d.text}" delivered in ${d.latencyMs.toFixed(0)} ms`);
      // bob answers every third message he receives.
      const n = /message (\d+) from alice/.exec(d.text);
      if (d.to === 'bob' && n && Number(n[1]) % 3 === 0 && !stopping) {
        void ledger.send(chatB, 'alice', `thanks alice, got ${n[1]}`).catch((err) => out(`  bob could not send: ${(err as Error).message}`));
      }
    });
    ledger.watch(chatA);
    ledger.watch(chatB);
    out(
      `chat: alice writes to bob every ${CHAT_INTERVAL_MS / 1000} s and bob answers every third message, each with cover traffic at λP ${doc.params.lambdaP}/s, λL ${doc.params.lambdaL}/s, λD ${doc.params.lambdaD}/s`,
    );
    let chatCount = 0;
    let nextChat = Date.now();

    const delivered = new Map<number, FetchedMessage>();
    const acks: bigint[] = [];
    // One fetch at bob's gateway, acknowledging what the previous one returned.
    const fetchAtB = async (): Promise<FetchedMessage[]> => {
      // By node id, never by name: names are labels, not unique (docs/pki.md §Names).
      const gB = topology!.document.gateways.find((g) => toHex(g.nodeId) === toHex(gwB.nodeId)) ?? gwB;
      const got = await bob.fetch(gB, topology!, acks.splice(0, 32)).catch(() => []);
      acks.push(...got.map((m) => m.id));
      return got.filter((m) => m.seq !== null);
    };
    let sent = 0;
    const until = options.durationS ? Date.now() + options.durationS * 1000 : Infinity;
    const schedule = new PoissonSchedule(doc.params.lambdaP, cryptoUniform());
    let nextSend = schedule.next(Date.now());
    let nextFetch = Date.now() + 250;
    let lastReport = Date.now();
    while (!stopping && Date.now() < until) {
      if (exited.length) throw new Error(`nodes exited: ${exited.join(', ')}`);
      const now = Date.now();
      if (epochAt(now, doc.params) !== topology.epoch) {
        const fresh: VerifiedDocument | null = await pki.fetchDocument(epochAt(now, doc.params)).catch(() => null);
        if (fresh) topology = new Topology(fresh.document);
      }
      if (now >= nextSend) {
        const gA = topology.document.gateways.find((g) => toHex(g.nodeId) === toHex(gwA.nodeId));
        const gB = topology.document.gateways.find((g) => toHex(g.nodeId) === toHex(gwB.nodeId));
        if (gA && gB) {
          await alice
            .send(topology, gA, gB, bob.mailboxId, sent)
            .then(() => sent++)
            .catch(() => undefined);
        }
        nextSend = schedule.next(nextSend);
      }
      if (now >= nextFetch) {
        for (const d of await fetchAtB()) {
          if (!delivered.has(d.seq!)) {
            delivered.set(d.seq!, d);
            if (!options.json && delivered.size <= 5) out(`  probe #${d.seq} delivered in ${d.latencyMs!.toFixed(0)} ms (${d.delaySumMs} ms of it chosen mixing delay)`);
          }
        }
        nextFetch = now + 250;
      }
      if (now >= nextChat) {
        chatCount++;
        await ledger.send(chatA, 'bob', `hello bob, message ${chatCount} from alice`).catch((err) => out(`  alice could not send: ${(err as Error).message}`));
        nextChat += CHAT_INTERVAL_MS;
      }
      if (!options.json && now - lastReport >= 10_000) {
        lastReport = now;
        out(`  … probes: ${sent} sent, ${delivered.size} delivered; chat: ${ledger.sent} sent, ${ledger.delivered} delivered`);
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(nextSend, nextFetch, nextChat) - Date.now())));
    }
    // Let the last probes arrive: the longest plausible path delay.
    const drainUntil = Date.now() + Math.min(10_000, (8 * 5 * 1000) / doc.params.mu + 2000);
    while (Date.now() < drainUntil && delivered.size < sent) {
      for (const d of await fetchAtB()) delivered.set(d.seq!, d);
      await new Promise((r) => setTimeout(r, 250));
    }
    // And the last chat messages: they are retransmitted until acknowledged,
    // so wait for them (bounded) rather than count them lost.
    const chatDrainUntil = Date.now() + 60_000;
    if (ledger.pending() > 0) out(`waiting for ${ledger.pending()} chat message(s) still on their way…`);
    while (Date.now() < chatDrainUntil && ledger.pending() > 0 && chatA.running && chatB.running) await new Promise((r) => setTimeout(r, 250));
    const ours = ledger.sentIds();
    const retransmitted = (await retransmissionsOf(chatA, 'bob', ours).catch(() => 0)) + (await retransmissionsOf(chatB, 'alice', ours).catch(() => 0));
    const messages = ledger.summary(retransmitted);
    if (ledger.duplicates > 0) out(`warning: ${ledger.duplicates} chat message(s) were shown twice`);

    // 3. What the network saw.
    const texts = await scrape(plan);
    const isMix = (n: string) => n.startsWith('mix-');
    const latencies = [...delivered.values()].map((d) => d.latencyMs!).sort((a, b) => a - b);
    const overheads = [...delivered.values()].map((d) => (d.latencyMs! - d.delaySumMs!) / 5);
    const summary: TestnetSummary = {
      dataDir: dir,
      resumed,
      epoch: topology.epoch,
      sent,
      delivered: delivered.size,
      lost: sent - delivered.size,
      routed: sumMetric(texts, 'chaff_packets_out_total', isMix).total,
      dropped: sumMetric(texts, 'chaff_packets_dropped_total').byLabel,
      latencyMs: latencies.length ? { mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, p50: sortedQuantile(latencies, 0.5), p99: sortedQuantile(latencies, 0.99) } : null,
      meanHopLatencyMs: overheads.length ? overheads.reduce((a, b) => a + b, 0) / overheads.length : null,
      mixLoops: { sent: sumMetric(texts, 'chaff_mix_loops_total').byLabel.sent ?? 0, returned: sumMetric(texts, 'chaff_mix_loops_total').byLabel.returned ?? 0 },
      messages,
    };
    return summary;
  } finally {
    process.off('exit', killAll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const c of clients) await c.stop().catch(() => undefined);
    await Promise.all(chatters.map((c) => c.stop().catch(() => undefined)));
    await watchHost.stop();
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}

// Runs one chaos scenario (chaos/scenario.ts, docs/chaos.md): the testnet's
// network (testnet/plan.ts) as real `chaff node` processes
// (test/helpers/network.ts), on 127.0.0.1 or each in a network namespace
// (chaos/netns.ts), two real client daemons chatting over it
// (testnet/chat-clients.ts), the scenario's faults on its timeline, then a
// JSON summary: what was sent, delivered, shown twice, lost and why, how fast
// it recovered, and whether that meets the scenario's bounds.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageRecord } from '../client/api.js';
import type { Document } from '../protocol/pki/document.js';
import { epochAt } from '../protocol/pki/epoch.js';
import type { VerifiedDocument } from '../runtime/pki/pki-client.js';
import { sortedQuantile } from '../protocol/stats/quantile.js';
import { CLOCK_OFFSET_ENV } from '../runtime/clock.js';
import { BUNDLE_ROOT, buildChaffBundle } from '../testnet/chaff-bundle.js';
import { chaffEntry } from '../testnet/chaff-entry.js';
import { ChatClient } from '../testnet/chat-clients.js';
import { DEFAULT_SHAPE, nodeNames, type TestnetShape } from '../testnet/plan.js';
import { TestNetwork, type Launch } from '../test/helpers/network.js';
import { DelayForwarder } from './delay-forwarder.js';
import { kernelHasNetem, Namespaces, netnsUnavailable } from './netns.js';
import type { ChaosSummary, Fault, LostMessage, Scenario, Target } from './scenario.js';

export interface RunOptions {
  /** Progress lines (stderr in the CLI). */
  out: (line: string) => void;
  /** Keep the data folder (configs, logs) even when the scenario passes. */
  keep?: boolean;
  /** Aborts the run early (SIGINT): the faults stop, everything is torn down, the summary says so. */
  signal?: AbortSignal;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const NETNS_ENTRY = join(HERE, 'netns-entry.cjs');

interface Sent {
  id: string;
  from: string;
  to: string;
  text: string;
  sentAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The chaff entry processes should run: $CHAFF_BIN, or a bundle built now (removed by the returned cleanup). */
async function ensureBundle(out: (l: string) => void): Promise<() => void> {
  if (process.env.CHAFF_BIN) return () => undefined;
  const dir = join(BUNDLE_ROOT, `run-${process.pid}`);
  out('building a bundle of the sources for the spawned processes (testnet/chaff-bundle.ts)…');
  process.env.CHAFF_BIN = (await buildChaffBundle(dir)).entry;
  return () => {
    delete process.env.CHAFF_BIN;
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Why `s` cannot run on this machine, or null. */
export function cannotRun(s: Scenario): string | null {
  if (s.network === 'netns') return netnsUnavailable();
  if (s.links || s.faults.some((f) => f.kind === 'partition')) return `${s.name}: link faults and partitions need network: 'netns'`;
  return null;
}

export async function runScenario(s: Scenario, o: RunOptions): Promise<ChaosSummary> {
  const why = cannotRun(s);
  if (why) throw new Error(why);
  const out = o.out;
  const startedAt = new Date();
  const shape: TestnetShape = { ...DEFAULT_SHAPE, ...s.shape };
  const dir = mkdtempSync(join(tmpdir(), `chaff-chaos-${s.name}-`));
  const timeline: ChaosSummary['timeline'] = [];
  const failures: string[] = [];
  const mechanism: ChaosSummary['mechanism'] = {};
  const cleanups: Array<() => void | Promise<void>> = [];
  const syncCleanups: Array<() => void> = [];
  const onExit = (): void => {
    for (const c of syncCleanups) c();
  };
  process.once('exit', onExit);
  let net: TestNetwork | undefined;
  let ns: Namespaces | undefined;
  const clients: ChatClient[] = [];
  try {
    cleanups.push(await ensureBundle(out));

    // 1. Namespaces and link faults.
    const delay = s.links?.delayMs ?? 0;
    const jitter = s.links?.jitterMs ?? 0;
    const lossPermille = Math.round((s.links?.lossPercent ?? 0) * 10);
    let forwarder: DelayForwarder | undefined;
    if (s.network === 'netns') {
      const netem = delay > 0 && kernelHasNetem();
      const useForwarder = delay > 0 && !netem;
      const members = [...nodeNames(shape).map((n) => n.name), 'alice', 'bob'];
      out(`namespaces: ${members.length} (one per node and client daemon) on bridge chaffchaos0, 10.231.0.0/24`);
      ns = Namespaces.create(members, { dialAddresses: useForwarder });
      const spaces = ns;
      syncCleanups.push(() => spaces.teardown());
      for (const m of members) {
        if (lossPermille > 0) ns.setFaults(m, { lossPermille });
        if (netem) ns.setNetemDelay(m, delay, jitter);
      }
      if (lossPermille > 0)
        mechanism.loss = `nftables in each namespace: ${lossPermille / 10} % of the packets arriving on its eth0 dropped (numgen random), so each direction of every link loses ${lossPermille / 10} %`;
      if (netem) mechanism.delay = `netem on each namespace's eth0: ${delay} ms ± ${jitter} ms one way, so a round trip on a link takes ${2 * delay} ms more`;
      if (useForwarder)
        mechanism.delay = `no sch_netem in this kernel: a delaying TCP forwarder per node (chaos/delay-forwarder.ts, in the root namespace on 10.231.1.<i>), each chunk held ${delay} ± ${jitter} ms (uniform, order kept) in each direction, so a round trip on a link takes ${2 * delay} ms more`;
      if (s.faults.some((f) => f.kind === 'partition')) mechanism.partition = 'nftables in the namespace: every packet in and out of its eth0 dropped';
      if (useForwarder) forwarder = new DelayForwarder({ delayMs: delay, jitterMs: jitter });
    }
    if (s.clockSkewMs && Object.keys(s.clockSkewMs).length > 0)
      mechanism.clockSkew = `the node's process started with ${CLOCK_OFFSET_ENV} (runtime/clock.ts offsetClock): ${Object.entries(s.clockSkewMs)
        .map(([n, ms]) => `${n} ${ms > 0 ? '+' : ''}${ms / 1000} s`)
        .join(', ')}`;

    // 2. The network.
    const spaces = ns;
    const launch: Launch = (node, command, args) => {
      const skew = s.clockSkewMs?.[node.name];
      const env = skew ? { [CLOCK_OFFSET_ENV]: String(skew) } : undefined;
      const run = spaces ? spaces.wrap(node.name, command, args) : { command, args };
      return { ...run, ...(env ? { env } : {}) };
    };
    out(
      `scenario ${s.name}: ${shape.authorities} authorities, ${shape.layers} layers × ${shape.mixesPerLayer} mixes, ${shape.gateways} gateways, epochs of ${shape.epochDurationMs / 1000} s; data in ${dir}`,
    );
    net = await TestNetwork.start({
      shape,
      dir,
      launch,
      ...(spaces
        ? {
            place: async (plan) => {
              for (const n of plan.nodes) {
                const m = spaces.member(n.name);
                n.net = forwarder ? { host: m.ip, dialHost: m.dialIp } : { host: m.ip };
              }
              if (forwarder) await forwarder.start(plan.nodes.map((n) => ({ name: n.name, listen: { host: n.net!.dialHost!, port: n.port }, target: { host: n.net!.host, port: n.port } })));
            },
          }
        : {}),
    });
    const network = net;
    if (forwarder) {
      const f = forwarder;
      cleanups.push(() => f.stop());
    }
    const documentTimeout = 4 * shape.epochDurationMs + 30_000;
    const topology = await net.waitForDocument(documentTimeout);
    const [gwA, gwB] = topology.document.gateways;
    out(`document for epoch ${topology.epoch}; alice at ${gwA.name}, bob at ${gwB.name}`);

    // 3. The chat clients.
    const startClient = async (name: string, gateway: string): Promise<ChatClient> => {
      const common = { dir, name, networkFile: net!.plan.networkFile, gateway, fetchIntervalMs: 250, ...(s.retransmitSlackMs ? { settings: { retransmitSlackMs: s.retransmitSlackMs } } : {}) };
      if (!spaces) return ChatClient.create(common);
      // The daemon is spawned as `node $CHAFF_BIN client daemon …`: for its start, CHAFF_BIN runs it in its namespace.
      const real = chaffEntry();
      const saved = { ...process.env };
      Object.assign(process.env, { CHAFF_BIN: NETNS_ENTRY, CHAFF_CHAOS_NETNS: spaces.member(name).ns, CHAFF_CHAOS_BIN: real });
      try {
        return await ChatClient.create(common);
      } finally {
        if (saved.CHAFF_BIN === undefined) delete process.env.CHAFF_BIN;
        else process.env.CHAFF_BIN = saved.CHAFF_BIN;
        delete process.env.CHAFF_CHAOS_NETNS;
        delete process.env.CHAFF_CHAOS_BIN;
      }
    };
    syncCleanups.push(() => clients.forEach((c) => c.kill()));
    clients.push(await startClient('alice', gwA.name));
    clients.push(await startClient('bob', gwB.name));
    const [alice, bob] = clients;
    await alice.api.addContact('bob', bob.address);
    await bob.api.addContact('alice', alice.address);
    const counterpart: Record<string, string> = { alice: 'bob', bob: 'alice' };

    // Delivery, as the receiving application sees it: each incoming message event, by id.
    const seen = new Map<string, { at: number; count: number }>();
    for (const c of clients)
      c.on((e) => {
        if (e.type !== 'message' || e.message.direction !== 'in') return;
        const prev = seen.get(e.message.id);
        if (prev) prev.count++;
        else seen.set(e.message.id, { at: Date.now(), count: 1 });
      });

    // 4. Traffic and faults.
    const t0 = Date.now();
    const at = (): number => Date.now() - t0;
    const log = (event: string): void => {
      timeline.push({ atMs: at(), event });
      out(`  +${(at() / 1000).toFixed(1)} s ${event}`);
    };
    // Every document of the run, recorded while it is in force: an authority serves a document only up to
    // the epoch after its own (it keeps older ones on disk, not in what it serves), and the PKI client caches
    // the 4 latest epochs, so fetching them after the run said "(no document)" for epochs that had one.
    const documents = new Map<number, VerifiedDocument>();
    const currentVerified = async (): Promise<VerifiedDocument | null> => {
      try {
        const v = await network.pki.fetchDocument(network.epochNow());
        documents.set(v.epoch, v);
        return v;
      } catch {
        return null;
      }
    };
    const recorder = setInterval(() => void currentVerified(), Math.min(5000, shape.epochDurationMs / 5));
    cleanups.push(async () => clearInterval(recorder));
    const currentDocument = async (): Promise<Document | null> => (await currentVerified())?.document ?? null;
    const resolve = async (targets: Target[]): Promise<string[]> => {
      const names: string[] = [];
      for (const t of targets) {
        const layer = /^layer-(\d+)$/.exec(t);
        if (layer) {
          const doc = (await currentDocument()) ?? topology.document;
          names.push(...(doc.layers[Number(layer[1]) - 1] ?? []).map((m) => m.name));
        } else if (t === 'gateway-of-alice') names.push(gwA.name);
        else if (t === 'gateway-of-bob') names.push(gwB.name);
        else names.push(network.node(t).name);
      }
      return names;
    };
    type Action = { atMs: number; run: () => Promise<void> };
    const actions: Action[] = [];
    const resolved = new Map<Fault, string[]>();
    for (const f of s.faults) {
      if (f.kind === 'kill') {
        actions.push({
          atMs: f.atMs,
          run: async () => {
            const names = await resolve(f.targets);
            resolved.set(f, names);
            await Promise.all(names.map((n) => network.stopNode(n, f.signal ?? 'SIGKILL', 5000)));
            log(`${f.signal ?? 'SIGKILL'} ${names.join(', ')}`);
          },
        });
        if (f.restartAtMs !== undefined)
          actions.push({
            atMs: f.restartAtMs,
            run: async () => {
              const names = resolved.get(f) ?? [];
              for (const n of names) network.startNode(n);
              log(`restarted ${names.join(', ')}`);
            },
          });
      } else {
        actions.push({
          atMs: f.atMs,
          run: async () => {
            const names = await resolve(f.targets);
            resolved.set(f, names);
            for (const n of names) spaces!.setFaults(n, { partitioned: true });
            log(`partitioned ${names.join(', ')} (every packet in and out dropped)`);
          },
        });
        actions.push({
          atMs: f.healAtMs,
          run: async () => {
            const names = resolved.get(f) ?? [];
            for (const n of names) spaces!.setFaults(n, { lossPermille });
            log(`healed the partition of ${names.join(', ')}`);
          },
        });
      }
    }
    actions.sort((a, b) => a.atMs - b.atMs);
    const heals = s.faults.flatMap((f) => (f.kind === 'kill' ? (f.restartAtMs !== undefined ? [f.restartAtMs] : []) : [f.healAtMs]));
    const healAtMs = heals.length ? Math.max(...heals) : null;

    const sent: Sent[] = [];
    const sendFailures: string[] = [];
    const send = async (from: ChatClient, text: string): Promise<void> => {
      const sentAt = Date.now();
      try {
        const { message } = await from.api.sendText(counterpart[from.name], text);
        sent.push({ id: message.id, from: from.name, to: counterpart[from.name], text, sentAt });
      } catch (err) {
        sendFailures.push(`${from.name} at +${((sentAt - t0) / 1000).toFixed(1)} s: ${(err as Error).message}`);
      }
    };
    const replyEvery = s.traffic.replyEvery ?? 3;
    let n = 0;
    let nextSend = t0;
    log(`traffic: alice → bob every ${s.traffic.intervalMs} ms, bob → alice every ${replyEvery}th, for ${s.traffic.durationMs / 1000} s`);
    while (at() < s.traffic.durationMs && !o.signal?.aborted) {
      while (actions.length && actions[0].atMs <= at()) await actions.shift()!.run();
      if (Date.now() >= nextSend) {
        n++;
        await send(alice, `chaos ${s.name}: alice #${n}`);
        if (n % replyEvery === 0) await send(bob, `chaos ${s.name}: bob #${n / replyEvery}`);
        nextSend += s.traffic.intervalMs;
      }
      await sleep(Math.max(1, Math.min(nextSend, t0 + (actions[0]?.atMs ?? Infinity)) - Date.now()));
    }
    // Faults the traffic outlasted still run (a restart after the last message).
    while (actions.length && !o.signal?.aborted) {
      await sleep(Math.max(0, actions[0].atMs - at()));
      await actions.shift()!.run();
    }
    log(`traffic ended: ${sent.length} messages sent; waiting up to ${s.drainMs / 1000} s for those still on their way`);
    const drainUntil = Date.now() + s.drainMs;
    while (Date.now() < drainUntil && sent.some((m) => !seen.has(m.id)) && !o.signal?.aborted) await sleep(250);
    // A late duplicate (a retransmission whose first copy's ACK was lost) would show now.
    await sleep(2000);
    log(`drained: ${sent.filter((m) => seen.has(m.id)).length} of ${sent.length} delivered`);
    if (o.signal?.aborted) failures.push('interrupted (SIGINT): the run did not finish');

    // 5. What the applications stored: duplicates by id, and the senders' view of what did not arrive.
    const histories = new Map<string, MessageRecord[]>();
    for (const c of clients) histories.set(c.name, await c.api.history(counterpart[c.name], 10_000).catch(() => []));
    const storedIn = new Map<string, number>();
    for (const [, h] of histories) for (const m of h) if (m.direction === 'in') storedIn.set(m.id, (storedIn.get(m.id) ?? 0) + 1);
    let duplicates = 0;
    for (const m of sent) {
      const shown = seen.get(m.id)?.count ?? 0;
      const stored = storedIn.get(m.id) ?? 0;
      duplicates += Math.max(0, shown - 1) + Math.max(0, stored - 1);
    }
    const outgoing = new Map<string, MessageRecord>();
    for (const [, h] of histories) for (const m of h) if (m.direction === 'out') outgoing.set(m.id, m);
    const delivered = sent.filter((m) => seen.has(m.id) || storedIn.has(m.id));
    const lostMessages: LostMessage[] = sent
      .filter((m) => !seen.has(m.id) && !storedIn.has(m.id))
      .map((m) => {
        const rec = outgoing.get(m.id);
        const reason = rec
          ? `not at ${m.to} ${((Date.now() - m.sentAt) / 1000).toFixed(0)} s after sending; ${m.from}'s daemon: state ${rec.state}, ${rec.retransmissions} retransmission(s)${rec.error ? `, ${rec.error}` : ''}`
          : `not at ${m.to}; not in ${m.from}'s history`;
        return { id: m.id, from: m.from, to: m.to, sentAtMs: m.sentAt - t0, reason };
      });
    const retransmissions = sent.reduce((a, m) => a + (outgoing.get(m.id)?.retransmissions ?? 0), 0);
    const arrival = (m: Sent): number | undefined => seen.get(m.id)?.at ?? outgoingDelivered(histories.get(m.to) ?? [], m.id);
    const latencies = delivered.map((m) => (arrival(m) ?? Date.now()) - m.sentAt).sort((a, b) => a - b);

    // 6. Recovery.
    let recoveryMs: number | null = null;
    let firstAfter: number | null = null;
    if (s.recovery.measure === 'heal' && healAtMs !== null) {
      const healAbs = t0 + healAtMs;
      const before = sent.filter((m) => m.sentAt <= healAbs);
      const arrivals = before.map(arrival);
      recoveryMs = arrivals.every((a) => a !== undefined) ? Math.max(0, ...arrivals.map((a) => a! - healAbs)) : null;
      const after = sent.filter((m) => m.sentAt > healAbs).map(arrival);
      const firsts = after.filter((a): a is number => a !== undefined);
      firstAfter = firsts.length ? Math.min(...firsts) - healAbs : null;
    } else if (s.recovery.measure === 'latency') {
      recoveryMs = latencies.length === sent.length && latencies.length > 0 ? latencies[latencies.length - 1] : null;
    }
    // The restarted relays back in the document in force: waited for, up to the bound after the heal.
    const wanted = resolveNames(s.recovery.backInDocument ?? [], network, gwA.name, gwB.name);
    const docBound = t0 + (healAtMs ?? 0) + (s.recovery.backInDocumentWithinMs ?? 2 * shape.epochDurationMs + 5000);
    let verified = await currentVerified();
    let doc = verified?.document ?? null;
    let missingFromDocument: string[] = [];
    let backInDocumentAfterMs: number | null = null;
    const signers = (): number => verified?.signed.signatures.length ?? 0;
    for (;;) {
      const inDoc = new Set(doc ? [...doc.gateways, ...doc.layers.flat()].map((x) => x.name) : []);
      missingFromDocument = wanted.filter((x) => !inDoc.has(x));
      if (s.recovery.signedByAll && signers() < shape.authorities) missingFromDocument.push(`signatures of all ${shape.authorities} authorities (${signers()})`);
      if (missingFromDocument.length === 0) {
        // When the first document since the heal that lists them all (and carries every signature, if asked) came into force.
        if ((wanted.length || s.recovery.signedByAll) && healAtMs !== null && doc) {
          const healAbs = t0 + healAtMs;
          for (let e = network.epochNow() - 1; e >= epochAt(healAbs, network.epochs); e--) {
            const earlier = await network.pki.fetchDocument(e).catch(() => null);
            const names = new Set(earlier ? [...earlier.document.gateways, ...earlier.document.layers.flat()].map((x) => x.name) : []);
            if (!earlier || wanted.some((x) => !names.has(x)) || (s.recovery.signedByAll && earlier.signed.signatures.length < shape.authorities)) break;
            doc = earlier.document;
          }
          backInDocumentAfterMs = Math.max(0, network.epochStart(doc.epoch) - healAbs);
        }
        break;
      }
      if (Date.now() > docBound || o.signal?.aborted) break;
      await sleep(500);
      verified = await currentVerified();
      doc = verified?.document ?? null;
    }
    if (s.recovery.signedByAll) log(`the document of epoch ${doc?.epoch} carries ${signers()} of ${shape.authorities} authorities' signatures`);
    if (wanted.length)
      log(
        missingFromDocument.length ? `not back in the document of epoch ${doc?.epoch}: ${missingFromDocument.join(', ')}` : `${wanted.join(', ')} listed again in the document of epoch ${doc?.epoch}`,
      );

    // Which relays each document of the run left out (a relay down, cut off, or refused).
    const relays = net.plan.nodes.filter((x) => x.role !== 'authority').map((x) => x.name);
    const unlisted: Record<string, string[]> = {};
    for (let e = epochAt(t0, network.epochs); e <= network.epochNow(); e++) {
      const v = documents.get(e) ?? (await network.pki.fetchDocument(e).catch(() => null));
      if (!v) {
        unlisted[e] = ['(no document)'];
        continue;
      }
      const names = new Set([...v.document.gateways, ...v.document.layers.flat()].map((x) => x.name));
      const out = relays.filter((x) => !names.has(x));
      if (v.signed.signatures.length < shape.authorities) out.push(`(${v.signed.signatures.length} of ${shape.authorities} signatures)`);
      if (out.length) unlisted[e] = out;
    }

    // 7. Drops.
    const byReason: Record<string, number> = {};
    const byNodes: Record<string, Record<string, number>> = {};
    for (const node of net.plan.nodes) {
      const text = await net.metricsText(node.name);
      for (const m of text.matchAll(/^chaff_packets_dropped_total\{reason="([^"]*)"\} ([0-9.e+-]+)$/gm)) {
        const v = Number(m[2]);
        if (v === 0) continue;
        byReason[m[1]] = (byReason[m[1]] ?? 0) + v;
        (byNodes[node.name] ??= {})[m[1]] = v;
      }
    }
    const byLossRules = ns && lossPermille > 0 ? [...ns.members.keys()].reduce((a, m) => a + ns!.dropped(m), 0) : null;

    // 8. Pass or fail.
    const allowed = s.expectedLoss?.atMost ?? 0;
    if (sent.length === 0) failures.push('no message was sent');
    if (duplicates > 0) failures.push(`${duplicates} message(s) shown or stored more than once`);
    if (lostMessages.length > allowed) failures.push(`${lostMessages.length} message(s) lost, ${allowed} allowed${s.expectedLoss ? ` (${s.expectedLoss.reason})` : ''}`);
    if (s.recovery.measure === 'heal') {
      if (healAtMs === null) failures.push("recovery measured from a heal, but the scenario's faults have none");
      else if (recoveryMs === null) failures.push('messages sent before the heal never all arrived');
      else if (recoveryMs > s.recovery.withinMs) failures.push(`backlog cleared ${recoveryMs} ms after the heal, bound ${s.recovery.withinMs} ms`);
      if (firstAfter === null) failures.push('no message sent after the heal arrived');
      else if (firstAfter > s.recovery.withinMs) failures.push(`first message after the heal arrived ${firstAfter} ms after it, bound ${s.recovery.withinMs} ms`);
    } else if (recoveryMs === null) failures.push('not every message arrived');
    else if (recoveryMs > s.recovery.withinMs) failures.push(`slowest delivery ${recoveryMs} ms, bound ${s.recovery.withinMs} ms`);
    if (missingFromDocument.length) failures.push(`not back in the document of epoch ${doc?.epoch ?? '?'}: ${missingFromDocument.join(', ')}`);
    for (const name of resolveNames(s.recovery.listedThroughout ?? [], network, gwA.name, gwB.name)) {
      const left = Object.entries(unlisted)
        .filter(([, out]) => out.includes(name) || out.includes('(no document)'))
        .map(([e]) => e);
      if (left.length) failures.push(`${name} not listed in the documents of epochs ${left.join(', ')}`);
    }
    if (net.unexpectedExits.length) failures.push(`nodes exited on their own: ${net.unexpectedExits.join(', ')}`);
    if (sendFailures.length)
      timeline.push({ atMs: at(), event: `sends refused by the daemons: ${sendFailures.slice(0, 5).join('; ')}${sendFailures.length > 5 ? ` (and ${sendFailures.length - 5} more)` : ''}` });

    return {
      scenario: s.name,
      description: s.description,
      network: s.network,
      mechanism,
      startedAt: startedAt.toISOString(),
      wallTimeS: 0,
      timeline,
      messages: {
        sent: sent.length,
        delivered: delivered.length,
        duplicates,
        lost: lostMessages.length,
        lostMessages,
        retransmissions,
        latencyMs: latencies.length ? { p50: Math.round(sortedQuantile(latencies, 0.5)), p99: Math.round(sortedQuantile(latencies, 0.99)), max: latencies[latencies.length - 1] } : null,
      },
      recovery: {
        what: s.recovery.what,
        measure: s.recovery.measure,
        boundMs: s.recovery.withinMs,
        healAtMs,
        recoveryMs,
        firstDeliveryAfterHealMs: firstAfter,
        missingFromDocument,
        backInDocumentAfterMs,
      },
      dropped: { byReason, byNodes, byLossRules },
      documentEpoch: doc?.epoch ?? null,
      unlisted,
      pass: failures.length === 0,
      failures,
      dataDir: dir,
    };
  } finally {
    for (const c of clients) await c.stop().catch(() => undefined);
    await net?.stop().catch(() => undefined);
    for (const c of cleanups.reverse()) await c();
    ns?.teardown();
    process.off('exit', onExit);
  }
}

/** When `history`'s incoming copy of `id` was reassembled (deliveredMs), if it is there. */
function outgoingDelivered(history: MessageRecord[], id: string): number | undefined {
  return history.find((m) => m.id === id && m.direction === 'in')?.deliveredMs ?? undefined;
}

function resolveNames(targets: Target[], net: TestNetwork, gwA: string, gwB: string): string[] {
  return targets.map((t) => (t === 'gateway-of-alice' ? gwA : t === 'gateway-of-bob' ? gwB : net.node(t).name));
}

/** Runs `s` and fills in its wall time; removes the data folder if it passed (unless `keep`). */
export async function runAndSummarise(s: Scenario, o: RunOptions): Promise<ChaosSummary> {
  const start = Date.now();
  const summary = await runScenario(s, o);
  summary.wallTimeS = Math.round((Date.now() - start) / 100) / 10;
  if (summary.pass && !o.keep) rmSync(summary.dataDir, { recursive: true, force: true });
  return summary;
}

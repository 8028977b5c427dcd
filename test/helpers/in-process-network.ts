// A small test network run in this process: the nodes `chaff testnet` would
// plan (testnet/plan.ts: identities, ports, TOML configs on 127.0.0.1), each
// started with the daemon's own runNode (node/daemon.ts) on its real config,
// real libp2p hosts and real LevelDB folders. Faster to start than
// processes (test/helpers/network.ts), and a test can adjust a node's config
// (e.g. a small delay queue) before it starts and restart it on the same
// data folder.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type NodeConfig } from '../../node/config.js';
import { runNode, type RunningNode } from '../../node/daemon.js';
import { createLogger } from '../../runtime/log/logger.js';
import { epochAt, epochEnd } from '../../protocol/pki/epoch.js';
import { Topology } from '../../protocol/pki/routes.js';
import type { Host } from '../../runtime/net/host.js';
import type { PkiClient } from '../../runtime/pki/pki-client.js';
import { DEFAULT_SHAPE, planTestnet, type PlannedNode, type TestnetPlan, type TestnetShape } from '../../testnet/plan.js';
import { parseMetric, sleep } from './network.js';
import { startPlanPkiClient } from './plan-pki-client.js';

export class InProcessNetwork {
  readonly plan: TestnetPlan;
  readonly pki: PkiClient;
  readonly #host: Host;
  readonly #tweak: (config: NodeConfig, node: PlannedNode) => void;
  readonly #running = new Map<string, RunningNode>();
  readonly #traceDir: string | undefined;

  private constructor(plan: TestnetPlan, host: Host, pki: PkiClient, tweak: (config: NodeConfig, node: PlannedNode) => void, traceDir?: string) {
    this.plan = plan;
    this.#host = host;
    this.pki = pki;
    this.#tweak = tweak;
    this.#traceDir = traceDir;
  }

  /**
   * Plans the network (genesis now) and starts every node, authorities first.
   * `traceDir`: each gateway writes `observer-<name>.jsonl` there (trace mode,
   * docs/simulator.md §Trace mode), as `chaff testnet --trace` does.
   */
  static async start(shape: Partial<TestnetShape>, tweak: (config: NodeConfig, node: PlannedNode) => void = () => {}, options: { traceDir?: string } = {}): Promise<InProcessNetwork> {
    const plan = await planTestnet(mkdtempSync(join(tmpdir(), 'chaff-inproc-net-')), { ...DEFAULT_SHAPE, ...shape }, Date.now());
    const { host, pki } = await startPlanPkiClient(plan);
    const authorities = plan.nodes.filter((n) => n.role === 'authority');
    const net = new InProcessNetwork(plan, host, pki, tweak, options.traceDir);
    try {
      for (const n of authorities) await net.startNode(n.name);
      for (const n of plan.nodes) if (n.role !== 'authority') await net.startNode(n.name);
    } catch (err) {
      await net.stop();
      throw err;
    }
    return net;
  }

  get epochs(): { genesisMs: number; epochDurationMs: number } {
    return { genesisMs: this.plan.genesisMs, epochDurationMs: this.plan.shape.epochDurationMs };
  }

  epochNow(): number {
    return epochAt(Date.now(), this.epochs);
  }

  node(name: string): PlannedNode {
    const n = this.plan.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in the plan`);
    return n;
  }

  running(name: string): RunningNode {
    const r = this.#running.get(name);
    if (!r) throw new Error(`${name} is not running`);
    return r;
  }

  /** Starts (or restarts) the node from its planned config, adjusted by the tweak. */
  async startNode(name: string): Promise<RunningNode> {
    if (this.#running.has(name)) throw new Error(`${name} is already running`);
    const node = this.node(name);
    const config = loadConfig(node.configPath);
    this.#tweak(config, node);
    const trace = this.#traceDir && node.role === 'gateway' ? { tracePath: join(this.#traceDir, `observer-${name}.jsonl`) } : {};
    const running = await runNode(config, createLogger((process.env.CHAFF_TEST_LOG as 'info') ?? 'error', name), trace);
    this.#running.set(name, running);
    return running;
  }

  /** Stops the node as SIGTERM would (stores flushed and closed). */
  async stopNode(name: string): Promise<void> {
    const r = this.#running.get(name);
    this.#running.delete(name);
    await r?.stop();
  }

  /** The verified document of the current epoch (re-read while waiting), with at least `minLeftMs` of the epoch left. */
  async currentDocument(timeoutMs: number, minLeftMs = 0): Promise<Topology> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const epoch = this.epochNow();
      const left = epochEnd(epoch, this.epochs) - Date.now();
      if (left < minLeftMs) await sleep(left + 50);
      else {
        const doc = await this.pki.fetchDocument(epoch).catch(() => null);
        if (doc && doc.document.layers.every((l) => l.length > 0) && doc.document.gateways.length > 0) return new Topology(doc.document);
        await sleep(200);
      }
      if (Date.now() > deadline) throw new Error(`no document for epoch ${this.epochNow()} within ${timeoutMs} ms (configs in ${this.plan.dir})`);
    }
  }

  /** A metric's value on a node (summed over labels, or only `label`), from its /metrics; undefined if absent. */
  async metric(name: string, metric: string, label?: string): Promise<number | undefined> {
    const res = await fetch(`http://127.0.0.1:${this.running(name).metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
    return parseMetric(await res.text(), metric, label);
  }

  /** The node's /metrics text. */
  async metricsText(name: string): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.running(name).metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.text();
  }

  /** Stops every node, relays first, and the document reader's host; removes the network's folder. */
  async stop(): Promise<void> {
    const names = [...this.#running.keys()].sort((a, b) => Number(this.node(a).role === 'authority') - Number(this.node(b).role === 'authority'));
    for (const n of names) await this.stopNode(n).catch(() => undefined);
    try {
      await this.#host.stop();
    } catch {
      // already stopped
    }
    rmSync(this.plan.dir, { recursive: true, force: true });
  }
}

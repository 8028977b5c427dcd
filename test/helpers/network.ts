// A planned test network (testnet/plan.ts) run as real processes on
// 127.0.0.1, one `node bin/chaff.js node --config …` per node as `chaff
// testnet` starts them, for integration tests: start, SIGKILL, restart a node
// by name, wait for a threshold-signed document, scrape a node's metrics.
// Each node's output is appended to `<dir>/<name>.log` (restarts included).

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { epochAt, epochEnd, epochStart } from '../../protocol/pki/epoch.js';
import { Topology } from '../../protocol/pki/routes.js';
import type { Host } from '../../runtime/net/host.js';
import type { PkiClient } from '../../runtime/pki/pki-client.js';
import { DEFAULT_SHAPE, listenHost, planTestnet, writeNodeFiles, type PlannedNode, type TestnetPlan, type TestnetShape } from '../../testnet/plan.js';
import { startPlanPkiClient } from './plan-pki-client.js';
import { sleep, waitFor } from './wait.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

export { sleep };

export interface NetworkOptions {
  shape?: Partial<TestnetShape>;
  /** Folder for configs, node folders and logs; a fresh temp folder by default. */
  dir?: string;
  /**
   * Chaos runs (docs/chaos.md): called with the new plan before any node
   * starts, to give nodes addresses of their own (PlannedNode.net); the
   * configs are then written again.
   */
  place?: (plan: TestnetPlan) => void | Promise<void>;
  /** Chaos runs: how to run a node's `chaff node` command (e.g. under `ip netns exec`, or with a skewed clock); by default as it is. */
  launch?: Launch;
}

/** Turns a node's command (`process.execPath` and its arguments) into the one to spawn, with extra environment. */
export type Launch = (node: PlannedNode, command: string, args: string[]) => { command: string; args: string[]; env?: NodeJS.ProcessEnv };

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  /** Set when the test itself stops or kills the node. */
  expected: boolean;
}

export class TestNetwork {
  readonly plan: TestnetPlan;
  readonly #running = new Map<string, Running>();
  /** Nodes that exited without being asked to, e.g. "mix-3 (1)". */
  readonly unexpectedExits: string[] = [];
  readonly #host: Host;
  readonly pki: PkiClient;
  readonly #launch: Launch | undefined;

  private constructor(plan: TestnetPlan, host: Host, pki: PkiClient, launch?: Launch) {
    this.plan = plan;
    this.#host = host;
    this.pki = pki;
    this.#launch = launch;
  }

  /**
   * Plans the network and starts every node. Genesis is "now": the nodes
   * upload descriptors for epoch 1 during epoch 0, so the first document is
   * for epoch 1 (wait for it with waitForDocument).
   */
  static async start(options: NetworkOptions = {}): Promise<TestNetwork> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'chaff-it-net-'));
    const shape: TestnetShape = { ...DEFAULT_SHAPE, ...options.shape };
    // Not in the future: a node that reads the epoch before genesis fails.
    const plan = await planTestnet(dir, shape, Date.now());
    if (options.place) {
      await options.place(plan);
      writeNodeFiles(plan);
    }
    const { host, pki } = await startPlanPkiClient(plan);
    const net = new TestNetwork(plan, host, pki, options.launch);
    for (const n of plan.nodes) net.startNode(n.name);
    return net;
  }

  get dir(): string {
    return this.plan.dir;
  }

  get epochs(): { genesisMs: number; epochDurationMs: number } {
    return { genesisMs: this.plan.genesisMs, epochDurationMs: this.plan.shape.epochDurationMs };
  }

  epochNow(): number {
    return epochAt(Date.now(), this.epochs);
  }

  epochStart(epoch: number): number {
    return epochStart(epoch, this.epochs);
  }

  epochEnd(epoch: number): number {
    return epochEnd(epoch, this.epochs);
  }

  node(name: string): PlannedNode {
    const n = this.plan.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in the plan`);
    return n;
  }

  logPath(name: string): string {
    return join(this.dir, `${this.node(name).name}.log`);
  }

  log(name: string): string {
    try {
      return readFileSync(this.logPath(name), 'utf8');
    } catch {
      return '';
    }
  }

  isRunning(name: string): boolean {
    const r = this.#running.get(name);
    return !!r && r.child.exitCode === null && r.child.signalCode === null;
  }

  /** Starts the node's process with its planned config (again, after a stop or kill). */
  startNode(name: string): ChildProcess {
    const node = this.node(name);
    if (this.isRunning(name)) throw new Error(`${name} is already running`);
    const log = createWriteStream(this.logPath(name), { flags: 'a' });
    const argv = [chaffEntry(), 'node', '--config', node.configPath];
    const run = this.#launch ? this.#launch(node, process.execPath, argv) : { command: process.execPath, args: argv };
    const child = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'], ...(run.env ? { env: { ...process.env, ...run.env } } : {}) });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const running: Running = {
      child,
      expected: false,
      exited: new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          if (!running.expected) this.unexpectedExits.push(`${name} (${signal ?? code})`);
          // Let the pipes drain before closing the log.
          setTimeout(() => log.end(), 100);
          resolve();
        });
      }),
    };
    this.#running.set(name, running);
    return child;
  }

  /** Sends `signal` to the node and waits for its process to exit (SIGKILL after `graceMs`). */
  async stopNode(name: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    const r = this.#running.get(name);
    if (!r) return;
    r.expected = true;
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill(signal);
      const timer = setTimeout(() => r.child.kill('SIGKILL'), graceMs);
      await r.exited;
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no shutdown code runs, stores are not closed. */
  killNode(name: string): Promise<void> {
    return this.stopNode(name, 'SIGKILL');
  }

  /** Fails if a node died on its own. */
  checkAlive(): void {
    if (this.unexpectedExits.length) throw new Error(`nodes exited: ${this.unexpectedExits.join(', ')} (logs in ${this.dir})`);
  }

  /** Polls `probe` every `intervalMs` until it returns a value other than undefined/false; fails after `timeoutMs` or when a node dies. */
  waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false> | T | undefined | false, intervalMs = 250): Promise<T> {
    return waitFor(what, probe, { timeoutMs, intervalMs, check: () => this.checkAlive(), detail: () => `logs in ${this.dir}` });
  }

  /** The verified document for `epoch` (default: the current one, re-read while waiting) with every layer and two gateways. */
  async waitForDocument(timeoutMs: number, epoch?: number): Promise<Topology> {
    return this.waitFor(
      `a threshold-signed document${epoch === undefined ? '' : ` for epoch ${epoch}`}`,
      timeoutMs,
      async () => {
        const v = await this.pki.fetchDocument(epoch ?? this.epochNow());
        const d = v.document;
        return d.layers.every((l) => l.length > 0) && d.gateways.length >= 2 ? new Topology(d) : undefined;
      },
      300,
    );
  }

  /** The node's /metrics text ('' if it does not answer). */
  async metricsText(name: string): Promise<string> {
    try {
      const res = await fetch(`http://${listenHost(this.node(name))}:${this.node(name).metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
      return await res.text();
    } catch {
      return '';
    }
  }

  /** A metric's value on a node: the sum over its label values, or only `label` if given; undefined if absent. */
  async metric(name: string, metric: string, label?: string): Promise<number | undefined> {
    return parseMetric(await this.metricsText(name), metric, label);
  }

  /** Stops every process that still runs (SIGTERM, then SIGKILL) and the watcher's host. */
  async stop(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((n) => this.stopNode(n).catch(() => undefined)));
    try {
      await this.#host.stop();
    } catch {
      // already stopped
    }
  }
}

/** Sums `metric` in a Prometheus text, over all labels or only the series whose one label has value `label`. */
export function parseMetric(text: string, metric: string, label?: string): number | undefined {
  const re = new RegExp(`^${metric}(?:\\{[a-z_]+="([^"]*)"\\})? ([0-9.e+-]+|NaN)$`, 'gm');
  let total: number | undefined;
  for (const m of text.matchAll(re)) {
    if (label !== undefined && m[1] !== label) continue;
    total = (total ?? 0) + Number(m[2]);
  }
  return total;
}

// Two chatting client daemons on a TestNetwork, for the client's integration
// tests and benchmarks: real relay processes (test/helpers/network.ts) and
// real `chaff client daemon` processes driven over their sockets
// (testnet/chat-clients.ts). A Conversation records, for one direction,
// what was sent (in order) and every incoming-message event the recipient
// pushed, so a test can check "exactly once, in order" against both the
// events and the recipient's stored history.

import { execFileSync } from 'node:child_process';
import type { MessageRecord } from '../../client/api.js';
import type { ClientSettings } from '../../client/config.js';
import type { Topology } from '../../protocol/pki/routes.js';
import { ChatClient } from '../../testnet/chat-clients.js';
import type { TestnetShape } from '../../testnet/plan.js';
import { TestNetwork } from './network.js';
import { sleep, waitFor } from './wait.js';

/**
 * Faster than the testnet's rates, so 100 messages take seconds: λP 20/s
 * (a 1-fragment message per packet), mean hop delay 20 ms. The gateway's
 * token bucket is 3 × (λP + λL + λD) = 72 packets/s with a burst of 162,
 * far above what a client's Poisson stream of 24/s needs.
 */
export const FAST_CHAT_SHAPE: Partial<TestnetShape> = { lambdaP: 20, lambdaL: 2, lambdaD: 2, mu: 50, epochDurationMs: 20_000 };

export interface ChatNetworkOptions {
  shape?: Partial<TestnetShape>;
  /** Mailbox pull interval of both clients, ms. */
  fetchIntervalMs: number;
  /** Written into both profiles' client.toml before their daemons start. */
  settings?: Partial<Omit<ClientSettings, 'gateway' | 'gatewayName'>>;
  /** Longest wait for the first document. Default 60 s. */
  documentTimeoutMs?: number;
}

/** alice at the first gateway, bob at the second, each the other's contact ("bob", "alice"). */
export class ChatNetwork {
  readonly #exitHook: () => void;

  private constructor(
    readonly net: TestNetwork,
    readonly topology: Topology,
    readonly alice: ChatClient,
    readonly bob: ChatClient,
  ) {
    // Should the test process die, the daemons (detached) die with it.
    this.#exitHook = () => {
      alice.kill();
      bob.kill();
    };
    process.once('exit', this.#exitHook);
  }

  static async start(o: ChatNetworkOptions): Promise<ChatNetwork> {
    const net = await TestNetwork.start({ shape: o.shape });
    const clients: ChatClient[] = [];
    try {
      const topology = await net.waitForDocument(o.documentTimeoutMs ?? 60_000);
      const [gwA, gwB] = topology.document.gateways;
      const common = { dir: net.dir, networkFile: net.plan.networkFile, fetchIntervalMs: o.fetchIntervalMs, settings: o.settings };
      // One after the other: a profile's init and daemon start are CPU-heavy on a small machine.
      clients.push(await ChatClient.create({ ...common, name: 'alice', gateway: gwA.name }));
      clients.push(await ChatClient.create({ ...common, name: 'bob', gateway: gwB.name }));
      const [alice, bob] = clients;
      await alice.api.addContact('bob', bob.address);
      await bob.api.addContact('alice', alice.address);
      return new ChatNetwork(net, topology, alice, bob);
    } catch (err) {
      for (const c of clients) await c.stop('SIGKILL').catch(() => undefined);
      await net.stop();
      throw err;
    }
  }

  get aliceGateway(): string {
    return this.topology.document.gateways[0].name;
  }

  get bobGateway(): string {
    return this.topology.document.gateways[1].name;
  }

  /** Stops both daemons and every node, then fails if any process of this network is left. */
  async stop(): Promise<void> {
    await Promise.all([this.alice, this.bob].map((c) => c.stop().catch(() => c.kill())));
    await this.net.stop();
    process.off('exit', this.#exitHook);
    const left = processesUnder(this.net.dir);
    if (left.length > 0) throw new Error(`processes left running: ${left.join('; ')}`);
  }
}

/** Command lines of running processes that mention `dir` (every node and daemon of a network names its folder). */
export function processesUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

export { sleep };

/** Polls `probe` until it returns true; fails after `timeoutMs` with `what` and `detail()`'s text. */
export async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean, detail?: () => Promise<string> | string, intervalMs = 200): Promise<void> {
  const safeDetail = detail && (() => Promise.resolve(detail()).catch((e: Error) => `(no detail: ${e.message})`));
  await waitFor(what, probe, { timeoutMs, intervalMs, ...(safeDetail ? { detail: safeDetail } : {}) });
}

export interface SeenMessage {
  id: string;
  text: string;
  atMs: number;
}

/**
 * One direction of a chat: `from` writes to its contact `toContact`, who
 * is the client `to` and knows `from` as `fromContact`. Every incoming
 * 'message' event at `to` from `from` is recorded in arrival order,
 * across restarts of either daemon (ChatClient keeps its listeners).
 */
export class Conversation {
  readonly sent: MessageRecord[] = [];
  readonly events: SeenMessage[] = [];

  constructor(
    readonly from: ChatClient,
    readonly to: ChatClient,
    readonly toContact: string,
    readonly fromContact: string,
  ) {
    to.on((e) => {
      if (e.type === 'message' && e.message.direction === 'in' && e.message.contact === fromContact) {
        this.events.push({ id: e.message.id, text: e.message.content.text ?? '', atMs: Date.now() });
      }
    });
  }

  /** Sends `prefix #000` … `prefix #(n-1)`, one after the other (each is queued durably before the next). */
  async sendNumbered(prefix: string, n: number, gapMs = 0): Promise<string[]> {
    const texts = numbered(prefix, n);
    for (const text of texts) {
      const { message } = await this.from.api.sendText(this.toContact, text);
      this.sent.push(message);
      if (gapMs > 0) await sleep(gapMs);
    }
    return texts;
  }

  /**
   * Sends `prefix #1` … `#n` without waiting for each answer: the daemon
   * starts calls in the order of their lines (docs/client-api.md), so they
   * queue in that order, and their synced writes share fsyncs (group
   * commit) instead of pacing the sends one fsync apart. `sent` keeps the
   * order written.
   */
  async sendNumberedPipelined(prefix: string, n: number): Promise<string[]> {
    const texts = numbered(prefix, n);
    const answers = await Promise.all(texts.map((text) => this.from.api.sendText(this.toContact, text)));
    for (const { message } of answers) this.sent.push(message);
    return texts;
  }

  /** Events whose text starts with `prefix`. */
  eventsOf(prefix: string): SeenMessage[] {
    return this.events.filter((e) => e.text.startsWith(`${prefix} #`));
  }

  /** The recipient's stored incoming messages starting with `prefix`, in the history's order. */
  async receivedHistory(prefix: string): Promise<MessageRecord[]> {
    return (await this.to.api.history(this.fromContact, 10_000)).filter((m) => m.direction === 'in' && (m.content.text ?? '').startsWith(`${prefix} #`));
  }

  /** The sender's stored outgoing messages starting with `prefix`. */
  async sentHistory(prefix: string): Promise<MessageRecord[]> {
    return (await this.from.api.history(this.toContact, 10_000)).filter((m) => m.direction === 'out' && (m.content.text ?? '').startsWith(`${prefix} #`));
  }

  /** Retransmissions of the sender's messages starting with `prefix` (from its history). */
  async retransmissions(prefix: string): Promise<number> {
    return (await this.sentHistory(prefix)).reduce((a, m) => a + m.retransmissions, 0);
  }

  /** One line for a failure message: what arrived, what the sender thinks. */
  async describe(prefix: string): Promise<string> {
    const ev = this.eventsOf(prefix);
    const out = await this.sentHistory(prefix).catch(() => []);
    const states: Record<string, number> = {};
    for (const m of out) states[m.state] = (states[m.state] ?? 0) + 1;
    const s = await this.from.api.status().catch(() => null);
    return `${ev.length} events at ${this.to.name} (${new Set(ev.map((e) => e.id)).size} distinct); ${this.from.name}'s states ${JSON.stringify(states)}, queue ${JSON.stringify(s?.queue)}, retransmissions ${s?.traffic.retransmissions}; logs ${this.from.logPath}, ${this.to.logPath}`;
  }
}

export function numbered(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix} #${String(i).padStart(3, '0')}`);
}

/** Poisson count over a window: mean λt, standard deviation √(λt). */
export function poissonBounds(ratePerS: number, windowMs: number, sigmas: number): { mean: number; sd: number; low: number; high: number } {
  const mean = (ratePerS * windowMs) / 1000;
  const sd = Math.sqrt(mean);
  return { mean, sd, low: mean - sigmas * sd, high: mean + sigmas * sd };
}

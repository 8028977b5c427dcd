// The testnet's chatting clients (docs/testnet.md §Chat): real client
// daemons, each its own process (`chaff client daemon`), with a profile in
// the testnet's data folder, driven over their local sockets exactly as a
// user's `chaff client` commands drive them.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientEvent, MessageRecord } from '../client/api.js';
import { CLIENT_CONFIG_FILE, clientToml, loadClientConfig, type ClientSettings } from '../client/config.js';
import { initProfile } from '../client/init.js';
import { sortedQuantile } from '../protocol/stats/quantile.js';
import { clientSocketPath, connectClientApi, type ClientApiConnection } from '../client/rpc/index.js';
import { chaffEntry } from './chaff-entry.js';

/**
 * scrypt cost for the testnet's throwaway profiles: N = 2^14 (16 MiB, a few
 * ms) instead of the default 2^17, so a demo starts quickly. Their
 * passphrases sit in files beside them anyway.
 */
const TESTNET_SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

export interface ChatClientOptions {
  dir: string;
  name: string;
  networkFile: string;
  gateway: string;
  fetchIntervalMs: number;
  /** Client settings written into the profile's client.toml before the daemon first starts (tests: e.g. a shorter retransmit_slack). */
  settings?: Partial<Omit<ClientSettings, 'gateway' | 'gatewayName'>>;
  /** Trace mode: the daemon appends who wrote to whom to this file. */
  tracePath?: string;
}

export class ChatClient {
  readonly name: string;
  readonly profileDir: string;
  #address: string;
  #child: ChildProcess;
  #api: ClientApiConnection | null = null;
  readonly #passphraseFile: string;
  readonly #log: string;
  readonly #trace: string | undefined;
  #unsubscribe: (() => void) | null = null;
  #listeners = new Set<(e: ClientEvent) => void>();

  private constructor(name: string, profileDir: string, address: string, passphraseFile: string, log: string, child: ChildProcess, trace?: string) {
    this.#trace = trace;
    this.name = name;
    this.profileDir = profileDir;
    this.#address = address;
    this.#passphraseFile = passphraseFile;
    this.#log = log;
    this.#child = child;
  }

  /** Creates the profile (registering at `gateway`) and starts its daemon. */
  static async create(o: ChatClientOptions): Promise<ChatClient> {
    const profileDir = join(o.dir, `client-${o.name}`);
    const passphraseFile = join(o.dir, `client-${o.name}.passphrase`);
    const passphrase = `testnet passphrase of ${o.name}`;
    writeFileSync(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
    const { address } = await initProfile({ profileDir, passphrase, network: o.networkFile, gateway: o.gateway, fetchIntervalMs: o.fetchIntervalMs, scrypt: TESTNET_SCRYPT });
    if (o.settings) {
      const path = join(profileDir, CLIENT_CONFIG_FILE);
      const config = loadClientConfig(path);
      writeFileSync(path, clientToml({ ...config, client: { ...config.client, ...o.settings } }), { mode: 0o600 });
    }
    const log = join(o.dir, `client-${o.name}.log`);
    const client = new ChatClient(o.name, profileDir, address, passphraseFile, log, ChatClient.#spawn(profileDir, passphraseFile, log, o.tracePath), o.tracePath);
    await client.connect();
    return client;
  }

  /** Whether `dir` holds the profile of the chat client `name` (client.toml is written last by init). */
  static exists(dir: string, name: string): boolean {
    return existsSync(join(dir, `client-${name}`, CLIENT_CONFIG_FILE));
  }

  /**
   * Starts the daemon of a profile an earlier run created (a resumed
   * testnet), with its passphrase file beside it; its address is read back
   * from the daemon.
   */
  static async open(o: Pick<ChatClientOptions, 'dir' | 'name' | 'tracePath'>): Promise<ChatClient> {
    const profileDir = join(o.dir, `client-${o.name}`);
    const passphraseFile = join(o.dir, `client-${o.name}.passphrase`);
    if (!existsSync(passphraseFile)) throw new Error(`${passphraseFile} is missing: ${o.name}'s profile cannot be opened without it`);
    const log = join(o.dir, `client-${o.name}.log`);
    const child = ChatClient.#spawn(profileDir, passphraseFile, log, o.tracePath);
    const client = new ChatClient(o.name, profileDir, '', passphraseFile, log, child, o.tracePath);
    try {
      await client.connect();
      client.#address = (await client.api.address()).address;
    } catch (err) {
      await client.stop('SIGKILL').catch(() => undefined);
      throw err;
    }
    return client;
  }

  /** Adds `name` with `address` as a contact unless one of that name is there already (a resumed profile). */
  async ensureContact(name: string, address: string): Promise<void> {
    const contacts = await this.api.listContacts();
    if (!contacts.some((c) => c.name === name)) await this.api.addContact(name, address);
  }

  static #spawn(profileDir: string, passphraseFile: string, logPath: string, trace?: string): ChildProcess {
    const log = createWriteStream(logPath, { flags: 'a' });
    const args = [chaffEntry(), 'client', 'daemon', '--profile', profileDir, '--passphrase-file', passphraseFile, ...(trace ? ['--trace', trace] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    return child;
  }

  /** The profile's address (bech32m "chaff1…"). */
  get address(): string {
    return this.#address;
  }

  get api(): ClientApiConnection {
    if (!this.#api) throw new Error(`${this.name}: not connected`);
    return this.#api;
  }

  /** The daemon's log file (every run of it, appended). */
  get logPath(): string {
    return this.#log;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Waits for the daemon's socket (it answers once it has a document and its gateway). */
  async connect(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name}'s daemon exited (${this.#child.exitCode ?? this.#child.signalCode}); see ${this.#log}`);
      try {
        this.#api = await connectClientApi(clientSocketPath(this.profileDir), { timeoutMs: 30_000 });
        this.#unsubscribe = this.#api.subscribe((e) => {
          for (const l of this.#listeners) l(e);
        });
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${this.name}'s daemon did not answer within ${timeoutMs / 1000} s; see ${this.#log}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  on(listener: (e: ClientEvent) => void): void {
    this.#listeners.add(listener);
  }

  /** Stops the daemon with `signal` (SIGTERM: clean; SIGKILL: a crash) and waits for it. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#api?.close().catch(() => undefined);
    this.#api = null;
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    const kill = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    this.#child.kill(signal);
    await exited;
    clearTimeout(kill);
  }

  /** Starts the daemon again on the same profile (after stop). */
  async restart(): Promise<void> {
    this.#child = ChatClient.#spawn(this.profileDir, this.#passphraseFile, this.#log, this.#trace);
    await this.connect();
  }

  /** Kills the daemon if it is still running (the testnet's exit hook). */
  kill(): void {
    if (this.running) this.#child.kill('SIGKILL');
  }
}

export interface DeliveredMessage {
  from: string;
  to: string;
  text: string;
  latencyMs: number;
}

export interface ChatSummary {
  sent: number;
  delivered: number;
  retransmitted: number;
  /** Sent but neither delivered nor still on its way when the run ended. */
  lost: number;
  latencyMs: { mean: number; p50: number; p99: number } | null;
}

/** Tracks every message of a conversation between clients: sent, delivered once, latency. */
export class ChatLedger {
  readonly #sent = new Map<string, { from: string; to: string; text: string }>();
  readonly #delivered = new Map<string, DeliveredMessage>();
  readonly #duplicates: string[] = [];
  readonly #onDelivered: (d: DeliveredMessage) => void;

  constructor(onDelivered: (d: DeliveredMessage) => void) {
    this.#onDelivered = onDelivered;
  }

  /** Listens to `client`'s incoming messages. */
  watch(client: ChatClient): void {
    client.on((e) => {
      if (e.type !== 'message' || e.message.direction !== 'in') return;
      this.received(client.name, e.message);
    });
  }

  async send(from: ChatClient, toContact: string, text: string): Promise<MessageRecord> {
    const { message } = await from.api.sendText(toContact, text);
    this.#sent.set(message.id, { from: from.name, to: toContact, text });
    return message;
  }

  received(by: string, m: MessageRecord): void {
    const sent = this.#sent.get(m.id);
    if (this.#delivered.has(m.id)) {
      this.#duplicates.push(m.id);
      return;
    }
    const d = { from: sent?.from ?? m.contact, to: by, text: m.content.text ?? `[file ${m.content.file?.name}]`, latencyMs: (m.deliveredMs ?? Date.now()) - m.sentMs };
    this.#delivered.set(m.id, d);
    this.#onDelivered(d);
  }

  get sent(): number {
    return this.#sent.size;
  }

  /** Ids of the messages sent through this ledger. */
  sentIds(): ReadonlySet<string> {
    return new Set(this.#sent.keys());
  }

  get delivered(): number {
    return this.#delivered.size;
  }

  get duplicates(): number {
    return this.#duplicates.length;
  }

  pending(): number {
    let n = 0;
    for (const id of this.#sent.keys()) if (!this.#delivered.has(id)) n++;
    return n;
  }

  /** Texts `to` received from `from`, in the order they were shown. */
  receivedTexts(from: string, to: string): string[] {
    return [...this.#delivered.values()].filter((d) => d.from === from && d.to === to).map((d) => d.text);
  }

  summary(retransmitted: number): ChatSummary {
    const latencies = [...this.#delivered.values()].map((d) => d.latencyMs).sort((a, b) => a - b);
    return {
      sent: this.sent,
      delivered: this.delivered,
      retransmitted,
      lost: this.pending(),
      latencyMs: latencies.length ? { mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, p50: sortedQuantile(latencies, 0.5), p99: sortedQuantile(latencies, 0.99) } : null,
    };
  }
}

/** Total retransmissions of `client`'s outgoing messages to `contact` (only those of `ids`, if given: a resumed profile's history holds earlier runs). */
export async function retransmissionsOf(client: ChatClient, contact: string, ids?: ReadonlySet<string>): Promise<number> {
  const history = await client.api.history(contact, 10_000);
  return history.filter((m) => m.direction === 'out' && (!ids || ids.has(m.id))).reduce((a, m) => a + m.retransmissions, 0);
}

// Two chatting client daemons on an InProcessNetwork, all in this process:
// the testnet's relays (real libp2p hosts on 127.0.0.1, real LevelDB) with
// their gateways in trace mode, and two real client daemons
// (startClientDaemon on real profiles), alice at the first gateway and bob
// at the second, each the other's contact. Faster to start than
// ChatNetwork's processes; the traces show what a global passive observer
// and a corrupt gateway see (docs/simulator.md §Trace mode).

import { mkdtempSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientApi } from '../../client/api.js';
import { startClientDaemon, type RunningClient } from '../../client/daemon.js';
import { initProfile } from '../../client/init.js';
import { collectionsOf, COLLECTIONS } from '../../client/state.js';
import { openProfile } from '../../client/store/profile.js';
import { toHex } from '../../protocol/bytes.js';
import { decodeAddress } from '../../protocol/e2ee/address.js';
import type { Topology } from '../../protocol/pki/routes.js';
import { decodeTraceEvent, type TraceEvent } from '../../protocol/trace/events.js';
import type { TestnetShape } from '../../testnet/plan.js';
import { InProcessNetwork } from './in-process-network.js';
import { sleep } from './wait.js';

export interface TracedClient {
  name: string;
  api: ClientApi;
  address: string;
  /** Mailbox id, hex: the user id in the traces. */
  user: string;
  gateway: string;
  logPath: string;
  stop(): Promise<void>;
}

export class InProcessChat {
  /** Clients added after the start (addClient), stopped with the chat. */
  readonly #extra: TracedClient[] = [];

  private constructor(
    readonly net: InProcessNetwork,
    readonly topology: Topology,
    readonly traceDir: string,
    readonly alice: TracedClient,
    readonly bob: TracedClient,
    readonly fetchIntervalMs: number,
  ) {}

  /** Where `name`'s profile is, and its passphrase. */
  static #profileOf(net: InProcessNetwork, name: string): { profileDir: string; passphrase: string } {
    return { profileDir: join(net.plan.dir, `client-${name}`), passphrase: `in-process passphrase of ${name}` };
  }

  /** A profile `name` registered at `gateway`, and its daemon; alice and bob are started the same way. */
  static async #startClient(net: InProcessNetwork, traceDir: string, name: string, gateway: string, fetchIntervalMs: number): Promise<TracedClient> {
    const { profileDir, passphrase } = InProcessChat.#profileOf(net, name);
    const { address } = await initProfile({ profileDir, passphrase, network: net.plan.networkFile, gateway, fetchIntervalMs, scrypt: { N: 2 ** 14, r: 8, p: 1 } });
    return InProcessChat.#runClient(traceDir, name, profileDir, passphrase, gateway, address);
  }

  /** Starts the daemon of the profile in `profileDir`. */
  static async #runClient(traceDir: string, name: string, profileDir: string, passphrase: string, gateway: string, address: string): Promise<TracedClient> {
    const logPath = join(traceDir, `client-${name}.log`);
    const running: RunningClient = await startClientDaemon({ profileDir, passphrase, log: (line) => void appendFile(logPath, `${line}\n`).catch(() => undefined) });
    return { name, api: running.api, address, user: toHex(decodeAddress(address).mailbox), gateway, logPath, stop: () => running.stop() };
  }

  /** One more client (e.g. a stranger to alice and bob) at `gateway`, with the chat's fetch interval; no contacts. */
  async addClient(name: string, gateway: string): Promise<TracedClient> {
    const client = await InProcessChat.#startClient(this.net, this.traceDir, name, gateway, this.fetchIntervalMs);
    this.#extra.push(client);
    return client;
  }

  /**
   * `client` reinstalled (docs/client.md §Key changes): its daemon is
   * stopped, and a new profile at its gateway kept the old profile's gateway
   * key (so the same mailbox, which its card proves: docs/e2ee.md §2.1)
   * under a new identity key. Its daemon is started, with no contacts, and
   * stopped with the chat. Named `<name>-reinstalled` in the logs.
   */
  async reinstall(client: TracedClient): Promise<TracedClient> {
    await client.stop();
    const before = InProcessChat.#profileOf(this.net, client.name);
    const old = await openProfile(before.profileDir, before.passphrase, { collections: COLLECTIONS });
    let gatewayKey: Uint8Array | undefined;
    try {
      gatewayKey = await collectionsOf(old).profile.get('libp2p');
    } finally {
      await old.close();
    }
    if (!gatewayKey) throw new Error(`${client.name}'s profile holds no gateway key`);
    const name = `${client.name}-reinstalled`;
    const after = InProcessChat.#profileOf(this.net, name);
    // A new profile (a new identity, and a gateway key of its own registered), whose gateway key is then the old one.
    await initProfile({
      profileDir: after.profileDir,
      passphrase: after.passphrase,
      network: this.net.plan.networkFile,
      gateway: client.gateway,
      fetchIntervalMs: this.fetchIntervalMs,
      scrypt: { N: 2 ** 14, r: 8, p: 1 },
    });
    const store = await openProfile(after.profileDir, after.passphrase, { collections: COLLECTIONS });
    try {
      await store.batch().put(collectionsOf(store).profile, 'libp2p', gatewayKey).write({ sync: true });
    } finally {
      gatewayKey.fill(0);
      await store.close();
    }
    const started = await InProcessChat.#runClient(this.traceDir, name, after.profileDir, after.passphrase, client.gateway, client.address);
    // Its address: the new identity at the old mailbox.
    const reinstalled: TracedClient = { ...started, address: (await started.api.address()).address };
    this.#extra.push(reinstalled);
    return reinstalled;
  }

  static async start(shape: Partial<TestnetShape>, fetchIntervalMs: number): Promise<InProcessChat> {
    const traceDir = mkdtempSync(join(tmpdir(), 'chaff-traced-chat-'));
    const net = await InProcessNetwork.start(shape, () => {}, { traceDir });
    const clients: TracedClient[] = [];
    try {
      let topology = await net.currentDocument(60_000);
      // On a loaded machine an epoch's document may list only the gateways that had registered in time: wait for the next ones.
      for (const deadline = Date.now() + 90_000; topology.document.gateways.length < 2 && Date.now() < deadline;) {
        await sleep(1000);
        topology = await net.currentDocument(60_000);
      }
      const [gwA, gwB] = topology.document.gateways;
      if (!gwB) throw new Error(`the network's document lists ${topology.document.gateways.length} gateway(s); the chat needs two (configs in ${net.plan.dir})`);
      for (const [name, gateway] of [
        ['alice', gwA.name],
        ['bob', gwB.name],
      ] as const) {
        clients.push(await InProcessChat.#startClient(net, traceDir, name, gateway, fetchIntervalMs));
      }
      const [alice, bob] = clients;
      await alice.api.addContact('bob', bob.address);
      await bob.api.addContact('alice', alice.address);
      return new InProcessChat(net, topology, traceDir, alice, bob, fetchIntervalMs);
    } catch (err) {
      for (const c of clients) await c.stop().catch(() => undefined);
      await net.stop();
      throw err;
    }
  }

  /** The events of `gateway`'s trace (it is flushed every second: wait a little after the window). */
  traceOf(gateway: string): TraceEvent[] {
    const text = readFileSync(join(this.traceDir, `observer-${gateway}.jsonl`), 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(decodeTraceEvent);
  }

  async stop(): Promise<void> {
    for (const c of [this.alice, this.bob, ...this.#extra]) await c.stop().catch(() => undefined);
    await this.net.stop();
  }
}

/**
 * For a mocha `describe`: starts an InProcessChat before its tests and
 * stops it after them; returns the running chat.
 */
export function useInProcessChat(shape: Partial<TestnetShape>, fetchIntervalMs: number): () => InProcessChat {
  let chat: InProcessChat | undefined;
  before(async function () {
    this.timeout(120_000);
    chat = await InProcessChat.start(shape, fetchIntervalMs);
  });
  after(async function () {
    this.timeout(60_000);
    await chat?.stop();
  });
  return () => {
    if (!chat) throw new Error('the in-process chat did not start');
    return chat;
  };
}

// `chaff client daemon`: the process that owns a profile's keys, its gateway
// connection and its cover traffic (docs/client.md). It must run for the
// cover stream to stay constant. Front ends talk to it over the profile's
// local socket (client/rpc, docs/client-api.md).
//
//   document watcher ─▶ topology, rates ─▶ ClientStreams (λP, λL, λD)
//                                              │ each event
//                     Messenger.prepareNext ──▶│ real (sealed ahead) or decoy / loop / drop
//                                              ▼
//                                   PacketFactory ─▶ GatewayLink.trySend
//   MailboxPoller (constant rate) ─▶ ACK → Arq → Messenger.fragmentAcked
//                                 ─▶ loop, loop's or decoy's ACK → LoopMonitor
//                                 ─▶ envelope → Messenger.receive

import { join } from 'node:path';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { randomBytes } from 'node:crypto';
import { ctEqual, fromHex, toHex } from '../protocol/bytes.js';
import { addressOf, encodeAddress } from '../protocol/e2ee/address.js';
import { maxPlaintextLength } from '../protocol/e2ee/envelope.js';
import { deserializeIdentity, zeroizeIdentity } from '../protocol/e2ee/identity.js';
import { signMailboxProof } from '../protocol/e2ee/mailbox-proof.js';
import { epochAt, type EpochClock } from '../protocol/pki/epoch.js';
import { Topology } from '../protocol/pki/routes.js';
import { decryptSURBPayload, geometryFromUserForwardPayloadLength, type Geometry } from '../protocol/sphinx/index.js';
import { ClientStreams, raiseRates, type ClientRates, type StreamPacket } from '../protocol/traffic/client-streams.js';
import { cryptoUniform } from '../protocol/traffic/uniform.js';
import { fetchEntryBodyLength, type FetchEntry } from '../protocol/wire/fetch.js';
import { systemClock } from '../runtime/clock.js';
import { TraceWriter } from '../runtime/trace-writer.js';
import { authorityPeers } from '../runtime/pki/authority-peers.js';
import { DocumentWatcher } from '../runtime/pki/document-watcher.js';
import { PkiClient, type VerifiedDocument } from '../runtime/pki/pki-client.js';
import { pkiSigningKey } from '../runtime/pki/signing-key.js';
import { ClientError, type ClientApi, type ClientEvent, type ClientStatus } from './api.js';
import { CLIENT_CONFIG_FILE, loadClientConfig, type ClientConfig } from './config.js';
import { loadOrCreateDeliveryId, newDeliveryId, storeDeliveryId } from './delivery-id.js';
import { Messenger, type PreparedEnvelope } from './messenger.js';
import { GatewayLink } from './net/gateway-link.js';
import { MailboxPoller } from './receiver/mailbox-poller.js';
import { clientSocketPath, serveClientApi, type ClientApiServer } from './rpc/index.js';
import { Arq } from './sender/arq.js';
import { GatewayWait } from './sender/gateway-wait.js';
import { collectionsOf, COLLECTIONS } from './state.js';
import { openProfile } from './store/profile.js';
import type { SealedStore } from './store/sealed-store.js';
import { LoopMonitor } from './traffic/loop-monitor.js';
import { PacketFactory } from './traffic/packet-factory.js';


export interface ClientDaemonOptions {
  profileDir: string;
  passphrase: string;
  /** One JSON object per line (default: stderr). Never keys, names or text. */
  log?: (line: string) => void;
  /** Longest wait for the first verified document. Default 60 s. */
  documentTimeoutMs?: number;
  /** Trace mode (test networks only): append who wrote to whom to this file (docs/simulator.md §Trace mode). */
  tracePath?: string;
}

export interface RunningClient {
  api: ClientApi;
  socketPath: string;
  stop(): Promise<void>;
}

type Level = 'debug' | 'info' | 'warn';

/** Per-hop processing allowance added to the chosen delays (unwrap, queues, links), ms. */
const PER_HOP_ALLOWANCE_MS = 100;

/**
 * Envelopes kept sealed ahead of the payload stream. Sealing is
 * asynchronous (the session is saved first), so with a single one a
 * payload event that comes before the next sealing finished, or a burst of
 * events after an event-loop stall, would find nothing and send a drop
 * while messages wait.
 */
const PREPARED_AHEAD = 4;

export async function startClientDaemon(options: ClientDaemonOptions): Promise<RunningClient> {
  const write = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const debug = process.env.CHAFF_LOG === 'debug';
  const log = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (level === 'debug' && !debug) return;
    write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields }));
  };
  const config = loadClientConfig(join(options.profileDir, CLIENT_CONFIG_FILE));
  const store = await openProfile(options.profileDir, options.passphrase, {
    collections: COLLECTIONS,
    onCorruptRecord: (err) => log('warn', 'a corrupt record in the profile store was skipped', { collection: err.collection }),
  });
  try {
    return await ClientDaemon.start(options, config, store, log);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

class ClientDaemon {
  readonly #started = Date.now();
  readonly #clock = systemClock;
  readonly #uniform = cryptoUniform();
  readonly #docs = new Map<number, VerifiedDocument>();
  readonly #listeners = new Set<(e: ClientEvent) => void>();
  /** Envelopes sealed ahead, oldest first (PREPARED_AHEAD at most). */
  #prepared: PreparedEnvelope[] = [];
  #preparing = false;
  /** Packets that actually left, by kind (stream events minus those the link could not take). */
  readonly #sent = { real: 0, decoy: 0, drop: 0, loop: 0 };
  /** Fragments whose contact's gateway is not in the current document (they wait; their slots send decoys). */
  /** Each waits unsealed (null) or, when a document change caught it sealed, with its envelope. */
  readonly #waiting = new GatewayWait<PreparedEnvelope | null>();
  /** The epoch whose document #waiting was last checked against. */
  #waitingCheckedEpoch = -1;
  /** Build errors already logged this epoch (one line per kind of error, not per packet). */
  #logged = { epoch: -1, messages: new Set<string>() };
  #stopped = false;
  readonly #sentHistory: Array<[number, number]> = [];

  private constructor(
    readonly options: ClientDaemonOptions,
    readonly config: ClientConfig,
    readonly store: SealedStore,
    readonly log: (level: Level, msg: string, fields?: Record<string, unknown>) => void,
    readonly epochs: EpochClock,
    readonly pki: PkiClient,
    readonly watcher: DocumentWatcher,
    readonly link: GatewayLink,
    readonly geometry: Geometry,
    readonly arq: Arq,
    readonly loops: LoopMonitor,
    readonly factory: PacketFactory,
    readonly streams: ClientStreams<PreparedEnvelope>,
    readonly poller: MailboxPoller,
    readonly messenger: Messenger,
    readonly address: string,
    public server: ClientApiServer | null,
    readonly trace: TraceWriter | null,
  ) {}

  static async start(options: ClientDaemonOptions, config: ClientConfig, store: SealedStore, log: ClientDaemon['log']): Promise<RunningClient> {
    const col = collectionsOf(store);
    const identityBytes = await col.profile.get('identity');
    const keyBytes = await col.profile.get('libp2p');
    if (!identityBytes || !keyBytes) throw new ClientError('unavailable', `the profile in ${options.profileDir} is incomplete (no identity): run \`chaff client init\` again in a new folder`);
    const identity = deserializeIdentity(identityBytes);
    const key = privateKeyFromProtobuf(keyBytes) as Ed25519PrivateKey;
    const epochs: EpochClock = { genesisMs: config.network.genesisMs, epochDurationMs: config.network.epochDurationMs };

    const host = await GatewayLink.createHost(key);
    let cleanup = async () => {
      zeroizeIdentity(identity);
      await Promise.resolve(host.stop()).catch(() => undefined);
    };
    try {
      const pki = new PkiClient({ host, authorities: authorityPeers(config.network.authorities), dataDir: options.profileDir });
      await pki.start();
      const docs = new Map<number, VerifiedDocument>();
      let onDocument: (doc: VerifiedDocument) => void = (doc) => docs.set(doc.epoch, doc);
      const watcher = new DocumentWatcher({
        source: pki,
        clock: systemClock,
        epochs,
        onDocument: (doc) => onDocument(doc),
        onError: (epoch, err) => log('debug', 'document fetch failed; retrying', { epoch, error: err.message }),
      });
      watcher.start();
      const first = await waitForDocument(docs, epochs, options.documentTimeoutMs ?? 60_000);
      const gatewayId = fromHex(config.client.gateway);
      const gateway = first.document.gateways.find((g) => toHex(g.nodeId) === config.client.gateway);
      if (!gateway) throw new ClientError('unavailable', `the gateway ${config.client.gatewayName} (${config.client.gateway.slice(0, 16)}…) is not in the network's current document; it may be down`);
      const link = GatewayLink.over(host, key, gateway);
      // The private delivery id our contacts write to (client/delivery-id.ts).
      const deliveryId = await loadOrCreateDeliveryId(col.profile);
      await link.register({ deliveryId });
      const ownAddress = addressOf(identity, gatewayId, link.mailboxId);
      const geometry = geometryFromUserForwardPayloadLength(first.document.params.geometry);
      const envelopeLength = geometry.userForwardPayloadLength;

      let daemon!: ClientDaemon;
      const trace = options.tracePath ? new TraceWriter(options.tracePath, (err) => log('warn', 'trace file write failed; tracing stopped', { error: err.message })) : null;
      if (trace) log('warn', 'trace mode: recording who writes to whom (test networks only)', { file: options.tracePath });
      const arq = new Arq({
        clock: systemClock,
        maxAttempts: config.client.maxAttempts,
        minRetryWindowMs: 2 * config.network.epochDurationMs,
        onAcked: () => undefined,
        onGaveUp: (k, attempts) => void daemon.messenger.fragmentFailed(k, attempts).catch((err) => log('warn', 'could not record a failed message', { error: (err as Error).message })),
        onTimeout: () => daemon.refill(),
      });
      const messenger = await Messenger.load({
        store,
        collections: col,
        identity,
        ownAddress,
        clock: systemClock,
        envelopeLength,
        maxFrameLength: maxPlaintextLength(envelopeLength),
        orderHoldMs: config.client.orderHoldMs,
        enqueue: (k, attempts) => {
          arq.enqueue(k, attempts);
          daemon?.refill();
        },
        dequeue: (k) => arq.remove(k),
        nextKey: () => arq.next(),
        // A fragment to a gateway missing from the current document waits unsealed (issue 9 §4).
        routable: (gw) => daemon?.routable(gw) ?? true,
        unroutable: (k, gw) => daemon?.waitForGateway(k, gw, null),
        emit: (e) => daemon?.emit(e),
        ...(trace ? { onQueued: ({ to, id, fragments }) => trace!.write({ t: Date.now(), ev: 'message', from: toHex(link.mailboxId), to: toHex(to), id, fragments }) } : {}),
        log,
        deliveryId,
        // Our contact card proves our address's mailbox is ours (a key change is believed only with it).
        mailboxProof: signMailboxProof(pkiSigningKey(key), ownAddress),
      });
      const loops = new LoopMonitor(systemClock, Math.max(30_000, 20 * config.client.fetchIntervalMs));
      const factory = new PacketFactory({ geometry, uniform: cryptoUniform() });
      const streams = new ClientStreams<PreparedEnvelope>({
        clock: systemClock,
        uniform: cryptoUniform(),
        rates: ClientDaemon.ratesOf(first, config),
        nextReal: () => daemon.takePrepared(),
        emit: (packet, at) => daemon.emitPacket(packet, at),
      });
      const bodyLength = fetchEntryBodyLength(geometry);
      const poller = new MailboxPoller({
        clock: systemClock,
        intervalMs: config.client.fetchIntervalMs,
        fetch: (acks) => link.fetch(acks, bodyLength),
        handle: (entry) => daemon.handleEntry(entry),
        onError: (err) => log('debug', 'mailbox fetch failed', { error: err.message }),
      });
      daemon = new ClientDaemon(options, config, store, log, epochs, pki, watcher, link, geometry, arq, loops, factory, streams, poller, messenger, encodeAddress(ownAddress), null, trace);
      for (const [e, d] of docs) daemon.#docs.set(e, d);
      onDocument = (doc) => daemon.onDocument(doc);
      cleanup = async () => {
        await daemon.stop();
      };
      await link.connect().catch((err) => log('warn', 'gateway not reachable yet; retrying in the background', { error: (err as Error).message }));
      streams.start();
      poller.start();
      daemon.refill();
      daemon.server = await serveClientApi(daemon.api(), clientSocketPath(options.profileDir), { log: (line) => log('debug', line) });
      log('info', 'client daemon running', { gateway: gateway.name, epoch: first.epoch, socket: daemon.server.socketPath, rates: streams.rates });
      return { api: daemon.api(), socketPath: daemon.server.socketPath, stop: () => daemon.stop() };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  static ratesOf(doc: VerifiedDocument, config: ClientConfig): ClientRates {
    const p = doc.document.params;
    return raiseRates({ lambdaP: p.lambdaP, lambdaL: p.lambdaL, lambdaD: p.lambdaD }, config.client.raise);
  }

  /** The document of the epoch now, or the newest one known. */
  topology(): Topology | null {
    const now = epochAt(Date.now(), this.epochs);
    const doc = this.#docs.get(now) ?? [...this.#docs.values()].sort((a, b) => b.epoch - a.epoch)[0];
    return doc ? new Topology(doc.document) : null;
  }

  #topologyCache: { epoch: number; topology: Topology } | null = null;

  currentTopology(): Topology | null {
    const now = epochAt(Date.now(), this.epochs);
    if (this.#topologyCache?.epoch === now) return this.#topologyCache.topology;
    const t = this.topology();
    if (t && t.epoch === now) this.#topologyCache = { epoch: now, topology: t };
    return t;
  }

  onDocument(doc: VerifiedDocument): void {
    this.#docs.set(doc.epoch, doc);
    for (const e of this.#docs.keys()) if (e < doc.epoch - 2) this.#docs.delete(e);
    const current = epochAt(Date.now(), this.epochs);
    if (doc.epoch < current) return;
    const gateway = doc.document.gateways.find((g) => toHex(g.nodeId) === this.config.client.gateway);
    if (gateway) this.link.updateGateway(gateway);
    else this.log('warn', 'our gateway is not in the document of a coming epoch', { epoch: doc.epoch });
    const rates = ClientDaemon.ratesOf(doc, this.config);
    const old = this.streams.rates;
    if (doc.epoch === current && (rates.lambdaP !== old.lambdaP || rates.lambdaL !== old.lambdaL || rates.lambdaD !== old.lambdaD)) {
      this.streams.setRates(rates);
      this.log('info', 'cover rates changed with the document', { epoch: doc.epoch, rates });
    }
  }

  // ------------------------------------------------------------ sending path

  /** Keeps up to PREPARED_AHEAD real envelopes sealed ahead, so a stream event sends one at once. */
  refill(): void {
    if (this.#stopped || this.#preparing || this.#prepared.length >= PREPARED_AHEAD) return;
    this.#preparing = true;
    this.messenger
      .prepareNext()
      .then((p) => {
        if (p) this.#prepared.push(p);
        return p;
      })
      .catch((err) => {
        this.log('warn', 'could not prepare a message for sending', { error: (err as Error).message });
        return null;
      })
      .then((p) => {
        this.#preparing = false;
        if (p) this.refill();
      });
  }

  takePrepared(): PreparedEnvelope | undefined {
    const topology = this.currentTopology();
    if (topology) this.#releaseWaiting(topology);
    let p: PreparedEnvelope | undefined;
    while ((p = this.#prepared.shift()) !== undefined) {
      // Skip any acknowledged (a late ACK) or removed while it waited.
      if (!this.arq.has(p.key)) continue;
      // No route to its gateway this epoch: it waits, and the slot goes to
      // the next one or to a decoy, never to silence (issue 9 §4).
      if (topology && !topology.document.gateways.some((g) => ctEqual(g.nodeId, p!.gateway))) {
        this.waitForGateway(p.key, p.gateway, p);
        continue;
      }
      break;
    }
    this.refill();
    return p;
  }

  /** Whether `gateway` is in the current document (a fragment to it can be routed). */
  routable(gateway: Uint8Array): boolean {
    const topology = this.currentTopology();
    return !topology || topology.document.gateways.some((g) => ctEqual(g.nodeId, gateway));
  }

  /** `key`'s gateway is not in the current document: it waits (with its envelope if already sealed) until it is. */
  waitForGateway(key: string, gateway: Uint8Array, sealed: PreparedEnvelope | null): void {
    this.#waiting.park(key, gateway, sealed);
    this.#logOnce("a contact's gateway is not in this epoch's document; messages to it wait until it is back", { gateway: toHex(gateway).slice(0, 16) });
  }

  /**
   * Once per epoch: fragments whose gateway is back go first, in their
   * order: a sealed one as it was sealed, an unsealed one to the front of
   * the send queue.
   */
  #releaseWaiting(topology: Topology): void {
    if (topology.epoch === this.#waitingCheckedEpoch || this.#waiting.size === 0) return;
    this.#waitingCheckedEpoch = topology.epoch;
    const present = new Set(topology.document.gateways.map((g) => toHex(g.nodeId)));
    const keys: string[] = [];
    const sealed: PreparedEnvelope[] = [];
    const back = this.#waiting.release((g) => present.has(g), (k) => this.arq.has(k), (key, item) => (item ? sealed.push(item) : keys.push(key)));
    if (back === 0) return;
    this.#prepared = [...sealed, ...this.#prepared];
    for (const key of keys.reverse()) this.arq.unsent(key);
    this.refill();
    this.log('info', "messages waiting for a contact's gateway are sent now", { fragments: back, epoch: topology.epoch });
  }

  #logOnce(msg: string, fields: Record<string, unknown>): void {
    const epoch = epochAt(Date.now(), this.epochs);
    if (this.#logged.epoch !== epoch) this.#logged = { epoch, messages: new Set() };
    const key = `${msg} ${String(fields.error ?? '')}`;
    if (this.#logged.messages.has(key)) return;
    this.#logged.messages.add(key);
    this.log('warn', msg, { ...fields, note: 'logged once per epoch' });
  }

  /**
   * Sends what one stream event asks for. Whatever is queued, a payload
   * event sends exactly one packet (a real one, or a decoy when nothing can
   * go), so the streams never pause or burst because of the queue. Only
   * what is the same for every client leaves a slot empty: no document
   * yet, or a link that refuses every packet alike.
   */
  emitPacket(packet: StreamPacket<PreparedEnvelope>, atMs: number): void {
    const topology = this.currentTopology();
    if (!topology) {
      if (packet.kind === 'real') this.arq.unsent(packet.item.key);
      return;
    }
    const own = this.link.gateway.nodeId;
    const mailbox = this.#ownInbox();
    try {
      if (packet.kind === 'drop') {
        if (this.#send(this.factory.drop(topology, own, mailbox).packet)) this.#sent.drop++;
      } else if (packet.kind === 'loop') {
        const payload = randomBytes(this.factory.userPayloadLength);
        const built = this.factory.loop(topology, own, mailbox, payload);
        if (this.#send(built.packet)) {
          this.#sent.loop++;
          this.loops.sent(payload, built.surbId!, this.#expectedBackMs(topology, atMs, built.forwardDelayMs));
        }
      } else if (packet.kind === 'decoy' || !this.#sendReal(topology, packet.item)) {
        this.#sendDecoy(topology, atMs);
      }
    } catch (err) {
      this.#logOnce('could not build a packet', { kind: packet.kind, error: (err as Error).message });
    }
  }

  /**
   * Where our own SURB-ACKs and loops are addressed: the private delivery id
   * once registered (docs/gateway.md §Contact requests and the delivery id),
   * so they land in the main lane like our contacts' messages and a stranger
   * filling the contact-request lane cannot make them drop.
   */
  #ownInbox(): Uint8Array {
    return this.link.deliveryId ?? this.link.mailboxId;
  }

  /** When a packet that left at `atMs` (or its ACK) should be in our mailbox, with room for processing and pulls. */
  #expectedBackMs(topology: Topology, atMs: number, delaysMs: number): number {
    return atMs + delaysMs + (topology.document.layers.length + 2) * PER_HOP_ALLOWANCE_MS + 2 * this.config.client.fetchIntervalMs;
  }

  /** A decoy in a payload slot (docs/traffic.md §What the ACKs show): its ACK comes back like a real packet's. */
  #sendDecoy(topology: Topology, atMs: number): void {
    const built = this.factory.decoy(topology, this.link.gateway.nodeId, this.#ownInbox());
    // Its ACK is recognised by the SURB id alone: the keys are not needed.
    built.surbKeys?.fill(0);
    if (this.#send(built.packet)) {
      this.#sent.decoy++;
      this.loops.decoySent(built.surbId!, this.#expectedBackMs(topology, atMs, built.forwardDelayMs + built.ackDelayMs));
    }
  }

  /**
   * Sends a real fragment; false when it cannot be built (then the slot
   * sends a decoy instead, and the fragment goes back to the queue, or
   * waits for its gateway). A link that refuses it counts as the slot used:
   * it refuses a decoy as well.
   */
  #sendReal(topology: Topology, item: PreparedEnvelope): boolean {
    const { key, envelope, gateway, mailbox: to } = item;
    let built;
    try {
      built = this.factory.real(topology, this.link.gateway.nodeId, this.#ownInbox(), gateway, to, envelope);
    } catch (err) {
      if (!topology.document.gateways.some((g) => ctEqual(g.nodeId, gateway))) this.waitForGateway(key, gateway, item);
      else {
        // Any other build error: count it as a transmission that went nowhere,
        // so a fragment that can never be built fails after maxAttempts
        // instead of taking every slot.
        this.arq.sent(key, randomBytes(16), new Uint8Array(0), 10_000);
      }
      this.#logOnce('could not build a real packet; the slot sent a decoy', { error: (err as Error).message });
      return false;
    }
    if (!this.#send(built.packet)) {
      built.surbKeys?.fill(0);
      this.arq.unsent(key);
      return true;
    }
    this.#sent.real++;
    const hops = topology.document.layers.length + 2;
    const attempt = this.arq.attempts(key) + 1;
    const timeout = (built.forwardDelayMs + built.ackDelayMs + 2 * hops * PER_HOP_ALLOWANCE_MS + 2 * this.config.client.fetchIntervalMs + this.config.client.retransmitSlackMs) * Math.min(4, 1 + 0.5 * (attempt - 1));
    this.arq.sent(key, built.surbId!, built.surbKeys!, timeout);
    this.messenger.fragmentSent(key, attempt);
    return true;
  }

  #send(packet: Uint8Array): boolean {
    const ok = this.link.trySend(packet);
    if (ok) {
      const now = Date.now();
      this.#sentHistory.push([now, packet.length]);
      while (this.#sentHistory.length > 0 && this.#sentHistory[0][0] < now - 60_000) this.#sentHistory.shift();
    }
    return ok;
  }

  // ---------------------------------------------------------- receiving path

  async handleEntry(entry: FetchEntry): Promise<void> {
    if (entry.kind === 'surb-reply') {
      const surbId = entry.surbId!;
      if (this.loops.ackReturned(surbId)) return;
      const found = this.arq.lookup(surbId);
      if (!found) return;
      try {
        decryptSURBPayload(this.geometry, entry.body, found.surbKeys);
      } catch {
        // Not made with our SURB keys: forged or corrupted. The real ACK may still come.
        this.#logOnce('an ACK that does not open with its SURB keys was ignored', {});
        return;
      }
      this.arq.confirm(found.key, surbId);
      await this.messenger.fragmentAcked(found.key);
      return;
    }
    if (this.loops.returned(entry.body)) return;
    await this.messenger.receive(entry.body);
  }

  // -------------------------------------------------------------------- api

  emit(e: ClientEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // A front end's listener must not break the daemon.
      }
    }
  }

  status(): ClientStatus {
    const link = this.link.stats();
    const arq = this.arq.stats();
    const counts = this.#sent;
    const topology = this.currentTopology();
    const now = Date.now();
    const window = this.#sentHistory.filter(([t]) => t >= now - 60_000);
    const span = Math.min(60_000, now - this.#started);
    const rates = this.streams.rates;
    const waiting = this.#waiting.prune((k) => this.arq.has(k));
    return {
      profile: this.options.profileDir,
      address: this.address,
      gateway: { name: this.link.gateway.name, nodeId: toHex(this.link.gateway.nodeId), connected: this.link.connected },
      epoch: topology?.epoch ?? null,
      documentAgeMs: topology ? Math.max(0, now - (this.epochs.genesisMs + topology.epoch * this.epochs.epochDurationMs)) : null,
      queue: { queued: this.messenger.queuedFragments - arq.inFlight - waiting, inFlight: arq.inFlight, failed: this.messenger.failedMessages, waitingForGateway: waiting },
      rates: { ...rates, mu: topology?.document.params.mu ?? 0, fetchPerSecond: 1000 / this.config.client.fetchIntervalMs },
      traffic: {
        packetsSent: { real: counts.real, decoy: counts.decoy, drop: counts.drop, loop: counts.loop },
        bytesSent: link.bytesSent,
        bytesReceived: link.bytesReceived,
        sendRateBps: span > 0 ? window.reduce((a, [, b]) => a + b, 0) / (span / 1000) : 0,
        retransmissions: arq.retransmissions,
        acksReceived: arq.acked,
      },
      loops: (({ sent, returned, late, lost, outstanding }) => ({ sent, returned, late, lost, outstanding }))(this.loops.stats()),
      decoys: this.loops.decoyStats(),
      uptimeMs: now - this.#started,
    };
  }

  api(): ClientApi {
    const m = this.messenger;
    return {
      status: async () => this.status(),
      address: async () => ({ address: this.address }),
      addContact: (name, address) => m.addContact(name, address),
      listContacts: async () => m.listContacts(),
      removeContact: (name) => m.removeContact(name),
      acceptContactKey: (name, unverify) => m.acceptContactKey(name, unverify ?? false),
      rejectContactKey: (name) => m.rejectContactKey(name),
      markVerified: (name, verified) => m.markVerified(name, verified),
      sendText: async (contact, text) => {
        if (typeof text !== 'string') throw new ClientError('bad-request', 'text must be a string');
        return { message: await m.send(contact, { kind: 'text', text }) };
      },
      sendFile: async (contact, name, data) => {
        const bytes = Buffer.from(data, 'base64');
        return { message: await m.send(contact, { kind: 'file', name, data: new Uint8Array(bytes) }) };
      },
      history: async (contact, limit) => m.history(contact, limit),
      inbox: async () => m.inbox(),
      markRead: (contact) => m.markRead(contact),
      fileData: async (id) => {
        const f = await m.fileData(id);
        return { name: f.name, data: Buffer.from(f.data).toString('base64') };
      },
      verify: async (contact) => m.verify(contact),
      rotateDeliveryId: async () => {
        // Registered first, then kept, then announced: a failure at any step leaves gateway, profile and contacts agreeing on one id or the other.
        const id = newDeliveryId();
        await this.link.register({ deliveryId: id });
        await storeDeliveryId(collectionsOf(this.store).profile, id);
        await m.announceDeliveryId(id);
        this.log('info', 'delivery id rotated; contacts get the new one in their next card');
        return { contacts: m.listContacts().length };
      },
      subscribe: (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      },
    };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.streams.stop();
    await this.poller.stop();
    // Hand the gateway the acknowledgements of what we already stored.
    await this.poller.pollOnce().catch(() => undefined);
    this.arq.stop();
    this.loops.stop();
    this.messenger.stop();
    this.watcher.stop();
    await this.server?.close().catch(() => undefined);
    await this.link.stop().catch(() => undefined);
    await this.store.close().catch(() => undefined);
    await this.trace?.close().catch(() => undefined);
    this.log('info', 'client daemon stopped');
  }
}

async function waitForDocument(docs: Map<number, VerifiedDocument>, epochs: EpochClock, timeoutMs: number): Promise<VerifiedDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = epochAt(Date.now(), epochs);
    const doc = docs.get(now) ?? docs.get(now + 1) ?? docs.get(now - 1);
    if (doc) return doc;
    if (Date.now() > deadline) throw new ClientError('unavailable', `no verified network document within ${Math.round(timeoutMs / 1000)} s: are the authorities in client.toml reachable?`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

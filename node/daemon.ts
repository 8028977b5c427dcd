// The relay daemon: `chaff node --config node.toml`. One process runs one
// role (authority, mix or gateway) from its TOML config: it loads its
// identity and stores from the data folder, joins the PKI, serves its
// protocols, exposes metrics and stops cleanly (stores flushed) on
// SIGINT/SIGTERM. docs/operators.md.
//
// The composition root of the node: it builds each component from its init
// options and the narrow components it needs (runtime/lifecycle/startable.ts),
// starts them in this order and stops them in the reverse order
// (docs/operators.md §Shutdown, after Katzenpost's server.halt()):
//
//   every role   host (libp2p: TCP, Noise, yamux)
//   authority    authority service (reloads its documents and round, serves the PKI protocols, runs the schedule)
//   mix, gateway [trace file (gateway, test networks)] → Sphinx keyring → replay cache → key retirement
//                → PKI client → document watcher → descriptor uploader, then
//     mix        mix service (its packet link and loops)
//     gateway    mailbox store → client registry → handle registry → packet link → gateway service → mailbox expiry
//   every role   metrics server (last up, first down: a scrape never sees a half-built node)
//
// So a stopping node first stops answering (metrics, client protocols,
// packet link), then stops its PKI work, and closes its stores (flushed)
// and last its host. A draining node (drain(), SIGUSR2) first refuses new
// packets, delivers what it holds, then stops the same way (ops/drain.ts).
//
// Every service logs through a rate-limited logger (ops/rate-limited-logger.ts)
// and the drops and refusals every service counts by reason are logged once a
// minute (ops/drop-report.ts): a hostile peer cannot flood the log.

import { join } from 'node:path';
import type { NodeConfig } from './config.js';
import { systemClock } from '../runtime/clock.js';
import type { Clock } from '../protocol/traffic/clock.js';
import { Lifecycle, type Startable } from '../runtime/lifecycle/startable.js';
import { AuthorityService } from './authority/authority-service.js';
import { AdmissionList } from './authority/admission-list.js';
import { ClientRegistry } from './gateway/client-registry.js';
import { GatewayService } from './gateway/gateway-service.js';
import { HandleRegistry } from './gateway/handle-registry.js';
import { InviteStore } from './gateway/invite-store.js';
import { EpochKeyring } from './keys/epoch-keys.js';
import { KeyRetirement } from './keys/key-retirement.js';
import { hopDelayBoundMs } from './mix/hop-delay-bound.js';
import { MixService } from './mix/mix-service.js';
import { createHost, type Host } from '../runtime/net/host.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';
import { PacketLink } from './net/packet-link.js';
import { TopologyRouter } from './net/topology-router.js';
import { HeldDocuments } from './net/held-documents.js';
import type { Logger } from '../runtime/log/logger.js';
import { Metrics } from './ops/metrics.js';
import { MetricsServer } from './ops/metrics-server.js';
import { documentAgeSeconds, documentsInForce } from './ops/document-age.js';
import { DrainGate, drainHeld } from './ops/drain.js';
import { DropReport } from './ops/drop-report.js';
import { rateLimitedLogger } from './ops/rate-limited-logger.js';
import { PACKET_PROTOCOL } from './net/packet-link.js';
import { CLIENT_REGISTER_PROTOCOL, CLIENT_SEND_PROTOCOL } from '../protocol/wire/client-protocols.js';
import { MailboxExpiry } from './gateway/mailbox-expiry.js';
import { authorityPeers } from '../runtime/pki/authority-peers.js';
import { DocumentWatcher } from '../runtime/pki/document-watcher.js';
import { PkiClient } from '../runtime/pki/pki-client.js';
import { pkiSigningKey } from '../runtime/pki/signing-key.js';
import { MailboxStore } from './store/mailbox-store.js';
import { ReplayCache } from './store/replay-cache.js';
import { familyDeclaration, signDescriptor } from '../protocol/pki/descriptor.js';
import type { NetworkParams } from '../protocol/pki/document.js';
import { epochAt } from '../protocol/pki/epoch.js';
import { nodeIdOf } from '../protocol/pki/node-id.js';
import { geometryFromUserForwardPayloadLength } from '../protocol/sphinx/geometry.js';
import { TraceWriter } from '../runtime/trace-writer.js';
import { DescriptorUploader } from './pki/descriptor-uploader.js';

export interface RunningNode {
  readonly role: NodeConfig['node']['role'];
  readonly host: Host;
  /** Port the metrics are served on, or null. */
  readonly metricsPort: number | null;
  /** The node's metrics (what GET /metrics serves). */
  readonly metrics: Metrics;
  /** The components, in the order they started (they stop in the reverse order). */
  readonly startOrder: readonly string[];
  /** A JSON-able snapshot of the node's counters. */
  status(): Record<string, unknown>;
  /**
   * Drain mode (ops/drain.ts): refuse new packets and registrations, deliver
   * what is held (the delay queue on its own schedule), then stop. Resolves
   * true if everything held left before the deadline.
   */
  drain(): Promise<boolean>;
  stop(): Promise<void>;
}

/** The inbound protocols that bring a node new work: refused while it drains. */
const DRAINED_PROTOCOLS = [PACKET_PROTOCOL, CLIENT_SEND_PROTOCOL, CLIENT_REGISTER_PROTOCOL];

/** After the longest delay a packet may carry, this long for its last sends. */
const DRAIN_MARGIN_MS = 10_000;

/** The network parameters an authority publishes, from its config. */
export function networkParams(config: NodeConfig): NetworkParams {
  const a = config.authority;
  return {
    mu: a.mu,
    lambdaP: a.lambdaP,
    lambdaL: a.lambdaL,
    lambdaD: a.lambdaD,
    lambdaM: a.lambdaM,
    geometry: { nike: 'X25519', nrHops: a.nrHops, userForwardPayloadLength: a.userForwardPayloadLength, withSURB: true },
    genesisMs: a.genesisMs,
    epochDurationMs: a.epochDurationMs,
    layers: a.layers,
  };
}

export interface RunNodeOptions {
  /** The node's clock (default: the system clock); tests pass a ManualClock. */
  clock?: Clock;
  /**
   * A gateway writes a trace of what an observer and a corrupt gateway see
   * to this file (test networks only: docs/simulator.md §Trace mode).
   */
  tracePath?: string;
}

export async function runNode(config: NodeConfig, nodeLog: Logger, options: RunNodeOptions = {}): Promise<RunningNode> {
  const clock = options.clock ?? systemClock;
  const log = rateLimitedLogger(nodeLog, clock);
  const identity = await loadOrCreateIdentity(config.node.dataDir);
  const lifecycle = new Lifecycle(log);
  const gate = new DrainGate(DRAINED_PROTOCOLS);
  // A gateway holds one connection per client (libp2p's default of 300 would prune the rest).
  const maxConnections = config.node.role === 'gateway' ? { maxConnections: config.gateway.maxClients + 1024 } : {};
  const host = gate.wrap(await createHost({ privateKey: identity.privateKey, listen: config.node.listen, ...maxConnections }));
  lifecycle.onStop('host', () => host.stop());
  const metrics = new Metrics();
  metrics.gauge('chaff_process_resident_bytes', 'Resident set size of the node process', () => process.memoryUsage.rss());
  metrics.gauge('chaff_process_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed);
  log.info('node starting', { name: config.node.name, role: config.node.role, peerId: identity.peerId.toString(), listen: host.getMultiaddrs().map(String) });
  const params = networkParams(config);
  const authorities = authorityPeers(config.authorities);
  try {
    // A network whose epoch 0 has not begun yet: wait for it rather than fail.
    const untilGenesis = params.genesisMs - clock.now();
    if (untilGenesis > 0) {
      log.info('waiting for the network genesis', { seconds: Math.ceil(untilGenesis / 1000) });
      await new Promise<void>((resolve) => clock.at(params.genesisMs, resolve));
    }
    const root: Root = { lifecycle, clock, log };
    let role: RoleParts;
    if (config.node.role === 'authority') {
      role = await startAuthority(config, root, { host, identity, params, authorities, metrics });
    } else {
      let trace: TraceWriter | undefined;
      if (options.tracePath && config.node.role === 'gateway') {
        const writer = new TraceWriter(options.tracePath, (err) => log.warn('trace file write failed; tracing stopped', { error: err.message }), clock);
        trace = writer;
        lifecycle.onStop('trace file', () => writer.close());
        log.warn('trace mode: recording what an observer would see (test networks only)', { file: options.tracePath });
      }
      role = await startRelay(config, root, { host, identity, params, authorities, metrics, ...(trace ? { trace } : {}) });
    }
    metrics.counter('chaff_drain_refused_total', 'Streams refused while draining, by reason (the protocol)', () => gate.refused);
    let metricsPort: number | null = null;
    if (config.metrics.listen) {
      const server = await start(root, 'metrics server', new MetricsServer({ metrics, logger: log.child('metrics') }, { listen: config.metrics.listen }));
      metricsPort = server.port;
    }
    log.info('node running', { role: config.node.role, metricsPort, started: lifecycle.order });
    // Not a step of the lifecycle: it serves nothing, and it stops after every step has, so that
    // its last line has what the stop itself dropped (reason shutdown).
    const report = new DropReport({ clock, logger: log, sources: () => metrics.refusals() });
    await report.start();
    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => (stopping ??= lifecycle.stop().then(() => report.stop()));
    let draining: Promise<boolean> | null = null;
    const drain = async (): Promise<boolean> => {
      gate.close();
      const done = await drainHeld({ clock, logger: log, held: role.held }, { deadlineMs: role.drainDeadlineMs() });
      await stop();
      return done;
    };
    return {
      role: config.node.role,
      host,
      metricsPort,
      metrics,
      startOrder: lifecycle.order,
      status: () => role.status(),
      drain: () => (draining ??= drain()),
      stop,
    };
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

/** What every part of the composition root shares: the lifecycle its components join, the clock, the node's logger. */
interface Root {
  lifecycle: Lifecycle;
  clock: Clock;
  log: Logger;
}

/** Starts `service` as the next step of the node (stopped in reverse order). */
async function start<T extends Startable>(root: Root, name: string, service: T): Promise<T> {
  await root.lifecycle.add({ name, start: () => service.start(), stop: () => service.stop() });
  return service;
}

/** What the role's part of the composition root hands back. */
interface RoleParts {
  status(): Record<string, unknown>;
  /** Packets held now, by queue (what a drain waits for). */
  held(): Record<string, number>;
  /** How long a drain may wait for held() to empty. */
  drainDeadlineMs(): number;
}

interface NodeParts {
  host: Host;
  identity: Awaited<ReturnType<typeof loadOrCreateIdentity>>;
  params: NetworkParams;
  authorities: ReturnType<typeof authorityPeers>;
  metrics: Metrics;
  trace?: TraceWriter;
}

/** An authority: its service and counters. */
async function startAuthority(config: NodeConfig, root: Root, parts: NodeParts): Promise<RoleParts> {
  const { clock, log } = root;
  const { host, identity, params, authorities, metrics } = parts;
  const service = await start(
    root,
    'authority service',
    new AuthorityService(
      { host, clock, logger: log.child('authority'), admission: new AdmissionList(config.authority.admissionsPath) },
      { identity: pkiSigningKey(identity.privateKey), authorities, params, dataDir: config.node.dataDir, maxDescriptorsPerEpoch: config.authority.maxDescriptorsPerEpoch },
    ),
  );
  metrics.counter('chaff_pki_documents_published_total', 'Documents published with a majority of signatures', () => service.stats().documentsPublished);
  metrics.counter('chaff_pki_descriptors_refused_total', 'Descriptors refused by reason', () => service.stats().descriptorsRefused);
  metrics.counter('chaff_pki_descriptors_accepted_total', 'Descriptors accepted', () => service.stats().descriptorsAccepted);
  metrics.counter('chaff_pki_shares_refused_total', 'Descriptor shares from other authorities refused by reason', () => service.stats().sharesRefused);
  metrics.counter('chaff_pki_signatures_refused_total', 'Document signatures from other authorities refused by reason', () => service.stats().signaturesRefused);
  metrics.counter('chaff_pki_document_requests_refused_total', 'Document requests refused by reason', () => service.stats().documentRequestsRefused);
  metrics.gauge('chaff_pki_admitted_nodes', 'Node identities this authority admits now (admissions.toml)', () => service.stats().admission.admitted);
  metrics.counter('chaff_pki_admission_list_errors_total', 'Admission list reloads refused (the previous list stayed in force)', () => service.stats().admission.errors);
  metrics.counter('chaff_pki_shared_descriptors_refused_total', "Descriptors in other authorities' shares not kept, by reason", () => service.stats().sharedDescriptorsRefused);
  metrics.counter('chaff_pki_views_refused_total', 'Admission views from other authorities refused by reason', () => service.stats().viewsRefused);
  for (const p of Object.keys(service.stats().rpc) as Array<keyof ReturnType<typeof service.stats>['rpc']>) exposeRpcMetrics(metrics, p, () => service.stats().rpc[p]);
  metrics.gauge('chaff_epoch', 'Current epoch', () => epochAt(clock.now(), params));
  // An authority holds no packets: its documents and round log are on disk, so a drain stops at once.
  return { status: () => ({ ...service.stats() }), held: () => ({}), drainDeadlineMs: () => 0 };
}

/** A mix or gateway: keys, replay cache, PKI, and the role's service. */
async function startRelay(config: NodeConfig, root: Root, parts: NodeParts): Promise<RoleParts> {
  const { lifecycle, clock, log } = root;
  const { host, identity, params, metrics } = parts;
  const geometry = geometryFromUserForwardPayloadLength(params.geometry);
  const nodeId = nodeIdOf(identity.publicKey);
  const signing = pkiSigningKey(identity.privateKey);

  // Keys for this epoch, the next and the one after: a descriptor for E + 1 publishes E + 1 and E + 2.
  const keyring = new EpochKeyring({ dir: join(config.node.dataDir, 'sphinx-keys'), epochs: params, graceMs: config.mix.keyGraceMs, ahead: 2 });
  lifecycle.onStop('sphinx keyring', () => keyring.close());
  // Tags of epochs whose key has retired are pruned on open and whenever a key retires (node/keys/key-retirement.ts).
  const replay = await ReplayCache.open(join(config.node.dataDir, 'replay'), { liveFrom: keyring.liveFrom(clock.now()) });
  lifecycle.onStop('replay cache', () => replay.close());
  await start(root, 'key retirement', new KeyRetirement({ keyring, clock, logger: log.child('key-retirement') }, { onRetired: (liveFrom) => replay.pruneBefore(liveFrom) }));
  metrics.gauge('chaff_replay_cache_tags', 'Replay tags held per live epoch', () => Object.fromEntries([...replay.sizes()].map(([e, n]) => [String(e), n])), 'epoch');
  metrics.gauge('chaff_replay_cache_bytes', 'Memory of the replay cache tables', () => replay.memoryBytes());

  const pki = await start(root, 'pki client', new PkiClient({ host, logger: log.child('pki') }, { authorities: parts.authorities, dataDir: config.node.dataDir }));
  const documents = new HeldDocuments({ logger: log }, { epochs: params, nodeId });
  await start(root, 'document watcher', new DocumentWatcher({ source: pki, clock, logger: log.child('pki') }, { epochs: params, onDocument: (v) => documents.accept(v) }));

  // Descriptor for the next epoch, uploaded early in every epoch and retried (node/pki/descriptor-uploader.ts).
  let version = 0;
  const descriptor = () => {
    const now = clock.now();
    keyring.rotate(now);
    const next = epochAt(now, params) + 1;
    return signDescriptor(
      {
        identityKey: identity.publicKey,
        name: config.node.name,
        role: config.node.role as 'mix' | 'gateway',
        addresses: config.node.announce.some((a) => /\/tcp\/0$/.test(a)) ? host.getMultiaddrs().map((m) => m.toString().replace(/\/p2p\/.*$/, '')) : config.node.announce,
        epoch: next,
        sphinxKeys: keyring.publicKeys(next, 2),
        version: ++version,
        family: familyDeclaration(config.node.family, identity.publicKey),
      },
      signing,
    );
  };
  keyring.rotate(clock.now());
  // Announced last, once the role's service serves its protocols: a node
  // listed in a document before then refused its first clients' streams as
  // a protocol it does not speak (seen with a slow disk: a client's
  // registration failed as "another Chaff version"). Stopped first.
  const announce = () => start(root, 'descriptor uploader', new DescriptorUploader({ clock, logger: log, pki }, { epochs: params, descriptor }));

  const checkReplay = (epoch: number, tag: Uint8Array) => replay.checkAndInsert(epoch, tag);
  const limits = { inputQueue: config.mix.inputQueue, delayQueue: config.mix.delayQueue };
  metrics.gauge('chaff_epoch', 'Current epoch', () => epochAt(clock.now(), params));
  metrics.gauge('chaff_document_age_seconds', 'Seconds since the start of the document in force (no sample without one)', () => documentAgeSeconds(clock.now(), documents.epochs(), params));
  metrics.gauge('chaff_documents_in_force', 'Topology documents held for the current epoch (0: the node cannot route)', () => documentsInForce(clock.now(), documents.epochs(), params));
  const drainDeadlineMs = () => hopDelayBoundMs(documents) + DRAIN_MARGIN_MS;

  if (config.node.role === 'mix') {
    const mix = await start(
      root,
      'mix service',
      new MixService(
        { host, clock, logger: log.child('mix'), keys: (now) => keyring.unwrapKeys(now), checkReplay, topology: documents },
        {
          geometry,
          nodeId,
          traffic: () => {
            const doc = documents.current(clock.now())?.document;
            return doc ? { mu: doc.params.mu, lambdaM: doc.params.lambdaM } : null;
          },
          limits: { ...limits, linkQueue: 4096 },
          workers: config.mix.workers,
        },
      ),
    );
    await announce();
    metrics.counter('chaff_packets_in_total', 'Packets received', () => mix.processor.received);
    metrics.counter('chaff_packets_out_total', 'Packets forwarded', () => mix.processor.forwarded);
    metrics.counter('chaff_packets_dropped_total', 'Packets dropped by reason', () => mix.processor.dropCounts());
    metrics.counter('chaff_replays_total', 'Replayed packets refused', () => mix.processor.dropCounts().replay ?? 0);
    metrics.gauge('chaff_queue_depth', 'Packets waiting to be unwrapped', () => mix.processor.inputDepth);
    metrics.gauge('chaff_delay_queue_size', 'Packets held for their delay', () => mix.processor.delayDepth);
    metrics.counter('chaff_mix_loops_total', 'Mix loop cover packets by outcome', () => ({ sent: mix.loopsSent, returned: mix.loopsReturned, failed: mix.loopsFailed }), 'outcome', {
      // A loop not sent (no route, a full link queue) is reported with the drops.
      successes: ['sent', 'returned'],
    });
    exposeLinkMetrics(metrics, () => mix.link.stats());
    return {
      status: () => ({
        role: 'mix',
        received: mix.processor.received,
        forwarded: mix.processor.forwarded,
        dropped: mix.processor.dropCounts(),
        loops: { sent: mix.loopsSent, returned: mix.loopsReturned, failed: mix.loopsFailed },
        link: mix.link.stats(),
        documents: documents.epochs(),
      }),
      held: () => ({ unwrap: mix.processor.inputDepth, delay: mix.processor.delayDepth, outbound: mix.link.stats().queueDepth }),
      drainDeadlineMs,
    };
  }

  // Gateway.
  const mailboxes = await MailboxStore.open(join(config.node.dataDir, 'mailbox'), {
    maxMessagesPerMailbox: config.gateway.mailboxQuotaMessages,
    maxBytesPerMailbox: config.gateway.mailboxQuotaBytes,
    retentionMs: config.gateway.retentionMs,
    maxTotalBytes: config.gateway.mailboxTotalBytes,
    sync: config.gateway.syncDeposits,
  });
  lifecycle.onStop('mailbox store', () => mailboxes.close());
  const registry = await ClientRegistry.open(join(config.node.dataDir, 'clients'), { nowMs: clock.now() });
  lifecycle.onStop('client registry', () => registry.close());
  const handles = await HandleRegistry.open(join(config.node.dataDir, 'handles'), { logger: log.child('handles') });
  lifecycle.onStop('handle registry', () => handles.close());
  const invites = new InviteStore(join(config.node.dataDir, 'invites'));
  const router = new TopologyRouter(documents);
  const trace = parts.trace;
  // The gateway forwards on the link and the link feeds the gateway: each closure reads the other once both exist.
  const gateway = new GatewayService(
    {
      host,
      geometry,
      clock,
      logger: log.child('gateway'),
      keys: () => keyring.unwrapKeys(clock.now()),
      checkReplay,
      maxDelayMs: () => hopDelayBoundMs(documents),
      forward: (id, packet) => router.forward(link, id, packet),
      mailboxes,
      registry,
      handles,
      invites,
      ...(trace ? { trace: (e) => trace.write(e) } : {}),
    },
    {
      clientRate: params.lambdaP + params.lambdaL + params.lambdaD,
      rateHeadroom: config.gateway.clientRateHeadroom,
      fetchBatch: config.gateway.fetchBatch,
      fetchAckBatch: config.gateway.fetchAckBatch,
      ...limits,
      workers: config.mix.workers,
      registration: {
        mode: config.gateway.registration,
        proofBits: config.gateway.registrationPowBits,
        maxClients: config.gateway.maxClients,
        perHour: config.gateway.registrationsPerHour,
        perAddressPerHour: config.gateway.registrationsPerAddressPerHour,
        connectionsPerAddress: config.gateway.clientsPerAddress,
        idleExpiryMs: config.gateway.idleExpiryMs,
      },
      requestAllowance: { messages: config.gateway.requestAllowanceMessages, bytes: config.gateway.requestAllowanceBytes },
      handleClaimsPerClientPerHour: config.gateway.handleClaimsPerClientPerHour,
    },
  );
  const link = new PacketLink(
    { host, logger: log.child('packet-link'), clock },
    { packetLength: geometry.packetLength, queueCapacity: 4096, onFrame: (frame) => gateway.acceptPacket(frame), acceptPeer: (peer) => router.isKnownPeer(peer) },
  );
  log.info('gateway registration policy', { registration: config.gateway.registration, powBits: config.gateway.registrationPowBits, maxClients: config.gateway.maxClients });
  await start(root, 'packet link', link);
  await start(root, 'gateway service', gateway);
  await start(root, 'mailbox expiry', new MailboxExpiry({ mailboxes, clock, logger: log.child('mailbox-expiry') }));
  await announce();

  const g = () => gateway.stats();
  metrics.counter('chaff_packets_in_total', 'Packets received from clients and relays', () => g().mix.received);
  metrics.counter('chaff_packets_out_total', 'Packets forwarded', () => g().mix.forwarded);
  metrics.counter('chaff_packets_dropped_total', 'Packets dropped by reason', () => g().mix.drops);
  metrics.gauge('chaff_delay_queue_size', 'Packets held for their delay', () => g().mix.delayDepth);
  metrics.gauge('chaff_queue_depth', 'Packets waiting to be unwrapped', () => g().mix.inputDepth);
  metrics.gauge('chaff_mailbox_messages', 'Messages held in mailboxes', () => g().mailbox.messages);
  metrics.gauge('chaff_mailbox_bytes', 'Bytes held in mailboxes', () => g().mailbox.bytes);
  metrics.gauge('chaff_registered_clients', 'Clients registered with this gateway', () => g().registeredClients);
  metrics.counter('chaff_gateway_registrations_total', 'New client registrations', () => g().registrations);
  metrics.counter(
    'chaff_gateway_evicted_total',
    'Idle state evicted: registrations (with their mailboxes), their messages, token buckets, short handles, handle-claim budgets',
    () => g().evicted,
    'what',
  );
  metrics.gauge(
    'chaff_gateway_client_state',
    'Per-client and per-address state held: token buckets, per-address registration budgets, addresses with clients sending, handle-claim budgets',
    () => g().held,
    'what',
  );
  metrics.counter('chaff_mailbox_deposits_refused_total', 'Deposits the mailbox store refused, by reason (over-total-bytes: the storage cap)', () => g().mailbox.counters.rejected);
  metrics.counter('chaff_gateway_acks_sent_total', 'SURB-ACKs sent into the mixnet after a deposit', () => g().exit.acksSent);
  metrics.counter('chaff_gateway_cover_dropped_total', 'Drop cover packets discarded at the exit (normal traffic)', () => g().exit.coverDropped);
  metrics.counter('chaff_gateway_exit_dropped_total', 'Exit packets not stored, or SURB-ACKs not sent, by reason', () => g().exit.drops);
  metrics.counter('chaff_gateway_deposits_total', 'Entries written to mailboxes', () => g().exit.deposits);
  metrics.counter(
    'chaff_gateway_entry_frames_total',
    'Client entry frames (/chaff/client/send/1) by outcome: accepted, or the reason refused',
    () => ({ accepted: g().entry.accepted, ...g().entry.drops }),
    'outcome',
    { successes: ['accepted'] },
  );
  metrics.counter('chaff_gateway_register_refused_total', 'Registrations refused by reason', () => g().register.drops);
  metrics.counter('chaff_gateway_fetch_refused_total', 'Mailbox fetches refused by reason', () => g().fetch.drops);
  metrics.gauge('chaff_gateway_handles', 'Short handles hosted by this gateway', () => g().handles?.held ?? 0);
  metrics.counter('chaff_gateway_handle_claims_total', 'Handle claim requests by outcome: ok, released, or the reason refused', () => g().handles?.outcomes ?? {}, 'outcome', {
    successes: ['ok', 'released'],
  });
  metrics.counter(
    'chaff_gateway_lookups_total',
    'Handle lookups answered at the exit, by answer (drops are in chaff_gateway_exit_dropped_total)',
    () => {
      const l = g().exit.lookups;
      return { found: l.found, 'not-found': l.notFound, 'bad-request': l.badRequest };
    },
    'answer',
  );
  metrics.counter('chaff_gateway_lookup_answers_sent_total', 'Lookup answers sent into the mixnet through their SURBs', () => g().exit.lookups.answersSent);
  metrics.counter(
    'chaff_gateway_reply_bodies_total',
    'Reply-body requests by outcome: found, not-found, or the reason refused',
    () => ({ found: g().replyBody.found, 'not-found': g().replyBody.notFound, ...g().replyBody.drops }),
    'outcome',
    { successes: ['found', 'not-found'] },
  );
  exposeRpcMetrics(metrics, 'register', () => g().rpc.register);
  exposeRpcMetrics(metrics, 'fetch', () => g().rpc.fetch);
  exposeRpcMetrics(metrics, 'handle', () => g().rpc.handle);
  exposeRpcMetrics(metrics, 'reply_body', () => g().rpc.replyBody);
  exposeLinkMetrics(metrics, () => link.stats());
  return {
    status: () => ({ role: 'gateway', ...gateway.stats(), link: link.stats(), documents: documents.epochs() }),
    held: () => ({ unwrap: g().mix.inputDepth, delay: g().mix.delayDepth, outbound: link.stats().queueDepth }),
    drainDeadlineMs,
  };
}

/** The packet link's inbound counters (/chaff/packet/1): whole frames read, and every frame (or, for unknown-peer, stream) refused, by reason. */
function exposeLinkMetrics(metrics: Metrics, stats: () => { received: number; drops: Record<string, number> }): void {
  metrics.counter('chaff_link_frames_received_total', 'Whole frames read from inbound packet-link streams', () => stats().received);
  metrics.counter('chaff_link_dropped_total', 'Packet-link frames (streams, for unknown-peer) refused by reason', () => stats().drops);
}

/** One RPC protocol's requests by outcome (runtime/net/rpc.ts): served, or the reason it was dropped or refused. */
function exposeRpcMetrics(metrics: Metrics, name: string, stats: () => { served: number; drops: Record<string, number> } | null): void {
  metrics.counter(
    `chaff_rpc_${name}_requests_total`,
    `${name} requests by outcome: served, or the reason dropped or refused`,
    () => {
      const s = stats();
      return s === null ? {} : { served: s.served, ...s.drops };
    },
    'outcome',
    { successes: ['served'] },
  );
}

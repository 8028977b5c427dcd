// The relay daemon: `chaff node --config node.toml`. One process runs one
// role (authority, mix or gateway) from its TOML config: it loads its
// identity and stores from the data folder, joins the PKI, serves its
// protocols, exposes metrics and stops cleanly (stores flushed) on
// SIGINT/SIGTERM. docs/operators.md.

import { join } from 'node:path';
import type { NodeConfig } from './config.js';
import { systemClock } from '../runtime/clock.js';
import { AuthorityService } from './authority/authority-service.js';
import { AdmissionList } from './authority/admission-list.js';
import { ClientRegistry } from './gateway/client-registry.js';
import { GatewayService } from './gateway/gateway-service.js';
import { InviteStore } from './gateway/invite-store.js';
import { EpochKeyring } from './keys/epoch-keys.js';
import { KeyRetirement } from './keys/key-retirement.js';
import { hopDelayBoundMs } from './mix/hop-delay-bound.js';
import { MixService } from './mix/mix-service.js';
import { createHost, type Host } from '../runtime/net/host.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';
import { PacketLink } from './net/packet-link.js';
import { TopologyRouter, type TopologyView } from './net/topology-router.js';
import type { Logger } from '../runtime/log/logger.js';
import { Metrics } from './ops/metrics.js';
import { authorityPeers } from '../runtime/pki/authority-peers.js';
import { DocumentWatcher } from '../runtime/pki/document-watcher.js';
import { PkiClient, type VerifiedDocument } from '../runtime/pki/pki-client.js';
import { pkiSigningKey } from '../runtime/pki/signing-key.js';
import { MailboxStore } from './store/mailbox-store.js';
import { ReplayCache } from './store/replay-cache.js';
import { toHex } from '../protocol/bytes.js';
import { familyDeclaration, signDescriptor } from '../protocol/pki/descriptor.js';
import type { NetworkParams } from '../protocol/pki/document.js';
import { epochAt, epochStart } from '../protocol/pki/epoch.js';
import { nodeIdOf } from '../protocol/pki/node-id.js';
import { Topology } from '../protocol/pki/routes.js';
import { geometryFromUserForwardPayloadLength } from '../protocol/sphinx/geometry.js';
import { TraceWriter } from '../runtime/trace-writer.js';
import type { TraceEvent } from '../protocol/trace/events.js';
import { DescriptorUploader } from './pki/descriptor-uploader.js';

export interface RunningNode {
  readonly role: NodeConfig['node']['role'];
  readonly host: Host;
  /** Port the metrics are served on, or null. */
  readonly metricsPort: number | null;
  /** A JSON-able snapshot of the node's counters. */
  status(): Record<string, unknown>;
  stop(): Promise<void>;
}

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
  /**
   * A gateway writes a trace of what an observer and a corrupt gateway see
   * to this file (test networks only: docs/simulator.md §Trace mode).
   */
  tracePath?: string;
}

export async function runNode(config: NodeConfig, log: Logger, options: RunNodeOptions = {}): Promise<RunningNode> {
  const clock = systemClock;
  const identity = await loadOrCreateIdentity(config.node.dataDir);
  const host = await createHost({ privateKey: identity.privateKey, listen: config.node.listen });
  const metrics = new Metrics();
  metrics.gauge('chaff_process_resident_bytes', 'Resident set size of the node process', () => process.memoryUsage.rss());
  metrics.gauge('chaff_process_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed);
  const cleanup: Array<() => Promise<void> | void> = [async () => void (await host.stop())];
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (err) {
        log.warn('shutdown step failed', { error: (err as Error).message });
      }
    }
  };
  log.info('node starting', { name: config.node.name, role: config.node.role, peerId: identity.peerId.toString(), listen: host.getMultiaddrs().map(String) });
  const params = networkParams(config);
  const authorities = authorityPeers(config.authorities);
  // A network whose epoch 0 has not begun yet: wait for it rather than fail.
  const untilGenesis = params.genesisMs - clock.now();
  if (untilGenesis > 0) {
    log.info('waiting for the network genesis', { seconds: Math.ceil(untilGenesis / 1000) });
    await new Promise((resolve) => setTimeout(resolve, untilGenesis));
  }
  let status: () => Record<string, unknown>;

  try {
    if (config.node.role === 'authority') {
      const service = new AuthorityService({
        host,
        identity: pkiSigningKey(identity.privateKey),
        authorities,
        params,
        clock,
        dataDir: config.node.dataDir,
        admission: new AdmissionList(config.authority.admissionsPath),
        maxDescriptorsPerEpoch: config.authority.maxDescriptorsPerEpoch,
        log: (level, message, fields) => log[level](message, fields),
      });
      await service.start();
      cleanup.push(() => service.stop());
      metrics.counter('chaff_pki_documents_published_total', 'Documents published with a majority of signatures', () => service.stats().documentsPublished);
      metrics.counter('chaff_pki_descriptors_refused_total', 'Descriptors refused by reason', () => service.stats().descriptorsRefused);
      metrics.counter('chaff_pki_descriptors_accepted_total', 'Descriptors accepted', () => service.stats().descriptorsAccepted);
      metrics.counter('chaff_pki_shares_refused_total', 'Descriptor shares from other authorities refused by reason', () => service.stats().sharesRefused);
      metrics.counter('chaff_pki_signatures_refused_total', 'Document signatures from other authorities refused by reason', () => service.stats().signaturesRefused);
      metrics.counter('chaff_pki_document_requests_refused_total', 'Document requests refused by reason', () => service.stats().documentRequestsRefused);
      metrics.gauge('chaff_pki_admitted_nodes', 'Node identities this authority admits now (admissions.toml)', () => service.stats().admission.admitted);
      metrics.counter('chaff_pki_admission_list_errors_total', 'Admission list reloads refused (the previous list stayed in force)', () => service.stats().admission.errors);
      metrics.counter('chaff_pki_shared_descriptors_refused_total', 'Descriptors in other authorities\' shares not kept, by reason', () => service.stats().sharedDescriptorsRefused);
      metrics.counter('chaff_pki_views_refused_total', 'Admission views from other authorities refused by reason', () => service.stats().viewsRefused);
      for (const p of Object.keys(service.stats().rpc) as Array<keyof ReturnType<typeof service.stats>['rpc']>) exposeRpcMetrics(metrics, p, () => service.stats().rpc[p]);
      metrics.gauge('chaff_epoch', 'Current epoch', () => epochAt(clock.now(), params));
      status = () => ({ ...service.stats() });
    } else {
      let trace: TraceWriter | undefined;
      if (options.tracePath && config.node.role === 'gateway') {
        const writer = new TraceWriter(options.tracePath, (err) => log.warn('trace file write failed; tracing stopped', { error: err.message }));
        trace = writer;
        cleanup.push(() => writer.close());
        log.warn('trace mode: recording what an observer would see (test networks only)', { file: options.tracePath });
      }
      status = await startRelay(config, { host, identity, params, authorities, metrics, log, cleanup, trace });
    }
    let metricsPort: number | null = null;
    if (config.metrics.listen) {
      metricsPort = await metrics.listen(config.metrics.listen);
      cleanup.push(() => metrics.close());
    }
    log.info('node running', { role: config.node.role, metricsPort });
    return { role: config.node.role, host, metricsPort, status: () => status(), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

interface RelayContext {
  host: Host;
  identity: Awaited<ReturnType<typeof loadOrCreateIdentity>>;
  params: NetworkParams;
  authorities: ReturnType<typeof authorityPeers>;
  metrics: Metrics;
  log: Logger;
  cleanup: Array<() => Promise<void> | void>;
  trace?: TraceWriter;
}

/** A mix or gateway: keys, replay cache, PKI, packet link, and the role's service. */
async function startRelay(config: NodeConfig, ctx: RelayContext): Promise<() => Record<string, unknown>> {
  const { host, identity, params, metrics, log, cleanup } = ctx;
  const clock = systemClock;
  const geometry = geometryFromUserForwardPayloadLength(params.geometry);
  const nodeId = nodeIdOf(identity.publicKey);
  const signing = pkiSigningKey(identity.privateKey);

  // Keys for this epoch, the next and the one after: a descriptor for E + 1 publishes E + 1 and E + 2.
  const keyring = new EpochKeyring({ dir: join(config.node.dataDir, 'sphinx-keys'), epochs: params, graceMs: config.mix.keyGraceMs, ahead: 2 });
  cleanup.push(() => keyring.close());
  // Tags of epochs whose key has retired are pruned on open and whenever a key retires (node/keys/key-retirement.ts).
  const replay = await ReplayCache.open(join(config.node.dataDir, 'replay'), { liveFrom: keyring.liveFrom(clock.now()) });
  cleanup.push(() => replay.close());
  const retirement = new KeyRetirement({
    keyring,
    clock,
    onRetired: (liveFrom) => replay.pruneBefore(liveFrom),
    onError: (err) => log.warn('replay cache prune failed; retried at the next key retirement', { error: err.message }),
  });
  await retirement.start();
  cleanup.push(() => retirement.stop());
  metrics.gauge('chaff_replay_cache_tags', 'Replay tags held per live epoch', () => Object.fromEntries([...replay.sizes()].map(([e, n]) => [String(e), n])), 'epoch');
  metrics.gauge('chaff_replay_cache_bytes', 'Memory of the replay cache tables', () => replay.memoryBytes());

  const pki = new PkiClient({ host, authorities: ctx.authorities, dataDir: config.node.dataDir });
  await pki.start();
  const documents = new Map<number, Topology>();
  const view: TopologyView = {
    current: (nowMs) => documents.get(epochAt(nowMs, params)) ?? null,
    all: () => [...documents.values()],
  };
  const onDocument = (v: VerifiedDocument): void => {
    const topology = new Topology(v.document);
    documents.set(v.epoch, topology);
    for (const e of documents.keys()) if (e < v.epoch - 1) documents.delete(e);
    const me = [...v.document.gateways, ...v.document.layers.flat()].some((n) => toHex(n.nodeId) === toHex(nodeId));
    log.info('topology document', { epoch: v.epoch, listed: me, mixes: v.document.layers.map((l) => l.length), gateways: v.document.gateways.length });
    // A family counts only where declared both ways (docs/operators.md §Declaring a family): say which half is missing.
    const self = topology.node(nodeId);
    const unreturned = self ? topology.families.unreturned(self) : [];
    if (unreturned.length > 0) log.warn('family not declared back: these nodes do not list this node in their family, so they are not of its family', { epoch: v.epoch, nodes: unreturned.map((n) => `${n.name} ${toHex(n.identityKey)}`) });
  };
  const watcher = new DocumentWatcher({ source: pki, clock, epochs: params, onDocument, onError: (epoch, err) => log.debug('document fetch failed', { epoch, error: err.message }) });
  watcher.start();
  cleanup.push(() => watcher.stop());

  // Descriptor for the next epoch, uploaded early in every epoch and retried (node/pki/descriptor-uploader.ts).
  let version = 0;
  const uploader = new DescriptorUploader({
    clock,
    epochs: params,
    descriptor: () => {
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
    },
    upload: (signed) => pki.uploadDescriptor(signed),
    log: (level, msg, fields) => log[level](msg, fields),
  });
  keyring.rotate(clock.now());
  await uploader.start();
  cleanup.push(() => uploader.stop());

  const checkReplay = (epoch: number, tag: Uint8Array) => replay.checkAndInsert(epoch, tag);
  const limits = { inputQueue: config.mix.inputQueue, delayQueue: config.mix.delayQueue };
  metrics.gauge('chaff_epoch', 'Current epoch', () => epochAt(clock.now(), params));
  metrics.gauge('chaff_document_age_seconds', 'Seconds since the start of the newest document held', () => {
    const newest = Math.max(-1, ...documents.keys());
    return newest < 0 ? -1 : (clock.now() - epochStart(newest, params)) / 1000;
  });

  if (config.node.role === 'mix') {
    const mix = new MixService({
      host,
      geometry,
      clock,
      nodeId,
      keys: (now) => keyring.unwrapKeys(now),
      checkReplay,
      topology: view,
      traffic: () => {
        const doc = view.current(clock.now())?.document;
        return doc ? { mu: doc.params.mu, lambdaM: doc.params.lambdaM } : null;
      },
      limits: { ...limits, linkQueue: 4096 },
      log: log.child('mix'),
    });
    await mix.start();
    cleanup.push(() => mix.stop());
    metrics.counter('chaff_packets_in_total', 'Packets received', () => mix.processor.received);
    metrics.counter('chaff_packets_out_total', 'Packets forwarded', () => mix.processor.forwarded);
    metrics.counter('chaff_packets_dropped_total', 'Packets dropped by reason', () => mix.processor.dropCounts());
    metrics.counter('chaff_replays_total', 'Replayed packets refused', () => mix.processor.dropCounts().replay ?? 0);
    metrics.gauge('chaff_queue_depth', 'Packets waiting to be unwrapped', () => mix.processor.inputDepth);
    metrics.gauge('chaff_delay_queue_size', 'Packets held for their delay', () => mix.processor.delayDepth);
    metrics.counter('chaff_mix_loops_total', 'Mix loop cover packets by outcome', () => ({ sent: mix.loopsSent, returned: mix.loopsReturned, failed: mix.loopsFailed }), 'outcome');
    exposeLinkMetrics(metrics, () => mix.link.stats());
    return () => ({
      role: 'mix',
      received: mix.processor.received,
      forwarded: mix.processor.forwarded,
      dropped: mix.processor.dropCounts(),
      loops: { sent: mix.loopsSent, returned: mix.loopsReturned, failed: mix.loopsFailed },
      link: mix.link.stats(),
      documents: [...documents.keys()],
    });
  }

  // Gateway.
  const mailboxes = await MailboxStore.open(join(config.node.dataDir, 'mailbox'), {
    maxMessagesPerMailbox: config.gateway.mailboxQuotaMessages,
    maxBytesPerMailbox: config.gateway.mailboxQuotaBytes,
    retentionMs: config.gateway.retentionMs,
    maxTotalBytes: config.gateway.mailboxTotalBytes,
    sync: config.gateway.syncDeposits,
  });
  cleanup.push(() => mailboxes.close());
  const registry = await ClientRegistry.open(join(config.node.dataDir, 'clients'), { nowMs: clock.now() });
  const invites = new InviteStore(join(config.node.dataDir, 'invites'));
  cleanup.push(() => registry.close());
  const router = new TopologyRouter(view);
  let link: PacketLink | null = null;
  const gateway = new GatewayService(
    {
      host,
      geometry,
      clock,
      keys: () => keyring.unwrapKeys(clock.now()),
      checkReplay,
      maxDelayMs: () => hopDelayBoundMs(view),
      forward: (id, packet) => (link ? router.forward(link, id, packet) : 'unknown'),
      mailboxes,
      registry,
      invites,
      onDrop: (site, reason) => log.debug('packet dropped', { site, reason }),
      ...(ctx.trace ? { trace: (e: TraceEvent) => ctx.trace!.write(e) } : {}),
    },
    {
      clientRate: params.lambdaP + params.lambdaL + params.lambdaD,
      rateHeadroom: config.gateway.clientRateHeadroom,
      fetchBatch: config.gateway.fetchBatch,
      ...limits,
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
    },
  );
  log.info('gateway registration policy', { registration: config.gateway.registration, powBits: config.gateway.registrationPowBits, maxClients: config.gateway.maxClients });
  link = new PacketLink(host, {
    packetLength: geometry.packetLength,
    queueCapacity: 4096,
    onFrame: (frame) => gateway.acceptPacket(frame),
    acceptPeer: (peer) => router.isKnownPeer(peer),
  });
  await link.start();
  await gateway.start();
  cleanup.push(() => link!.stop());
  cleanup.push(() => gateway.stop());
  const expiry = setInterval(() => {
    void mailboxes.expire(clock.now()).catch((err) => log.warn('mailbox expiry failed', { error: (err as Error).message }));
  }, 60_000);
  expiry.unref();
  cleanup.push(() => clearInterval(expiry));

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
  metrics.counter('chaff_gateway_evicted_total', 'Idle state evicted: registrations (with their mailboxes), their messages, token buckets', () => g().evicted, 'what');
  metrics.gauge('chaff_gateway_client_state', 'Per-client and per-address state held: token buckets, per-address registration budgets, addresses with clients sending', () => g().held, 'what');
  metrics.counter('chaff_mailbox_deposits_refused_total', 'Deposits the mailbox store refused, by reason (over-total-bytes: the storage cap)', () => g().mailbox.counters.rejected);
  metrics.counter('chaff_gateway_acks_sent_total', 'SURB-ACKs sent into the mixnet after a deposit', () => g().exit.acksSent);
  metrics.counter('chaff_gateway_cover_dropped_total', 'Drop cover packets discarded at the exit (normal traffic)', () => g().exit.coverDropped);
  metrics.counter('chaff_gateway_exit_dropped_total', 'Exit packets not stored, or SURB-ACKs not sent, by reason', () => g().exit.drops);
  metrics.counter('chaff_gateway_deposits_total', 'Entries written to mailboxes', () => g().exit.deposits);
  metrics.counter('chaff_gateway_entry_frames_total', 'Client entry frames (/chaff/client/send/1) by outcome: accepted, or the reason refused', () => ({ accepted: g().entry.accepted, ...g().entry.drops }), 'outcome');
  metrics.counter('chaff_gateway_register_refused_total', 'Registrations refused by reason', () => g().register.drops);
  metrics.counter('chaff_gateway_fetch_refused_total', 'Mailbox fetches refused by reason', () => g().fetch.drops);
  exposeRpcMetrics(metrics, 'register', () => g().rpc.register);
  exposeRpcMetrics(metrics, 'fetch', () => g().rpc.fetch);
  exposeLinkMetrics(metrics, () => link!.stats());
  return () => ({ role: 'gateway', ...gateway.stats(), link: link!.stats(), documents: [...documents.keys()] });
}

/** The packet link's inbound counters (/chaff/packet/1): whole frames read, and every frame (or, for unknown-peer, stream) refused, by reason. */
function exposeLinkMetrics(metrics: Metrics, stats: () => { received: number; drops: Record<string, number> }): void {
  metrics.counter('chaff_link_frames_received_total', 'Whole frames read from inbound packet-link streams', () => stats().received);
  metrics.counter('chaff_link_dropped_total', 'Packet-link frames (streams, for unknown-peer) refused by reason', () => stats().drops);
}

/** One RPC protocol's requests by outcome (runtime/net/rpc.ts): served, or the reason it was dropped or refused. */
function exposeRpcMetrics(metrics: Metrics, name: string, stats: () => { served: number; drops: Record<string, number> } | null): void {
  metrics.counter(`chaff_rpc_${name}_requests_total`, `${name} requests by outcome: served, or the reason dropped or refused`, () => {
    const s = stats();
    return s === null ? {} : { served: s.served, ...s.drops };
  }, 'outcome');
}

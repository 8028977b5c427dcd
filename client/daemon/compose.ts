// The client daemon's composition root: builds every part from the profile's
// settings and the narrow components it is given (a Clock, a Logger, the
// profile's record stores, a document source, a way to open the gateway link), starts
// them in this order with a Lifecycle (runtime/lifecycle/startable.ts) and
// stops them in the reverse order:
//
//   (the caller's steps: profile store, identity, libp2p host, PKI client; client/daemon.ts)
//    1. document watcher      fetches and verifies documents → network view
//                             (then: the document to start from — the epoch now's if
//                             the view has it, else the newest cached one, else wait —
//                             and our gateway's entry in it)
//    2. gateway link          registers our mailbox (with the delivery id) in the
//                             background; stop closes it and the host
//    3. trace writer          trace mode only (test networks)
//    4. arq                   stop cancels the retransmission timers
//    5. messenger             loaded from the profile: re-queues every undelivered fragment
//    6. loop monitor          stop cancels its timers
//    7. send queue events     connects the ARQ's and messenger's reports to what is built after them
//    8. prepared envelopes    seals ahead of the payload stream; stop waits for a sealing under way
//    9. handle lookups        short handles looked up through the mixnet; stop rejects those pending
//                             (the handle admin claims our kept handle again once the link has
//                             registered, or at the next connection if the gateway was away)
//   10. document follower     a new document updates the gateway's addresses and the rates
//   11. gateway connection    opens the send stream in the background (failures are retried with backoff)
//   12. mailbox poller        stop waits for fetches, then one last fetch hands the gateway our acks
//   13. client streams        the packet scheduler's Poisson streams λP, λL, λD → link
//   14. api server            the local socket the front ends use, and the connection
//                             watch that tells them what is missing of the network
//                             (the API's settings calls change the messenger's read
//                             receipts and the document follower's raise; its
//                             passphrase and backup calls use the profile store;
//                             its handle calls go to the handle admin)
//
// Nothing after step 1 waits for the network: with a cached document the
// daemon starts offline (docs/client.md §Offline), serves history and
// contacts, queues what is sent, and its streams' packets leave once the
// view holds a document for the epoch now and the link is open.
//
// So on stop the front ends are cut off first, then no packet leaves, then
// the mailbox is acknowledged, and only then the parts that write to the
// store stop, the link closes and the store is closed last.
//
//   document watcher ─▶ network view ─▶ document follower ─▶ ClientStreams rates, link addresses
//   ClientStreams (λP, λL, λD) ─▶ PacketScheduler ◀── PreparedEnvelopes ◀── Messenger.prepareNext
//                                     │ ◀── HandleLookups (a lookup takes the next payload slot)
//                                     │ real (envelope or lookup) / decoy / loop / drop
//                                     ▼
//                         PacketFactory ─▶ GatewayLink.trySend
//   MailboxPoller (constant rate) ─▶ EntryRouter ─▶ ACK → Arq → Messenger.fragmentAcked
//                                              ─▶ loop, loop's or decoy's ACK → LoopMonitor
//                                              ─▶ a lookup's answer → HandleLookups (body by message id)
//                                              ─▶ envelope → Messenger.receive
//   ApiFacade (api, status) ◀── the local socket (client/rpc)

import { join } from 'node:path';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { addressOf, encodeAddress } from '../../protocol/e2ee/address.js';
import { maxPlaintextLength } from '../../protocol/e2ee/envelope.js';
import type { Identity } from '../../protocol/e2ee/identity.js';
import { signMailboxProof } from '../../protocol/e2ee/mailbox-proof.js';
import type { EpochClock } from '../../protocol/pki/epoch.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import { geometryFromUserForwardPayloadLength } from '../../protocol/sphinx/index.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { cryptoUniform, type Uniform } from '../../protocol/crypto/random.js';
import { fetchEntryBodyLength } from '../../protocol/wire/fetch.js';
import { signHandleRecord } from '../../protocol/wire/handle.js';
import type { Lifecycle } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import { DocumentWatcher, type DocumentSource } from '../../runtime/pki/document-watcher.js';
import { pkiSigningKey } from '../../runtime/pki/signing-key.js';
import { TraceWriter } from '../../runtime/trace-writer.js';
import type { VerifiedDocument } from '../../runtime/pki/pki-client.js';
import { RpcError } from '../../runtime/net/rpc.js';
import { ClientError, type ClientApi } from '../api.js';
import { CLIENT_CONFIG_FILE, type ClientConfig } from '../config.js';
import type { SealedStore } from '../store/sealed-store.js';
import { loadOrCreateDeliveryId } from '../delivery-id.js';
import { HandleLookups } from '../handles/handle-lookups.js';
import { Messenger } from '../messenger.js';
import type { MessengerStores } from '../messenger/stores.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';
import { MailboxPoller } from '../receiver/mailbox-poller.js';
import type { ClientApiServer, ServeOptions } from '../rpc/index.js';
import { Arq } from '../sender/arq.js';
import { LoopMonitor } from '../traffic/loop-monitor.js';
import { PacketFactory } from '../traffic/packet-factory.js';
import { SendMeter } from '../traffic/send-meter.js';
import { ApiFacade } from './api-facade.js';
import { DaemonSettings, trafficSizes } from './daemon-settings.js';
import { ProfileAdmin } from './profile-admin.js';
import { ClientEvents } from './client-events.js';
import { ConnectionWatch } from './connection-watch.js';
import { DocumentFollower, ratesOf } from './document-follower.js';
import { EntryRouter } from './entry-router.js';
import { EpochLog } from './epoch-log.js';
import { HandleAdmin } from './handle-admin.js';
import { NetworkView } from './network-view.js';
import { PacketScheduler } from './packet-scheduler.js';
import { PreparedEnvelopes } from './prepared-envelopes.js';
import { SendQueueEvents } from './send-queue-events.js';
import { GatewayWaitingRoom } from './waiting-room.js';

export interface RunningClient {
  api: ClientApi;
  socketPath: string;
  stop(): Promise<void>;
}

export interface ClientDaemonInit {
  profileDir: string;
  config: ClientConfig;
  /** Where the API socket is served (client/rpc/socket-path.ts clientSocketPath). */
  socketPath: string;
  /** Longest wait for a first verified document when none is cached (without one the daemon cannot start). Default: no bound. */
  documentTimeoutMs?: number;
  /** Trace mode (test networks only): append who wrote to whom to this file (docs/simulator.md §Trace mode). */
  tracePath?: string;
}

/** How long the start waits for a fresh document when it could start from a cached one (the first fetch failing ends it sooner). */
const FRESH_DOCUMENT_GRACE_MS = 3000;

export interface ClientDaemonComponents {
  clock: Clock;
  logger: Logger;
  /** The caller's lifecycle, holding what it opened already (the store, the host): those stop last. */
  lifecycle: Lifecycle;
  /** The record stores of the opened profile (client/messenger/stores.ts: sealed, or in memory). */
  stores: MessengerStores;
  /** The profile's end-to-end identity and libp2p key (its mailbox, its fetch and card signatures). */
  identity: Identity;
  key: Ed25519PrivateKey;
  /** Verified documents by epoch (the PKI client). */
  documents: DocumentSource;
  /** Documents verified earlier (the PKI client's cache), newest first: what the daemon starts from while the network is away. */
  cachedDocuments?: () => VerifiedDocument[];
  /** A link to `gateway` with the profile's key (stop() also stops its host). */
  openLink(gateway: NodeEntry): GatewayLinkLike;
  /** Serves the API on the local socket. */
  serveApi(api: ClientApi, socketPath: string, options: ServeOptions): Promise<ClientApiServer>;
  /** The randomness of routes, delays and stream timings (default: a fresh crypto source for each). */
  uniform?: () => Uniform;
  /** Random bytes (loop payloads; default crypto). */
  random?: (n: number) => Uint8Array;
  /** The open profile store, for the API's passphrase change and backup (profile-admin.ts); without it those calls answer 'unavailable'. */
  profileStore?: SealedStore;
}

/** Builds and starts the daemon's parts in the order above; on any failure stops what started (the caller's steps too) and rethrows. */
export async function composeClientDaemon(init: ClientDaemonInit, components: ClientDaemonComponents): Promise<RunningClient> {
  const { lifecycle } = components;
  try {
    return await compose(init, components);
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

async function compose(init: ClientDaemonInit, c: ClientDaemonComponents): Promise<RunningClient> {
  const { clock, logger, lifecycle, stores, identity, key } = c;
  const settings = init.config.client;
  const uniform = c.uniform ?? cryptoUniform;
  const epochs: EpochClock = { genesisMs: init.config.network.genesisMs, epochDurationMs: init.config.network.epochDurationMs };

  const view = new NetworkView({ clock }, { epochs });
  // A failed fetch is retried with backoff, and logged at debug by the watcher.
  let fetchFailed = (): void => undefined;
  const firstFailure = new Promise<undefined>((resolve) => (fetchFailed = () => resolve(undefined)));
  const watcher = new DocumentWatcher({ source: c.documents, clock, logger: logger.child('pki') }, { epochs, onDocument: (doc) => view.add(doc), onError: () => fetchFailed() });
  await lifecycle.add({ name: 'document watcher', start: () => watcher.start(), stop: () => watcher.stop() });
  // A fresh document, unless the first fetch fails or the grace runs out first.
  const fresh = Promise.race([view.firstDocument(FRESH_DOCUMENT_GRACE_MS).catch(() => undefined), firstFailure]);
  const { first, gateway } = await startingPoint(view, fresh, c.cachedDocuments?.() ?? [], settings, logger, init.documentTimeoutMs);

  const link = c.openLink(gateway);
  // The private delivery id our contacts write to (client/delivery-id.ts).
  const deliveryId = await loadOrCreateDeliveryId(stores);
  /** Whether the first registration succeeded (false: refused or unreachable; the link registers again as it reconnects). */
  let registered: Promise<boolean> = Promise.resolve(false);
  await lifecycle.add({
    name: 'gateway link',
    // Not awaited: the link keeps the delivery id at once and sends it with every registration, the one of each
    // (re)connection included, so an unreachable gateway delays nothing here (a refusal is logged and shown in status).
    start: async () => {
      registered = link.register({ deliveryId }).then(
        () => true,
        (err: unknown) => {
          const refused = err instanceof RpcError && err.code === 'refused';
          logger[refused ? 'error' : 'info'](refused ? 'the gateway refused our registration' : 'gateway not reachable yet; registering when it is', { error: (err as Error).message });
          return false;
        },
      );
    },
    stop: () => link.stop(),
  });
  const ownAddress = addressOf(identity, fromHex(settings.gateway), link.mailboxId);
  const geometry = geometryFromUserForwardPayloadLength(first.document.params.geometry);
  const envelopeLength = geometry.userForwardPayloadLength;

  const trace = init.tracePath ? new TraceWriter(init.tracePath, (err) => logger.warn('trace file write failed; tracing stopped', { error: err.message })) : null;
  if (trace) {
    lifecycle.onStop('trace writer', () => trace.close());
    logger.warn('trace mode: recording who writes to whom (test networks only)', { file: init.tracePath });
  }

  const epochLog = new EpochLog({ logger, epochNow: () => view.epochNow() });
  const waiting = new GatewayWaitingRoom({ epochLog });
  const events = new ClientEvents();
  const queue = new SendQueueEvents();
  const arq = new Arq(
    { clock },
    {
      maxAttempts: settings.maxAttempts,
      minRetryWindowMs: 2 * epochs.epochDurationMs,
      onGaveUp: (k, attempts) => queue.gaveUp(k, attempts),
      onTimeout: () => queue.ready(),
    },
  );
  await lifecycle.add({ name: 'arq', start: () => arq.start(), stop: () => arq.stop() });

  const messengerLog = logger.child('messenger');
  // Its card tells contacts the delivery id, read from the same profile store.
  const messenger = await Messenger.load(stores, {
    identity,
    ownAddress,
    clock,
    envelopeLength,
    maxFrameLength: maxPlaintextLength(envelopeLength),
    orderHoldMs: settings.orderHoldMs,
    readReceipts: settings.readReceipts ?? true,
    enqueue: (k, fragment, attempts) => {
      arq.enqueue(k, fragment, attempts);
      queue.ready();
    },
    dequeue: (k) => arq.remove(k),
    nextKey: () => arq.next(),
    // A fragment to a gateway missing from the current document waits unsealed (issue 9 §4).
    routable: (gw) => view.routable(gw),
    unroutable: (k, gw) => waiting.park(k, gw, null),
    emit: (e) => events.emit(e),
    ...(trace ? { onQueued: ({ to, id, fragments }) => trace.write({ t: clock.now(), ev: 'message', from: toHex(link.mailboxId), to: toHex(to), id, fragments }) } : {}),
    log: (level, msg, fields) => messengerLog[level](msg, fields),
    // Our contact card proves our address's mailbox is ours (a key change is believed only with it).
    mailboxProof: signMailboxProof(pkiSigningKey(key), ownAddress),
  });
  lifecycle.onStop('messenger', () => messenger.stop());

  const loops = new LoopMonitor({ clock }, { lostAfterMs: Math.max(30_000, 20 * settings.fetchIntervalMs) });
  await lifecycle.add({ name: 'loop monitor', start: () => loops.start(), stop: () => loops.stop() });

  const prepared = new PreparedEnvelopes({ clock, messenger, arq, view, waiting, logger });
  let disconnect: (() => void) | null = null;
  await lifecycle.add({
    name: 'send queue events',
    start: async () => {
      disconnect = queue.listen({
        ready: () => prepared.refill(),
        gaveUp: (k, attempts) => void messenger.fragmentFailed(k, attempts).catch((err) => logger.warn('could not record a failed message', { error: (err as Error).message })),
      });
    },
    stop: () => disconnect?.(),
  });
  await lifecycle.add({ name: 'prepared envelopes', start: () => prepared.start(), stop: () => prepared.stop() });

  // Short handles: lookups take payload slots (the scheduler) and their answers come back as SURB replies (the router).
  const lookups = new HandleLookups({ clock, view, link, logger: logger.child('handles') }, { geometry });
  await lifecycle.add({ name: 'handle lookups', start: () => lookups.start(), stop: () => lookups.stop() });
  const handles = await HandleAdmin.load({
    logger: logger.child('handles'),
    stores,
    link,
    lookups,
    // The link's key K signs the record's mailbox proof, then is wiped: nothing of it stays in the admin.
    signRecord: (name) => {
      const k = pkiSigningKey(key);
      try {
        return signHandleRecord(name, identity, ownAddress, k);
      } finally {
        k.destroy();
      }
    },
    emit: (e) => events.emit(e),
  });
  // Our handle, claimed again once registered (a gateway whose registration of us expired released it); an
  // unreachable gateway leaves it to the next connection (the connection watch below), never holding up the start.
  void registered.then((ok) => (ok ? handles.reclaim() : undefined));

  const meter = new SendMeter(clock);
  const factory = new PacketFactory({ geometry, uniform: uniform() });
  const scheduler = new PacketScheduler(
    { clock, uniform: uniform(), link, factory, arq, loops, messenger, view, prepared, waiting, meter, epochLog, lookups, ...(c.random ? { random: c.random } : {}) },
    { fetchIntervalMs: settings.fetchIntervalMs, retransmitSlackMs: settings.retransmitSlackMs, rates: ratesOf(first, settings.raise) },
  );
  const { streams } = scheduler;
  const p = first.document.params;
  const follower = new DocumentFollower({ view, link, streams, logger }, { gateway: settings.gateway, raise: settings.raise, network: { lambdaP: p.lambdaP, lambdaL: p.lambdaL, lambdaD: p.lambdaD } });
  await lifecycle.add({ name: 'document follower', start: () => follower.start(), stop: () => follower.stop() });

  await lifecycle.add({
    name: 'gateway connection',
    // After the first registration has settled (a gateway that asks for a proof of work gets it solved once, not twice).
    start: async () => {
      void registered.then(() => link.connect()).catch((err: unknown) => logger.info('gateway not reachable yet; retrying with backoff', { error: (err as Error).message }));
    },
    // The link itself closes at its own step.
    stop: () => undefined,
  });

  const router = new EntryRouter({ loops, arq, messenger, epochLog, lookups }, { geometry });
  const bodyLength = fetchEntryBodyLength(geometry);
  const poller = new MailboxPoller(
    { clock, logger: logger.child('mailbox-poller'), fetch: (acks) => link.fetch(acks, bodyLength), handle: (entry) => router.handle(entry) },
    { intervalMs: settings.fetchIntervalMs },
  );
  await lifecycle.add({
    name: 'mailbox poller',
    start: () => poller.start(),
    // Then hand the gateway the acknowledgements of what we already stored.
    stop: () => poller.stop().then(() => poller.handOverAcks()),
  });
  // The packet scheduler's streams: from here on packets leave at λP + λL + λD.
  await lifecycle.add({ name: 'client streams', start: () => scheduler.start(), stop: () => scheduler.stop() });

  const connection = new ConnectionWatch({
    clock,
    logger,
    view,
    link,
    emit: (e) => {
      events.emit(e);
      // The gateway reached again: a handle not yet claimed again since the start is claimed now.
      if (e.type === 'connection' && e.connection.gateway.connected) void handles.reclaim();
    },
  });
  const daemonSettings = new DaemonSettings(
    { logger, messenger, cover: follower, streams },
    { configPath: join(init.profileDir, CLIENT_CONFIG_FILE), fetchIntervalMs: settings.fetchIntervalMs, sizes: trafficSizes(geometry) },
  );
  const profile = c.profileStore ? new ProfileAdmin({ logger, store: c.profileStore }, { profileDir: init.profileDir }) : undefined;
  const facade = new ApiFacade(
    { clock, logger, messenger, link, arq, loops, streams, view, waiting, scheduler, meter, events, connection, settings: daemonSettings, handles, ...(profile ? { profile } : {}) },
    { profileDir: init.profileDir, address: encodeAddress(ownAddress), fetchIntervalMs: settings.fetchIntervalMs },
  );
  const api = facade.api();
  const server = await c.serveApi(api, init.socketPath, { log: (line) => logger.debug(line) });
  // The connection watch reports to the front ends only: it starts and stops with their socket.
  lifecycle.onStop('api server', async () => {
    await connection.stop();
    await server.close();
  });
  await connection.start();
  // Reached before the watch's first look (which reports no change): the same.
  if (link.connected) void handles.reclaim();

  logger.info('client daemon running', { gateway: gateway.name, epoch: first.epoch, online: connection.state().online, socket: server.socketPath, rates: streams.rates });
  let stopping: Promise<void> | null = null;
  return {
    api,
    socketPath: server.socketPath,
    stop: () =>
      (stopping ??= lifecycle.stop().then(() => {
        logger.info('client daemon stopped');
      })),
  };
}

/**
 * The document the daemon starts from (its Sphinx geometry, first rates and
 * our gateway's addresses): one for the epoch now if the view has it or it
 * comes within a short grace, else the newest one verified earlier (the network is away: the
 * daemon starts offline, and a fresh document updates rates and addresses
 * when it comes, document-follower.ts), else the first one verified, waited
 * for. Our gateway's entry is taken from the first of them that lists it
 * (a gateway missing from this epoch's document may come back).
 * `freshSoon`: a fresh document if one comes within a short grace.
 */
async function startingPoint(
  view: NetworkView,
  freshSoon: Promise<VerifiedDocument | undefined>,
  cached: VerifiedDocument[],
  settings: ClientConfig['client'],
  logger: Logger,
  timeoutMs: number | undefined,
): Promise<{ first: VerifiedDocument; gateway: NodeEntry }> {
  const fresh = view.usable() ?? (await freshSoon);
  let first = fresh ?? cached[0];
  if (!first) {
    logger.warn('no network document verified yet, and none cached to start from: waiting for the authorities (check the addresses in client.toml)');
    first = await view.firstDocument(timeoutMs);
  } else if (!fresh) {
    logger.warn('the network is not reachable yet: starting from the document verified earlier; messages are queued until it is back', { epoch: first.epoch });
  }
  const ours = (doc: VerifiedDocument): NodeEntry | undefined => doc.document.gateways.find((g) => toHex(g.nodeId) === settings.gateway);
  const gateway = [first, ...cached].map(ours).find((g) => g !== undefined);
  if (!gateway) throw new ClientError('unavailable', `the gateway ${settings.gatewayName} (${settings.gateway.slice(0, 16)}…) is not in the network's current document; it may be down`);
  if (!ours(first)) logger.warn("our gateway is not in the network's current document: using its addresses from an earlier one", { epoch: first.epoch });
  return { first, gateway };
}

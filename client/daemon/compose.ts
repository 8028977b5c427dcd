// The client daemon's composition root: builds every part from the profile's
// settings and the narrow components it is given (a Clock, a Logger, the
// opened store, a document source, a way to open the gateway link), starts
// them in this order with a Lifecycle (runtime/lifecycle/startable.ts) and
// stops them in the reverse order:
//
//   (the caller's steps: profile store, identity, libp2p host, PKI client; client/daemon.ts)
//    1. document watcher      fetches and verifies documents → network view
//                             (then: wait for the first document, find our gateway)
//    2. gateway link          registers our mailbox (with the delivery id); stop closes it and the host
//    3. trace writer          trace mode only (test networks)
//    4. arq                   stop cancels the retransmission timers
//    5. messenger             loaded from the profile: re-queues every undelivered fragment
//    6. loop monitor          stop cancels its timers
//    7. send queue events     connects the ARQ's and messenger's reports to what is built after them
//    8. prepared envelopes    seals ahead of the payload stream; stop waits for a sealing under way
//    9. document follower     a new document updates the gateway's addresses and the rates
//   10. gateway connection    opens the send stream (a failure is retried in the background)
//   11. mailbox poller        stop waits for fetches, then one last fetch hands the gateway our acks
//   12. client streams        the Poisson streams λP, λL, λD → packet scheduler → link
//   13. api server            the local socket the front ends use
//
// So on stop the front ends are cut off first, then no packet leaves, then
// the mailbox is acknowledged, and only then the parts that write to the
// store stop, the link closes and the store is closed last.
//
//   document watcher ─▶ network view ─▶ document follower ─▶ ClientStreams rates, link addresses
//   ClientStreams (λP, λL, λD) ─▶ PacketScheduler ◀── PreparedEnvelopes ◀── Messenger.prepareNext
//                                     │ real / decoy / loop / drop
//                                     ▼
//                         PacketFactory ─▶ GatewayLink.trySend
//   MailboxPoller (constant rate) ─▶ EntryRouter ─▶ ACK → Arq → Messenger.fragmentAcked
//                                              ─▶ loop, loop's or decoy's ACK → LoopMonitor
//                                              ─▶ envelope → Messenger.receive
//   ApiFacade (api, status) ◀── the local socket (client/rpc)

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
import { ClientStreams } from '../../protocol/traffic/client-streams.js';
import { cryptoUniform, type Uniform } from '../../protocol/crypto/random.js';
import { fetchEntryBodyLength } from '../../protocol/wire/fetch.js';
import type { Lifecycle } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import { DocumentWatcher, type DocumentSource } from '../../runtime/pki/document-watcher.js';
import { pkiSigningKey } from '../../runtime/pki/signing-key.js';
import { TraceWriter } from '../../runtime/trace-writer.js';
import { ClientError, type ClientApi } from '../api.js';
import type { ClientConfig } from '../config.js';
import { loadOrCreateDeliveryId } from '../delivery-id.js';
import { Messenger, type PreparedEnvelope } from '../messenger.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';
import { MailboxPoller } from '../receiver/mailbox-poller.js';
import type { ClientApiServer, ServeOptions } from '../rpc/index.js';
import { Arq } from '../sender/arq.js';
import { collectionsOf } from '../state.js';
import type { SealedStore } from '../store/sealed-store.js';
import { LoopMonitor } from '../traffic/loop-monitor.js';
import { PacketFactory } from '../traffic/packet-factory.js';
import { SendMeter } from '../traffic/send-meter.js';
import { ApiFacade } from './api-facade.js';
import { ClientEvents } from './client-events.js';
import { DocumentFollower, ratesOf } from './document-follower.js';
import { EntryRouter } from './entry-router.js';
import { EpochLog } from './epoch-log.js';
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
  /** Longest wait for the first verified document. Default 60 s. */
  documentTimeoutMs?: number;
  /** Trace mode (test networks only): append who wrote to whom to this file (docs/simulator.md §Trace mode). */
  tracePath?: string;
}

export interface ClientDaemonComponents {
  clock: Clock;
  logger: Logger;
  /** The caller's lifecycle, holding what it opened already (the store, the host): those stop last. */
  lifecycle: Lifecycle;
  /** The opened profile store. */
  store: SealedStore;
  /** The profile's end-to-end identity and libp2p key (its mailbox, its fetch and card signatures). */
  identity: Identity;
  key: Ed25519PrivateKey;
  /** Verified documents by epoch (the PKI client). */
  documents: DocumentSource;
  /** A link to `gateway` with the profile's key (stop() also stops its host). */
  openLink(gateway: NodeEntry): GatewayLinkLike;
  /** Serves the API on the local socket. */
  serveApi(api: ClientApi, socketPath: string, options: ServeOptions): Promise<ClientApiServer>;
  /** The randomness of routes, delays and stream timings (default: a fresh crypto source for each). */
  uniform?: () => Uniform;
  /** Random bytes (loop payloads; default crypto). */
  random?: (n: number) => Uint8Array;
}

const DEFAULT_DOCUMENT_TIMEOUT_MS = 60_000;

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
  const { clock, logger, lifecycle, store, identity, key } = c;
  const settings = init.config.client;
  const uniform = c.uniform ?? cryptoUniform;
  const col = collectionsOf(store);
  const epochs: EpochClock = { genesisMs: init.config.network.genesisMs, epochDurationMs: init.config.network.epochDurationMs };

  const view = new NetworkView({ epochs }, { clock });
  const watcher = new DocumentWatcher({
    source: c.documents,
    clock,
    epochs,
    onDocument: (doc) => view.add(doc),
    onError: (epoch, err) => logger.debug('document fetch failed; retrying', { epoch, error: err.message }),
  });
  await lifecycle.add({ name: 'document watcher', start: async () => watcher.start(), stop: () => watcher.stop() });
  const first = await view.firstDocument(init.documentTimeoutMs ?? DEFAULT_DOCUMENT_TIMEOUT_MS);
  const gateway = first.document.gateways.find((g) => toHex(g.nodeId) === settings.gateway);
  if (!gateway) throw new ClientError('unavailable', `the gateway ${settings.gatewayName} (${settings.gateway.slice(0, 16)}…) is not in the network's current document; it may be down`);

  const link = c.openLink(gateway);
  // The private delivery id our contacts write to (client/delivery-id.ts).
  const deliveryId = await loadOrCreateDeliveryId(col.profile);
  await lifecycle.add({ name: 'gateway link', start: () => link.register({ deliveryId }), stop: () => link.stop() });
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
  const arq = new Arq({
    clock,
    maxAttempts: settings.maxAttempts,
    minRetryWindowMs: 2 * epochs.epochDurationMs,
    onAcked: () => undefined,
    onGaveUp: (k, attempts) => queue.gaveUp(k, attempts),
    onTimeout: () => queue.ready(),
  });
  lifecycle.onStop('arq', () => arq.stop());

  const messengerLog = logger.child('messenger');
  const messenger = await Messenger.load({
    store,
    collections: col,
    identity,
    ownAddress,
    clock,
    envelopeLength,
    maxFrameLength: maxPlaintextLength(envelopeLength),
    orderHoldMs: settings.orderHoldMs,
    enqueue: (k, attempts) => {
      arq.enqueue(k, attempts);
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
    deliveryId,
    // Our contact card proves our address's mailbox is ours (a key change is believed only with it).
    mailboxProof: signMailboxProof(pkiSigningKey(key), ownAddress),
  });
  lifecycle.onStop('messenger', () => messenger.stop());

  const loops = new LoopMonitor(clock, Math.max(30_000, 20 * settings.fetchIntervalMs));
  lifecycle.onStop('loop monitor', () => loops.stop());

  const prepared = new PreparedEnvelopes({ messenger, arq, view, waiting, logger });
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

  const meter = new SendMeter(clock);
  const factory = new PacketFactory({ geometry, uniform: uniform() });
  const scheduler = new PacketScheduler(
    { fetchIntervalMs: settings.fetchIntervalMs, retransmitSlackMs: settings.retransmitSlackMs },
    { link, factory, arq, loops, messenger, view, prepared, waiting, meter, epochLog, ...(c.random ? { random: c.random } : {}) },
  );
  const streams = new ClientStreams<PreparedEnvelope>({
    clock,
    uniform: uniform(),
    rates: ratesOf(first, settings.raise),
    nextReal: () => scheduler.nextReal(),
    emit: (packet, at) => scheduler.emit(packet, at),
  });
  const follower = new DocumentFollower({ gateway: settings.gateway, raise: settings.raise }, { view, link, streams, logger });
  await lifecycle.add({ name: 'document follower', start: () => follower.start(), stop: () => follower.stop() });

  await lifecycle.add({
    name: 'gateway connection',
    start: () => link.connect().catch((err) => logger.warn('gateway not reachable yet; retrying in the background', { error: (err as Error).message })),
    // The link itself closes at its own step.
    stop: () => undefined,
  });

  const router = new EntryRouter({ geometry }, { loops, arq, messenger, epochLog });
  const bodyLength = fetchEntryBodyLength(geometry);
  const poller = new MailboxPoller({
    clock,
    intervalMs: settings.fetchIntervalMs,
    fetch: (acks) => link.fetch(acks, bodyLength),
    handle: (entry) => router.handle(entry),
    onError: (err) => logger.debug('mailbox fetch failed', { error: err.message }),
  });
  await lifecycle.add({
    name: 'mailbox poller',
    start: async () => poller.start(),
    stop: async () => {
      await poller.stop();
      // Hand the gateway the acknowledgements of what we already stored.
      await poller.pollOnce().catch(() => undefined);
    },
  });
  await lifecycle.add({ name: 'client streams', start: async () => streams.start(), stop: () => streams.stop() });

  const facade = new ApiFacade(
    { profileDir: init.profileDir, address: encodeAddress(ownAddress), fetchIntervalMs: settings.fetchIntervalMs },
    { clock, logger, messenger, link, arq, loops, streams, view, waiting, scheduler, meter, events, profile: col.profile },
  );
  const api = facade.api();
  const server = await c.serveApi(api, init.socketPath, { log: (line) => logger.debug(line) });
  lifecycle.onStop('api server', () => server.close());

  logger.info('client daemon running', { gateway: gateway.name, epoch: first.epoch, socket: server.socketPath, rates: streams.rates });
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

// The gateway role (a Loopix provider) on a libp2p host: clients register
// with it, stream their Sphinx packets into the mixnet through it (it is hop
// 1 of every path they build), and fetch their mailbox from it; packets whose
// last hop it is are stored in those mailboxes, and the SURB-ACKs they carry
// are sent back into the mixnet once stored. docs/gateway.md.
//
//   /chaff/client/register/1  RPC, protocol/wire/register.ts request → the client's mailbox id (32 bytes)
//   /chaff/client/send/1      fixed-size Sphinx frames, client → gateway
//   /chaff/client/fetch/1     RPC, protocol/wire/fetch.ts request → reply
//   /chaff/client/handle/1    RPC, claim or release a short handle (protocol/wire/handle.ts) → claim reply
//   /chaff/client/reply-body/1  RPC, a message id → the body of that SURB reply in the caller's mailbox
//
// Packets from relays arrive on the node's own PacketLink (/chaff/packet/1):
// the daemon hands them to acceptPacket(). One MixProcessor serves both the
// entry and the exit traffic. Every packet or request that is not taken is
// counted by reason (stats()). Who may register, and every per-client state
// the gateway keeps, is bounded (node/gateway/client-admission.ts,
// docs/gateway.md §Bounds); idle registrations, their mailboxes, their
// handles and idle token buckets are evicted by a maintenance pass on the
// injected clock. Short handles (docs/gateway.md §Short handles): clients
// claim names here (node/gateway/handle-claim-handler.ts; a budget of claims
// and releases per client and hour, node/gateway/handle-claim-budget.ts,
// keeps a client from making the registry write without end), lookups reaching
// the exit are answered through their SURBs (node/gateway/name-service.ts),
// and a client reads a lookup answer's body by message id
// (node/gateway/reply-body-handler.ts).
// A Startable built from its components (the host's protocol and peer
// methods, a Clock, a Logger, its stores) and its init options (GatewayLimits).

import type { Stream, Connection, PeerId } from '@libp2p/interface';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { PeerHost, ProtocolHost } from '../../runtime/net/host.js';
import { toHex } from '../../protocol/bytes.js';
import { nodeIdOf } from '../../protocol/pki/node-id.js';
import type { Geometry } from '../../protocol/sphinx/index.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { hasClientPayloadRoom } from '../../protocol/wire/client-payload.js';
import { FETCH_REQUEST_LENGTH, fetchEntryBodyLength, fetchMessageBodyLength, mailboxIdOf } from '../../protocol/wire/fetch.js';
import { MixProcessor, type EpochKey, type MixDropReason } from '../mix/mix-processor.js';
import { UnwrapPool } from '../mix/unwrap-pool.js';
import { RpcRefusal, serveRpc, type RpcServerStats } from '../../runtime/net/rpc.js';
import type { MailboxCounters, MailboxQuota, MailboxStats, MailboxStore } from '../store/mailbox-store.js';
import { checkRegistrationProof, decodeRegisterRequest, proofRequiredMessage, REGISTER_REQUEST_LENGTH, RegisterFormatError, type RegisterRequest } from '../../protocol/wire/register.js';
import { clientKeyOf } from './client-identity.js';
import { ClientAdmission, DEFAULT_REGISTRATION_POLICY, sourceOf, type RegistrationPolicy } from './client-admission.js';
import { DeliveryIdTakenError, type ClientRegistry } from './client-registry.js';
import type { InviteClaim, InviteStore } from './invite-store.js';
import { requestLaneOf } from './mailbox-lanes.js';
import { FetchHandler, FetchRefusedError, type FetchStats } from './fetch-handler.js';
import { readFrames } from '../../runtime/net/frame-reader.js';
import { LIBP2P_INBOUND_STREAM_CEILING, PeerStreamBound } from '../../runtime/net/peer-stream-bound.js';
import { MailboxDelivery, type DeliveryStats } from './mailbox-delivery.js';
import { clientBucket, type TokenBucket } from './token-bucket.js';
import { CLIENT_FETCH_PROTOCOL, CLIENT_HANDLE_PROTOCOL, CLIENT_REGISTER_PROTOCOL, CLIENT_REPLY_BODY_PROTOCOL, CLIENT_SEND_PROTOCOL } from '../../protocol/wire/client-protocols.js';
import { HANDLE_NAME_MAX_LENGTH, HANDLE_RECORD_BASE_LENGTH, REPLY_BODY_REQUEST_LENGTH } from '../../protocol/wire/handle.js';
import type { TraceEvent } from '../../protocol/trace/events.js';
import type { HandleRegistry } from './handle-registry.js';
import { HandleClaimBudget } from './handle-claim-budget.js';
import { HandleClaimHandler, HandleClaimRefusedError, type HandleClaimStats } from './handle-claim-handler.js';
import { ReplyBodyHandler, ReplyBodyRefusedError, type ReplyBodyStats } from './reply-body-handler.js';

export { CLIENT_FETCH_PROTOCOL, CLIENT_HANDLE_PROTOCOL, CLIENT_REGISTER_PROTOCOL, CLIENT_REPLY_BODY_PROTOCOL, CLIENT_SEND_PROTOCOL };

/** Largest register request read before refusing (protocol/wire/register.ts). */
const MAX_REGISTER_REQUEST = REGISTER_REQUEST_LENGTH;
/** Largest claim request: version, op, a record with the longest name (protocol/wire/handle.ts). */
const MAX_HANDLE_REQUEST = 2 + HANDLE_RECORD_BASE_LENGTH + HANDLE_NAME_MAX_LENGTH;
/** Default period of the maintenance pass (idle expiry, bucket eviction, activity flush). */
const DEFAULT_MAINTENANCE_INTERVAL_MS = 60_000;

export const ENTRY_DROP_REASONS = [
  /** The connection's peer has no Ed25519 key, so it cannot be a client: its stream is refused. */
  'not-ed25519',
  /** A frame from a client that has not registered here. */
  'unregistered',
  /** A frame over the client's token bucket. */
  'rate-limited',
  /** The stream ended inside a frame. */
  'truncated',
  /** A frame that arrived while the gateway was stopping. */
  'stopped',
  /** A send stream refused: its source address already has `connectionsPerAddress` client identities sending. */
  'address-limit',
  /** A send stream refused: the client already holds `maxSendStreams` open. */
  'too-many-streams',
] as const;
export type EntryDropReason = (typeof ENTRY_DROP_REASONS)[number];

export const REGISTER_DROP_REASONS = [
  /** The request body is not a register request (protocol/wire/register.ts). */
  'malformed',
  /** The connection's peer has no Ed25519 key. */
  'not-ed25519',
  /** The registry could not write. */
  'store-error',
  /** Registration policy "closed": no new client. */
  'closed',
  /** Policy "invite" and no invite token. */
  'invite-required',
  /** An invite token that is unknown, used or expired. */
  'invite-invalid',
  /** Policy "open" with a cost, and no proof of work. */
  'proof-required',
  /** A proof of work that does not verify for this gateway and client key. */
  'proof-invalid',
  /** The registry holds maxClients already. */
  'full',
  /** The gateway's new-registration budget (perHour) is spent. */
  'rate-limited',
  /** The source address's new-registration budget (perAddressPerHour) is spent. */
  'address-limit',
  /** The delivery id is another client's recipient id. */
  'delivery-id-taken',
] as const;
export type RegisterDropReason = (typeof REGISTER_DROP_REASONS)[number];

export type GatewayDropSite = 'entry' | 'exit' | 'fetch' | 'register' | 'handle' | 'reply-body' | 'mix';

/** The gateway's init options: rates, queues and bounds. */
export interface GatewayLimits {
  /** A client's total sending rate λP + λL + λD, packets per second. */
  readonly clientRate: number;
  /** Multiplier on clientRate for the per-client token bucket (e.g. 1.5). */
  readonly rateHeadroom: number;
  /** Message slots in every fetch reply. */
  readonly fetchBatch: number;
  /** ACK slots in every fetch reply. Default DEFAULT_FETCH_ACK_BATCH (node/gateway/fetch-handler.ts). */
  readonly fetchAckBatch?: number;
  /** Packets accepted but not yet unwrapped (MixProcessor input queue). */
  readonly inputQueue: number;
  /** Packets held for their delay (MixProcessor delay queue). */
  readonly delayQueue: number;
  /** Threads that unwrap Sphinx packets (node/mix/unwrap-pool.ts, config `[mix] workers`); 0 or absent: the event loop. */
  readonly workers?: number;
  /** Entry streams one client may hold open at once (over all its connections). Default 2. */
  readonly maxSendStreams?: number;
  /** Deadline of one register or fetch exchange. Default 10 s. */
  readonly rpcTimeoutMs?: number;
  /** Registration policy and bounds; each field defaults to DEFAULT_REGISTRATION_POLICY's. */
  readonly registration?: Partial<RegistrationPolicy>;
  /** The contact-request allowance of a client with a delivery id (node/gateway/mailbox-lanes.ts). */
  readonly requestAllowance?: MailboxQuota;
  /** Period of the maintenance pass, ms. Default 60 s. */
  readonly maintenanceIntervalMs?: number;
  /** Short-handle claims and releases per client per hour, also the burst (node/gateway/handle-claim-budget.ts). Default 10. */
  readonly handleClaimsPerClientPerHour?: number;
}

/** What a gateway uses: the host (its client protocols, its own key, a client's source address), time, a logger, its keys, stores and route out. */
export interface GatewayComponents {
  readonly host: ProtocolHost & PeerHost;
  readonly geometry: Geometry;
  readonly clock: Clock;
  /** Per-packet drops at debug; store failures at error. */
  readonly logger: Logger;
  /** The node's Sphinx keys, most likely first (as MixProcessor wants). */
  keys(): readonly EpochKey[];
  /** Records `tag` for `epoch`; false if already there (the node's replay cache). */
  checkReplay(epoch: number, tag: Uint8Array): Promise<boolean>;
  /** The longest delay command honoured now, ms (node/mix/hop-delay-bound.ts); longer ones are refused. */
  maxDelayMs(): number;
  /**
   * Sends to the node with Sphinx id `nodeId` (the daemon maps ids to peers
   * via the topology). Carries the mix pipeline's packets and the SURB-ACKs.
   */
  forward(nodeId: Uint8Array, packet: Uint8Array): 'sent' | 'unknown' | 'queue-full';
  readonly mailboxes: MailboxStore;
  readonly registry: ClientRegistry;
  /**
   * The short handles this gateway hosts (docs/gateway.md §Short handles).
   * Without it the claim RPC is not served and every lookup is answered
   * "not found".
   */
  readonly handles?: HandleRegistry;
  /** The operator's invite tokens (registration policy "invite"). */
  readonly invites?: InviteStore;
  /** Called on every counted drop, after counting (logs, metrics). */
  onDrop?(site: GatewayDropSite, reason: string): void;
  /**
   * Trace mode (test networks only: docs/simulator.md §Trace mode): what a
   * link observer and this gateway, were it corrupt, would see.
   */
  trace?(event: TraceEvent): void;
}

export interface GatewayStats {
  registeredClients: number;
  /** New registrations since start. */
  registrations: number;
  entry: { accepted: number; openStreams: number; drops: Record<EntryDropReason, number> };
  exit: DeliveryStats;
  fetch: FetchStats;
  register: { drops: Record<RegisterDropReason, number>; refreshes: number };
  /** Short-handle claims (null without a handle registry); lookups are in exit.lookups. */
  handles: HandleClaimStats | null;
  /** Reply-body requests (a lookup answer's body). */
  replyBody: ReplyBodyStats;
  /** What the maintenance pass evicted since start (handles: names of expired registrations; claimBuckets: handle-claim budgets). */
  evicted: { registrations: number; messages: number; buckets: number; handles: number; claimBuckets: number };
  /** Per-client and per-address state held now (all bounded); claimBuckets: clients with a handle-claim budget. */
  held: { buckets: number; registrationBuckets: number; connectedAddresses: number; claimBuckets: number };
  mix: { received: number; forwarded: number; inputDepth: number; delayDepth: number; drops: Partial<Record<MixDropReason, number>> };
  rpc: { register: RpcServerStats | null; fetch: RpcServerStats | null; handle: RpcServerStats | null; replyBody: RpcServerStats | null };
  mailbox: MailboxStats & { counters: MailboxCounters };
}

export class GatewayService implements Startable {
  /** Body length of a fetch entry: fetchEntryBodyLength(geometry), the largest body stored (a SURB reply: tag ‖ forward payload). */
  readonly bodyLength: number;
  readonly #deps: GatewayComponents;
  readonly #limits: GatewayLimits;
  readonly #log: Logger;
  readonly #mix: MixProcessor;
  readonly #unwrapPool: UnwrapPool | null;
  readonly #delivery: MailboxDelivery;
  readonly #fetch: FetchHandler;
  readonly #claims: HandleClaimHandler | null;
  /** Each client's budget of handle claims and releases (with the handle registry only). */
  readonly #claimBudget: HandleClaimBudget | null;
  readonly #replyBody: ReplyBodyHandler;
  /** Token buckets of registered clients that have sent, by mailbox id (hex). */
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #streams = new Set<Stream>();
  /** Open send streams per client (mailbox id). */
  readonly #sendStreams: PeerStreamBound;
  readonly #entryDrops = Object.fromEntries(ENTRY_DROP_REASONS.map((r) => [r, 0])) as Record<EntryDropReason, number>;
  readonly #registerDrops = Object.fromEntries(REGISTER_DROP_REASONS.map((r) => [r, 0])) as Record<RegisterDropReason, number>;
  readonly #admission: ClientAdmission;
  /** Registrations between their checks and their durable write (counted against maxClients). */
  #pendingRegistrations = 0;
  #entryAccepted = 0;
  #registrations = 0;
  #refreshes = 0;
  readonly #evicted = { registrations: 0, messages: 0, buckets: 0, handles: 0, claimBuckets: 0 };
  #maintenanceTimer: { cancel(): void } | null = null;
  #maintaining: Promise<void> | null = null;
  #rpc: GatewayStats['rpc'] = { register: null, fetch: null, handle: null, replyBody: null };
  /** This gateway's node id, computed when first needed (a handle record must name it). */
  #nodeId: Uint8Array | null = null;
  #started = false;
  #stopped = false;

  constructor(deps: GatewayComponents, limits: GatewayLimits) {
    if (!(limits.clientRate > 0) || !Number.isFinite(limits.clientRate)) throw new RangeError(`clientRate must be positive, got ${limits.clientRate}`);
    if (!(limits.rateHeadroom >= 1) || !Number.isFinite(limits.rateHeadroom)) throw new RangeError(`rateHeadroom must be at least 1, got ${limits.rateHeadroom}`);
    for (const name of ['fetchBatch', 'inputQueue', 'delayQueue'] as const) {
      if (!Number.isInteger(limits[name]) || limits[name] < 1) throw new RangeError(`${name} must be a positive integer, got ${limits[name]}`);
    }
    // Every forward packet carries a client payload (header ‖ SURB ‖ user payload).
    if (!hasClientPayloadRoom(deps.geometry)) throw new RangeError('the geometry has no room for client payloads (build it with withSURB = true)');
    this.#deps = deps;
    this.#limits = limits;
    this.#sendStreams = new PeerStreamBound(limits.maxSendStreams ?? 2);
    this.#admission = new ClientAdmission({ ...DEFAULT_REGISTRATION_POLICY, ...limits.registration }, deps.clock.now());
    if (this.#admission.policy.mode === 'invite' && deps.invites === undefined) throw new RangeError('registration mode "invite" needs an invite store');
    this.#log = deps.logger;
    this.bodyLength = fetchEntryBodyLength(deps.geometry);
    this.#delivery = new MailboxDelivery({
      mailboxes: deps.mailboxes,
      registry: deps.registry,
      clock: deps.clock,
      geometry: deps.geometry,
      maxBodyLength: this.bodyLength,
      ...(limits.requestAllowance ? { requestAllowance: limits.requestAllowance } : {}),
      // ACKs leave on the same path as the pipeline's own packets (relay → relay).
      forward: (nodeId, packet) => deps.forward(nodeId, packet),
      ...(deps.handles ? { lookupHandle: (name: string) => deps.handles!.recordOf(name) } : {}),
      onDrop: (reason) => this.#report('exit', reason),
      ...(deps.trace ? { onDeposit: (recipient, kind) => deps.trace!({ t: deps.clock.now(), ev: 'deposit', user: toHex(recipient), kind }) } : {}),
    });
    this.#fetch = new FetchHandler({
      mailboxes: deps.mailboxes,
      registry: deps.registry,
      fetchBatch: limits.fetchBatch,
      ...(limits.fetchAckBatch !== undefined ? { ackBatch: limits.fetchAckBatch } : {}),
      bodyLength: this.bodyLength,
      messageBodyLength: fetchMessageBodyLength(deps.geometry),
      onActive: (mailboxId) => deps.registry.touch(mailboxId, deps.clock.now()),
    });
    this.#claimBudget = deps.handles ? new HandleClaimBudget({ perHour: limits.handleClaimsPerClientPerHour, clock: deps.clock }) : null;
    this.#claims = deps.handles
      ? new HandleClaimHandler({
          handles: deps.handles,
          registry: deps.registry,
          gatewayId: () => (this.#nodeId ??= nodeIdOf(deps.host.peerId.publicKey!.raw)),
          budget: this.#claimBudget!,
          onRefuse: (outcome) => this.#report('handle', outcome),
        })
      : null;
    this.#replyBody = new ReplyBodyHandler({ mailboxes: deps.mailboxes, registry: deps.registry, bodyLength: this.bodyLength });
    this.#unwrapPool = limits.workers ? new UnwrapPool({ geometry: deps.geometry, workers: limits.workers, keys: () => deps.keys(), logger: this.#log }) : null;
    this.#mix = new MixProcessor(
      {
        geometry: deps.geometry,
        clock: deps.clock,
        keys: () => deps.keys(),
        checkReplay: (epoch, tag) => deps.checkReplay(epoch, tag),
        maxDelayMs: () => deps.maxDelayMs(),
        forward: (nodeId, packet) => deps.forward(nodeId, packet),
        // A client's packet must cross the mixnet: one that ends at its own
        // entry gateway would deposit into a local mailbox unmixed.
        onFinalHop: (hop, origin) => (origin === 'client' ? false : this.#delivery.deliver(hop)),
        onDrop: (reason) => this.#report('mix', reason),
        ...(this.#unwrapPool ? { unwrapStage: this.#unwrapPool } : {}),
      },
      { inputQueue: limits.inputQueue, delayQueue: limits.delayQueue },
    );
  }

  /** Registers the client protocols on the host (the handle protocol only with a handle registry). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    // The unwrap workers first: a packet that arrives finds them loaded.
    await this.#unwrapPool?.start();
    const { host } = this.#deps;
    const timeoutMs = this.#limits.rpcTimeoutMs;
    this.#rpc.register = await serveRpc(host, CLIENT_REGISTER_PROTOCOL, (request, from) => this.#register(request, from), {
      maxRequestBytes: MAX_REGISTER_REQUEST,
      timeoutMs,
    });
    this.#rpc.fetch = await serveRpc(host, CLIENT_FETCH_PROTOCOL, (request, from) => this.#fetchRpc(request, from), {
      maxRequestBytes: FETCH_REQUEST_LENGTH,
      timeoutMs,
    });
    if (this.#claims !== null) {
      this.#rpc.handle = await serveRpc(host, CLIENT_HANDLE_PROTOCOL, (request, from) => this.#handleRpc(request, from), {
        maxRequestBytes: MAX_HANDLE_REQUEST,
        timeoutMs,
      });
    }
    this.#rpc.replyBody = await serveRpc(host, CLIENT_REPLY_BODY_PROTOCOL, (request, from) => this.#replyBodyRpc(request, from), {
      maxRequestBytes: REPLY_BODY_REQUEST_LENGTH,
      timeoutMs,
    });
    await host.handle(CLIENT_SEND_PROTOCOL, (stream, connection) => this.#acceptEntry(stream, connection), {
      // Our per-client bound (counted 'too-many-streams') is the one that bites: runtime/net/peer-stream-bound.ts.
      maxInboundStreams: LIBP2P_INBOUND_STREAM_CEILING,
    });
    this.#scheduleMaintenance();
  }

  /** The registration policy and bounds in force. */
  get registrationPolicy(): Readonly<RegistrationPolicy> {
    return this.#admission.policy;
  }

  /**
   * A packet from a relay (the node's PacketLink onFrame for /chaff/packet/1):
   * unwrapped, then forwarded or, at its last hop, deposited. Never throws.
   */
  acceptPacket(frame: Uint8Array): void {
    void this.#mix.accept(frame);
  }

  /**
   * Unregisters the client protocols, closes entry streams and stops the
   * mix pipeline (packets held for their delay are dropped, counted
   * 'shutdown'). Does not close the stores or the host: the daemon owns them.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { host } = this.#deps;
    if (this.#started) {
      const protocols = [CLIENT_REGISTER_PROTOCOL, CLIENT_FETCH_PROTOCOL, CLIENT_SEND_PROTOCOL, CLIENT_REPLY_BODY_PROTOCOL, ...(this.#claims ? [CLIENT_HANDLE_PROTOCOL] : [])];
      await Promise.all(protocols.map((p) => host.unhandle(p).catch(() => undefined)));
    }
    this.#maintenanceTimer?.cancel();
    this.#maintenanceTimer = null;
    for (const stream of this.#streams) stream.abort(new Error('gateway stopped'));
    this.#streams.clear();
    this.#mix.stop();
    await this.#unwrapPool?.stop();
    await this.#maintaining?.catch(() => undefined);
  }

  stats(): GatewayStats {
    const { mailboxes, registry } = this.#deps;
    return {
      registeredClients: registry.size,
      registrations: this.#registrations,
      entry: { accepted: this.#entryAccepted, openStreams: this.#streams.size, drops: { ...this.#entryDrops } },
      exit: this.#delivery.stats(),
      fetch: this.#fetch.stats(),
      register: { drops: { ...this.#registerDrops }, refreshes: this.#refreshes },
      handles: this.#claims?.stats() ?? null,
      replyBody: this.#replyBody.stats(),
      evicted: { ...this.#evicted },
      held: { buckets: this.#buckets.size, ...this.#admission.tracked(), claimBuckets: this.#claimBudget?.size ?? 0 },
      mix: {
        received: this.#mix.received,
        forwarded: this.#mix.forwarded,
        inputDepth: this.#mix.inputDepth,
        delayDepth: this.#mix.delayDepth,
        drops: this.#mix.dropCounts(),
      },
      rpc: {
        register: cloneRpcStats(this.#rpc.register),
        fetch: cloneRpcStats(this.#rpc.fetch),
        handle: cloneRpcStats(this.#rpc.handle),
        replyBody: cloneRpcStats(this.#rpc.replyBody),
      },
      mailbox: { ...mailboxes.stats(), counters: structuredClone(mailboxes.counters) },
    };
  }

  // --- registration ---

  // Checks in order (docs/gateway.md §Registration): the body; the key; an
  // already registered client is refreshed (and may set its delivery id)
  // without any cost; otherwise the policy (closed / invite / proof), the
  // client cap, then the per-address and gateway-wide budgets (charged only
  // for a request that passed the policy, so garbage cannot spend them),
  // then the invite is claimed and the registration written.
  async #register(body: Uint8Array, from: PeerId): Promise<Uint8Array> {
    let request: RegisterRequest;
    try {
      request = decodeRegisterRequest(body);
    } catch (err) {
      if (err instanceof RegisterFormatError) throw this.#refuseRegister('malformed', err.message);
      throw err;
    }
    const key = clientKeyOf(from);
    if (key === null) throw this.#refuseRegister('not-ed25519', 'a client connects with an Ed25519 libp2p key');
    const { registry } = this.#deps;
    const now = this.#deps.clock.now();
    const mailboxId = mailboxIdOf(key);
    if (registry.has(mailboxId)) {
      await this.#record(key, now, request.deliveryId);
      this.#refreshes++;
      return Uint8Array.from(mailboxId);
    }

    const policy = this.#admission.policy;
    if (policy.mode === 'closed') throw this.#refuseRegister('closed', 'this gateway takes no new clients');
    let invite: InviteClaim | null = null;
    if (policy.mode === 'invite') {
      if (request.inviteToken === undefined) throw this.#refuseRegister('invite-required', 'this gateway registers new clients by invitation: an invite token is needed');
      const check = await this.#deps.invites!.check(request.inviteToken, now);
      if (check !== 'valid') throw this.#refuseRegister('invite-invalid', check === 'expired' ? 'the invite token has expired' : 'the invite token is not valid (unknown or already used)');
    } else if (policy.proofBits > 0) {
      if (request.proofNonce === undefined) throw this.#refuseRegister('proof-required', proofRequiredMessage(policy.proofBits));
      if (!checkRegistrationProof(this.#deps.host.peerId.publicKey!.raw, key, request.proofNonce, policy.proofBits)) {
        throw this.#refuseRegister('proof-invalid', `the proof of work does not verify (${policy.proofBits} bits, for this gateway and key)`);
      }
    }
    if (registry.size + this.#pendingRegistrations >= policy.maxClients) throw this.#refuseRegister('full', 'this gateway has as many clients as it takes');
    const source = sourceOf(this.#deps.host.getConnections(from)[0]?.remoteAddr);
    const budget = this.#admission.chargeRegistration(source, now);
    if (budget === 'address-limit') throw this.#refuseRegister('address-limit', 'too many new registrations from this address; try again later');
    if (budget === 'rate-limited') throw this.#refuseRegister('rate-limited', 'too many new registrations at this gateway; try again later');

    this.#pendingRegistrations++;
    try {
      if (request.inviteToken !== undefined && policy.mode === 'invite') {
        invite = await this.#deps.invites!.claim(request.inviteToken);
        if (invite === null) throw this.#refuseRegister('invite-invalid', 'the invite token is not valid (unknown or already used)');
      }
      try {
        const created = await this.#record(key, now, request.deliveryId);
        if (created) this.#registrations++;
      } catch (err) {
        await invite?.release();
        throw err;
      }
      await invite?.consume();
    } finally {
      this.#pendingRegistrations--;
    }
    return Uint8Array.from(mailboxId);
  }

  /** Writes the registration; refuses (counted) on a taken delivery id or a store failure. Resolves whether it is new. */
  async #record(key: Uint8Array, nowMs: number, deliveryId: Uint8Array | undefined): Promise<boolean> {
    try {
      return (await this.#deps.registry.register(key, nowMs, deliveryId)).created;
    } catch (err) {
      if (err instanceof DeliveryIdTakenError) throw this.#refuseRegister('delivery-id-taken', 'that delivery id is taken; choose another (32 random bytes)');
      this.#log.error('registration not recorded', { error: (err as Error).message });
      throw this.#refuseRegister('store-error', 'the gateway could not record the registration');
    }
  }

  #refuseRegister(reason: RegisterDropReason, message: string): RpcRefusal {
    this.#registerDrops[reason]++;
    this.#report('register', reason);
    return new RpcRefusal(message);
  }

  // --- fetch ---

  async #fetchRpc(request: Uint8Array, from: PeerId): Promise<Uint8Array> {
    try {
      const key = clientKeyOf(from);
      const reply = await this.#fetch.handle(request, key);
      if (this.#deps.trace && key) this.#deps.trace({ t: this.#deps.clock.now(), ev: 'fetch', user: toHex(mailboxIdOf(key)) });
      return reply;
    } catch (err) {
      if (err instanceof FetchRefusedError) {
        this.#report('fetch', err.reason);
        throw new RpcRefusal(err.message);
      }
      throw err;
    }
  }

  // --- short handles ---

  async #handleRpc(request: Uint8Array, from: PeerId): Promise<Uint8Array> {
    try {
      return await this.#claims!.handle(request, clientKeyOf(from));
    } catch (err) {
      if (err instanceof HandleClaimRefusedError) {
        if (err.reason === 'store-error') this.#log.error('handle claim not recorded', { error: ((err.cause as Error | undefined) ?? err).message });
        // Once per client per hour (the budget's window), never with its key: a client alternating names shows without flooding the log.
        if (err.firstInWindow) this.#log.info('a client’s handle claims are rate-limited', { perHour: this.#claimBudget!.perHour });
        throw new RpcRefusal(err.message);
      }
      throw err;
    }
  }

  async #replyBodyRpc(request: Uint8Array, from: PeerId): Promise<Uint8Array> {
    try {
      return await this.#replyBody.handle(request, clientKeyOf(from));
    } catch (err) {
      if (err instanceof ReplyBodyRefusedError) {
        this.#report('reply-body', err.reason);
        throw new RpcRefusal(err.message);
      }
      throw err;
    }
  }

  // --- entry ---

  #acceptEntry(stream: Stream, connection: Connection): void {
    if (this.#stopped) {
      stream.abort(new Error('gateway stopped'));
      return;
    }
    const key = clientKeyOf(connection.remotePeer);
    if (key === null) {
      this.#entryDrop('not-ed25519');
      stream.abort(new Error('not a client key'));
      return;
    }
    const mailboxId = mailboxIdOf(key);
    const client = toHex(mailboxId);
    const release = this.#sendStreams.acquire(client);
    if (release === null) {
      this.#entryDrop('too-many-streams');
      stream.abort(new Error('too many send streams from this client'));
      return;
    }
    // One address, a bounded number of sending identities (docs/gateway.md §Bounds).
    const source = sourceOf(connection.remoteAddr);
    if (!this.#admission.openStream(source, client)) {
      release();
      this.#entryDrop('address-limit');
      stream.abort(new Error('too many clients sending from this address'));
      return;
    }
    this.#streams.add(stream);
    readFrames(stream, this.#deps.geometry.packetLength, {
      onFrame: (frame) => this.#entryFrame(client, mailboxId, frame),
      onTruncated: () => this.#entryDrop('truncated'),
      onClose: () => {
        release();
        this.#streams.delete(stream);
        this.#admission.closeStream(source, client);
      },
    });
  }

  #entryFrame(client: string, mailboxId: Uint8Array, frame: Uint8Array): void {
    if (this.#stopped) return this.#entryDrop('stopped');
    // Checked per frame, so a client that registers while its stream is open is served from then on.
    if (!this.#deps.registry.has(mailboxId)) return this.#entryDrop('unregistered');
    const now = this.#deps.clock.now();
    let bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      bucket = clientBucket(this.#limits.clientRate, this.#limits.rateHeadroom, now);
      this.#buckets.set(client, bucket);
    }
    if (!bucket.take(now)) return this.#entryDrop('rate-limited');
    this.#deps.registry.touch(mailboxId, now);
    this.#entryAccepted++;
    this.#deps.trace?.({ t: now, ev: 'send', user: client });
    void this.#mix.accept(frame, 'client');
  }

  // --- maintenance ---

  #scheduleMaintenance(): void {
    if (this.#stopped) return;
    const interval = this.#limits.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS;
    this.#maintenanceTimer = this.#deps.clock.at(this.#deps.clock.now() + interval, () => {
      this.#maintaining = this.maintain()
        .catch((err) => this.#log.error('maintenance failed', { error: (err as Error).message }))
        .finally(() => {
          this.#maintaining = null;
          this.#scheduleMaintenance();
        });
    });
  }

  /**
   * One maintenance pass (run every maintenanceIntervalMs on the clock):
   * expires registrations idle for idleExpiryMs with both their mailbox
   * lanes and their short handles, drops token buckets that are full again (an idle client's bucket
   * is as good as a new one) and per-address budgets and handle-claim
   * budgets likewise (and those of expired clients), writes client
   * activity, and deletes expired invites.
   */
  async maintain(): Promise<void> {
    const { registry, mailboxes, clock } = this.#deps;
    const now = clock.now();
    for (const [client, bucket] of this.#buckets) {
      if (bucket.isFull(now)) {
        this.#buckets.delete(client);
        this.#evicted.buckets++;
      }
    }
    this.#admission.prune(now);
    const expired = await registry.expireIdle(now, this.#admission.policy.idleExpiryMs);
    for (const mailboxId of expired) {
      this.#buckets.delete(toHex(mailboxId));
      this.#fetch.forget(mailboxId);
      this.#evicted.registrations++;
      this.#evicted.messages += (await mailboxes.deleteMailbox(mailboxId)) + (await mailboxes.deleteMailbox(requestLaneOf(mailboxId)));
    }
    if (expired.length > 0) this.#log.info('expired idle registrations', { registrations: expired.length });
    // Names of clients no longer registered (just expired, or left over by a crash between the two writes).
    // A failure is retried by the next pass and does not hold up the rest of this one.
    try {
      const released = (await this.#deps.handles?.releaseUnregistered((mailboxId) => registry.has(mailboxId))) ?? 0;
      this.#evicted.handles += released;
      if (released > 0) this.#log.info('released the handles of expired registrations', { handles: released });
    } catch (err) {
      this.#log.warn('handles of expired registrations not released', { error: (err as Error).message });
    }
    this.#evicted.claimBuckets += this.#claimBudget?.prune((mailboxId) => registry.has(mailboxId)) ?? 0;
    await registry.flushActivity();
    await this.#deps.invites?.prune(now);
  }

  #entryDrop(reason: EntryDropReason): void {
    this.#entryDrops[reason]++;
    this.#report('entry', reason);
  }

  // Reasons only: client identities and keys are never logged.
  #report(site: GatewayDropSite, reason: string): void {
    this.#log.debug('dropped', { site, reason });
    try {
      this.#deps.onDrop?.(site, reason);
    } catch {
      // A metrics hook must not break the data path.
    }
  }
}

function cloneRpcStats(stats: RpcServerStats | null): RpcServerStats | null {
  return stats === null ? null : { served: stats.served, drops: { ...stats.drops } };
}

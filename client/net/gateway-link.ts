// The client's connection to its gateway (docs/gateway.md §The gateway
// service): registration, the send stream that carries every packet the
// client emits (real and cover alike), mailbox fetches, and the two short
// handle calls (docs/handles.md): claiming or releasing the client's handle,
// and reading the body of a SURB reply that carried a lookup's answer. The link
// reconnects by itself with exponential backoff after the gateway restarts
// or the laptop wakes up (design notes §6: "reconnect failures after a
// crash or laptop sleep").

import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { ctEqual } from '../../protocol/bytes.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import { CLIENT_FETCH_PROTOCOL, CLIENT_HANDLE_PROTOCOL, CLIENT_REGISTER_PROTOCOL, CLIENT_REPLY_BODY_PROTOCOL, CLIENT_SEND_PROTOCOL } from '../../protocol/wire/client-protocols.js';
import { decodeFetchReply, encodeFetchRequest, mailboxIdOf, type FetchEntry } from '../../protocol/wire/fetch.js';
import {
  decodeHandleClaimReply,
  decodeReplyBodyReply,
  encodeHandleClaimRequest,
  encodeReplyBodyRequest,
  type HandleClaimReply,
  type HandleClaimRequest,
  type HandleRecord,
  type ReplyBodyReply,
} from '../../protocol/wire/handle.js';
import { encodeRegisterRequest, parseProofRequired, searchRegistrationProof, type RegisterRequest } from '../../protocol/wire/register.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { systemClock } from '../../runtime/clock.js';
import { createHost, type Host } from '../../runtime/net/host.js';
import { callRpc, RpcError } from '../../runtime/net/rpc.js';
import { pkiSigningKey } from '../../runtime/pki/signing-key.js';

export interface GatewayLinkStats {
  packetsSent: number;
  bytesSent: number;
  bytesReceived: number;
  /** Packets not handed to the stream because the link was down. */
  sendFailures: number;
  fetches: number;
  fetchFailures: number;
  reconnects: number;
}

export class GatewayLinkError extends Error {
  constructor(message: string) {
    super(`gateway: ${message}`);
    this.name = 'GatewayLinkError';
  }
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Nonces tried between two yields to the event loop while solving a registration proof (~0.1 s). */
const PROOF_SLICE = 1 << 16;
/** Default: the most proof-of-work bits a client works for (2^24 hashes, about half a minute here). */
const DEFAULT_MAX_PROOF_BITS = 24;
/** The longest claim reply read: 3 + 32 bytes, or a refusal's reason. */
const MAX_CLAIM_REPLY_BYTES = 1024;
/** The longest reply-body reply read: a SURB reply's body is a few KiB (payload tag ‖ forward payload); the caller checks its exact length. */
const MAX_REPLY_BODY_BYTES = 1 << 20;

export interface RegisterOptions {
  /**
   * The client's private delivery id (32 random bytes): a second recipient
   * id of its mailbox, for its established contacts and its own SURBs
   * (docs/gateway.md §Contact requests and the delivery id). Once given,
   * the link sends it again on every re-registration; a new one rotates it.
   */
  deliveryId?: Uint8Array;
  /** A single-use invite token (a gateway whose registration policy is "invite"). */
  inviteToken?: Uint8Array;
  /** The most proof-of-work bits to spend on a gateway that asks for a proof (default 24). */
  maxProofBits?: number;
}

/**
 * What the client daemon uses of a gateway link (client/daemon/): its parts
 * take the few members they need of this, so their tests run on an
 * in-memory link.
 */
export interface GatewayLinkLike {
  readonly gateway: NodeEntry;
  readonly mailboxId: Uint8Array;
  readonly deliveryId: Uint8Array | undefined;
  readonly connected: boolean;
  /** Why the last attempt to reach the gateway or register failed; null once it succeeds. */
  readonly lastError: string | null;
  register(options?: RegisterOptions): Promise<void>;
  connect(): Promise<void>;
  trySend(packet: Uint8Array): boolean;
  fetch(acks: readonly bigint[], bodyLength: number): Promise<FetchEntry[]>;
  /** Claims the handle `record` names at our gateway: the gateway's answer (ok, taken, invalid, not registered) and the name we hold after it. */
  claimHandle(record: HandleRecord): Promise<HandleClaimReply>;
  /** Releases our handle at our gateway (ok, with no name held, when we held none). */
  releaseHandle(): Promise<HandleClaimReply>;
  /** The body of the SURB reply with this message id in our mailbox, still encrypted (found: false when there is no such reply). */
  replyBody(messageId: bigint): Promise<ReplyBodyReply>;
  updateGateway(entry: NodeEntry): void;
  stats(): GatewayLinkStats;
  stop(): Promise<void>;
}

export class GatewayLink implements GatewayLinkLike {
  readonly host: Host;
  readonly mailboxId: Uint8Array;
  readonly #key: Ed25519PrivateKey;
  /** The key that signs fetches, imported once (an import per fetch was 3 % of an idle daemon's CPU). */
  #fetchSigner: ReturnType<typeof pkiSigningKey> | null = null;
  readonly #clock: Clock;
  #gateway: NodeEntry;
  #peer: PeerId;
  #stream: Stream | null = null;
  #opening: Promise<void> | null = null;
  #nextAttemptMs = 0;
  #backoffMs = BACKOFF_MIN_MS;
  #lastCounter = 0n;
  #stopped = false;
  #lastError: string | null = null;
  /** What every (re-)registration carries: the delivery id once set, and a proof once solved. */
  #deliveryId: Uint8Array | undefined;
  #proofNonce: bigint | undefined;
  /** A proof being solved: registrations that overlap (the daemon's first one and a reconnection's) wait for the same one. */
  #proofSolving: Promise<bigint> | null = null;
  readonly #stats: GatewayLinkStats = { packetsSent: 0, bytesSent: 0, bytesReceived: 0, sendFailures: 0, fetches: 0, fetchFailures: 0, reconnects: 0 };

  private constructor(host: Host, key: Ed25519PrivateKey, gateway: NodeEntry, clock: Clock) {
    this.host = host;
    this.#key = key;
    this.#clock = clock;
    this.mailboxId = mailboxIdOf(key.publicKey.raw);
    this.#gateway = gateway;
    this.#peer = peerOf(gateway);
  }

  /** A started libp2p host (no listeners) with the client's identity key. */
  static async createHost(key: Ed25519PrivateKey): Promise<Host> {
    return createHost({ privateKey: key, listen: [] });
  }

  /**
   * A link over `host`, which must have been created with `key`; stop() stops
   * the host. `clock` times the reconnect backoff and the fetch counter (which
   * must be wall time: it stays increasing across restarts without being stored).
   */
  static over(host: Host, key: Ed25519PrivateKey, gateway: NodeEntry, clock: Clock = systemClock): GatewayLink {
    return new GatewayLink(host, key, gateway, clock);
  }

  get gateway(): NodeEntry {
    return this.#gateway;
  }

  /** Whether the send stream is open now. */
  get connected(): boolean {
    return this.#stream?.status === 'open';
  }

  stats(): GatewayLinkStats {
    return { ...this.#stats };
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  /** A new document may list new addresses for the same gateway. */
  updateGateway(entry: NodeEntry): void {
    if (!ctEqual(entry.nodeId, this.#gateway.nodeId)) throw new GatewayLinkError('updateGateway: another gateway');
    this.#gateway = entry;
    this.#peer = peerOf(entry);
  }

  /** The delivery id the link registers, or undefined. */
  get deliveryId(): Uint8Array | undefined {
    return this.#deliveryId === undefined ? undefined : Uint8Array.from(this.#deliveryId);
  }

  /**
   * Registers this client's mailbox (idempotent at the gateway), with the
   * options given now or, for those left out, those of earlier calls. A
   * gateway that asks for a proof of work gets one (solved here, in slices
   * that yield to the event loop, up to `maxProofBits`). Throws RpcError
   * (code 'refused', with the gateway's reason) when refused.
   */
  async register(options: RegisterOptions = {}): Promise<void> {
    if (options.deliveryId !== undefined) this.#deliveryId = Uint8Array.from(options.deliveryId);
    const maxProofBits = options.maxProofBits ?? DEFAULT_MAX_PROOF_BITS;
    const request = (): RegisterRequest => ({
      ...(this.#deliveryId !== undefined ? { deliveryId: this.#deliveryId } : {}),
      ...(options.inviteToken !== undefined ? { inviteToken: options.inviteToken } : {}),
      ...(this.#proofNonce !== undefined ? { proofNonce: this.#proofNonce } : {}),
    });
    try {
      const sent = request();
      try {
        await this.#registerOnce(sent);
      } catch (err) {
        const bits = err instanceof RpcError && err.code === 'refused' ? parseProofRequired(err.message) : null;
        // A proof that was sent and still refused is not tried again.
        if (bits === null || sent.proofNonce !== undefined) throw err;
        if (bits > maxProofBits) throw new GatewayLinkError(`the gateway asks for a ${bits}-bit proof of work, more than the ${maxProofBits} bits this client spends`);
        this.#proofNonce ??= await (this.#proofSolving ??= this.#solveProof(bits).finally(() => (this.#proofSolving = null)));
        await this.#registerOnce(request());
      }
    } catch (err) {
      this.#lastError = describeFailure('registration', err);
      throw err;
    }
  }

  async #registerOnce(request: RegisterRequest): Promise<void> {
    const body = encodeRegisterRequest(request);
    // Room for a refusal's reason, not only the 32-byte mailbox id.
    const reply = await callRpc(this.host, this.#peer, this.#gateway.addresses, CLIENT_REGISTER_PROTOCOL, body, { maxResponseBytes: 1024, timeoutMs: 10_000 });
    if (!ctEqual(reply, this.mailboxId)) throw new GatewayLinkError('the gateway answered with another mailbox id');
  }

  async #solveProof(bits: number): Promise<bigint> {
    const gatewayKey = this.#gateway.identityKey;
    const clientKey = this.#key.publicKey.raw;
    for (let from = 0n; ; from += BigInt(PROOF_SLICE)) {
      if (this.#stopped) throw new GatewayLinkError('stopped while solving the registration proof');
      const nonce = searchRegistrationProof(gatewayKey, clientKey, bits, from, PROOF_SLICE);
      if (nonce !== null) return nonce;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Hands one packet to the send stream. Returns false, without waiting, when
   * the link is down (a reconnect is then under way): the caller keeps the
   * packet's content for later. Never throws.
   */
  trySend(packet: Uint8Array): boolean {
    const stream = this.#stream;
    if (!stream || stream.status !== 'open') {
      this.#stats.sendFailures++;
      this.#ensureStream();
      return false;
    }
    try {
      // send() returning false only means libp2p buffers it: at λ ≈ 10/s the
      // buffer never grows, and the gateway's token bucket is the real limit.
      stream.send(packet);
    } catch {
      this.#stats.sendFailures++;
      this.#stream = null;
      this.#ensureStream();
      return false;
    }
    this.#stats.packetsSent++;
    this.#stats.bytesSent += packet.length;
    return true;
  }

  /** Opens the send stream now (at start), waiting for the outcome. */
  async connect(): Promise<void> {
    this.#nextAttemptMs = 0;
    this.#ensureStream();
    await this.#opening;
    if (!this.connected) throw new GatewayLinkError(`cannot reach ${this.#gateway.name}`);
  }

  #ensureStream(): void {
    if (this.#stopped || this.#opening || this.connected || this.#clock.now() < this.#nextAttemptMs) return;
    this.#opening = (async () => {
      try {
        const targets = this.#gateway.addresses.map((a) => multiaddr(a).encapsulate(`/p2p/${this.#peer.toString()}`));
        const stream = await this.host.dialProtocol(targets, CLIENT_SEND_PROTOCOL, { signal: AbortSignal.timeout(10_000) });
        if (this.#stopped) {
          stream.abort(new Error('stopping'));
          return;
        }
        // A gateway that restarted lost nothing, but may have lost our
        // registration only if its registry was wiped; registering again is
        // idempotent and cheap.
        await this.register();
        stream.addEventListener('close', () => {
          if (this.#stream === stream) this.#stream = null;
        });
        if (this.#stream !== null) this.#stats.reconnects++;
        this.#stream = stream;
        this.#backoffMs = BACKOFF_MIN_MS;
        this.#lastError = null;
      } catch (err) {
        // A refused registration was described by register() already.
        if (!(err instanceof RpcError && err.code === 'refused')) this.#lastError = describeFailure('connection', err);
        this.#nextAttemptMs = this.#clock.now() + this.#backoffMs;
        this.#backoffMs = Math.min(BACKOFF_MAX_MS, this.#backoffMs * 2);
      } finally {
        this.#opening = null;
      }
    })();
  }

  /**
   * One fetch: acknowledges `acks` (at most 32 ids) and returns the real
   * entries of the fixed-size reply. Throws on failure; acks of a failed
   * fetch must be sent again (the gateway deletes only what it was told).
   */
  async fetch(acks: readonly bigint[], bodyLength: number): Promise<FetchEntry[]> {
    // While the link backs off after a failed connection, a fetch fails at
    // once instead of dialling at the fetch rate (or piling up 10 s dial
    // timeouts on a network that drops packets); it is not counted as sent.
    if (!this.connected && this.#clock.now() < this.#nextAttemptMs) {
      this.#stats.fetchFailures++;
      throw new GatewayLinkError(`not connected to ${this.#gateway.name}; retrying in ${Math.ceil((this.#nextAttemptMs - this.#clock.now()) / 1000)} s`);
    }
    // Strictly increasing across restarts without storing it: microseconds
    // of wall time, bumped past the last one used.
    const now = BigInt(Math.floor(this.#clock.now())) * 1000n;
    const counter = now > this.#lastCounter ? now : this.#lastCounter + 1n;
    this.#lastCounter = counter;
    this.#fetchSigner ??= pkiSigningKey(this.#key);
    const request = encodeFetchRequest({ counter, acks: [...acks] }, this.#fetchSigner);
    this.#stats.fetches++;
    try {
      const reply = await callRpc(this.host, this.#peer, this.#gateway.addresses, CLIENT_FETCH_PROTOCOL, request, { maxResponseBytes: 8 << 20, timeoutMs: 10_000 });
      this.#stats.bytesReceived += reply.length;
      this.#stats.bytesSent += request.length;
      return decodeFetchReply(reply, counter, bodyLength);
    } catch (err) {
      this.#stats.fetchFailures++;
      this.#ensureStream();
      throw err;
    }
  }

  /**
   * Claims the handle `record` names (docs/handles.md §Claim RPC). Throws
   * like fetch: GatewayLinkError while the link backs off or for a reply
   * that is not a claim reply, RpcError when the call fails or is refused.
   */
  async claimHandle(record: HandleRecord): Promise<HandleClaimReply> {
    return this.#claimCall({ op: 'claim', record });
  }

  /** Releases our handle (docs/handles.md §Claim RPC); throws as claimHandle. */
  async releaseHandle(): Promise<HandleClaimReply> {
    return this.#claimCall({ op: 'release' });
  }

  async #claimCall(request: HandleClaimRequest): Promise<HandleClaimReply> {
    const reply = await this.#call(CLIENT_HANDLE_PROTOCOL, encodeHandleClaimRequest(request), MAX_CLAIM_REPLY_BYTES);
    try {
      return decodeHandleClaimReply(reply);
    } catch (err) {
      throw new GatewayLinkError(`the handle reply is malformed: ${(err as Error).message}`);
    }
  }

  /**
   * The body of the SURB reply `messageId` in our mailbox (docs/handles.md
   * §Reply-body RPC), as the fetch's ACK slot named it: still encrypted
   * under the SURB's keys, for the caller to check against the slot's
   * digest. Throws as claimHandle.
   */
  async replyBody(messageId: bigint): Promise<ReplyBodyReply> {
    const reply = await this.#call(CLIENT_REPLY_BODY_PROTOCOL, encodeReplyBodyRequest(messageId), MAX_REPLY_BODY_BYTES);
    try {
      return decodeReplyBodyReply(reply);
    } catch (err) {
      throw new GatewayLinkError(`the reply-body reply is malformed: ${(err as Error).message}`);
    }
  }

  /** One RPC to our gateway, failing at once (as fetch does) while the link backs off after a failed connection. */
  async #call(protocol: string, request: Uint8Array, maxResponseBytes: number): Promise<Uint8Array> {
    if (!this.connected && this.#clock.now() < this.#nextAttemptMs) {
      throw new GatewayLinkError(`not connected to ${this.#gateway.name}; retrying in ${Math.ceil((this.#nextAttemptMs - this.#clock.now()) / 1000)} s`);
    }
    try {
      const reply = await callRpc(this.host, this.#peer, this.#gateway.addresses, protocol, request, { maxResponseBytes, timeoutMs: 10_000 });
      this.#stats.bytesReceived += reply.length;
      this.#stats.bytesSent += request.length;
      return reply;
    } catch (err) {
      this.#ensureStream();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#opening?.catch(() => undefined);
    if (this.#stream?.status === 'open') await this.#stream.close().catch(() => this.#stream?.abort(new Error('stopping')));
    this.#stream = null;
    this.#fetchSigner?.destroy();
    this.#fetchSigner = null;
    await this.host.stop();
  }
}

/** What failed, for status (runtime errors carry their own words). */
function describeFailure(what: 'registration' | 'connection', err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return err instanceof RpcError && err.code === 'refused' ? `${what} refused: ${message}` : `${what} failed: ${message}`;
}

/** The libp2p peer id of a node entry's identity key. */
export function peerOf(entry: NodeEntry): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(entry.identityKey));
}

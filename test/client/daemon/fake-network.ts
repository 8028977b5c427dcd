// An in-memory network for the client daemon's unit tests: a document with
// known Sphinx keys, and a gateway link that routes every packet it is
// handed through the document's nodes at once (no mixing delays), the way
// the real nodes would: our loops back to our mailbox, a decoy's or a real
// packet's SURB-ACK back to our mailbox as a SURB reply, a real packet's
// envelope into its recipient's mailbox, drop cover nowhere, a handle
// lookup to the named gateway's name service, which answers through the
// lookup's SURB from the names the test put in `names` (docs/handles.md).
// The link also serves the handle claim and reply-body calls of our
// gateway. The test says which ACKs and answers are lost and reads what
// arrived where and when.

import { toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { encodeDocument, type Document, type NodeEntry } from '../../../protocol/pki/document.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { epochStart } from '../../../protocol/pki/epoch.js';
import { newPacketFromSURB, PRODUCTION_GEOMETRY, PRODUCTION_GEOMETRY_PARAMS } from '../../../protocol/sphinx/index.js';
import { unwrap } from '../../../protocol/sphinx/index.js';
import type { Clock } from '../../../protocol/traffic/clock.js';
import { decodeClientPayload, isDropRecipient } from '../../../protocol/wire/client-payload.js';
import { surbReplyDigest, type FetchEntry } from '../../../protocol/wire/fetch.js';
import {
  decodeLookupRequest,
  encodeLookupAnswer,
  isNameServiceRecipient,
  type HandleClaimReply,
  type HandleClaimRequest,
  type HandleRecord,
  type LookupAnswer,
  type ReplyBodyReply,
} from '../../../protocol/wire/handle.js';
import type { GatewayLinkLike, GatewayLinkStats, RegisterOptions } from '../../../client/net/gateway-link.js';
import type { DocumentSource } from '../../../runtime/pki/document-watcher.js';
import { join } from 'node:path';
import type { ClientConfig } from '../../../client/config.js';
import { composeClientDaemon, type ClientDaemonComponents, type RunningClient } from '../../../client/daemon/compose.js';
import { seededUniform } from '../../../simulator/random.js';
import type { VerifiedDocument } from '../../../runtime/pki/pki-client.js';
import { keyFor, PARAMS } from '../../helpers/pki-fixtures.js';

export const GEOMETRY = PRODUCTION_GEOMETRY;
export const EPOCHS = { genesisMs: 1_700_000_000_000, epochDurationMs: 30_000 };

const keys = new Map<string, X25519PrivateKey>();

function node(name: string, n: number): NodeEntry {
  const key = X25519PrivateKey.fromBytes(new Uint8Array(32).fill(n));
  const identityKey = keyFor(n).publicKey;
  const nodeId = nodeIdOf(identityKey);
  keys.set(toHex(nodeId), key);
  return { identityKey, nodeId, name, addresses: [`/ip4/10.0.0.${n}/tcp/4000`], sphinxKeys: { current: key.publicKey, next: key.publicKey } };
}

/** Our gateway, and the contact's. */
export const GATEWAY_A = node('gateway-a', 1);
export const GATEWAY_B = node('gateway-b', 2);
const LAYERS = [[node('m1', 11)], [node('m2', 21)], [node('m3', 31)]];

export interface Rates {
  lambdaP: number;
  lambdaL: number;
  lambdaD: number;
}

/** The document of `epoch`, listing `gateways`. */
export function documentOf(epoch: number, gateways: NodeEntry[], rates: Rates): VerifiedDocument {
  const document: Document = {
    version: 1,
    epoch,
    params: { ...PARAMS, ...rates, mu: 2, geometry: { ...PRODUCTION_GEOMETRY_PARAMS }, genesisMs: EPOCHS.genesisMs, epochDurationMs: EPOCHS.epochDurationMs },
    gateways: [...gateways].sort((a, b) => Buffer.compare(a.nodeId, b.nodeId)),
    layers: LAYERS,
  };
  // The daemon never reads the signatures (the PKI client verified them before).
  return { epoch, document, signed: { document: encodeDocument(document), signatures: [] } };
}

/** When `epoch` starts. */
export function startOf(epoch: number): number {
  return epochStart(epoch, EPOCHS);
}

/** A PKI client serving the documents the test puts in `docs`. */
export class FakeDocuments implements DocumentSource {
  readonly docs = new Map<number, VerifiedDocument>();

  async fetchDocument(epoch: number): Promise<VerifiedDocument> {
    const doc = this.docs.get(epoch);
    if (!doc) throw new Error(`no document for epoch ${epoch}`);
    return doc;
  }
}

/** What one packet turned out to be once routed. */
export interface Routed {
  atMs: number;
  /** Where it ended: our own mailbox (a loop), a drop (decoy or drop cover), a gateway's name service (a handle lookup), or another mailbox (a real packet). */
  to: 'own' | 'drop' | 'names' | 'other';
  /** The gateway it left the mixnet at. */
  exit: Uint8Array;
  recipient: Uint8Array;
  /** The user payload (an envelope for a real packet). */
  userPayload: Uint8Array;
  forwardDelayMs: number;
  /** Its SURB-ACK's mixing delays, and whether the ACK reached our mailbox (null: no SURB). */
  ack: { delayMs: number; delivered: boolean } | null;
}

function route(first: Uint8Array, packet: Uint8Array): { last: Uint8Array; recipient: Uint8Array; payload: Uint8Array; surbId: Uint8Array | null; delayMs: number } {
  let at = first;
  let p = packet;
  let delayMs = 0;
  for (;;) {
    const r = unwrap(GEOMETRY, keys.get(toHex(at))!, p);
    if (r.kind === 'forward') {
      delayMs += r.delayMs;
      at = r.nextHop;
      p = r.packet;
      continue;
    }
    return { last: at, recipient: r.recipient!, payload: r.payload, surbId: r.kind === 'surb-reply' ? r.surbId : null, delayMs };
  }
}

/** A gateway link over the in-memory network, with our mailbox at GATEWAY_A. */
export class FakeGatewayLink implements GatewayLinkLike {
  gateway: NodeEntry = GATEWAY_A;
  /** Ours: that of the client's libp2p key (protocol/wire/fetch.ts mailboxIdOf). */
  readonly mailboxId: Uint8Array;
  deliveryId: Uint8Array | undefined;
  connected = false;
  lastError: string | null = null;
  /**
   * Whether the gateway answers (false: connect, register and fetch fail and
   * trySend refuses, as when it is away). Once it answers again, the next
   * send or fetch reconnects, as the real link's backoff would.
   */
  reachable = true;
  /** Every packet routed, in order. */
  readonly routed: Routed[] = [];
  /** Each fetch: when, the acknowledgements it carried, the ids of the entries it handed out. */
  readonly fetches: Array<{ atMs: number; acks: bigint[]; handedOut: bigint[] }> = [];
  /** Whether the ACK of a real packet to `recipient` is lost on its way back (default: none). */
  loseAck: (recipient: Uint8Array) => boolean = () => false;
  /** Whether the link takes packets (false: trySend refuses, as when the link is down). */
  up = true;
  /** Each gateway's name service (node id hex → name → record): what lookups find, and where our claims go (at our gateway). */
  readonly names = new Map<string, Map<string, HandleRecord>>();
  /** How a gateway's name service answers a lookup of `name` (default: from `names`); null: no answer comes back. */
  answerLookup: (gateway: Uint8Array, name: string) => LookupAnswer | null = (gateway, name) => {
    const record = this.names.get(toHex(gateway))?.get(name);
    return record ? { status: 'found', record } : { status: 'not-found', name };
  };
  /** What our gateway answers a claim or release (default: first come at GATEWAY_A's `names`, one name per client). */
  answerClaim: (request: HandleClaimRequest) => HandleClaimReply = (request) => this.#registry(request);
  /** Every claim or release sent, in order. */
  readonly claims: HandleClaimRequest[] = [];
  /** The message id of every reply-body call, in order. */
  readonly bodyRequests: bigint[] = [];
  /** What our gateway hands out as a reply's body (default: the body as stored). */
  tamperBody: (body: Uint8Array) => Uint8Array = (body) => body;
  /** Whether a reply-body call fails (as when the gateway does not answer). */
  bodyFails = false;
  /** The stored bodies of SURB replies that carried data (lookup answers), by message id. */
  readonly #bodies = new Map<bigint, Uint8Array>();
  readonly #mailbox: FetchEntry[] = [];
  #nextId = 1n;
  readonly #clock: Clock;
  readonly #journal: string[];

  constructor(clock: Clock, mailboxId: Uint8Array, journal: string[] = []) {
    this.#clock = clock;
    this.mailboxId = mailboxId;
    this.#journal = journal;
  }

  /** Real packets that reached `recipient`'s mailbox. */
  deliveredTo(recipient: Uint8Array): Routed[] {
    return this.routed.filter((r) => r.to === 'other' && toHex(r.recipient) === toHex(recipient));
  }

  count(to: Routed['to']): number {
    return this.routed.filter((r) => r.to === to).length;
  }

  async register(options: RegisterOptions = {}): Promise<void> {
    if (options.deliveryId) this.deliveryId = Uint8Array.from(options.deliveryId);
    this.#reach();
  }

  async connect(): Promise<void> {
    this.#reach();
    this.connected = true;
  }

  /** Fails as an unreachable gateway does; a gateway that answers again is connected at once. */
  #reach(): void {
    if (!this.reachable) {
      this.connected = false;
      this.lastError = `connection failed: ${this.gateway.name} does not answer`;
      throw new Error(this.lastError);
    }
    this.connected = true;
    this.lastError = null;
  }

  trySend(packet: Uint8Array): boolean {
    if (!this.reachable || !this.connected) {
      if (this.reachable) this.connected = true;
      return false;
    }
    if (!this.up) return false;
    this.#route(packet);
    return true;
  }

  async fetch(acks: readonly bigint[]): Promise<FetchEntry[]> {
    this.#reach();
    for (const id of acks) {
      const i = this.#mailbox.findIndex((e) => e.id === id);
      if (i >= 0) this.#mailbox.splice(i, 1);
      this.#bodies.delete(id);
    }
    const entries = this.#mailbox.slice(0, 16);
    this.fetches.push({ atMs: this.#clock.now(), acks: [...acks], handedOut: entries.map((e) => e.id!) });
    return entries;
  }

  async claimHandle(record: HandleRecord): Promise<HandleClaimReply> {
    this.#reach();
    this.claims.push({ op: 'claim', record });
    return this.answerClaim({ op: 'claim', record });
  }

  async releaseHandle(): Promise<HandleClaimReply> {
    this.#reach();
    this.claims.push({ op: 'release' });
    return this.answerClaim({ op: 'release' });
  }

  async replyBody(messageId: bigint): Promise<ReplyBodyReply> {
    this.#reach();
    this.bodyRequests.push(messageId);
    if (this.bodyFails) throw new Error(`${this.gateway.name} did not answer the reply-body call`);
    const body = this.#bodies.get(messageId);
    return body && this.#mailbox.some((e) => e.id === messageId) ? { found: true, body: this.tamperBody(Uint8Array.from(body)) } : { found: false };
  }

  /** First come at our gateway (GATEWAY_A's `names`): one name per client, ours by our mailbox id. */
  #registry(request: HandleClaimRequest): HandleClaimReply {
    const names = this.names.get(toHex(GATEWAY_A.nodeId)) ?? new Map<string, HandleRecord>();
    this.names.set(toHex(GATEWAY_A.nodeId), names);
    const ours = [...names].find(([, r]) => toHex(r.address.mailbox) === toHex(this.mailboxId))?.[0];
    if (request.op === 'release') {
      if (ours !== undefined) names.delete(ours);
      return { status: 'ok', name: '' };
    }
    const holder = names.get(request.record.name);
    if (holder && toHex(holder.address.mailbox) !== toHex(this.mailboxId)) return { status: 'taken', name: ours ?? '' };
    if (ours !== undefined) names.delete(ours);
    names.set(request.record.name, request.record);
    return { status: 'ok', name: request.record.name };
  }

  updateGateway(entry: NodeEntry): void {
    this.gateway = entry;
  }

  stats(): GatewayLinkStats {
    return { packetsSent: this.routed.length, bytesSent: 0, bytesReceived: 0, sendFailures: 0, fetches: this.fetches.length, fetchFailures: 0, reconnects: 0 };
  }

  async stop(): Promise<void> {
    this.#journal.push('link stopped');
    this.connected = false;
  }

  #isOwn(recipient: Uint8Array): boolean {
    const r = toHex(recipient);
    return r === toHex(this.mailboxId) || (this.deliveryId !== undefined && r === toHex(this.deliveryId));
  }

  #route(packet: Uint8Array): void {
    const atMs = this.#clock.now();
    const fwd = route(this.gateway.nodeId, packet);
    const { surb, userPayload } = decodeClientPayload(GEOMETRY, fwd.payload);
    const to: Routed['to'] = this.#isOwn(fwd.recipient) ? 'own' : isDropRecipient(fwd.recipient) ? 'drop' : isNameServiceRecipient(fwd.recipient) ? 'names' : 'other';
    if (to === 'own') this.#deposit({ kind: 'message', surbId: null, body: userPayload });
    let ack: Routed['ack'] = null;
    if (surb && to === 'names') {
      // The name service answers through the lookup's SURB (node/gateway/name-service.ts), or not at all.
      const answer = this.answerLookup(fwd.last, decodeLookupRequest(userPayload).name);
      const reply = newPacketFromSURB(GEOMETRY, surb, encodeLookupAnswer(answer ?? { status: 'bad-request' }, GEOMETRY.forwardPayloadLength));
      const back = route(reply.firstHop, reply.packet);
      if (answer && this.#isOwn(back.recipient)) {
        const id = this.#deposit({ kind: 'surb-reply', surbId: back.surbId, body: new Uint8Array(0), digest: surbReplyDigest(back.payload) });
        this.#bodies.set(id, back.payload);
      }
      ack = { delayMs: back.delayMs, delivered: answer !== null };
    } else if (surb) {
      const reply = newPacketFromSURB(GEOMETRY, surb, new Uint8Array(GEOMETRY.forwardPayloadLength));
      const back = route(reply.firstHop, reply.packet);
      const delivered = !(to === 'other' && this.loseAck(fwd.recipient));
      if (delivered && this.#isOwn(back.recipient)) this.#deposit({ kind: 'surb-reply', surbId: back.surbId, body: new Uint8Array(0), digest: surbReplyDigest(back.payload) });
      ack = { delayMs: back.delayMs, delivered };
    }
    this.routed.push({ atMs, to, exit: fwd.last, recipient: fwd.recipient, userPayload, forwardDelayMs: fwd.delayMs, ack });
  }

  #deposit(entry: Pick<FetchEntry, 'kind' | 'surbId' | 'body' | 'digest'>): bigint {
    const id = this.#nextId++;
    this.#mailbox.push({ ...entry, id, via: 'delivery' });
    return id;
  }
}

/**
 * The daemon's own composition (client/daemon/compose.ts) on this in-memory
 * network: no socket is served, and the streams' randomness is seeded (each
 * part's generator from the next of `seed`, `seed + 1`, …, spread apart by
 * Knuth's multiplicative hash: neighbouring small seeds start alike). What a
 * test varies it passes in `components`.
 */
export function composeOnFakeNetwork(
  init: { profileDir: string; config: ClientConfig },
  components: Omit<ClientDaemonComponents, 'openLink' | 'serveApi' | 'uniform' | 'documents'> & { documents: FakeDocuments; link: FakeGatewayLink; seed?: number },
): Promise<RunningClient> {
  const { link, seed: first = 1, ...rest } = components;
  let seed = first;
  return composeClientDaemon(
    { ...init, socketPath: join(init.profileDir, 'socket') },
    {
      ...rest,
      openLink: () => link,
      serveApi: async (_api, socketPath) => ({ socketPath, connections: () => 0, close: async () => undefined }),
      uniform: () => seededUniform((seed++ * 2_654_435_761) % 2 ** 32),
    },
  );
}

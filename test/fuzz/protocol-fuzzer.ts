// The protocol fuzzer (docs/fuzzing.md): a planned test network of real
// `chaff node` processes on 127.0.0.1 (test/helpers/network.ts), and
// mutated frames (test/fuzz/mutators.ts) of every protocol a node serves,
// sent over real libp2p streams. After each protocol's batch it checks,
// from the node's own Prometheus metrics, that every frame was either
// accepted or refused with a counted reason; it samples the nodes' memory,
// and at the end checks that every node is alive and still serves honest
// traffic.
//
// The fuzzer holds the keys it needs to get past the peer checks, as an
// insider would: a mix's key to speak /chaff/packet/1 (the nodes accept
// packet links only from nodes in the document), a stopped authority's key
// for the authority-only protocols, a registered client's key for the
// gateway's client protocols (short-handle claims signed for that client
// included); and an outsider key, refused as it must be.

import { execFileSync } from 'node:child_process';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection, PrivateKey } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { toHex } from '../../protocol/bytes.js';
import type { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import { Topology } from '../../protocol/pki/routes.js';
import { verifyDocument, decodeSignedDocument } from '../../protocol/pki/signatures.js';
import { nodeIdOf } from '../../protocol/pki/node-id.js';
import { geometryFromUserForwardPayloadLength, type Geometry } from '../../protocol/sphinx/index.js';
import { encodeClientPayload } from '../../protocol/wire/client-payload.js';
import { CLIENT_FETCH_PROTOCOL, CLIENT_HANDLE_PROTOCOL, CLIENT_REGISTER_PROTOCOL, CLIENT_REPLY_BODY_PROTOCOL, CLIENT_SEND_PROTOCOL } from '../../protocol/wire/client-protocols.js';
import { decodeFetchReply, encodeFetchRequest, fetchEntryBodyLength, mailboxIdOf } from '../../protocol/wire/fetch.js';
import { decodeHandleClaimReply, decodeReplyBodyReply, encodeHandleClaimRequest, encodeLookupRequest, encodeReplyBodyRequest, HANDLE_NAME_MAX_LENGTH } from '../../protocol/wire/handle.js';
import { PACKET_PROTOCOL } from '../../node/net/packet-link.js';
import { createHost, type Host } from '../../runtime/net/host.js';
import { loadOrCreateIdentity } from '../../runtime/net/identity.js';
import { callRpc, RpcError } from '../../runtime/net/rpc.js';
import { encodeRegisterRequest, parseProofRequired, searchRegistrationProof } from '../../protocol/wire/register.js';
import { pkiSigningKey } from '../../runtime/pki/signing-key.js';
import { encodeDocumentRequest, MAX_DOCUMENT_RESPONSE_BYTES, PKI_PROTOCOLS } from '../../runtime/pki/wire.js';
import { deterministicRandom } from '../helpers/drbg.js';
import { handleOwner, handleRecordOf, type HandleOwner } from '../helpers/handle-fixtures.js';
import { sleep, TestNetwork } from '../helpers/network.js';
import type { PlannedNode } from '../../testnet/plan.js';
import { FuzzRandom, mutate, rpcFrame, type MutateOptions } from './mutators.js';
import { bounded, rawFrames, rawRpc, type RpcOutcome } from './raw-wire.js';
import {
  DROP_COVER,
  descriptorOf,
  descriptorSeed,
  documentSeed,
  entryOf,
  fetchSeed,
  handleClaimSeed,
  lookupSeed,
  registerSeed,
  replyBodySeed,
  shareSeed,
  signatureSeed,
  sphinxSeed,
  surbSeed,
} from './seeds.js';

/** One fuzzed protocol on one node. */
export const CASES = ['packet@mix', 'packet@gateway', 'send', 'register', 'fetch', 'handle', 'reply-body', 'descriptor', 'share', 'signature', 'document'] as const;
export type CaseName = (typeof CASES)[number];
type RpcCaseName = Exclude<CaseName, 'packet@mix' | 'packet@gateway' | 'send'>;

/** Cases by target node: the groups run at once, the cases of a group one after another. */
const GROUPS: readonly (readonly CaseName[])[] = [['packet@mix'], ['packet@gateway', 'send', 'register', 'fetch', 'handle', 'reply-body'], ['descriptor', 'share', 'signature', 'document']];

/** Share of the frames each case gets: the frame streams are cheap per frame, the RPCs cost a stream each. */
export const DEFAULT_WEIGHTS: Record<CaseName, number> = {
  'packet@mix': 32,
  'packet@gateway': 24,
  send: 20,
  register: 4,
  fetch: 4,
  handle: 4,
  'reply-body': 2,
  descriptor: 4,
  share: 4,
  signature: 4,
  document: 4,
};

/** Length and count fields of each RPC body (runtime/pki/wire.ts, protocol/wire/fetch.ts, protocol/wire/handle.ts), aimed at by the 'interesting' mutation. */
const FIELDS: Partial<Record<CaseName, MutateOptions['fields']>> = {
  fetch: [
    { at: 0, width: 1 },
    { at: 33, width: 8 },
    { at: 41, width: 1 },
  ],
  // Version, op, then the record's version and name length.
  handle: [
    { at: 0, width: 1 },
    { at: 1, width: 1 },
    { at: 2, width: 1 },
    { at: 3, width: 1 },
  ],
  'reply-body': [
    { at: 0, width: 1 },
    { at: 1, width: 8 },
  ],
  share: [
    { at: 0, width: 8 },
    { at: 8, width: 2 },
    { at: 10, width: 2 },
  ],
  signature: [
    { at: 0, width: 8 },
    { at: 8, width: 4 },
  ],
  document: [{ at: 0, width: 8 }],
};

/** A lookup request's version, op and name length (protocol/wire/handle.ts). */
const LOOKUP_FIELDS: MutateOptions['fields'] = [
  { at: 0, width: 1 },
  { at: 1, width: 1 },
  { at: 2, width: 1 },
];

/**
 * Per RPC case, the service's own count of what it refused, by reason. A
 * counter of every outcome (the short-handle RPCs) also counts its answers:
 * `answers` names those labels, which are not refusals.
 */
const SERVICE_COUNTS: Record<RpcCaseName, { metric: string; answers?: readonly string[] }> = {
  register: { metric: 'chaff_gateway_register_refused_total' },
  fetch: { metric: 'chaff_gateway_fetch_refused_total' },
  handle: { metric: 'chaff_gateway_handle_claims_total', answers: ['ok', 'released', 'taken', 'invalid', 'not-registered'] },
  'reply-body': { metric: 'chaff_gateway_reply_bodies_total', answers: ['found', 'not-found'] },
  descriptor: { metric: 'chaff_pki_descriptors_refused_total' },
  share: { metric: 'chaff_pki_shares_refused_total' },
  signature: { metric: 'chaff_pki_signatures_refused_total' },
  document: { metric: 'chaff_pki_document_requests_refused_total' },
};

/**
 * Share of valid requests, 2 % unless said here. Claims: one in seven, so
 * that even a short run claims names in turn until the fuzz client's claim
 * budget is spent (refused 'rate-limited'), and lookups find a name.
 */
const VALID_SHARE: Partial<Record<RpcCaseName, number>> = { handle: 0.15 };

/** Share of an RPC case's requests sent by the 'stranger', a client never registered (so the service's own peer checks see them). */
const STRANGER_SHARE: Partial<Record<RpcCaseName, number>> = { register: 0.5, handle: 0.25, 'reply-body': 0.25 };

/** The names the fuzz client claims and looks up (docs/handles.md §Formats), and the one the honest owner claims afterwards. */
const FUZZ_NAMES = ['fuzz', 'fuzz-2', 'fuzz.three', 'x'.repeat(HANDLE_NAME_MAX_LENGTH)] as const;
const HONEST_NAME = 'honest';

export interface CaseTotals {
  protocol: string;
  node: string;
  /** Frames (RPC requests, for the RPC protocols) sent. */
  sent: number;
  /** Frames the node took (forwarded, delivered, served). */
  accepted: number;
  /** Frames the node refused, by its counted reason. */
  refused: Record<string, number>;
  /** Unfinished frames at the end of a stream (frame protocols), counted as 'truncated' by the node. */
  tails: number;
  /** Frames (requests) on a connection that died under them (a missed ping on a loaded machine): the node may or may not have read them. */
  lost: number;
  /** What the fuzzer saw, for the RPC protocols. */
  seen: Record<string, number>;
  /**
   * What the service answered, by its outcome: claim replies (ok, taken,
   * invalid, …) and reply bodies (found, not-found) for the short-handle
   * RPCs; lookups the name service answered (found, not-found, bad-request)
   * for packet@gateway. Empty for the others.
   */
  answers: Record<string, number>;
  /** Frames the node counted beyond what the fuzzer sent (other nodes' traffic). */
  background: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

export interface FuzzOptions {
  seed: number;
  /** Frames in total, over all cases and rounds. */
  frames: number;
  /** Rounds the frames are split into (memory is sampled after each). */
  rounds: number;
  weights?: Partial<Record<CaseName, number>>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Allowed RSS growth per node over the run (rssGrowth: the last third of the rounds against the first), bytes. */
  rssGrowthLimitBytes: number;
  /** Test network folder (a temp folder by default). */
  dir?: string;
}

export interface FuzzReport {
  seed: number;
  frames: number;
  seconds: number;
  cases: Record<CaseName, CaseTotals>;
  /** RSS per node after each round, bytes. */
  rss: Record<string, number[]>;
  /** State sizes at the end, from the nodes' metrics. */
  state: Record<string, Record<string, number>>;
  honest: Record<string, boolean>;
  /**
   * Why the fuzzer's connections closed under it, counted by "from>to: who
   * closed it, the error"; also dials that failed and streams that would not
   * open, so a loss names its cause.
   */
  connectionsClosed: Record<string, number>;
  /** Everything that failed a check; empty on success. */
  problems: string[];
}

/** Prometheus text → value per "metric" or "metric{label}" (the label's value only). */
export function parseSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[a-z_]+="([^"]*)"\})? ([0-9.e+-]+|NaN)$/gm)) {
    out.set(m[2] === undefined ? m[1] : `${m[1]}{${m[2]}}`, Number(m[3]));
  }
  return out;
}

/** The label values of `metric` with their change from `before` to `after`, zero changes left out. */
function delta(before: Map<string, number>, after: Map<string, number>, metric: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    if (k !== metric && !k.startsWith(`${metric}{`)) continue;
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out[k === metric ? '' : k.slice(metric.length + 1, -1)] = d;
  }
  return out;
}

const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const without = (r: Record<string, number>, ...keys: string[]): Record<string, number> => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k)));

/**
 * How much a per-round RSS series grew: the median of its last third minus
 * the highest value of its first third (without the first round, when there
 * are three or more). Two rounds: the second minus the first.
 */
export function rssGrowth(series: readonly number[]): number {
  if (series.length < 3) return series[series.length - 1] - series[0];
  const k = Math.max(1, Math.floor(series.length / 3));
  const early = Math.max(...series.slice(1, 1 + k));
  const late = [...series.slice(series.length - k)].sort((a, b) => a - b);
  return late[Math.floor((late.length - 1) / 2)] - early;
}

/** Resident set size of each running node process, found by its config path (ps works on Linux and macOS). */
export function nodeRss(nodes: readonly PlannedNode[]): Map<string, number> {
  const out = new Map<string, number>();
  const lines = execFileSync('ps', ['-A', '-o', 'pid=,rss=,args='], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).split('\n');
  for (const n of nodes) {
    const line = lines.find((l) => l.includes(` ${n.configPath}`) && l.includes(' node --config '));
    if (line) out.set(n.name, Number(line.trim().split(/\s+/)[1]) * 1024);
  }
  return out;
}

interface Peer {
  host: Host;
  signer: Ed25519PrivateKey;
}

interface Names {
  authority: string;
  impersonatedAuthority: string;
  mix: string;
  upstreamMix: string;
  gateway: string;
}

interface Peers {
  outsider: Peer;
  client: Peer;
  stranger: Peer;
  /** A client registered only after the fuzzing, to claim a name as honest traffic (the fuzz client's claim budget is spent by then). */
  owner: Peer;
  upstreamMix: Peer;
  lastMix: Peer;
  authority: Peer;
}

interface Context {
  /** The epoch now. */
  epoch: number;
  /** The newest document held: this epoch's, or (none published yet) an earlier one. */
  topology: Topology;
  geometry: Geometry;
  /** The document's bytes as signed, for signature seeds. */
  documentBytes: Uint8Array;
}

export class ProtocolFuzzer {
  readonly net: TestNetwork;
  readonly #log: (line: string) => void;
  readonly #names: Names;
  readonly #peers: Peers;
  readonly #connections = new Map<string, Connection>();
  readonly #connectionsClosed: Record<string, number> = {};
  /** Streams each connection refused to open while it said it was open. */
  readonly #unopened = new WeakMap<Connection, number>();
  #stopping = false;
  readonly #random: ReturnType<typeof deterministicRandom>;
  #context: Context | null = null;
  #retryAt = 0;
  /** The newest document entry seen for each node the fuzzer uses. */
  readonly #lastSeen = new Map<string, { epoch: number; entry: NodeEntry }>();
  #missing = -1;
  #fetchCounter = 1n;
  /** The proof of work the gateway took at registration, if it asked for one. */
  #proofNonce: bigint | undefined;
  #descriptorVersion = 1;
  /** The fuzz client and the honest owner as short-handle owners at the gateway: their E2EE identities, addresses and mailbox keys. */
  readonly #handleOwners: { client: HandleOwner; owner: HandleOwner };

  private constructor(net: TestNetwork, names: Names, peers: Peers, seed: number, log: (line: string) => void) {
    this.net = net;
    this.#names = names;
    this.#peers = peers;
    this.#random = deterministicRandom(`chaff-fuzz-${seed}`);
    this.#log = log;
    const gatewayId = nodeIdOf(Uint8Array.from(Buffer.from(net.node(names.gateway).identityKey, 'hex')));
    this.#handleOwners = {
      client: handleOwner(`chaff-fuzz-${seed} client`, gatewayId, peers.client.signer),
      owner: handleOwner(`chaff-fuzz-${seed} owner`, gatewayId, peers.owner.signer),
    };
  }

  /**
   * Starts the network (3 authorities, 2 mix layers of one mix, 1 gateway,
   * no mix loops so the fuzzer's frames are the only traffic), waits for a
   * document, stops authority-3 so the fuzzer can speak as it, and registers
   * the fuzzer's client.
   */
  static async start(options: { seed: number; log?: (line: string) => void; dir?: string }): Promise<ProtocolFuzzer> {
    const log = options.log ?? (() => undefined);
    const net = await TestNetwork.start({ shape: { authorities: 3, layers: 2, mixesPerLayer: 1, gateways: 1, lambdaM: 0 }, ...(options.dir ? { dir: options.dir } : {}) });
    try {
      log(`test network in ${net.dir}`);
      const topology = await net.waitFor(
        'the first document',
        90_000,
        async () => {
          const v = await net.pki.fetchDocument(net.epochNow());
          return v.document.layers.every((l) => l.length > 0) && v.document.gateways.length > 0 ? new Topology(v.document) : undefined;
        },
        300,
      );
      await net.stopNode('authority-3');
      const byKey = (hex: string): PlannedNode => {
        const n = net.plan.nodes.find((x) => x.identityKey === hex);
        if (!n) throw new Error(`the document lists a node that is not in the plan: ${hex}`);
        return n;
      };
      const upstream = byKey(toHex(topology.document.layers[0][0].identityKey));
      const mix = byKey(toHex(topology.document.layers[1][0].identityKey));
      const gateway = byKey(toHex(topology.document.gateways[0].identityKey));
      const names = { authority: 'authority-1', impersonatedAuthority: 'authority-3', mix: mix.name, upstreamMix: upstream.name, gateway: gateway.name };
      const peerOf = async (key: PrivateKey): Promise<Peer> => {
        const host = await createHost({ privateKey: key, listen: [] });
        // Should a node reuse the fuzzer's connection to reach the node it impersonates, its packets end here.
        await host.handle(PACKET_PROTOCOL, (stream) => stream.addEventListener('message', () => undefined), { maxInboundStreams: 8 });
        return { host, signer: pkiSigningKey(key) };
      };
      const keyOf = async (name: string): Promise<PrivateKey> => (await loadOrCreateIdentity(net.node(name).dataDir)).privateKey;
      const peers = {
        outsider: await peerOf(await generateKeyPair('Ed25519')),
        client: await peerOf(await generateKeyPair('Ed25519')),
        stranger: await peerOf(await generateKeyPair('Ed25519')),
        owner: await peerOf(await generateKeyPair('Ed25519')),
        upstreamMix: await peerOf(await keyOf(upstream.name)),
        lastMix: await peerOf(await keyOf(mix.name)),
        authority: await peerOf(await keyOf('authority-3')),
      };
      const fuzzer = new ProtocolFuzzer(net, names, peers, options.seed, log);
      const reply = await fuzzer.#register('client');
      log(`fuzz client registered with ${gateway.name} (mailbox ${toHex(reply).slice(0, 16)}…); mix ${mix.name} behind ${upstream.name}; authority-3 stopped and impersonated`);
      return fuzzer;
    } catch (err) {
      await net.stop();
      throw err;
    }
  }

  /**
   * Registers `peer` (the fuzz client, or the honest owner) with the gateway
   * as a client does (client/net/gateway-link.ts): an empty request first,
   * then, if the gateway asks for a proof of work, one with the proof.
   */
  async #register(peer: 'client' | 'owner'): Promise<Uint8Array> {
    const gateway = this.net.node(this.#names.gateway);
    const connection = await this.#connection(peer, gateway.name);
    const call = (body: Uint8Array) => callRpc(this.#peers[peer].host, connection.remotePeer, [], CLIENT_REGISTER_PROTOCOL, body, { maxResponseBytes: 64, timeoutMs: 30_000 });
    try {
      return await call(new Uint8Array(0));
    } catch (err) {
      const bits = err instanceof RpcError && err.code === 'refused' ? parseProofRequired(err.message) : null;
      if (bits === null) throw err;
      const gatewayKey = Uint8Array.from(Buffer.from(gateway.identityKey, 'hex'));
      for (let from = 0n; ; from += 1n << 16n) {
        const nonce = searchRegistrationProof(gatewayKey, this.#peers[peer].signer.publicKey, bits, from, 1 << 16);
        if (nonce !== null) {
          if (peer === 'client') this.#proofNonce = nonce;
          return await call(encodeRegisterRequest({ proofNonce: nonce }));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** A connection from the fuzzer's `peer` to node `name`, kept open and reused. */
  async #connection(peer: keyof Peers, name: string): Promise<Connection> {
    const key = `${peer}>${name}`;
    const held = this.#connections.get(key);
    if (held && held.status === 'open') return held;
    const node = this.net.node(name);
    const connection = await this.#peers[peer].host.dial(multiaddr(`/ip4/127.0.0.1/tcp/${node.port}/p2p/${node.peerId}`), { signal: AbortSignal.timeout(10_000) });
    if (this.#connections.get(key) !== connection) {
      this.#connections.set(key, connection);
      // A connection the node hung up on before the listener below was added says so here.
      if (connection.status !== 'open') this.#noteClosed(`${key}: ${connection.status} when dialled`);
      // Why a connection goes matters when frames are lost with it: a missed ping (load) or the node hanging up (a finding).
      connection.addEventListener('close', (evt) => {
        if (this.#stopping) return;
        this.#noteClosed(`${key}: ${evt.local ? 'closed here' : 'closed by the node'}${evt.error ? ` (${evt.error.message.slice(0, 120)})` : ''}`);
      });
    }
    return connection;
  }

  #noteClosed(why: string): void {
    this.#connectionsClosed[why] = (this.#connectionsClosed[why] ?? 0) + 1;
    this.#log(`  connection ${why}`);
  }

  async #scrape(name: string): Promise<Map<string, number>> {
    return parseSamples(await this.net.metricsText(name));
  }

  /**
   * The current epoch's document, re-read when the epoch turns. Should the
   * authorities publish none (the fuzzing itself can cause that: see
   * docs/fuzzing.md), the newest one held serves (#entry picks the keys).
   */
  async #ctx(): Promise<Context> {
    const epoch = this.net.epochNow();
    const held = this.#context;
    if (held && held.topology.epoch === epoch) return held;
    if (held && Date.now() < this.#retryAt) return { ...held, epoch };
    try {
      const v = await this.net.pki.fetchDocument(epoch);
      this.#context = { epoch, topology: new Topology(v.document), geometry: geometryFromUserForwardPayloadLength(v.document.params.geometry), documentBytes: v.signed.document };
      return this.#context;
    } catch (err) {
      if (!held) {
        const v = await this.net.waitFor(`a document for the current epoch`, 60_000, () => this.net.pki.fetchDocument(this.net.epochNow()), 300);
        this.#context = { epoch: v.epoch, topology: new Topology(v.document), geometry: geometryFromUserForwardPayloadLength(v.document.params.geometry), documentBytes: v.signed.document };
        return this.#context;
      }
      this.#retryAt = Date.now() + 1_000;
      if (this.#missing !== epoch) this.#log(`no document for epoch ${epoch} (${(err as Error).message.slice(0, 100)}); using epoch ${held.topology.epoch}'s`);
      this.#missing = epoch;
      return { ...held, epoch };
    }
  }

  /**
   * The node's entry, with the keys it unwraps with in `ctx`'s epoch. A node
   * missing from the document (on a loaded machine a node can miss its
   * upload window) is taken from the last document that listed it.
   */
  #entry(ctx: Context, name: string): NodeEntry {
    const listed = entryOf(ctx.topology, this.net.node(name).identityKey);
    const known = listed ? { epoch: ctx.topology.epoch, entry: listed } : this.#lastSeen.get(name);
    if (listed) this.#lastSeen.set(name, { epoch: ctx.topology.epoch, entry: listed });
    if (!known) throw new Error(`${name} has never been in a document`);
    const e = known.entry;
    return known.epoch === ctx.epoch - 1 ? { ...e, sphinxKeys: { current: e.sphinxKeys.next, next: e.sphinxKeys.next } } : e;
  }

  #mailbox(): Uint8Array {
    return mailboxIdOf(this.#peers.client.signer.publicKey);
  }

  /** A fresh valid frame for a frame-stream case. */
  #validPacket(ctx: Context, name: 'packet@mix' | 'packet@gateway' | 'send', rnd: FuzzRandom): Uint8Array {
    const gw = this.#entry(ctx, this.#names.gateway);
    switch (name) {
      case 'packet@mix':
        // Forwarded to the upstream mix (which refuses it as a final hop), not to the gateway, whose counters another case is reading.
        return sphinxSeed(ctx.geometry, [this.#entry(ctx, this.#names.mix), this.#entry(ctx, this.#names.upstreamMix)], DROP_COVER, this.#random);
      case 'packet@gateway': {
        // Drop cover, a deposit into the fuzz client's mailbox, or a lookup for the name service.
        const kind = rnd.int(3);
        return kind === 2 ? this.#lookupPacket(ctx, rnd) : sphinxSeed(ctx.geometry, [gw], kind === 0 ? DROP_COVER : this.#mailbox(), this.#random);
      }
      case 'send':
        return sphinxSeed(ctx.geometry, [gw, this.#entry(ctx, this.#names.upstreamMix), this.#entry(ctx, this.#names.mix), gw], DROP_COVER, this.#random);
    }
  }

  /**
   * A lookup for the gateway's name service (docs/gateway.md §Short
   * handles), as the last hop of a packet: its user payload a lookup
   * request, damaged one time in two (the request's head: version, op,
   * name length and name, within the user payload's length), so the name
   * service's decoder sees it; a SURB (#lookupSurb), missing one time in
   * ten; and one time in ten the whole client payload damaged (flags,
   * reserved byte, the SURB itself). The Sphinx layer is intact: the packet
   * reaches the name service.
   */
  #lookupPacket(ctx: Context, rnd: FuzzRandom): Uint8Array {
    const { geometry } = ctx;
    const gw = this.#entry(ctx, this.#names.gateway);
    let userPayload = encodeLookupRequest(rnd.pick(FUZZ_NAMES), geometry.userForwardPayloadLength);
    if (rnd.chance(0.5)) {
      const head = 3 + HANDLE_NAME_MAX_LENGTH + 8;
      const damaged = mutate(rnd, userPayload.subarray(0, head), [], { maxLength: head, fields: LOOKUP_FIELDS }).bytes;
      userPayload = new Uint8Array(geometry.userForwardPayloadLength);
      userPayload.set(damaged.subarray(0, userPayload.length));
    }
    const surb = rnd.chance(0.1) ? null : this.#lookupSurb(ctx);
    let payload = encodeClientPayload(geometry, { surb, userPayload }, this.#random);
    if (rnd.chance(0.1)) payload = mutate(rnd, payload, [], { keepLength: true }).bytes;
    return lookupSeed(geometry, gw, payload, this.#random);
  }

  /**
   * The SURB a lookup carries: back over [layer-1 mix, gateway] into the
   * fuzz client's mailbox, as a SURB reply. Through the layer-1 mix, whose
   * counters no case reads, and which the gateway reaches as itself: the
   * fuzzer speaks as the layer-2 mix on its own connection to the gateway,
   * which the gateway would reuse, so an answer sent there would end in the
   * fuzzer instead of coming back.
   */
  #lookupSurb(ctx: Context): Uint8Array {
    return surbSeed(ctx.geometry, [this.#entry(ctx, this.#names.upstreamMix), this.#entry(ctx, this.#names.gateway)], this.#mailbox(), this.#random);
  }

  /** A fresh valid request for an RPC case. */
  async #validRequest(ctx: Context, name: RpcCaseName): Promise<Uint8Array> {
    switch (name) {
      case 'register':
        return this.#proofNonce === undefined ? registerSeed() : rpcFrame(encodeRegisterRequest({ proofNonce: this.#proofNonce, deliveryId: this.#random(32) }));
      case 'fetch':
        return fetchSeed(this.#peers.client.signer, this.#fetchCounter++);
      case 'handle': {
        // Claims of names in turn (each a write, until the client's claim budget is spent), and releases.
        const draw = this.#random(1)[0];
        return handleClaimSeed(draw < 32 ? { op: 'release' } : { op: 'claim', record: handleRecordOf(this.#handleOwners.client, FUZZ_NAMES[draw % FUZZ_NAMES.length]) });
      }
      case 'reply-body': {
        // The mailbox store numbers its entries from 0: low ids find the fuzz client's entries (SURB replies among them: the
        // lookups' answers), the lowest ones in a short run.
        const [hi, lo, pick] = this.#random(3);
        return replyBodySeed(BigInt(((hi << 8) | lo) % (pick & 1 ? 64 : 4096)));
      }
      case 'descriptor':
        return descriptorSeed(this.#peers.outsider.signer, ctx.epoch + 1, this.#descriptorVersion++, this.#random);
      case 'share':
        return shareSeed(ctx.epoch + 1, this.#random(1)[0] & 1 ? [] : [descriptorOf(this.#peers.outsider.signer, ctx.epoch + 1, this.#descriptorVersion++, this.#random)]);
      case 'signature':
        return signatureSeed(this.#random(1)[0] & 1 ? ctx.topology.epoch : ctx.epoch + 1, ctx.documentBytes, this.#peers.authority.signer);
      case 'document':
        return documentSeed(ctx.epoch);
    }
  }

  /** Resolves early in an epoch (in its first 30 %), waiting for the next one if need be. */
  async #uploadWindow(): Promise<void> {
    const epoch = this.net.epochNow();
    const { epochDurationMs } = this.net.epochs;
    if (Date.now() - this.net.epochStart(epoch) > 0.3 * epochDurationMs) await sleep(this.net.epochEnd(epoch) - Date.now() + 100);
  }

  /** Runs the whole campaign; the report lists every failed check in `problems`. */
  async run(options: FuzzOptions): Promise<FuzzReport> {
    const started = Date.now();
    const rnd = new FuzzRandom(options.seed);
    const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    const weightSum = CASES.reduce((n, c) => n + weights[c], 0);
    // Shares of `frames` by weight, rounded down, the frames left over going one each to the largest remainders: exactly `frames` in all.
    const exact = CASES.map((c) => (options.frames * weights[c]) / weightSum);
    const perCase = Object.fromEntries(CASES.map((c, i) => [c, Math.floor(exact[i])])) as Record<CaseName, number>;
    const byRemainder = CASES.map((c, i) => ({ c, r: exact[i] - Math.floor(exact[i]) })).sort((a, b) => b.r - a.r);
    for (let left = options.frames - CASES.reduce((n, c) => n + perCase[c], 0), i = 0; left > 0; left--, i++) perCase[byRemainder[i].c]++;
    const caseRandom = Object.fromEntries(CASES.map((c) => [c, rnd.fork()])) as Record<CaseName, FuzzRandom>;
    const cases = {} as Record<CaseName, CaseTotals>;
    const problems: string[] = [];
    const rss: Record<string, number[]> = {};
    const live = this.net.plan.nodes.filter((n) => n.name !== this.#names.impersonatedAuthority);
    for (let round = 0; round < options.rounds; round++) {
      // The three nodes are fuzzed at once, each node's protocols one after another (so each node's counters answer for one protocol at a time).
      await Promise.all(
        GROUPS.map(async (group) => {
          for (const c of group) {
            const n = Math.floor(perCase[c] / options.rounds) + (round < perCase[c] % options.rounds ? 1 : 0);
            if (n === 0) continue;
            const caseStarted = Date.now();
            const result = await this.#runCase(c, n, caseRandom[c]);
            this.#log(
              `  ${c}: ${result.sent} sent, ${result.accepted} accepted in ${((Date.now() - caseStarted) / 1000).toFixed(1)} s${result.problems.length ? ` — ${result.problems.join('; ')}` : ''}`,
            );
            const t = (cases[c] ??= { ...result, refused: {}, seen: {}, answers: {}, sent: 0, accepted: 0, tails: 0, lost: 0, background: 0 });
            t.sent += result.sent;
            t.accepted += result.accepted;
            t.tails += result.tails;
            t.lost += result.lost;
            t.background += result.background;
            t.rssAfterBytes = result.rssAfterBytes;
            for (const [k, v] of Object.entries(result.refused)) t.refused[k] = (t.refused[k] ?? 0) + v;
            for (const [k, v] of Object.entries(result.seen)) t.seen[k] = (t.seen[k] ?? 0) + v;
            for (const [k, v] of Object.entries(result.answers)) t.answers[k] = (t.answers[k] ?? 0) + v;
            problems.push(...result.problems.map((p) => `round ${round + 1}, ${c}: ${p}`));
          }
        }),
      );
      this.net.checkAlive();
      const sizes = nodeRss(live);
      for (const n of live) (rss[n.name] ??= []).push(sizes.get(n.name) ?? NaN);
      const sent = Object.values(cases).reduce((a, t) => a + t.sent, 0);
      this.#log(
        `round ${round + 1}/${options.rounds}: ${sent} frames in ${((Date.now() - started) / 1000).toFixed(0)} s; RSS ${live.map((n) => `${n.name} ${((sizes.get(n.name) ?? NaN) / 2 ** 20).toFixed(0)} MiB`).join(', ')}`,
      );
    }
    // Memory must level off: the median of the last third of the rounds against the highest of the first
    // third (round 1 left out, caches and LevelDB warming up), so one garbage collection more or less does not decide.
    for (const [name, series] of Object.entries(rss)) {
      const growth = rssGrowth(series);
      if (!(growth <= options.rssGrowthLimitBytes))
        problems.push(
          `${name}: RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB from the first third of the rounds to the last (limit ${(options.rssGrowthLimitBytes / 2 ** 20).toFixed(0)} MiB): ${series.map((b) => (b / 2 ** 20).toFixed(0)).join(' → ')} MiB`,
        );
    }
    const state = await this.#state();
    const honest = await this.#honestChecks(problems);
    try {
      this.net.checkAlive();
    } catch (err) {
      problems.push((err as Error).message);
    }
    return {
      seed: options.seed,
      frames: Object.values(cases).reduce((a, t) => a + t.sent, 0),
      seconds: (Date.now() - started) / 1000,
      cases,
      rss,
      state,
      honest,
      connectionsClosed: { ...this.#connectionsClosed },
      problems,
    };
  }

  async #runCase(c: CaseName, n: number, rnd: FuzzRandom): Promise<CaseTotals & { problems: string[] }> {
    switch (c) {
      case 'packet@mix':
        return this.#frameCase(c, this.#names.mix, 'upstreamMix', PACKET_PROTOCOL, n, rnd);
      case 'packet@gateway':
        return this.#frameCase(c, this.#names.gateway, 'lastMix', PACKET_PROTOCOL, n, rnd);
      case 'send':
        return this.#frameCase(c, this.#names.gateway, 'client', CLIENT_SEND_PROTOCOL, n, rnd);
      case 'register':
        return this.#rpcCase(c, this.#names.gateway, 'client', CLIENT_REGISTER_PROTOCOL, n, rnd);
      case 'fetch':
        return this.#rpcCase(c, this.#names.gateway, 'client', CLIENT_FETCH_PROTOCOL, n, rnd);
      case 'handle':
        return this.#rpcCase(c, this.#names.gateway, 'client', CLIENT_HANDLE_PROTOCOL, n, rnd);
      case 'reply-body':
        return this.#rpcCase(c, this.#names.gateway, 'client', CLIENT_REPLY_BODY_PROTOCOL, n, rnd);
      case 'descriptor':
      case 'document':
        return this.#rpcCase(c, this.#names.authority, 'outsider', PKI_PROTOCOLS[c], n, rnd);
      case 'share':
      case 'signature':
        return this.#rpcCase(c, this.#names.authority, 'authority', PKI_PROTOCOLS[c], n, rnd);
    }
  }

  // ------------------------------------------------------------ frame streams

  /**
   * `n` frames of `protocol` to node `target` from `peer`, in streams of 1 …
   * 2,000 frames, a fifth of them ending in an unfinished frame. A few
   * streams come from a peer the node must refuse outright (an outsider on
   * the packet link, an unregistered client on the send protocol).
   */
  async #frameCase(
    c: 'packet@mix' | 'packet@gateway' | 'send',
    target: string,
    peer: 'upstreamMix' | 'lastMix' | 'client',
    protocol: string,
    n: number,
    rnd: FuzzRandom,
  ): Promise<CaseTotals & { problems: string[] }> {
    const problems: string[] = [];
    const rssBefore = nodeRss([this.net.node(target)]).get(target) ?? NaN;
    const before = await this.#scrape(target);
    const length = (await this.#ctx()).geometry.packetLength;
    const opts: MutateOptions = { keepLength: true };
    let wholeFrames = 0;
    let lostFrames = 0;
    let tails = 0;
    let refusedStreams = 0;
    let refusedFrames = 0;
    // Streams are planned in order from `rnd`; each makes its frames lazily from its own fork, so the
    // frames do not depend on how the concurrent streams interleave, and the event loop never stalls
    // on a batch (a stalled loop misses libp2p's pings, and the node drops the connection).
    const plans: Array<{ count: number; refusedPeer: boolean; tail: boolean; rnd: FuzzRandom }> = [];
    for (let planned = 0; planned < n;) {
      const count = Math.min(n - planned, 1 + rnd.int(rnd.chance(0.5) ? 64 : 2000));
      plans.push({ count, refusedPeer: rnd.chance(0.03), tail: rnd.chance(0.2), rnd: rnd.fork() });
      planned += count;
    }
    await bounded(plans.length, c === 'send' ? 1 : 2, async (i) => {
      const plan = plans[i];
      const ctx = await this.#ctx();
      const validPacket = () => this.#validPacket(ctx, c, plan.rnd);
      const pool = Array.from({ length: 3 }, validPacket);
      function* frames(): Generator<Uint8Array> {
        for (let k = 0; k < plan.count; k++) yield plan.rnd.chance(0.02) ? validPacket() : mutate(plan.rnd, plan.rnd.pick(pool), pool, opts).bytes;
      }
      const tail = plan.tail ? mutate(plan.rnd, plan.rnd.pick(pool), pool, opts).bytes.slice(0, 1 + plan.rnd.int(length - 1)) : null;
      const from = plan.refusedPeer ? (c === 'send' ? 'stranger' : 'outsider') : peer;
      const connection = await this.#connection(from, target);
      const r = await rawFrames(connection, protocol, frames(), tail, 300_000);
      if (plan.refusedPeer) {
        refusedStreams++;
        refusedFrames += plan.count;
        return;
      }
      const expected = plan.count * length + (tail?.length ?? 0);
      if (r.aborted && connection.status !== 'open') {
        // The connection itself went (a missed ping on a loaded machine): what the node read of it is unknown.
        lostFrames += plan.count;
        this.#log(`  ${c}: connection to ${target} lost under a stream of ${plan.count} frames (${r.bytesWritten} of ${expected} bytes written)`);
        return;
      }
      if ((r.aborted || r.bytesWritten < expected) && c !== 'send') {
        // Refused at the door: the node dropped the node we speak as from its documents (it missed an
        // upload window on a loaded machine). Counted below against the node's unknown-peer count.
        refusedStreams++;
        refusedFrames += plan.count;
        return;
      }
      if (r.aborted || r.bytesWritten !== expected) problems.push(`a stream of ${plan.count} frames from an accepted peer ended early (${r.bytesWritten} of ${expected} bytes written)`);
      wholeFrames += Math.floor(r.bytesWritten / length);
      if (r.bytesWritten % length !== 0) tails++;
    });

    // What the node must have counted: every whole frame once, every unfinished frame as truncated.
    const accountedFor = (after: Map<string, number>) => {
      if (c === 'send') {
        const entry = delta(before, after, 'chaff_gateway_entry_frames_total');
        const accepted = entry.accepted ?? 0;
        const unregistered = entry.unregistered ?? 0;
        const truncated = entry.truncated ?? 0;
        const counted = total(entry) - truncated;
        return {
          accepted,
          refused: without(entry, 'accepted', 'truncated'),
          truncated,
          counted,
          expected: wholeFrames + refusedFrames,
          refusedPeerCounted: unregistered,
          settled: counted >= wholeFrames + refusedFrames,
        };
      }
      const link = delta(before, after, 'chaff_link_dropped_total');
      const received = total(delta(before, after, 'chaff_link_frames_received_total'));
      const dropped = delta(before, after, 'chaff_packets_dropped_total');
      const out = total(delta(before, after, 'chaff_packets_out_total'));
      // At the exit: stored, drop cover discarded, or a lookup answered by the name service (nothing stored).
      const taken =
        c === 'packet@gateway'
          ? total(delta(before, after, 'chaff_gateway_deposits_total')) + total(delta(before, after, 'chaff_gateway_cover_dropped_total')) + total(delta(before, after, 'chaff_gateway_lookups_total'))
          : 0;
      const held = (after.get('chaff_delay_queue_size') ?? 0) + (after.get('chaff_queue_depth') ?? 0);
      const accepted = out + taken;
      const counted = accepted + total(dropped);
      return {
        accepted,
        refused: dropped,
        truncated: link.truncated ?? 0,
        counted: received,
        processed: counted,
        expected: wholeFrames,
        refusedPeerCounted: link['unknown-peer'] ?? 0,
        settled: received >= wholeFrames && counted >= received && held === 0,
      };
    };
    let after = await this.#scrape(target);
    for (let waited = 0; !accountedFor(after).settled && waited < 20_000; waited += 100) {
      await sleep(100);
      after = await this.#scrape(target);
    }
    const a = accountedFor(after);
    if (a.counted < a.expected) problems.push(`${a.expected} frames sent, the node counted ${a.counted}: ${a.expected - a.counted} not counted`);
    if ('processed' in a && a.processed !== undefined && a.processed < a.counted)
      problems.push(`${a.counted} frames read, ${a.processed} forwarded, delivered or dropped with a reason: ${a.counted - a.processed} unaccounted for`);
    if (a.truncated < tails) problems.push(`${tails} streams ended inside a frame, the node counted ${a.truncated} truncated`);
    if (c === 'send') {
      if (a.refusedPeerCounted < refusedFrames) problems.push(`${refusedFrames} frames from an unregistered client, ${a.refusedPeerCounted} counted unregistered`);
      // Accepted entry frames go into the gateway's mix pipeline: all of them.
      const into = total(delta(before, after, 'chaff_packets_in_total'));
      if (into < a.accepted) problems.push(`${a.accepted} entry frames accepted, ${into} reached the mix pipeline`);
    } else if (a.refusedPeerCounted < refusedStreams) problems.push(`${refusedStreams} streams from an outsider, ${a.refusedPeerCounted} counted unknown-peer`);
    const refused = { ...a.refused };
    if (refusedFrames > 0 && c !== 'send') refused['unknown-peer (whole streams)'] = refusedFrames;
    return {
      protocol,
      node: target,
      sent: wholeFrames + refusedFrames + lostFrames,
      accepted: a.accepted,
      refused,
      tails,
      lost: lostFrames,
      seen: {},
      answers: c === 'packet@gateway' ? delta(before, after, 'chaff_gateway_lookups_total') : {},
      background: Math.max(0, a.counted - a.expected - lostFrames),
      rssBeforeBytes: rssBefore,
      rssAfterBytes: nodeRss([this.net.node(target)]).get(target) ?? NaN,
      problems,
    };
  }

  // ------------------------------------------------------------ RPC

  /**
   * `n` requests of `protocol` to node `target` from `peer`, one per stream,
   * eight at a time: a few percent valid, the rest mutants of valid ones
   * (length prefix included).
   */
  async #rpcCase(c: RpcCaseName, target: string, peer: 'client' | 'outsider' | 'authority', protocol: string, n: number, rnd: FuzzRandom): Promise<CaseTotals & { problems: string[] }> {
    const problems: string[] = [];
    const rssBefore = nodeRss([this.net.node(target)]).get(target) ?? NaN;
    const before = await this.#scrape(target);
    const seen: Record<Exclude<RpcOutcome, 'unopened'>, number> = { served: 0, refused: 0, reset: 0 };
    let lost = 0;
    // Three in four mutants damage the body and keep the framing right, so the service's decoder sees them;
    // the rest damage the framed bytes, length prefix included, for the RPC layer.
    const bodyOptions: MutateOptions = { maxLength: c === 'signature' ? 1 << 16 : 8192, fields: FIELDS[c] };
    const frameOptions: MutateOptions = { lengthPrefixAt: 0, maxLength: bodyOptions.maxLength };
    let pool: Uint8Array[] = [];
    let poolEpoch = -1;
    // Authorities take uploads for E + 1 only until their share exchange, halfway through E (docs/pki.md
    // §Late uploads): a case run wholly in the second half would see its valid descriptors and shares all
    // refused too-late. Starting it early in an epoch keeps the valid ones in the mix taken.
    if (c === 'descriptor' || c === 'share') await this.#uploadWindow();
    // Requests are made in batches, in order, before any is sent: the PRNG's draws never depend on timing.
    for (let done = 0; done < n;) {
      const ctx = await this.#ctx();
      if (poolEpoch !== ctx.epoch || done % 512 === 0) {
        poolEpoch = ctx.epoch;
        pool = [await this.#validRequest(ctx, c), await this.#validRequest(ctx, c)];
      }
      const bodies = pool.map((f) => f.subarray(4));
      const batch: Uint8Array[] = [];
      // Registration: half the requests come from a client that never registered, so the policy's checks (proof of work) see
      // them; the short-handle RPCs: a quarter, so their registered-client checks do.
      const strangers = STRANGER_SHARE[c] ?? 0;
      const senders = Array.from({ length: Math.min(128, n - done) }, () => (strangers > 0 && rnd.chance(strangers) ? 'stranger' : peer));
      for (let i = 0; i < senders.length; i++) {
        if (rnd.chance(VALID_SHARE[c] ?? 0.02)) batch.push(await this.#validRequest(ctx, c));
        else if (rnd.chance(0.75)) batch.push(rpcFrame(mutate(rnd, rnd.pick(bodies), bodies, bodyOptions).bytes));
        else batch.push(mutate(rnd, rnd.pick(pool), pool, frameOptions).bytes);
      }
      // Below the node's per-peer stream bound (8 on authorities, 32 on gateways), so each request is read, not refused as busy.
      await bounded(batch.length, target === this.#names.authority ? 6 : 16, async (i) => {
        const from = senders[i];
        // A request whose connection went under it (a missed ping on a loaded machine) is sent again on a
        // new one, up to four times, after a pause that grows: the node may have counted the first try too,
        // which the checks below allow for (they bound the counts from below). A connection that keeps
        // refusing new streams while it claims to be open is dropped for a fresh one. Only a request that
        // never got through is lost; why is counted in the report (connectionsClosed).
        const key = `${from}>${target}`;
        for (let attempt = 1; ; attempt++) {
          let outcome: RpcOutcome | 'undialled' = 'undialled';
          let live: Connection | undefined;
          try {
            live = await this.#connection(from, target);
          } catch (err) {
            this.#noteClosed(`${key}: dial failed (${(err as Error).message.slice(0, 120)})`);
          }
          if (live) {
            const connection = live;
            outcome = await rawRpc(connection, protocol, batch[i], 15_000, (err) => {
              if (connection.status !== 'open') return;
              this.#noteClosed(`${key}: stream not opened on an open connection (${err.message.slice(0, 120)})`);
              const refusals = (this.#unopened.get(connection) ?? 0) + 1;
              this.#unopened.set(connection, refusals);
              if (refusals === 3) connection.abort(new Error('fuzzer: the connection opens no streams'));
            });
          }
          const wentUnder = outcome === 'undialled' || outcome === 'unopened' || (outcome === 'reset' && live?.status !== 'open');
          if (!wentUnder) {
            seen[outcome as Exclude<RpcOutcome, 'unopened'>]++;
            break;
          }
          if (attempt === 4) {
            lost++;
            break;
          }
          await sleep(250 * 2 ** attempt);
        }
      });
      done += batch.length;
    }

    const rpcMetric = `chaff_rpc_${c.replace('-', '_')}_requests_total`;
    const service = SERVICE_COUNTS[c];
    const answerLabels = service.answers ?? [];
    let after = await this.#scrape(target);
    for (let waited = 0; total(delta(before, after, rpcMetric)) < n - lost && waited < 20_000; waited += 100) {
      await sleep(100);
      after = await this.#scrape(target);
    }
    const outcomes = delta(before, after, rpcMetric);
    const byService = delta(before, after, service.metric);
    const reasons = without(byService, ...answerLabels);
    const answers = Object.fromEntries(Object.entries(byService).filter(([k]) => answerLabels.includes(k)));
    const counted = total(outcomes);
    if (counted < n - lost) problems.push(`${n - lost} requests delivered, the node counted ${counted}: ${n - lost - counted} not counted`);
    if ((outcomes.served ?? 0) < seen.served) problems.push(`${seen.served} requests answered ok, the node counted ${outcomes.served ?? 0} served`);
    if ((outcomes.refused ?? 0) < seen.refused) problems.push(`${seen.refused} requests refused with a reason, the node counted ${outcomes.refused ?? 0} refused`);
    if (total(without(outcomes, 'served', 'refused')) < seen.reset)
      problems.push(`${seen.reset} streams reset by the node, ${total(without(outcomes, 'served', 'refused'))} counted (oversize, truncated, timeout…)`);
    // Every refusal the RPC layer saw must have its reason counted by the service.
    // (More reasons than refusals can be a request of another node's caught between the two counters.)
    if (total(reasons) < (outcomes.refused ?? 0)) problems.push(`${outcomes.refused ?? 0} requests refused, ${total(reasons)} refusals counted by reason (${JSON.stringify(reasons)})`);
    // A service that counts its answers too must have counted every request it answered.
    if (answerLabels.length > 0 && total(answers) < (outcomes.served ?? 0))
      problems.push(`${outcomes.served ?? 0} requests served, ${total(answers)} answers counted by outcome (${JSON.stringify(answers)})`);
    const refused: Record<string, number> = { ...reasons, ...without(outcomes, 'served', 'refused') };
    return {
      protocol,
      node: target,
      sent: n,
      accepted: outcomes.served ?? 0,
      refused,
      tails: 0,
      lost,
      seen,
      answers,
      background: Math.max(0, counted - n + lost),
      rssBeforeBytes: rssBefore,
      rssAfterBytes: nodeRss([this.net.node(target)]).get(target) ?? NaN,
      problems,
    };
  }

  // ------------------------------------------------------------ after the fuzzing

  async #state(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    const pick = [
      'chaff_replay_cache_tags',
      'chaff_replay_cache_bytes',
      'chaff_registered_clients',
      'chaff_gateway_handles',
      'chaff_mailbox_messages',
      'chaff_mailbox_bytes',
      'chaff_delay_queue_size',
      'chaff_queue_depth',
      'chaff_process_heap_used_bytes',
    ];
    for (const name of [this.#names.mix, this.#names.gateway, this.#names.authority]) {
      const s = await this.#scrape(name);
      out[name] = Object.fromEntries(
        pick.map((m) => [m, [...s].filter(([k]) => k === m || k.startsWith(`${m}{`)).reduce((a, [, v]) => a + v, 0)]).filter(([m]) => [...s.keys()].some((k) => k === m || k.startsWith(`${m}{`))),
      );
    }
    return out;
  }

  /** Honest traffic after the fuzzing: each node still takes a valid frame of each protocol. */
  async #honestChecks(problems: string[]): Promise<Record<string, boolean>> {
    const results: Record<string, boolean> = {};
    const check = async (what: string, fn: () => Promise<boolean>): Promise<void> => {
      let ok = false;
      try {
        ok = await fn();
      } catch (err) {
        problems.push(`honest ${what}: ${(err as Error).message}`);
      }
      results[what] = ok;
      if (!ok) problems.push(`honest ${what}: not taken after the fuzzing`);
    };
    const rnd = new FuzzRandom(1);
    const grows = async (name: string, metrics: string[], send: () => Promise<unknown>): Promise<boolean> => {
      const sum = (s: Map<string, number>) => metrics.reduce((a, m) => a + [...s].filter(([k]) => k === m || k.startsWith(`${m}{`)).reduce((x, [, v]) => x + v, 0), 0);
      const before = sum(await this.#scrape(name));
      await send();
      for (let i = 0; i < 40; i++) {
        if (sum(await this.#scrape(name)) > before) return true;
        await sleep(250);
      }
      return false;
    };
    // The nodes route only with the current epoch's document: wait for one (the fuzzing may have cost an epoch its document).
    await this.net.waitFor('a document for the current epoch', 4 * this.net.plan.shape.epochDurationMs, () => this.net.pki.fetchDocument(this.net.epochNow()), 500);
    const ctx = await this.#ctx();
    await check('packet@mix forwarded', () =>
      grows(this.#names.mix, ['chaff_packets_out_total'], async () =>
        rawFrames(await this.#connection('upstreamMix', this.#names.mix), PACKET_PROTOCOL, [this.#validPacket(ctx, 'packet@mix', rnd)], null, 10_000),
      ),
    );
    await check('packet@gateway delivered', () =>
      grows(this.#names.gateway, ['chaff_gateway_cover_dropped_total', 'chaff_gateway_deposits_total'], async () =>
        rawFrames(await this.#connection('lastMix', this.#names.gateway), PACKET_PROTOCOL, [sphinxSeed(ctx.geometry, [this.#entry(ctx, this.#names.gateway)], DROP_COVER, this.#random)], null, 10_000),
      ),
    );
    await sleep(1_500); // the client's token bucket refills
    await check('send accepted', () =>
      grows(this.#names.gateway, ['chaff_gateway_entry_frames_total{accepted}'], async () =>
        rawFrames(await this.#connection('client', this.#names.gateway), CLIENT_SEND_PROTOCOL, [this.#validPacket(ctx, 'send', rnd)], null, 10_000),
      ),
    );
    const gateway = await this.#connection('client', this.#names.gateway);
    await check('register served', async () => (await callRpc(this.#peers.client.host, gateway.remotePeer, [], CLIENT_REGISTER_PROTOCOL, new Uint8Array(0), { maxResponseBytes: 64 })).length === 32);
    await check('fetch served', async () => {
      const reply = await callRpc(this.#peers.client.host, gateway.remotePeer, [], CLIENT_FETCH_PROTOCOL, encodeFetchRequest({ counter: this.#fetchCounter, acks: [] }, this.#peers.client.signer), {
        maxResponseBytes: 16 << 20,
      });
      decodeFetchReply(reply, this.#fetchCounter++, fetchEntryBodyLength(ctx.geometry));
      return true;
    });
    // Short handles: a client registered only now (the fuzz client's claim budget is spent) claims a name; a lookup of it
    // reaches the name service and is answered found; its reply-body request is served, and another client's entry is not its.
    await check('handle claimed', async () => {
      await this.#register('owner');
      const owner = await this.#connection('owner', this.#names.gateway);
      const request = encodeHandleClaimRequest({ op: 'claim', record: handleRecordOf(this.#handleOwners.owner, HONEST_NAME) });
      const reply = decodeHandleClaimReply(await callRpc(this.#peers.owner.host, owner.remotePeer, [], CLIENT_HANDLE_PROTOCOL, request, { maxResponseBytes: 1024 }));
      return reply.status === 'ok' && reply.name === HONEST_NAME;
    });
    await check('lookup answered', () =>
      grows(this.#names.gateway, ['chaff_gateway_lookups_total{found}'], async () => {
        const gw = this.#entry(ctx, this.#names.gateway);
        const surb = this.#lookupSurb(ctx);
        const payload = encodeClientPayload(ctx.geometry, { surb, userPayload: encodeLookupRequest(HONEST_NAME, ctx.geometry.userForwardPayloadLength) }, this.#random);
        return rawFrames(await this.#connection('lastMix', this.#names.gateway), PACKET_PROTOCOL, [lookupSeed(ctx.geometry, gw, payload, this.#random)], null, 10_000);
      }),
    );
    await check('reply-body served', async () => {
      const owner = await this.#connection('owner', this.#names.gateway);
      // Entry 0 is the fuzz client's, if anyone's (the store numbers entries from 0): never found for another client.
      const reply = await callRpc(this.#peers.owner.host, owner.remotePeer, [], CLIENT_REPLY_BODY_PROTOCOL, encodeReplyBodyRequest(0n), { maxResponseBytes: 1 << 20 });
      return decodeReplyBodyReply(reply).found === false;
    });
    const authority = await this.#connection('outsider', this.#names.authority);
    await check('document served', async () => {
      const reply = await callRpc(this.#peers.outsider.host, authority.remotePeer, [], PKI_PROTOCOLS.document, encodeDocumentRequest(ctx.epoch), { maxResponseBytes: MAX_DOCUMENT_RESPONSE_BYTES });
      const keys = this.net.plan.nodes.filter((x) => x.role === 'authority').map((x) => Uint8Array.from(Buffer.from(x.identityKey, 'hex')));
      return verifyDocument(decodeSignedDocument(reply), keys).epoch === ctx.epoch;
    });
    return results;
  }

  /** Waits for the authorities to publish the next epoch's document: they still work together after the fuzzing. */
  async nextDocumentPublished(timeoutMs: number): Promise<boolean> {
    const next = this.net.epochNow() + 1;
    try {
      await this.net.waitFor(`the document for epoch ${next}`, timeoutMs, () => this.net.pki.fetchDocument(next), 500);
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const p of Object.values(this.#peers)) await Promise.resolve(p.host.stop()).catch(() => undefined);
    await this.net.stop();
  }
}

/** Human-readable lines of a report: per protocol, frames sent, accepted, refused by reason, node RSS. */
export function formatReport(r: FuzzReport): string[] {
  const mib = (b: number): string => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(1)} MiB` : '?');
  const lines = [`seed ${r.seed}: ${r.frames} frames in ${r.seconds.toFixed(0)} s`];
  const byCount = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  for (const [name, t] of Object.entries(r.cases)) {
    const refused = byCount(t.refused) || '-';
    const answers = Object.keys(t.answers).length > 0 ? ` (${name === 'packet@gateway' ? 'lookups answered: ' : ''}${byCount(t.answers)})` : '';
    lines.push(
      `${name.padEnd(15)} ${t.protocol} on ${t.node}: sent ${t.sent}, accepted ${t.accepted}${answers}, refused ${t.sent - t.accepted} (${refused})${t.tails ? `, unfinished frames ${t.tails}` : ''}${t.lost ? `, lost with a dropped connection ${t.lost}` : ''}${t.background ? `, other traffic ${t.background}` : ''}; RSS ${mib(t.rssBeforeBytes)} → ${mib(t.rssAfterBytes)}`,
    );
  }
  for (const [node, series] of Object.entries(r.rss)) lines.push(`RSS ${node}: ${series.map((b) => (b / 2 ** 20).toFixed(0)).join(' ')} MiB (per round)`);
  for (const [node, s] of Object.entries(r.state))
    lines.push(
      `state ${node}: ${Object.entries(s)
        .map(([k, v]) => `${k.replace(/^chaff_/, '')} ${v}`)
        .join(', ')}`,
    );
  lines.push(
    `honest traffic after fuzzing: ${Object.entries(r.honest)
      .map(([k, v]) => `${k} ${v ? 'ok' : 'FAILED'}`)
      .join(', ')}`,
  );
  const closed = Object.entries(r.connectionsClosed);
  lines.push(closed.length === 0 ? 'no connection closed under the fuzzer' : `connections closed under the fuzzer: ${closed.map(([why, n]) => `${n}× ${why}`).join('; ')}`);
  lines.push(r.problems.length === 0 ? 'no problems' : `${r.problems.length} problems:\n  ${r.problems.join('\n  ')}`);
  return lines;
}

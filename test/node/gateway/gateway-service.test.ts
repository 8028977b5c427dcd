import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey as Libp2pEd25519Key, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import {
  decryptSURBPayload,
  surbAckPayload,
  surbReplyPayloadFor,
  delay,
  geometryFromUserForwardPayloadLength,
  newPacket,
  newPacketFromSURB,
  newSURB,
  recipient,
  surbReply,
  unwrap,
  type PathHop,
} from '../../../protocol/sphinx/index.js';
import { DROP_RECIPIENT, encodeClientPayload } from '../../../protocol/wire/client-payload.js';
import {
  decodeFetchReply,
  DEFAULT_FETCH_SLOTS,
  encodeFetchRequest,
  fetchEntryBodyLength,
  fetchMessageBodyLength,
  fetchReplyLength,
  FETCH_REQUEST_LENGTH,
  mailboxIdOf,
  surbReplyDigestMatches,
} from '../../../protocol/wire/fetch.js';
import {
  decodeHandleClaimReply,
  decodeLookupAnswer,
  decodeReplyBodyReply,
  encodeHandleClaimRequest,
  encodeHandleRecord,
  encodeLookupRequest,
  encodeReplyBodyRequest,
  NAME_SERVICE_RECIPIENT,
  verifyHandleRecord,
  type HandleClaimReply,
  type HandleClaimRequest,
} from '../../../protocol/wire/handle.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { ClientRegistry } from '../../../node/gateway/client-registry.js';
import {
  CLIENT_FETCH_PROTOCOL,
  CLIENT_HANDLE_PROTOCOL,
  CLIENT_REGISTER_PROTOCOL,
  CLIENT_REPLY_BODY_PROTOCOL,
  CLIENT_SEND_PROTOCOL,
  GatewayService,
  type GatewayLimits,
} from '../../../node/gateway/gateway-service.js';
import { HandleRegistry } from '../../../node/gateway/handle-registry.js';
import { memoryLogger, silentLogger, type Logger } from '../../../runtime/log/logger.js';
import { createHost, type Host } from '../../../runtime/net/host.js';
import { PacketLink } from '../../../node/net/packet-link.js';
import { callRpc, RpcError } from '../../../runtime/net/rpc.js';
import { MailboxStore, type MailboxStoreOptions } from '../../../node/store/mailbox-store.js';
import { ReplayCache } from '../../../node/store/replay-cache.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemoryNetwork, type MemoryHost } from '../../helpers/memory-host.js';
import type { TraceEvent } from '../../../protocol/trace/events.js';
import { forwardedPacket, lastHop } from '../../helpers/sphinx-fixtures.js';
import { waitFor } from '../../helpers/wait.js';
import { handleOwner, handleRecordOf } from '../../helpers/handle-fixtures.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 3, userForwardPayloadLength: 200, withSURB: true });
const BODY = fetchEntryBodyLength(geometry);
const BATCH = 4;
const REPLY_LENGTH = fetchReplyLength({ messages: BATCH, acks: DEFAULT_FETCH_SLOTS.acks }, fetchMessageBodyLength(geometry));
const T0 = 1_700_000_000_000;

const until = (cond: () => boolean, what: string, ms = 5_000): Promise<boolean> => waitFor(what, cond, { timeoutMs: ms, intervalMs: 5 });

/** A forward payload of raw bytes (what the mixes carry; the gateway only decodes it at the exit). */
function payloadOf(marker: number): Uint8Array {
  const p = new Uint8Array(geometry.forwardPayloadLength);
  p.fill(marker);
  return p;
}

/** A client's user payload. */
function userOf(marker: number): Uint8Array {
  return new Uint8Array(geometry.userForwardPayloadLength).fill(marker);
}

/** The client payload of a packet to a mailbox: user payload `marker`, with `surb` as its SURB-ACK or none. */
function clientPayloadOf(marker: number, surb: Uint8Array | null = null): Uint8Array {
  return encodeClientPayload(geometry, { surb, userPayload: userOf(marker) });
}

/** A host of the test: in memory (the logic tests) or a real libp2p node on loopback TCP (the smoke test). */
type TestHost = Host | MemoryHost;

/** How the test's hosts reach each other. */
interface Transport {
  /** A host for `key`; `listen` for the gateway and the mix (clients only dial). */
  host(key: Libp2pEd25519Key, listen: boolean): Promise<TestHost>;
}

/** One in-memory network per setup (test/helpers/memory-host.ts): no port, no handshake, no yamux. */
function memoryTransport(): Transport {
  const network = new MemoryNetwork();
  return { host: (key) => network.host(key) };
}

const tcpTransport: Transport = {
  host: (key, listen) => createHost({ privateKey: key, listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] }),
};

/** Where to dial `host`: its listen addresses over TCP; a memory host is found by its peer id alone. */
function addrsOf(host: TestHost): Multiaddr[] {
  return 'getMultiaddrs' in host ? host.getMultiaddrs() : [];
}

interface Client {
  host: TestHost;
  /** The same key as the libp2p key, in the form protocol/wire/fetch.ts signs with. */
  signer: Ed25519PrivateKey;
  mailboxId: Uint8Array;
  counter: bigint;
}

interface Net {
  clock: ManualClock;
  gateway: GatewayService;
  gwHost: TestHost;
  gwId: Uint8Array;
  gwKey: X25519PrivateKey;
  mixHost: TestHost;
  mixId: Uint8Array;
  mixKey: X25519PrivateKey;
  /** The mix's link: sends into the gateway, receives what the gateway forwards. */
  mixLink: PacketLink;
  atMix: Uint8Array[];
  forwarded: string[];
  mailboxes: MailboxStore;
  registry: ClientRegistry;
  handles: HandleRegistry;
  client(): Promise<Client>;
}

// The logic runs on in-memory hosts and a ManualClock; one smoke test at the
// end runs the first scenario over real TCP (libp2p's Noise and yamux), so
// the wiring to a real host stays covered.
describe('node/gateway/gateway-service (in-memory hosts, real LevelDB)', function () {
  this.timeout(20_000);
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function setup(
    mailboxOptions: MailboxStoreOptions = {},
    trace?: (e: TraceEvent) => void,
    limits: Partial<GatewayLimits> = {},
    transport: Transport = memoryTransport(),
    logger: Logger = silentLogger,
  ): Promise<Net> {
    const dir = await mkdtemp(join(tmpdir(), 'chaff-gateway-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const clock = new ManualClock(T0);
    const mailboxes = await MailboxStore.open(join(dir, 'mailbox'), mailboxOptions);
    cleanups.push(() => mailboxes.close());
    const registry = await ClientRegistry.open(join(dir, 'clients'));
    cleanups.push(() => registry.close());
    const replay = await ReplayCache.open(join(dir, 'replay'));
    cleanups.push(() => replay.close());
    const handles = await HandleRegistry.open(join(dir, 'handles'));
    cleanups.push(() => handles.close());

    const gwHost = await transport.host((await generateKeyPair('Ed25519')) as Libp2pEd25519Key, true);
    cleanups.push(async () => gwHost.stop());
    const mixHost = await transport.host((await generateKeyPair('Ed25519')) as Libp2pEd25519Key, true);
    cleanups.push(async () => mixHost.stop());
    const gwId = crypto.getRandomValues(new Uint8Array(32));
    const gwKey = X25519PrivateKey.generate();
    const mixId = crypto.getRandomValues(new Uint8Array(32));
    const mixKey = X25519PrivateKey.generate();

    const atMix: Uint8Array[] = [];
    const mixLink = new PacketLink({ host: mixHost, logger: silentLogger }, { packetLength: geometry.packetLength, onFrame: (f) => atMix.push(f) });
    await mixLink.start();
    cleanups.push(() => mixLink.stop());

    // The daemon's side: its PacketLink feeds the gateway and carries what it forwards (each closure reads the other once both exist).
    const forwarded: string[] = [];
    const gateway = new GatewayService(
      {
        host: gwHost,
        geometry,
        clock,
        logger,
        keys: () => [{ epoch: 1, key: gwKey }],
        checkReplay: (epoch, tag) => replay.checkAndInsert(epoch, tag),
        maxDelayMs: () => 10_362, // maxHopDelayMs(1000 / μ) at μ = 2/s
        forward: (nodeId, packet) => {
          forwarded.push(toHex(nodeId));
          if (toHex(nodeId) !== toHex(mixId)) return 'unknown';
          return gwLink.send(mixHost.peerId, addrsOf(mixHost), packet) ? 'sent' : 'queue-full';
        },
        mailboxes,
        registry,
        handles,
        ...(trace ? { trace } : {}),
      },
      // Registration is free here (no proof of work): this file tests the data path; test/adversarial/ tests the policy.
      { clientRate: 1, rateHeadroom: 2, fetchBatch: BATCH, inputQueue: 1000, delayQueue: 1000, registration: { proofBits: 0 }, ...limits },
    );
    const gwLink = new PacketLink({ host: gwHost, logger: silentLogger }, { packetLength: geometry.packetLength, onFrame: (f) => gateway.acceptPacket(f) });
    await gwLink.start();
    await gateway.start();
    cleanups.push(() => gwLink.stop());
    cleanups.push(() => gateway.stop());

    const client = async (): Promise<Client> => {
      const key = (await generateKeyPair('Ed25519')) as Libp2pEd25519Key;
      const host = await transport.host(key, false);
      cleanups.push(async () => host.stop());
      const signer = Ed25519PrivateKey.fromSeed(key.raw.subarray(0, 32));
      assert.deepEqual(signer.publicKey, key.publicKey.raw);
      return { host, signer, mailboxId: mailboxIdOf(signer.publicKey), counter: 0n };
    };
    return { clock, gateway, gwHost, gwId, gwKey, mixHost, mixId, mixKey, mixLink, atMix, forwarded, mailboxes, registry, handles, client };
  }

  function register(net: Net, c: Client, body = new Uint8Array(0)): Promise<Uint8Array> {
    return callRpc(c.host, net.gwHost.peerId, addrsOf(net.gwHost), CLIENT_REGISTER_PROTOCOL, body, { maxResponseBytes: 64 });
  }

  function fetchRaw(net: Net, c: Client, request: Uint8Array): Promise<Uint8Array> {
    return callRpc(c.host, net.gwHost.peerId, addrsOf(net.gwHost), CLIENT_FETCH_PROTOCOL, request, { maxResponseBytes: REPLY_LENGTH });
  }

  async function fetch(net: Net, c: Client, acks: bigint[] = []) {
    const counter = ++c.counter;
    const reply = await fetchRaw(net, c, encodeFetchRequest({ counter, acks }, c.signer));
    assert.equal(reply.length, REPLY_LENGTH);
    return { reply, entries: decodeFetchReply(reply, counter, BODY) };
  }

  /** Reads up to 1024 bytes, as the client does (client/net/gateway-link.ts): room for a refusal's reason. */
  async function claimHandle(net: Net, c: Client, request: HandleClaimRequest): Promise<HandleClaimReply> {
    return decodeHandleClaimReply(await callRpc(c.host, net.gwHost.peerId, addrsOf(net.gwHost), CLIENT_HANDLE_PROTOCOL, encodeHandleClaimRequest(request), { maxResponseBytes: 1024 }));
  }

  async function replyBody(net: Net, c: Client, id: bigint) {
    return decodeReplyBodyReply(await callRpc(c.host, net.gwHost.peerId, addrsOf(net.gwHost), CLIENT_REPLY_BODY_PROTOCOL, encodeReplyBodyRequest(id), { maxResponseBytes: 2 + BODY }));
  }

  /** The gateway's node id: what a handle record hosted here names. */
  function nodeIdOfGateway(net: Net): Uint8Array {
    return nodeIdOf(net.gwHost.peerId.publicKey!.raw);
  }

  async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
    await assert.rejects(p, (err: unknown) => err instanceof RpcError && err.code === 'refused' && pattern.test(err.message));
  }

  function sendStream(net: Net, c: Client): Promise<Stream> {
    const addrs = addrsOf(net.gwHost);
    return c.host.dialProtocol(addrs.length > 0 ? addrs : net.gwHost.peerId, CLIENT_SEND_PROTOCOL);
  }

  /** A packet from a mix into the gateway, last hop the gateway, to `to`, carrying a client payload. */
  function exitPacket(net: Net, to: Uint8Array, marker: number, surb: Uint8Array | null = null): Uint8Array {
    return newPacket(geometry, [{ id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(to)] }], clientPayloadOf(marker, surb));
  }

  /** An entry packet: the gateway (delay `ms`), then the mix as last hop. */
  function entryPacket(net: Net, marker: number, ms: number): Uint8Array {
    const path: PathHop[] = [
      { id: net.gwId, publicKey: net.gwKey.publicKey, commands: [delay(ms)] },
      { id: net.mixId, publicKey: net.mixKey.publicKey, commands: [recipient(new Uint8Array(32))] },
    ];
    return newPacket(geometry, path, payloadOf(marker));
  }

  function fromMix(net: Net, packet: Uint8Array): void {
    assert.equal(net.mixLink.send(net.gwHost.peerId, addrsOf(net.gwHost), packet), true);
  }

  /** Registration, deposits from the mix, fetch and ack: the in-memory test and the TCP smoke test. */
  async function registersDepositsServesAndDeletes(net: Net): Promise<void> {
    const alice = await net.client();
    const id = await register(net, alice);
    assert.deepEqual(id, alice.mailboxId);
    assert.deepEqual(await register(net, alice), alice.mailboxId);
    assert.equal(net.gateway.stats().registeredClients, 1);
    assert.equal(net.gateway.stats().registrations, 1);

    const empty = await fetch(net, alice);
    assert.equal(empty.entries.length, 0);

    // A 1-hop packet and a 2-hop packet (unwrapped at the mix first), both over /chaff/packet/1.
    fromMix(net, exitPacket(net, alice.mailboxId, 0xa1));
    const twoHop = newPacket(
      geometry,
      [
        { id: net.mixId, publicKey: net.mixKey.publicKey, commands: [delay(0)] },
        { id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(alice.mailboxId)] },
      ],
      clientPayloadOf(0xa2),
    );
    fromMix(net, forwardedPacket(unwrap(geometry, net.mixKey, twoHop)));
    await until(() => net.gateway.stats().exit.deposits === 2, 'two deposits');
    assert.equal(net.mailboxes.stats().messages, 2);

    const full = await fetch(net, alice);
    assert.equal(full.reply.length, empty.reply.length, 'a reply has the same size with 0 and with 2 messages');
    assert.equal(full.entries.length, 2);
    assert.deepEqual(full.entries[0].body, userOf(0xa1), 'the user payload only');
    assert.deepEqual(full.entries[1].body, userOf(0xa2));
    assert.deepEqual(
      full.entries.map((e) => [e.kind, e.surbId]),
      [
        ['message', null],
        ['message', null],
      ],
    );

    const after = await fetch(net, alice, [full.entries[0].id!]);
    assert.equal(after.entries.length, 1);
    assert.deepEqual(after.entries[0].body, userOf(0xa2));
    assert.equal(net.gateway.stats().fetch.acked, 1);
    const last = await fetch(net, alice, [after.entries[0].id!]);
    assert.equal(last.entries.length, 0);
    assert.equal(net.mailboxes.stats().messages, 0);

    const s = net.gateway.stats();
    assert.equal(s.fetch.served, 4);
    assert.equal(s.fetch.messagesServed, 3);
    assert.equal(s.mailbox.counters.deposited, 2);
  }

  it('registers (idempotently, persisted), deposits an exit packet, serves it in a fixed-size reply, and deletes it on ack', async () => {
    await registersDepositsServesAndDeletes(await setup());
  });

  it('refuses a fetch signed by another key, with an old counter, or from an unregistered client', async () => {
    const net = await setup();
    const alice = await net.client();
    const bob = await net.client();
    const mallory = await net.client();
    await register(net, alice);
    await register(net, bob);

    // Bob's validly signed request, sent over Alice's connection.
    await refused(fetchRaw(net, alice, encodeFetchRequest({ counter: 1n, acks: [] }, bob.signer)), /not signed by the connection/);

    alice.counter = 5n;
    await fetch(net, alice);
    await refused(fetchRaw(net, alice, encodeFetchRequest({ counter: 6n, acks: [] }, alice.signer)), /counter 6 is not above 6/);
    await refused(fetchRaw(net, alice, encodeFetchRequest({ counter: 2n, acks: [] }, alice.signer)), /not above/);
    await fetch(net, alice); // 7: still served

    await refused(fetchRaw(net, mallory, encodeFetchRequest({ counter: 1n, acks: [] }, mallory.signer)), /not registered/);

    const drops = net.gateway.stats().fetch.drops;
    assert.deepEqual(drops, { malformed: 0, 'wrong-key': 1, unregistered: 1, 'old-counter': 2, 'store-error': 0 });
    assert.equal(net.gateway.stats().rpc.fetch!.drops.refused, 4);
  });

  it('drops an unregistered client’s frames and counts an unknown recipient', async () => {
    const net = await setup();
    const mallory = await net.client();
    const stream = await sendStream(net, mallory);
    for (let i = 0; i < 3; i++) stream.send(entryPacket(net, 0x30, 0));
    await until(() => net.gateway.stats().entry.drops.unregistered === 3, '3 unregistered drops');
    assert.equal(net.gateway.stats().mix.received, 0);

    fromMix(net, exitPacket(net, mallory.mailboxId, 0x31));
    await until(() => net.gateway.stats().exit.drops['unknown-recipient'] === 1, 'unknown recipient');
    assert.equal(net.gateway.stats().mix.drops['final-hop-refused'], 1);
    assert.equal(net.mailboxes.stats().messages, 0);

    // Registering while the stream is open: its frames are served from then on.
    await register(net, mallory);
    stream.send(entryPacket(net, 0x32, 0));
    await until(() => net.gateway.stats().entry.accepted === 1, 'accepted after registering');
    await stream.close();
  });

  it("bounds a client's send streams (maxSendStreams, over all its connections): the rest are reset and counted too-many-streams", async () => {
    const net = await setup({}, undefined, { maxSendStreams: 2 });
    const alice = await net.client();
    await register(net, alice);
    const streams: Stream[] = [];
    for (let i = 0; i < 6; i++) streams.push(await sendStream(net, alice));
    await until(() => net.gateway.stats().entry.drops['too-many-streams'] === 4, '4 streams refused');
    assert.equal(net.gateway.stats().entry.openStreams, 2);
    // Another client is not affected by alice's streams.
    const bob = await net.client();
    await register(net, bob);
    const bobs = await sendStream(net, bob);
    await until(() => net.gateway.stats().entry.openStreams === 3, "bob's stream open");
    for (const s of [...streams, bobs]) await s.close().catch(() => undefined);
    await until(() => net.gateway.stats().entry.openStreams === 0, 'all closed');
    // Closed streams give the slots back.
    const again = await sendStream(net, alice);
    await until(() => net.gateway.stats().entry.openStreams === 1, 'a fresh stream');
    assert.equal(net.gateway.stats().entry.drops['too-many-streams'], 4);
    await again.close();
  });

  it('refuses a client packet that ends at its own entry gateway (it would skip the mixnet)', async () => {
    const net = await setup();
    const alice = await net.client();
    const bob = await net.client();
    await register(net, alice);
    await register(net, bob);
    const stream = await sendStream(net, alice);
    stream.send(exitPacket(net, bob.mailboxId, 0x41)); // a 1-hop packet: the gateway is its last hop
    await until(() => net.gateway.stats().mix.drops['final-hop-refused'] === 1, 'refused at entry');
    assert.equal(net.mailboxes.stats().messages, 0, 'nothing deposited');
    fromMix(net, exitPacket(net, bob.mailboxId, 0x42)); // the same kind of packet from a relay is delivered
    await until(() => net.mailboxes.stats().messages === 1, 'deposited from the mixnet');
    await stream.close();
  });

  it('in trace mode, records each accepted entry packet, each fetch and each deposit by mailbox id', async () => {
    const events: TraceEvent[] = [];
    const net = await setup({}, (e) => events.push(e));
    const alice = await net.client();
    await register(net, alice);
    const stream = await sendStream(net, alice);
    stream.send(entryPacket(net, 0x71, 0));
    await until(() => events.some((e) => e.ev === 'send'), 'the send event');
    fromMix(net, exitPacket(net, alice.mailboxId, 0xa1));
    await until(() => events.some((e) => e.ev === 'deposit'), 'the deposit event');
    await fetch(net, alice);
    const user = toHex(alice.mailboxId);
    assert.deepEqual(
      events.map((e) => ({ ...e, t: 0 })),
      [
        { t: 0, ev: 'send', user },
        { t: 0, ev: 'deposit', user, kind: 'message' },
        { t: 0, ev: 'fetch', user },
      ],
    );
    assert.ok(
      events.every((e) => e.t === T0),
      'times from the gateway clock',
    );
    await stream.close();
  });

  it('unwraps a client’s entry packet and forwards it to the next hop after its delay', async () => {
    const net = await setup();
    const alice = await net.client();
    await register(net, alice);
    const stream = await sendStream(net, alice);
    stream.send(entryPacket(net, 0x77, 500));
    await until(() => net.gateway.stats().mix.delayDepth === 1, 'the packet held for its delay');
    net.clock.advanceTo(T0 + 499);
    assert.equal(net.forwarded.length, 0);
    net.clock.advanceTo(T0 + 500);
    assert.deepEqual(net.forwarded, [toHex(net.mixId)]);
    await until(() => net.atMix.length === 1, 'the packet at the mix');
    const atMix = unwrap(geometry, net.mixKey, net.atMix[0]);
    assert.deepEqual(lastHop(atMix).payload, payloadOf(0x77));
    assert.equal(net.gateway.stats().mix.forwarded, 1);
    await stream.close();
  });

  it('rate-limits a flooding client while another client’s packets still go through', async () => {
    const net = await setup();
    const flood = await net.client();
    const honest = await net.client();
    await register(net, flood);
    await register(net, honest);
    // clientRate 1/s × headroom 2: burst ceil(1 + 5 + 5) × 2 = 22; the clock stands still, so no refill.
    const fs = await sendStream(net, flood);
    for (let i = 0; i < 60; i++) fs.send(entryPacket(net, 0xf0, 0));
    await until(() => net.gateway.stats().entry.drops['rate-limited'] === 38, '38 rate-limited');
    const hs = await sendStream(net, honest);
    for (let i = 0; i < 5; i++) hs.send(entryPacket(net, 0x0b, 0));
    await until(() => net.gateway.stats().entry.accepted === 27, '27 accepted');
    // Unwrapping and the replay check finish asynchronously: wait until all are held, then release them.
    await until(() => net.gateway.stats().mix.delayDepth === 27, '27 held');
    net.clock.advanceTo(T0 + 1);
    await until(() => net.atMix.length === 27, '27 packets at the mix');
    const markers = net.atMix.map((p) => lastHop(unwrap(geometry, net.mixKey, p)).payload[0]);
    assert.equal(markers.filter((m) => m === 0x0b).length, 5);
    assert.equal(markers.filter((m) => m === 0xf0).length, 22);
    assert.equal(net.gateway.stats().entry.drops['rate-limited'], 38);
    await fs.close();
    await hs.close();
  });

  it('counts garbage frames and garbage RPC bodies without crashing', async () => {
    const net = await setup();
    const alice = await net.client();
    await register(net, alice);

    const garbage = crypto.getRandomValues(new Uint8Array(geometry.packetLength));
    garbage[0] = 0;
    garbage[1] = 0; // a valid version, so the MAC check is what fails
    fromMix(net, garbage);
    const stream = await sendStream(net, alice);
    stream.send(Uint8Array.from(garbage));
    stream.send(new Uint8Array(100)); // a partial frame, then the stream ends
    await stream.close();
    await until(() => net.gateway.stats().mix.drops['mac-failure'] === 2 && net.gateway.stats().entry.drops.truncated === 1, 'garbage counted');

    await refused(register(net, alice, new Uint8Array([1, 2, 3])), /empty or 74 bytes/);
    await refused(fetchRaw(net, alice, new Uint8Array(10)), /fetch: request must be/);
    await refused(fetchRaw(net, alice, crypto.getRandomValues(new Uint8Array(FETCH_REQUEST_LENGTH))), /fetch:/);
    const oversize = new Uint8Array(FETCH_REQUEST_LENGTH + 1);
    await assert.rejects(fetchRaw(net, alice, oversize), RpcError);

    const s = net.gateway.stats();
    assert.equal(s.register.drops.malformed, 1);
    assert.equal(s.fetch.drops.malformed, 2);
    await until(() => net.gateway.stats().rpc.fetch!.drops.oversize === 1, 'oversize counted');
    // Still serving.
    assert.equal((await fetch(net, alice)).entries.length, 0);
  });

  it('deposits a SURB reply still encrypted; the client decrypts it with its SURB keys after fetching', async () => {
    const net = await setup();
    const alice = await net.client();
    await register(net, alice);
    const surbId = crypto.getRandomValues(new Uint8Array(16));
    const { surb, surbKeys } = newSURB(geometry, [
      { id: net.mixId, publicKey: net.mixKey.publicKey, commands: [delay(0)] },
      { id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(alice.mailboxId), surbReply(surbId)] },
    ]);
    const { packet, firstHop } = newPacketFromSURB(geometry, surb, payloadOf(0x5b));
    assert.deepEqual(firstHop, net.mixId);
    fromMix(net, forwardedPacket(unwrap(geometry, net.mixKey, packet)));
    await until(() => net.gateway.stats().exit.surbReplies === 1, 'a SURB reply deposited');
    const { entries } = await fetch(net, alice);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].kind, 'surb-reply');
    assert.deepEqual(entries[0].surbId, surbId);
    assert.equal(entries[0].digest?.length, 32);
    assert.ok(surbReplyDigestMatches(entries[0].digest!, surbReplyPayloadFor(geometry, surbKeys, payloadOf(0x5b))));
  });

  it('sends the SURB-ACK of a stored packet to the SURB’s first hop; it comes back to the sender’s mailbox as a SURB reply', async () => {
    const net = await setup();
    const alice = await net.client();
    const bob = await net.client();
    await register(net, alice);
    await register(net, bob);
    const surbId = crypto.getRandomValues(new Uint8Array(16));
    const { surb, surbKeys } = newSURB(geometry, [
      { id: net.mixId, publicKey: net.mixKey.publicKey, commands: [delay(0)] },
      { id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(alice.mailboxId), surbReply(surbId)] },
    ]);
    fromMix(net, exitPacket(net, bob.mailboxId, 0xb0, surb));
    await until(() => net.atMix.length === 1, 'the ACK at the mix');
    assert.deepEqual(net.forwarded, [toHex(net.mixId)]);
    const s = net.gateway.stats();
    assert.equal(s.exit.acksSent, 1);
    assert.equal(s.exit.deposits, 1);
    const [message] = (await fetch(net, bob)).entries;
    assert.deepEqual([message.kind, message.body], ['message', userOf(0xb0)]);

    // The mix forwards the ACK to the gateway, which deposits it for alice.
    fromMix(net, forwardedPacket(unwrap(geometry, net.mixKey, net.atMix[0])));
    await until(() => net.gateway.stats().exit.surbReplies === 1, 'the ACK deposited');
    assert.equal(net.gateway.stats().exit.acksSent, 1, 'a SURB reply is not acknowledged');
    const [ack] = (await fetch(net, alice)).entries;
    assert.equal(ack.kind, 'surb-reply');
    assert.deepEqual(ack.surbId, surbId);
    assert.ok(surbReplyDigestMatches(ack.digest!, surbAckPayload(geometry, surbKeys)));
  });

  it('discards drop cover without storing or refusing it, and counts malformed client payloads', async () => {
    const net = await setup();
    const alice = await net.client();
    await register(net, alice);
    fromMix(net, exitPacket(net, DROP_RECIPIENT, 0xc0));
    const bad = clientPayloadOf(0xc1);
    bad[0] = 0x04;
    fromMix(net, newPacket(geometry, [{ id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(alice.mailboxId)] }], bad));
    await until(() => net.gateway.stats().exit.coverDropped === 1 && net.gateway.stats().exit.drops['malformed-payload'] === 1, 'cover and malformed counted');
    assert.equal(net.gateway.stats().mix.drops['final-hop-refused'], 1, 'only the malformed packet is refused');
    assert.equal(net.mailboxes.stats().messages, 0);
  });

  it('counts deposits the mailbox store refuses, by reason, and acknowledges only what it stored', async () => {
    const net = await setup({ maxMessagesPerMailbox: 1 });
    const alice = await net.client();
    await register(net, alice);
    const ack = () =>
      newSURB(geometry, [
        { id: net.mixId, publicKey: net.mixKey.publicKey, commands: [delay(0)] },
        { id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(alice.mailboxId), surbReply(new Uint8Array(16))] },
      ]).surb;
    fromMix(net, exitPacket(net, alice.mailboxId, 1, ack()));
    fromMix(net, exitPacket(net, alice.mailboxId, 2, ack()));
    await until(() => net.gateway.stats().exit.deposits + net.gateway.stats().exit.drops['over-quota-messages'] === 2, 'both handled');
    assert.equal(net.gateway.stats().exit.deposits, 1);
    assert.equal(net.gateway.stats().exit.drops['over-quota-messages'], 1);
    assert.equal(net.gateway.stats().exit.acksSent, 1);
    assert.deepEqual(net.forwarded, [toHex(net.mixId)]);
  });

  it('serves handle claims over /chaff/client/handle/1 (a stranger is not registered, a second claimant is told taken) and releases a name with its expired registration', async () => {
    const net = await setup({}, undefined, { registration: { proofBits: 0, idleExpiryMs: 1000 } });
    const bob = await net.client();
    const mallory = await net.client();
    const gateway = nodeIdOfGateway(net);
    const bobOwner = handleOwner('bob', gateway, bob.signer);
    const malloryOwner = handleOwner('mallory', gateway, mallory.signer);
    assert.deepEqual(await claimHandle(net, bob, { op: 'claim', record: handleRecordOf(bobOwner, 'bob') }), { status: 'not-registered', name: '' });
    await register(net, bob);
    await register(net, mallory);
    assert.deepEqual(await claimHandle(net, bob, { op: 'claim', record: handleRecordOf(bobOwner, 'bob') }), { status: 'ok', name: 'bob' });
    assert.deepEqual(await claimHandle(net, mallory, { op: 'claim', record: handleRecordOf(malloryOwner, 'bob') }), { status: 'taken', name: '' });
    // Bob's record, replayed by mallory over her own link: not hers.
    assert.deepEqual(await claimHandle(net, mallory, { op: 'claim', record: handleRecordOf(bobOwner, 'bob') }), { status: 'invalid', name: '' });
    await refused(callRpc(mallory.host, net.gwHost.peerId, addrsOf(net.gwHost), CLIENT_HANDLE_PROTOCOL, Uint8Array.of(1, 7), { maxResponseBytes: 64 }), /unknown claim op/);
    assert.deepEqual(net.handles.lookup('bob'), encodeHandleRecord(handleRecordOf(bobOwner, 'bob')));
    let s = net.gateway.stats();
    assert.deepEqual(s.handles?.outcomes, { ok: 1, released: 0, taken: 1, invalid: 1, 'not-registered': 1, malformed: 1, 'rate-limited': 0, 'store-error': 0 });
    assert.equal(s.handles?.held, 1);
    assert.equal(s.rpc.handle?.served, 4);
    assert.equal(s.rpc.handle?.drops.refused, 1);

    // Bob stays idle past the expiry: the maintenance pass releases his name with his registration.
    net.clock.advance(2000);
    await net.gateway.maintain();
    s = net.gateway.stats();
    assert.equal(s.evicted.registrations, 2);
    assert.equal(s.evicted.handles, 1);
    assert.equal(net.handles.lookup('bob'), null);
  });

  it('rate-limits a client alternating handle names (refused, counted, logged once without a key) until its bucket refills on the clock, and drops the bucket once idle', async () => {
    const log = memoryLogger();
    const net = await setup({}, undefined, { handleClaimsPerClientPerHour: 2 }, memoryTransport(), log);
    const bob = await net.client();
    const bobOwner = handleOwner('bob', nodeIdOfGateway(net), bob.signer);
    await register(net, bob);
    assert.deepEqual(await claimHandle(net, bob, { op: 'claim', record: handleRecordOf(bobOwner, 'bob') }), { status: 'ok', name: 'bob' });
    assert.deepEqual(await claimHandle(net, bob, { op: 'claim', record: handleRecordOf(bobOwner, 'bobby') }), { status: 'ok', name: 'bobby' });
    // The burst is spent: every further claim or release is refused over the RPC, and nothing is written.
    for (const request of [{ op: 'claim', record: handleRecordOf(bobOwner, 'bob') }, { op: 'release' }, { op: 'claim', record: handleRecordOf(bobOwner, 'bob') }] as const) {
      await refused(claimHandle(net, bob, request), /too many handle claims and releases from this client \(at most 2 an hour\)/);
    }
    assert.equal(net.handles.nameOf(bob.signer.publicKey), 'bobby');
    let s = net.gateway.stats();
    assert.equal(s.handles?.outcomes['rate-limited'], 3);
    assert.equal(s.handles?.outcomes.ok, 2);
    assert.equal(s.rpc.handle?.served, 2);
    assert.equal(s.rpc.handle?.drops.refused, 3);
    assert.equal(s.held.claimBuckets, 1);
    const limited = log.records.filter((r) => /rate-limited/.test(r.msg));
    assert.equal(limited.length, 1, 'logged once per client per window, not once per request');
    assert.deepEqual(limited[0].fields, { perHour: 2 });
    const keyHex = toHex(bob.signer.publicKey);
    const mailboxHex = toHex(bob.mailboxId);
    assert.ok(!JSON.stringify(log.records).includes(keyHex) && !JSON.stringify(log.records).includes(mailboxHex), 'no key or mailbox id in the log');

    // Half an hour later one token is back (2 an hour): one claim goes through, the next is refused again.
    net.clock.advance(30 * 60_000 + 1000);
    assert.deepEqual(await claimHandle(net, bob, { op: 'claim', record: handleRecordOf(bobOwner, 'bob') }), { status: 'ok', name: 'bob' });
    await refused(claimHandle(net, bob, { op: 'claim', record: handleRecordOf(bobOwner, 'bobby') }), /too many handle claims/);
    assert.equal(log.records.filter((r) => /rate-limited/.test(r.msg)).length, 1, 'still the same window');
    await net.gateway.maintain();
    assert.equal(net.gateway.stats().held.claimBuckets, 1, 'a partly spent bucket is kept');

    // Idle for two hours: the bucket is full again and dropped; the next claim starts a fresh one.
    net.clock.advance(2 * 3_600_000);
    await net.gateway.maintain();
    s = net.gateway.stats();
    assert.equal(s.held.claimBuckets, 0);
    assert.equal(s.evicted.claimBuckets, 1);
    assert.deepEqual(await claimHandle(net, bob, { op: 'release' }), { status: 'ok', name: '' });
  });

  it('answers a lookup crossing the mix through its SURB; the asker reads the answer’s body with /chaff/client/reply-body/1', async () => {
    const net = await setup();
    const alice = await net.client();
    const bob = await net.client();
    await register(net, alice);
    await register(net, bob);
    const gateway = nodeIdOfGateway(net);
    const bobRecord = handleRecordOf(handleOwner('bob', gateway, bob.signer), 'bob');
    assert.equal((await claimHandle(net, bob, { op: 'claim', record: bobRecord })).status, 'ok');

    // Alice's lookup: to the name service, with a SURB back to her mailbox, in from the mix like any packet.
    const surbId = crypto.getRandomValues(new Uint8Array(16));
    const { surb, surbKeys } = newSURB(geometry, [
      { id: net.mixId, publicKey: net.mixKey.publicKey, commands: [delay(0)] },
      { id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(alice.mailboxId), surbReply(surbId)] },
    ]);
    const request = encodeClientPayload(geometry, { surb, userPayload: encodeLookupRequest('bob', geometry.userForwardPayloadLength) });
    fromMix(net, newPacket(geometry, [{ id: net.gwId, publicKey: net.gwKey.publicKey, commands: [recipient(NAME_SERVICE_RECIPIENT)] }], request));
    await until(() => net.atMix.length === 1, 'the answer at the mix');
    assert.deepEqual(net.forwarded, [toHex(net.mixId)]);
    assert.equal(net.mailboxes.stats().messages, 0, 'the lookup stored nothing');

    // The mix sends the answer on; it lands in alice's mailbox as a SURB reply.
    fromMix(net, forwardedPacket(unwrap(geometry, net.mixKey, net.atMix[0])));
    await until(() => net.gateway.stats().exit.surbReplies === 1, 'the answer deposited');
    const [entry] = (await fetch(net, alice)).entries;
    assert.equal(entry.kind, 'surb-reply');
    assert.deepEqual(entry.surbId, surbId);

    const body = await replyBody(net, alice, entry.id!);
    assert.ok(body.found);
    assert.ok(surbReplyDigestMatches(entry.digest!, body.body), 'the body is the one the fetch digested');
    const answer = decodeLookupAnswer(decryptSURBPayload(geometry, body.body, surbKeys));
    assert.ok(answer.status === 'found');
    assert.deepEqual(encodeHandleRecord(answer.record), encodeHandleRecord(bobRecord));
    verifyHandleRecord(answer.record, { name: 'bob', gateway });
    assert.deepEqual(await replyBody(net, bob, entry.id!), { found: false }, 'not bob’s entry');

    const s = net.gateway.stats();
    assert.deepEqual(s.exit.lookups, { lookups: 1, found: 1, notFound: 0, badRequest: 0, answersSent: 1 });
    assert.equal(s.exit.drops['unknown-recipient'], 0);
    assert.equal(s.exit.acksSent, 0);
    assert.deepEqual([s.replyBody.found, s.replyBody.notFound], [1, 1]);
    assert.equal(s.rpc.replyBody?.served, 2);
  });

  it('refuses a geometry without room for client payloads', async () => {
    const net = await setup();
    const noSurb = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 3, userForwardPayloadLength: 200, withSURB: false });
    const deps = {
      host: net.gwHost,
      geometry: noSurb,
      clock: net.clock,
      logger: silentLogger,
      keys: () => [],
      checkReplay: async () => true,
      maxDelayMs: () => 0,
      forward: () => 'unknown' as const,
      mailboxes: net.mailboxes,
      registry: net.registry,
    };
    assert.throws(() => new GatewayService(deps, { clientRate: 1, rateHeadroom: 1, fetchBatch: 1, inputQueue: 1, delayQueue: 1 }), /withSURB/);
  });

  it('smoke test over real TCP (libp2p Noise and yamux on loopback): registers, deposits, serves and deletes on ack', async () => {
    await registersDepositsServesAndDeletes(await setup({}, undefined, {}, tcpTransport));
  });
});

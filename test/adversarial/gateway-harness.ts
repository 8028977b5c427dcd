// A real gateway for the gateway attacks (issue 9 §2): GatewayService on a
// libp2p host on 127.0.0.1 with real LevelDB stores and an invite folder in
// a temp folder, a real mix host whose packet link delivers exit packets to
// it, and real clients (libp2p hosts speaking through GatewayLink). Time is
// a ManualClock, so idle periods and rate budgets pass when the test says.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { GatewayLink } from '../../client/net/gateway-link.js';
import { ClientRegistry } from '../../node/gateway/client-registry.js';
import { GatewayService, type GatewayComponents, type GatewayLimits } from '../../node/gateway/gateway-service.js';
import { InviteStore } from '../../node/gateway/invite-store.js';
import { PacketLink } from '../../node/net/packet-link.js';
import { silentLogger } from '../../runtime/log/logger.js';
import { MailboxStore, type MailboxStoreOptions } from '../../node/store/mailbox-store.js';
import { ReplayCache } from '../../node/store/replay-cache.js';
import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import { nodeIdOf } from '../../protocol/pki/node-id.js';
import { delay, geometryFromUserForwardPayloadLength, newPacket, recipient, surbReply } from '../../protocol/sphinx/index.js';
import { encodeClientPayload } from '../../protocol/wire/client-payload.js';
import { fetchEntryBodyLength } from '../../protocol/wire/fetch.js';
import { createHost, type Host } from '../../runtime/net/host.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait.js';

export const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 3, userForwardPayloadLength: 200, withSURB: true });
export const BODY = fetchEntryBodyLength(geometry);
export const T0 = 1_700_000_000_000;

export interface TestClient {
  readonly host: Host;
  readonly key: Ed25519PrivateKey;
  readonly link: GatewayLink;
}

export interface GatewayUnderTest {
  readonly clock: ManualClock;
  readonly gateway: GatewayService;
  readonly mailboxes: MailboxStore;
  readonly registry: ClientRegistry;
  readonly invites: InviteStore;
  /** The gateway as a document would list it (what GatewayLink dials). */
  readonly entry: NodeEntry;
  /** A fresh identity: a new libp2p host and key, linked to the gateway (not registered). */
  newClient(): Promise<TestClient>;
  /** A packet whose last hop is the gateway, to `to`, carrying user payload `marker`; sent in from the mix over /chaff/packet/1. */
  deliver(to: Uint8Array, marker: number): void;
  /** A SURB reply (recipient + SURB-reply commands, as an ACK arrives) to `to`, sent in from the mix. */
  deliverSurbReply(to: Uint8Array, surbId: Uint8Array): void;
  /** A client entry packet: the gateway then the mix, no delay (for the send stream). */
  entryPacket(marker: number): Uint8Array;
  stop(): Promise<void>;
}

export const until = (cond: () => boolean, what: string, ms = 10_000): Promise<boolean> => waitFor(what, cond, { timeoutMs: ms, intervalMs: 5 });

export async function startGateway(options: { limits?: Partial<GatewayLimits>; mailbox?: MailboxStoreOptions } = {}): Promise<GatewayUnderTest> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const dir = await mkdtemp(join(tmpdir(), 'chaff-adversarial-gateway-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const clock = new ManualClock(T0);
  const mailboxes = await MailboxStore.open(join(dir, 'mailbox'), options.mailbox ?? {});
  cleanups.push(() => mailboxes.close());
  const registry = await ClientRegistry.open(join(dir, 'clients'), { nowMs: T0 });
  cleanups.push(() => registry.close());
  const replay = await ReplayCache.open(join(dir, 'replay'));
  cleanups.push(() => replay.close());
  const invites = new InviteStore(join(dir, 'invites'));

  const gwKey = await generateKeyPair('Ed25519');
  const host = await createHost({ privateKey: gwKey, listen: ['/ip4/127.0.0.1/tcp/0'] });
  cleanups.push(() => host.stop());
  const mixHost = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  cleanups.push(() => mixHost.stop());
  const sphinxKey = X25519PrivateKey.generate();
  const gwId = nodeIdOf(gwKey.publicKey.raw);
  const mixId = crypto.getRandomValues(new Uint8Array(32));
  const mixKey = X25519PrivateKey.generate();
  const mixLink = new PacketLink({ host: mixHost, logger: silentLogger }, { packetLength: geometry.packetLength, onFrame: () => undefined });
  await mixLink.start();
  cleanups.push(() => mixLink.stop());

  // eslint-disable-next-line prefer-const -- assigned below, after the link whose onFrame reads it
  let gateway!: GatewayService;
  const gwLink = new PacketLink({ host, logger: silentLogger }, { packetLength: geometry.packetLength, onFrame: (f) => gateway.acceptPacket(f) });
  // Built as a variable: GatewayComponents may gain fields other work adds.
  const deps = {
    host,
    geometry,
    clock,
    logger: silentLogger,
    keys: () => [{ epoch: 1, key: sphinxKey }],
    checkReplay: (epoch: number, tag: Uint8Array) => replay.checkAndInsert(epoch, tag),
    maxDelayMs: () => 60_000,
    // Everything the gateway forwards (entry packets, SURB-ACKs) goes to the one mix.
    forward: (_nodeId: Uint8Array, packet: Uint8Array) => (gwLink.send(mixHost.peerId, mixHost.getMultiaddrs(), packet) ? ('sent' as const) : ('queue-full' as const)),
    mailboxes,
    registry,
    invites,
  } satisfies Partial<GatewayComponents>;
  gateway = new GatewayService(deps as GatewayComponents, { clientRate: 1, rateHeadroom: 2, fetchBatch: 8, inputQueue: 10_000, delayQueue: 10_000, ...options.limits });
  await gwLink.start();
  await gateway.start();
  cleanups.push(() => gwLink.stop());
  cleanups.push(() => gateway.stop());

  const entry: NodeEntry = {
    identityKey: gwKey.publicKey.raw,
    nodeId: gwId,
    name: 'gateway-under-attack',
    addresses: host.getMultiaddrs().map((m) => m.toString().replace(/\/p2p\/.*$/, '')),
    sphinxKeys: { current: sphinxKey.publicKey, next: sphinxKey.publicKey },
  };

  return {
    clock,
    gateway,
    mailboxes,
    registry,
    invites,
    entry,
    async newClient() {
      const key = (await generateKeyPair('Ed25519')) as Ed25519PrivateKey;
      const clientHost = await GatewayLink.createHost(key);
      const link = GatewayLink.over(clientHost, key, entry);
      cleanups.push(() => link.stop());
      return { host: clientHost, key, link };
    },
    deliver(to, marker) {
      const payload = encodeClientPayload(geometry, { surb: null, userPayload: new Uint8Array(geometry.userForwardPayloadLength).fill(marker) });
      const packet = newPacket(geometry, [{ id: gwId, publicKey: sphinxKey.publicKey, commands: [recipient(to)] }], payload);
      if (!mixLink.send(host.peerId, host.getMultiaddrs(), packet)) throw new Error('the mix link refused a packet');
    },
    deliverSurbReply(to, surbId) {
      const packet = newPacket(geometry, [{ id: gwId, publicKey: sphinxKey.publicKey, commands: [recipient(to), surbReply(surbId)] }], new Uint8Array(geometry.forwardPayloadLength));
      if (!mixLink.send(host.peerId, host.getMultiaddrs(), packet)) throw new Error('the mix link refused a packet');
    },
    entryPacket(marker) {
      return newPacket(
        geometry,
        [
          { id: gwId, publicKey: sphinxKey.publicKey, commands: [delay(0)] },
          { id: mixId, publicKey: mixKey.publicKey, commands: [recipient(new Uint8Array(32).fill(1))] },
        ],
        new Uint8Array(geometry.forwardPayloadLength).fill(marker),
      );
    },
    async stop() {
      for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
    },
  };
}

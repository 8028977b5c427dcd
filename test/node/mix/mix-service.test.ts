// Three mixes (one per layer) and a gateway with real LevelDB replay caches:
// packets cross them in order, replays are dropped, mix loops come back.
//
// The logic runs on in-memory hosts (test/helpers/memory-host.ts) and a
// ManualClock; one smoke test at the end sends a packet across the three
// layers over real TCP (libp2p's Noise and yamux) on the wall clock, with
// the layer-2 mix unwrapping on a worker thread, so the wiring to a real host
// and to the unwrap pool stays covered.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { systemClock } from '../../../runtime/clock.js';
import { MixService } from '../../../node/mix/mix-service.js';
import { createHost, type Host } from '../../../runtime/net/host.js';
import { createLogger } from '../../../runtime/log/logger.js';
import { ReplayCache } from '../../../node/store/replay-cache.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import type { Document, NodeEntry } from '../../../protocol/pki/document.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { Topology } from '../../../protocol/pki/routes.js';
import { delay, geometryFromUserForwardPayloadLength, newPacket, recipient, type RoutingCommand } from '../../../protocol/sphinx/index.js';
import type { Clock } from '../../../protocol/traffic/clock.js';
import { PARAMS } from '../../helpers/pki-fixtures.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemoryNetwork, type MemoryHost } from '../../helpers/memory-host.js';
import { sleep } from '../../helpers/wait.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 512, withSURB: false });
const log = createLogger('error', 'test');

type TestHost = MemoryHost | Host;

interface Node {
  host: TestHost;
  key: X25519PrivateKey;
  entry: NodeEntry;
  replay: ReplayCache;
  service?: MixService;
  finals: RoutingCommand[][];
}

interface Net {
  nodes: Node[];
  clock: Clock;
  /** λM of the document, read by every mix when it schedules its next loop. */
  lambdaM: number;
  /** Resolves once `cond` holds: on the ManualClock, moving time on in 10 ms steps with the I/O between them; on the wall clock, polling. */
  until(cond: () => boolean, ms?: number): Promise<void>;
  /** How long to let things settle (virtual or real ms). */
  pass(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Lets in-memory streams and LevelDB callbacks run (they use microtasks, immediates and the libuv pool). */
const ioTurn = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

async function network(transport: 'memory' | 'tcp'): Promise<Net> {
  const memory = new MemoryNetwork();
  const manual = transport === 'memory' ? new ManualClock(PARAMS.genesisMs) : null;
  const clock: Clock = manual ?? systemClock;
  const nodes: Node[] = [];
  for (let i = 0; i < 4; i++) {
    const privateKey = await generateKeyPair('Ed25519');
    const host: TestHost = transport === 'memory' ? await memory.host(privateKey) : await createHost({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] });
    const key = X25519PrivateKey.generate();
    const identityKey = host.peerId.publicKey!.raw;
    nodes.push({
      host,
      key,
      replay: await ReplayCache.open(mkdtempSync(join(tmpdir(), 'chaff-replay-'))),
      finals: [],
      entry: {
        identityKey,
        nodeId: nodeIdOf(identityKey),
        name: i === 3 ? 'gateway' : `mix-${i + 1}`,
        // A memory host is found by its peer id alone.
        addresses: 'getMultiaddrs' in host ? host.getMultiaddrs().map(String) : [],
        sphinxKeys: { current: key.publicKey, next: key.publicKey },
      },
    });
  }
  const doc: Document = { version: 1, epoch: 0, params: { ...PARAMS, layers: 3 }, gateways: [nodes[3].entry], layers: [[nodes[0].entry], [nodes[1].entry], [nodes[2].entry]] };
  const topology = new Topology(doc);
  const net: Net = {
    nodes,
    clock,
    lambdaM: 0,
    async until(cond, ms = 10_000) {
      const end = clock.now() + ms;
      const wallEnd = Date.now() + 20_000; // a guard against a stall: virtual time moves only here
      while (!cond()) {
        if (clock.now() > end || Date.now() > wallEnd) throw new Error('timed out');
        if (manual) {
          // A real millisecond for every 10 virtual ones: each hop's replay
          // check is a LevelDB write on libuv's thread pool, in real time. On
          // a loaded machine (CI runs two lanes) it can outlast many turns of
          // the loop, and spinning on setImmediate spent the whole virtual
          // budget while a packet waited for its disk (a CI failure, stop 19).
          await sleep(1);
          if (!cond()) manual.advance(10);
        } else await sleep(20);
      }
    },
    async pass(ms) {
      if (!manual) return sleep(ms);
      for (let t = 0; t < ms; t += 10) {
        await ioTurn();
        manual.advance(10);
      }
      await ioTurn();
    },
    async stop() {
      for (const n of nodes) {
        await n.service?.stop();
        await n.host.stop();
        await n.replay.close();
      }
    },
  };
  for (const n of nodes) {
    n.service = new MixService(
      {
        host: n.host,
        clock,
        logger: log,
        keys: () => [{ epoch: 0, key: n.key }],
        checkReplay: (epoch, tag) => n.replay.checkAndInsert(epoch, tag),
        topology: { current: () => topology, all: () => [topology] },
      },
      {
        geometry,
        nodeId: n.entry.nodeId,
        traffic: () => ({ mu: 50, lambdaM: net.lambdaM }),
        limits: { inputQueue: 1000, delayQueue: 1000, linkQueue: 1000 },
        onFinalHop: async (hop) => (n.finals.push(hop.commands), true),
        // Over TCP the layer-2 mix unwraps on a worker thread (node/mix/unwrap-pool.ts); the others in the event loop.
        workers: transport === 'tcp' && n.entry.name === 'mix-2' ? 1 : 0,
      },
    );
    await n.service.start();
  }
  return net;
}

const packetVia = (nodes: Node[], delayMs: number) =>
  newPacket(
    geometry,
    nodes.map((n, i) => ({ id: n.entry.nodeId, publicKey: n.key.publicKey, commands: i === 3 ? [recipient(new Uint8Array(32).fill(7))] : [delay(delayMs)] })),
    new Uint8Array(geometry.forwardPayloadLength),
  );

// The gateway (a peer in the topology) hands packets to layer 1, as an entry gateway does.
const injectInto = (nodes: Node[], p: Uint8Array) => nodes[3].service!.link.send(nodes[0].host.peerId, nodes[0].entry.addresses, p);

/** A packet crosses layer 1, 2 and 3 to the gateway, each hop holding it for its delay. */
async function crossesThreeLayers(net: Net): Promise<void> {
  const { nodes, clock } = net;
  const start = clock.now();
  const p = packetVia(nodes, 100);
  assert.equal(injectInto(nodes, p), true);
  await net.until(() => nodes[3].finals.length === 1);
  assert.ok(clock.now() - start >= 300, 'three hops of 100 ms each');
  assert.deepEqual(nodes[3].finals[0], [recipient(new Uint8Array(32).fill(7))]);
  assert.deepEqual(
    nodes.slice(0, 3).map((n) => n.service!.processor.forwarded),
    [1, 1, 1],
  );
}

describe('mix service (in-memory hosts, ManualClock, real LevelDB)', function () {
  this.timeout(30_000);
  let net: Net;

  before(async function () {
    net = await network('memory');
  });

  after(async function () {
    await net.stop();
  });

  it('a packet crosses layer 1, 2 and 3 to the gateway, each hop holding it for its delay', async function () {
    await crossesThreeLayers(net);
  });

  it('a replayed packet is dropped at the first mix and counted', async function () {
    const { nodes } = net;
    const p = packetVia(nodes, 0);
    injectInto(nodes, p);
    injectInto(nodes, p);
    await net.until(() => nodes[3].finals.length === 2 && (nodes[0].service!.processor.dropCounts().replay ?? 0) === 1);
    await net.pass(200);
    assert.equal(nodes[3].finals.length, 2, 'only one copy arrived');
  });

  it('mix loops go round the strata and come back to each mix', async function () {
    const { nodes } = net;
    net.lambdaM = 20;
    await net.until(() => nodes.slice(0, 3).every((n) => n.service!.loopsReturned >= 3), 15_000);
    net.lambdaM = 0;
    for (const n of nodes.slice(0, 3)) assert.ok(n.service!.loopsSent >= n.service!.loopsReturned);
    assert.equal(nodes[3].finals.length, 2, 'loops are not delivered to the gateway');
  });
});

describe('mix service on libp2p over TCP (smoke test, an unwrap worker)', function () {
  this.timeout(30_000);

  it('a packet crosses layer 1, 2 and 3 to the gateway, each hop holding it for its delay', async function () {
    const net = await network('tcp');
    try {
      await crossesThreeLayers(net);
      assert.equal(net.nodes[1].service!.unwrapPool?.workers, 1);
    } finally {
      await net.stop();
    }
  });
});

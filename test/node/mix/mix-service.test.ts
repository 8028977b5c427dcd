// Three mixes (one per layer) and a gateway on real libp2p hosts on 127.0.0.1
// with real LevelDB replay caches: packets cross them in order, replays are
// dropped, mix loops come back.

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
import { PARAMS } from '../../helpers/pki-fixtures.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 512, withSURB: false });
const log = createLogger('error', 'test');

interface Node {
  host: Host;
  key: X25519PrivateKey;
  entry: NodeEntry;
  replay: ReplayCache;
  service?: MixService;
  finals: RoutingCommand[][];
}

describe('mix service on libp2p', function () {
  this.timeout(30_000);
  const nodes: Node[] = [];
  let topology: Topology;
  let lambdaM = 0;

  before(async function () {
    for (let i = 0; i < 4; i++) {
      const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
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
          addresses: host.getMultiaddrs().map(String),
          sphinxKeys: { current: key.publicKey, next: key.publicKey },
        },
      });
    }
    const doc: Document = { version: 1, epoch: 0, params: { ...PARAMS, layers: 3 }, gateways: [nodes[3].entry], layers: [[nodes[0].entry], [nodes[1].entry], [nodes[2].entry]] };
    topology = new Topology(doc);
    for (const n of nodes) {
      n.service = new MixService(
        {
          host: n.host,
          clock: systemClock,
          logger: log,
          keys: () => [{ epoch: 0, key: n.key }],
          checkReplay: (epoch, tag) => n.replay.checkAndInsert(epoch, tag),
          topology: { current: () => topology, all: () => [topology] },
        },
        {
          geometry,
          nodeId: n.entry.nodeId,
          traffic: () => ({ mu: 50, lambdaM }),
          limits: { inputQueue: 1000, delayQueue: 1000, linkQueue: 1000 },
          onFinalHop: async (commands) => (n.finals.push(commands), true),
        },
      );
      await n.service.start();
    }
  });

  after(async function () {
    for (const n of nodes) {
      await n.service?.stop();
      await n.host.stop();
      await n.replay.close();
    }
  });

  const packet = (delayMs: number) =>
    newPacket(
      geometry,
      nodes.map((n, i) => ({ id: n.entry.nodeId, publicKey: n.key.publicKey, commands: i === 3 ? [recipient(new Uint8Array(32).fill(7))] : [delay(delayMs)] })),
      new Uint8Array(geometry.forwardPayloadLength),
    );

  // The gateway (a peer in the topology) hands packets to layer 1, as an entry gateway does.
  const inject = (p: Uint8Array) => nodes[3].service!.link.send(nodes[0].host.peerId, nodes[0].entry.addresses, p);

  const waitFor = async (cond: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('a packet crosses layer 1, 2 and 3 to the gateway, each hop holding it for its delay', async function () {
    const start = Date.now();
    const p = packet(100);
    assert.equal(inject(p), true);
    await waitFor(() => nodes[3].finals.length === 1);
    assert.ok(Date.now() - start >= 300, 'three hops of 100 ms each');
    assert.deepEqual(nodes[3].finals[0], [recipient(new Uint8Array(32).fill(7))]);
    assert.deepEqual(
      nodes.slice(0, 3).map((n) => n.service!.processor.forwarded),
      [1, 1, 1],
    );
  });

  it('a replayed packet is dropped at the first mix and counted', async function () {
    const p = packet(0);
    inject(p);
    inject(p);
    await waitFor(() => nodes[3].finals.length === 2 && (nodes[0].service!.processor.dropCounts().replay ?? 0) === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(nodes[3].finals.length, 2, 'only one copy arrived');
  });

  it('mix loops go round the strata and come back to each mix', async function () {
    lambdaM = 20;
    await waitFor(() => nodes.slice(0, 3).every((n) => n.service!.loopsReturned >= 3), 15_000);
    lambdaM = 0;
    for (const n of nodes.slice(0, 3)) assert.ok(n.service!.loopsSent >= n.service!.loopsReturned);
    assert.equal(nodes[3].finals.length, 2, 'loops are not delivered to the gateway');
  });
});

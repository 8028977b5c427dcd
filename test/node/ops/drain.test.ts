// Drain mode (node/ops/drain.ts, docs/operators.md §Draining): a draining mix
// refuses new packets, still delivers the packet it holds in its delay queue
// at its drawn time, and then the whole node stops. On real libp2p hosts on
// 127.0.0.1: a layer-1 mix and a gateway, as in test/node/mix/mix-service.test.ts.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { configFromObject } from '../../../node/config.js';
import { runNode } from '../../../node/daemon.js';
import { MixService } from '../../../node/mix/mix-service.js';
import { PACKET_PROTOCOL } from '../../../node/net/packet-link.js';
import { DrainGate, drainHeld } from '../../../node/ops/drain.js';
import { ReplayCache } from '../../../node/store/replay-cache.js';
import { toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import type { Document, NodeEntry } from '../../../protocol/pki/document.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { Topology } from '../../../protocol/pki/routes.js';
import { delay, geometryFromUserForwardPayloadLength, newPacket, recipient, type RoutingCommand } from '../../../protocol/sphinx/index.js';
import { systemClock } from '../../../runtime/clock.js';
import { memoryLogger, silentLogger } from '../../../runtime/log/logger.js';
import { createHost, type Host } from '../../../runtime/net/host.js';
import { loadOrCreateIdentity } from '../../../runtime/net/identity.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { PARAMS } from '../../helpers/pki-fixtures.js';
import { waitFor } from '../../helpers/wait.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 512, withSURB: false });

describe('drain mode', function () {
  this.timeout(30_000);

  describe('drainHeld', () => {
    it('waits until every queue is empty, reading them on its clock', async () => {
      const clock = new ManualClock(0);
      const log = memoryLogger();
      let delayed = 2;
      let done: boolean | null = null;
      void drainHeld({ clock, logger: log, held: () => ({ delay: delayed, outbound: 0 }) }, { deadlineMs: 60_000 }).then((d) => (done = d));
      clock.advance(1000);
      assert.equal(done, null);
      delayed = 0;
      clock.advance(100);
      await Promise.resolve();
      assert.equal(done, true);
      assert.deepEqual(
        log.records.map((r) => r.msg),
        ['draining: new packets refused, delivering what is held', 'drained: everything held was delivered'],
      );
    });

    it('gives up at the deadline and says what is left', async () => {
      const clock = new ManualClock(0);
      const log = memoryLogger();
      let done: boolean | null = null;
      void drainHeld({ clock, logger: log, held: () => ({ delay: 3 }) }, { deadlineMs: 5000 }).then((d) => (done = d));
      clock.advance(4900);
      assert.equal(done, null);
      clock.advance(100);
      await Promise.resolve();
      assert.equal(done, false);
      assert.deepEqual(log.records.at(-1)?.fields, { held: { delay: 3 } });
      assert.equal(log.records.at(-1)?.level, 'warn');
    });
  });

  describe('a draining mix', () => {
    let mixHost: Host;
    let gatewayHost: Host;
    let mix: MixService;
    let gateway: MixService;
    const replays: ReplayCache[] = [];
    const finals: RoutingCommand[][] = [];
    const gate = new DrainGate([PACKET_PROTOCOL]);
    const mixKey = X25519PrivateKey.generate();
    const gatewayKey = X25519PrivateKey.generate();
    let entries: NodeEntry[];

    before(async () => {
      mixHost = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
      gatewayHost = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
      entries = [
        [mixHost, mixKey, 'mix-1'],
        [gatewayHost, gatewayKey, 'gateway'],
      ].map(([host, key, name]) => {
        const identityKey = (host as Host).peerId.publicKey!.raw;
        const publicKey = (key as X25519PrivateKey).publicKey;
        return { identityKey, nodeId: nodeIdOf(identityKey), name: name as string, addresses: (host as Host).getMultiaddrs().map(String), sphinxKeys: { current: publicKey, next: publicKey } };
      });
      const doc: Document = { version: 1, epoch: 0, params: { ...PARAMS, layers: 1 }, gateways: [entries[1]], layers: [[entries[0]]] };
      const topology = new Topology(doc);
      const service = async (host: Host, key: X25519PrivateKey, entry: NodeEntry) => {
        const replay = await ReplayCache.open(await mkdtemp(join(tmpdir(), 'chaff-drain-replay-')));
        replays.push(replay);
        const s = new MixService(
          {
            host,
            clock: systemClock,
            logger: silentLogger,
            keys: () => [{ epoch: 0, key }],
            checkReplay: (epoch, tag) => replay.checkAndInsert(epoch, tag),
            topology: { current: () => topology, all: () => [topology] },
          },
          {
            geometry,
            nodeId: entry.nodeId,
            traffic: () => ({ mu: 50, lambdaM: 0 }),
            limits: { inputQueue: 100, delayQueue: 100, linkQueue: 100 },
            onFinalHop: async (hop) => (finals.push(hop.commands), true),
          },
        );
        await s.start();
        return s;
      };
      // The mix registers its packet handler through the gate, as node/daemon.ts does.
      mix = await service(gate.wrap(mixHost), mixKey, entries[0]);
      gateway = await service(gatewayHost, gatewayKey, entries[1]);
    });

    after(async () => {
      await mix?.stop();
      await gateway?.stop();
      await mixHost?.stop();
      await gatewayHost?.stop();
      for (const r of replays) await r.close();
    });

    const packet = (delayMs: number) =>
      newPacket(
        geometry,
        [
          { id: entries[0].nodeId, publicKey: mixKey.publicKey, commands: [delay(delayMs)] },
          { id: entries[1].nodeId, publicKey: gatewayKey.publicKey, commands: [recipient(new Uint8Array(32).fill(9))] },
        ],
        new Uint8Array(geometry.forwardPayloadLength),
      );

    it('delivers the packet in its delay queue at its time, refuses new ones, and is then empty', async () => {
      assert.equal(gateway.link.send(mixHost.peerId, entries[0].addresses, packet(800)), true);
      await waitFor('the mix holds the packet for its delay', () => mix.processor.delayDepth === 1);
      const heldAt = Date.now();

      gate.close();
      const held = () => ({ unwrap: mix.processor.inputDepth, delay: mix.processor.delayDepth, outbound: mix.link.stats().queueDepth });
      const drained = drainHeld({ clock: systemClock, logger: silentLogger, held }, { deadlineMs: 10_000 });
      // A packet sent now meets a refused stream: it never reaches the mix.
      assert.equal(gateway.link.send(mixHost.peerId, entries[0].addresses, packet(10)), true);
      assert.equal(await drained, true);
      assert.ok(Date.now() - heldAt >= 600, 'the held packet left at its drawn time, not early');
      assert.equal(mix.processor.forwarded, 1);
      assert.deepEqual(mix.processor.dropCounts(), {});
      await waitFor('the gateway receives it', () => finals.length === 1);
      // The gateway's link finds its stream closed, redials, and the new stream is refused.
      await waitFor('a new packet stream refused', () => {
        gateway.link.send(mixHost.peerId, entries[0].addresses, packet(10));
        return (gate.refused[PACKET_PROTOCOL] ?? 0) >= 1;
      });
      assert.equal(mix.processor.received, 1);
    });
  });

  describe('runNode().drain()', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'chaff-drain-node-'))));
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    for (const role of ['mix', 'gateway', 'authority'] as const) {
      it(`${role === 'authority' ? 'an' : 'a'} ${role} with nothing held drains at once and stops everything`, async () => {
        const authority = await loadOrCreateIdentity(join(dir, 'authority'));
        const config = configFromObject(
          {
            node: { name: `${role}-1`, role, data_dir: role, listen: ['/ip4/127.0.0.1/tcp/0'] },
            authorities: [{ name: 'authority-1', identity: toHex(authority.publicKey), addresses: ['/ip4/127.0.0.1/tcp/1'] }],
            metrics: { listen: '127.0.0.1:0' },
          },
          dir,
        );
        const log = memoryLogger();
        const node = await runNode(config, log);
        const draining = node.drain();
        assert.equal(node.drain(), draining, 'one drain');
        assert.equal(await draining, true);
        assert.equal(node.host.status, 'stopped');
        await assert.rejects(fetch(`http://127.0.0.1:${node.metricsPort}/metrics`));
        const msgs = log.records.map((r) => r.msg);
        assert.ok(msgs.includes('drained: everything held was delivered'), msgs.join(', '));
        assert.ok(!msgs.includes('shutdown step failed'));
      });
    }
  });
});

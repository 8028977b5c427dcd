// Relay network proof (real processes on 127.0.0.1): probes built with an
// epoch's Sphinx keys in the last second of that epoch, held a few hundred ms
// at every hop, are inside the mixes when the epoch changes, and all of them
// still arrive, exactly once (the previous epoch's keys stay usable for
// `key_grace`, docs/operators.md §Keys).

import assert from 'node:assert/strict';
import type { Topology } from '../../protocol/pki/routes.js';
import { ProbeClient, type SentProbe } from '../../testnet/probe-client.js';
import { sleep, TestNetwork } from '../helpers/network.js';

const EPOCH_MS = 10_000; // key_grace = 2.5 s
const HOP_DELAY_MS = 400; // entry gateway + 3 layers: 1.6 s of mixing delay per probe
const PER_BOUNDARY = 8; // one every 100 ms in the epoch's last second
const BOUNDARIES = 2;

describe('integration: epoch change', function () {
  this.timeout(90_000);
  let net: TestNetwork | undefined;
  const clients: ProbeClient[] = [];

  after(async function () {
    this.timeout(30_000);
    for (const c of clients) await c.stop().catch(() => undefined);
    await net?.stop();
  });

  it('an epoch change with packets in flight loses none', async function () {
    net = await TestNetwork.start({ shape: { epochDurationMs: EPOCH_MS } });
    let topology: Topology = await net.waitForDocument(50_000);
    const gwA = topology.document.gateways[0];
    const gwB = topology.document.gateways[1];
    const alice = await ProbeClient.create();
    const bob = await ProbeClient.create();
    clients.push(alice, bob);
    await net.waitFor('registration at gateway A', 5000, () => alice.register(gwA, topology).then(() => true));
    await net.waitFor('registration at gateway B', 5000, () => bob.register(gwB, topology).then(() => true));

    const sent: SentProbe[] = [];
    const boundaries: number[] = [];
    let seq = 0;
    for (let b = 0; b < BOUNDARIES; b++) {
      // The document of the epoch whose end we send into (fetched before its last second).
      // (If this epoch's last second is too close, the next epoch's.)
      if (net.epochEnd(net.epochNow()) - Date.now() < 1500) await sleep(net.epochEnd(net.epochNow()) + 100 - Date.now());
      const epoch = net.epochNow();
      if (topology.epoch !== epoch) topology = await net.waitForDocument(EPOCH_MS / 2, epoch);
      const boundary = net.epochEnd(epoch);
      const firstSend = boundary - 950;
      assert.ok(Date.now() < firstSend, `too late for epoch ${epoch}'s last second`);
      await sleep(firstSend - Date.now());
      const gA = topology.node(gwA.nodeId)!;
      const gB = topology.node(gwB.nodeId)!;
      for (let i = 0; i < PER_BOUNDARY; i++) {
        sent.push(await alice.send(topology, gA, gB, bob.mailboxId, seq++, HOP_DELAY_MS));
        await sleep(Math.max(0, firstSend + (i + 1) * 100 - Date.now()));
      }
      boundaries.push(boundary);
      // In flight at the boundary: sent in the old epoch, still held by a hop after it.
      for (const p of sent.slice(-PER_BOUNDARY)) {
        assert.ok(p.sentMs < boundary, `probe ${p.seq} was sent ${p.sentMs - boundary} ms after the boundary`);
        assert.ok(p.sentMs + p.delaysMs.reduce((x, y) => x + y, 0) > boundary + 500, `probe ${p.seq} would be out before the boundary`);
      }
      await sleep(Math.max(0, boundary + 200 - Date.now()));
    }

    // Collect: every probe exactly once.
    const counts = new Map<number, number>();
    let acks: bigint[] = [];
    try {
      await net.waitFor(`all ${sent.length} probes at ${gwB.name}`, 20_000, async () => {
        const batch = await bob.fetch(gwB, topology, acks);
        acks = batch.map((m) => m.id);
        for (const m of batch) if (m.seq !== null) counts.set(m.seq, (counts.get(m.seq) ?? 0) + 1);
        return counts.size === sent.length && acks.length === 0;
      });
    } catch (err) {
      // Say which probes are missing, when they were sent against their boundary, and what every node dropped and why.
      const missing = sent.filter((p) => !counts.has(p.seq)).map((p) => `#${p.seq} via ${p.route.join('→')} sent ${p.sentMs - boundaries[Math.floor(p.seq / PER_BOUNDARY)]} ms from its boundary`);
      const drops: string[] = [];
      for (const n of net.plan.nodes.filter((x) => x.role !== 'authority')) {
        const lines = (await net.metricsText(n.name)).split('\n').filter((l) => l.startsWith('chaff_packets_dropped_total{'));
        if (lines.length) drops.push(`${n.name}: ${lines.map((l) => l.replace('chaff_packets_dropped_total', '')).join(', ')}`);
      }
      throw new Error(`${(err as Error).message}; missing: ${missing.join('; ')}; drops: ${drops.join('; ') || 'none'}`, { cause: err });
    }
    assert.deepEqual(
      [...counts.keys()].sort((a, b) => a - b),
      sent.map((p) => p.seq),
    );
    for (const [s, n] of counts) assert.equal(n, 1, `probe ${s} came back ${n} times`);

    // Nothing was refused for a key or a topology the nodes no longer held.
    for (const n of net.plan.nodes.filter((x) => x.role !== 'authority')) {
      for (const reason of ['mac-failure', 'replay', 'unknown-next-hop', 'final-hop-refused']) {
        assert.equal((await net.metric(n.name, 'chaff_packets_dropped_total', reason)) ?? 0, 0, `${n.name}: ${reason}`);
      }
    }
    net.checkAlive();
  });
});

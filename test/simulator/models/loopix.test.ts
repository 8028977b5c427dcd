import assert from 'node:assert/strict';
import { simConfigFromObject, type DirectConfig, type LoopixConfig } from '../../../simulator/config.js';
import { SocialGraph } from '../../../simulator/graphs/social-graph.js';
import { truthMatrix } from '../../../simulator/metrics/recovery.js';
import { AttackSuite } from '../../../simulator/models/attack-suite.js';
import { linkageAuc } from '../../../simulator/models/linkage-auc.js';
import { drainMs, packetLength, pullBytes, runLoopix } from '../../../simulator/models/loopix.js';
import { MixnetTopology } from '../../../simulator/models/mixnet-topology.js';
import { denseDistribution, messageAnonymity, PosteriorTracker, sparseDistribution, type Posterior } from '../../../simulator/models/packet-posterior.js';
import { seededStream } from '../../../simulator/models/streams.js';
import type { ContinuousRun } from '../../../simulator/models/continuous-run.js';
import { runSimulation } from '../../../simulator/run.js';

/** A small, fast configuration: the karate club writing often, ten minutes observed, every gateway corrupt. */
const BASE = { model: 'loopix', duration: 600, epoch: 60, curve_points: 3, seeds: 1, seed: 1, corrupt_gateways: 1, behaviour: { rate: 120 } };

function loopix(overrides: Record<string, unknown> = {}): LoopixConfig {
  return simConfigFromObject({ ...BASE, ...overrides }) as LoopixConfig;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** gsda's AUC and the mean per-message entropy over seeds 1 … n. */
function leakage(overrides: Record<string, unknown>, seeds = 2): { auc: number; entropy: number } {
  const runs: ContinuousRun[] = Array.from({ length: seeds }, (_, i) => runLoopix(loopix(overrides), i + 1));
  return { auc: mean(runs.map((r) => r.metrics.recovery.gsda.auc)), entropy: mean(runs.map((r) => r.metrics.anonymity.entropyBits.mean)) };
}

describe('simulator/models/loopix: the network', function () {
  it('routes packets through the layers in order and picks the corrupt share of nodes', function () {
    const u = seededStream(1, 2);
    const t = new MixnetTopology({ layers: 3, mixesPerLayer: 4, gateways: 5, corruptMixes: 0.25, corruptGateways: 0.4 }, u);
    assert.equal(t.nodes, 17);
    assert.equal(Array.from(t.corrupt.subarray(0, 5)).filter(Boolean).length, 2);
    assert.equal(Array.from(t.corrupt.subarray(5)).filter(Boolean).length, 3);
    for (let i = 0; i < 50; i++) {
      const route = t.clientRoute(1, 3, u);
      assert.deepEqual([route.length, route[0], route[4]], [5, 1, 3]);
      route.slice(1, 4).forEach((m, l) => assert.equal(t.layerOf(m), l));
      const ack = t.ackRoute(2, u);
      assert.deepEqual([ack.length, ack[3]], [4, 2]);
      const mix = t.mixId(1, 2);
      const loop = t.mixLoopRoute(mix, u);
      // layer 3, a gateway, layer 1, the mix itself
      assert.equal(loop.length, 4);
      assert.deepEqual([t.layerOf(loop[0]), t.isGateway(loop[1]), t.layerOf(loop[2]), loop[3]], [2, true, 0, mix]);
    }
    const gatewayOf = t.assignGateways(23, u);
    const perGateway = [0, 0, 0, 0, 0];
    for (const g of gatewayOf) perGateway[g]++;
    assert.ok(Math.max(...perGateway) - Math.min(...perGateway) <= 1, `balanced: ${perGateway}`);
  });

  it('the observer averages an honest pool and sees through a corrupt node', function () {
    const tracker = new PosteriorTracker(3, [0, 1]); // node 0 honest, node 1 corrupt
    const a: Posterior = { point: 0, dist: null };
    const b: Posterior = { point: 1, dist: null };
    const c: Posterior = { point: 2, dist: null };
    for (const p of [a, b]) tracker.enter(0, p);
    tracker.leave(0, a);
    assert.deepEqual(Array.from(denseDistribution(a, 4)), [0.5, 0.5, 0, 0]);
    tracker.enter(1, c);
    tracker.leave(1, c);
    assert.deepEqual(c, { point: 2, dist: null });
    const anon = messageAnonymity(a, 3, 0);
    assert.equal(anon.entropyBits, 1);
    assert.equal(anon.epsilon, 0);
    assert.equal(messageAnonymity(c, 3, 2).epsilon, Infinity);
    // Cover mass (id 3) is not a user: it is removed and the rest renormalised.
    const mixed: Posterior = { point: -1, dist: sparseDistribution(Float64Array.of(0.25, 0.25, 0, 0.5)) };
    assert.equal(messageAnonymity(mixed, 3, 1).entropyBits, 1);
  });

  it('Chaff geometry: 3130-byte packets at three layers; a pull moves the request and 16 fixed-size entries', function () {
    assert.equal(packetLength(3), 3130);
    assert.ok(packetLength(5) > packetLength(3));
    assert.ok(pullBytes(3, 16) > 16 * 2048 && pullBytes(3, 32) > pullBytes(3, 16));
    assert.equal(drainMs(3, 2), 60_000);
    assert.equal(drainMs(3, 0.01), 4_000_000);
  });
});

describe('simulator/models/loopix: runs', function () {
  this.timeout(60_000);

  it('drives every client with the shipped ClientStreams: λP + λL + λD packets per user per second, real messages replacing drops', function () {
    const r = runLoopix(loopix({ lambda_p: 2, lambda_l: 1, lambda_d: 0.5 }), 1);
    const t = r.metrics.traffic;
    assert.ok(Math.abs(t.packetsPerUserPerSecond - 3.5) < 0.1, `${t.packetsPerUserPerSecond} packets/s`);
    assert.equal(t.bytesPerUserPerSecond, t.packetsPerUserPerSecond * 3130);
    // One real packet per message, so the real share is messages / packets.
    assert.ok(Math.abs(t.realShare - t.messagesPerUserPerSecond / t.packetsPerUserPerSecond) < 0.002, `real share ${t.realShare}`);
    assert.equal(r.counts.undelivered, 0);
    assert.equal(r.counts.delivered, r.counts.messages);
    assert.ok(r.counts.messages > 500);
    // Four Exp delays of mean 1/μ = 500 ms, plus the wait for a λP slot (≈ 1/λP = 500 ms).
    const d = r.metrics.latencyMs.delivery;
    assert.ok(d.mean > 2200 && d.mean < 2900, `delivery mean ${d.mean} ms`);
    assert.ok(d.p99 > 2 * d.p50);
    // The next pull: half a pull interval later on average.
    const read = r.metrics.latencyMs.read;
    assert.ok(read.mean - d.mean > 350 && read.mean - d.mean < 650, `read − delivery ${read.mean - d.mean} ms`);
  });

  it('the SURB-ACKs a corrupt gateway stores tell when its users write with Loopix drop cover, and nothing with decoys (activity AUC)', function () {
    // 30 s windows, every gateway corrupt; the same users and messages either way.
    const activity = (decoys: boolean) => {
      const runs = [1, 2].map((seed) => runLoopix(loopix({ epoch: 30, decoys }), seed).metrics.activity!);
      return { ack: mean(runs.map((a) => a.ackAuc)), send: mean(runs.map((a) => a.sendAuc)), active: mean(runs.map((a) => a.activeShare)) };
    };
    const drops = activity(false);
    const decoys = activity(true);
    this.test!.title += ` [ack AUC: drop cover ${drops.ack.toFixed(3)}, decoys ${decoys.ack.toFixed(3)}; send AUC ${drops.send.toFixed(3)}, ${decoys.send.toFixed(3)}]`;
    assert.ok(drops.active > 0.3 && drops.active < 0.9, `both active and idle windows: ${drops.active}`);
    // Without decoys: ACKs = loops + real packets.
    assert.ok(drops.ack > 0.6, `drop cover: ack AUC ${drops.ack}`);
    // With decoys: ACKs at λP + λL whatever the user does: chance (±0.04 at this size).
    assert.ok(Math.abs(decoys.ack - 0.5) < 0.04, `decoys: ack AUC ${decoys.ack}`);
    // What leaves the client says nothing either way (real packets replace payload-stream cover).
    for (const a of [drops, decoys]) assert.ok(Math.abs(a.send - 0.5) < 0.04, `send AUC ${a.send}`);
  });

  it('is reproducible per seed', function () {
    const config = loopix({ duration: 240, epoch: 30, seed: 4 });
    const a = JSON.stringify(runSimulation(config));
    assert.equal(a, JSON.stringify(runSimulation(config)));
    assert.notEqual(a, JSON.stringify(runSimulation({ ...config, seed: 5 })));
  });

  it('with every mix and gateway corrupt nothing is mixed: entropy 0, and gsda recovers the graph as the direct server does', function () {
    const traced = runLoopix(loopix({ corrupt_mixes: 1 }), 1);
    const direct = runSimulation(simConfigFromObject({ ...BASE, model: 'direct' }) as DirectConfig);
    assert.equal(traced.metrics.anonymity.entropyBits.mean, 0);
    assert.equal(traced.metrics.anonymity.epsilon.infiniteShare, 1);
    assert.ok(Math.abs(traced.metrics.recovery.gsda.auc - direct.metrics.recovery.gsda.auc) < 0.05, `${traced.metrics.recovery.gsda.auc} vs direct ${direct.metrics.recovery.gsda.auc}`);
  });

  it('cover and mixing: much lower AUC than the direct model on the same graph and messages', function () {
    const config = loopix({ seeds: 2 });
    const mixed = runSimulation(config);
    const direct = runSimulation(simConfigFromObject({ ...BASE, model: 'direct', seeds: 2 }) as DirectConfig);
    // The same conversation starts (replies depend on when messages are read).
    assert.equal(mixed.counts.messages - mixed.counts.replies, direct.counts.messages - direct.counts.replies);
    assert.ok(direct.metrics.recovery.gsda.auc > 0.85, `direct ${direct.metrics.recovery.gsda.auc}`);
    for (const attack of ['sda', 'gsda', 'lsda']) {
      const a = mixed.metrics.recovery[attack];
      const d = direct.metrics.recovery[attack];
      assert.ok(a.auc < d.auc - 0.2, `${attack}: loopix AUC ${a.auc} vs direct ${d.auc}`);
      // Per recipient, the server knows who writes; through the mixes it is close to a guess.
      assert.ok(d.linkageAuc > 0.9 && a.linkageAuc < 0.65, `${attack}: linkage AUC loopix ${a.linkageAuc} vs direct ${d.linkageAuc}`);
    }
    assert.ok(mixed.metrics.anonymity.entropyBits.mean > 4.5, 'most of the 34 users are possible senders');
  });

  it('longer delays do not leak more: μ = 2/s against μ = 100/s', function () {
    const slow = leakage({ mu: 2 });
    const fast = leakage({ mu: 100 });
    assert.ok(slow.entropy > fast.entropy + 1, `entropy ${slow.entropy} vs ${fast.entropy}`);
    assert.ok(slow.auc < fast.auc, `gsda AUC ${slow.auc} vs ${fast.auc}`);
  });

  it('more cover does not leak more: λ = 3.5/s against 0.75/s at μ = 20/s', function () {
    const more = leakage({ mu: 20 });
    const less = leakage({ mu: 20, lambda_p: 0.5, lambda_l: 0.25, lambda_d: 0 });
    assert.ok(more.entropy > less.entropy + 1, `entropy ${more.entropy} vs ${less.entropy}`);
    assert.ok(more.auc < less.auc, `gsda AUC ${more.auc} vs ${less.auc}`);
  });

  it('SURB-ACKs cross the mixes too; turning them off lightens the nodes; decoys add λP − (real rate) ACKs per user', function () {
    const withAcks = runLoopix(loopix({ duration: 300, decoys: false }), 1);
    const without = runLoopix(loopix({ duration: 300, acks: false }), 1);
    const decoys = runLoopix(loopix({ duration: 300 }), 1);
    // Per user and second: 3.5 client packets cross 5 nodes; ~1.1 ACKs (one per loop or message) cross 4.
    const ratio = withAcks.metrics.traffic.nodePacketsPerSecond / without.metrics.traffic.nodePacketsPerSecond;
    assert.ok(ratio > 1.15 && ratio < 1.35, `ratio ${ratio}`);
    assert.equal(withAcks.metrics.traffic.packetsPerUserPerSecond.toFixed(1), without.metrics.traffic.packetsPerUserPerSecond.toFixed(1));
    // With decoys every payload slot is acknowledged: λP + λL = 3 ACKs per user and second cross 4 nodes,
    // about 1.9 more than with drop cover, where 3.5 × 5 client packets cross the nodes.
    const added = (decoys.metrics.traffic.nodePacketsPerSecond - withAcks.metrics.traffic.nodePacketsPerSecond) / without.metrics.traffic.nodePacketsPerSecond;
    const expected = ((2 + 1 - (1 + withAcks.metrics.traffic.messagesPerUserPerSecond)) * 4) / (3.5 * 5 + 0);
    assert.ok(Math.abs(added - expected) < 0.1 * expected + 0.02, `decoys add ${added} of the load without ACKs (expected about ${expected})`);
    assert.ok(decoys.metrics.traffic.nodePacketsPerSecond < 2 * without.metrics.traffic.nodePacketsPerSecond, 'not a doubling of the load');
    assert.equal(decoys.metrics.traffic.packetsPerUserPerSecond.toFixed(1), without.metrics.traffic.packetsPerUserPerSecond.toFixed(1), 'what clients send does not change');
  });
});

describe('simulator/models: the attack suite', function () {
  it('linkage AUC ranks each recipient’s senders: popularity alone gives exactly 0.5', function () {
    // 3 users; truth: 0–1 and 1–2 (symmetric).
    const truth = Uint8Array.of(0, 1, 0, 1, 0, 1, 0, 1, 0);
    assert.equal(linkageAuc(Float64Array.of(0, 5, 0, 5, 0, 5, 0, 5, 0), truth, 3), 1);
    // Every row the same (a recipient's popularity): every column ties.
    assert.equal(linkageAuc(Float64Array.of(1, 9, 4, 1, 9, 4, 1, 9, 4), truth, 3), 0.5);
    // Column 1: senders 0 and 2 are both contacts, no false sender: skipped. Columns 0 and 2 reversed: 0.
    assert.equal(linkageAuc(Float64Array.of(0, 0, 9, 0, 0, 0, 9, 0, 0), truth, 3), 0);
    assert.throws(() => linkageAuc([1, 2], truth, 3), RangeError);
  });

  it('scores every pair with each attack and the popularity reference', function () {
    const g = new SocialGraph(4, [
      { source: 0, target: 1 },
      { source: 2, target: 3 },
    ]);
    const truth = truthMatrix(4, 4, g.edges);
    const suite = new AttackSuite(4, ['sda', 'gsda', 'lsda']);
    // A server's view: each message a round of its own with a known sender.
    const messages = [
      [0, 1],
      [1, 0],
      [2, 3],
      [3, 2],
      [0, 1],
      [2, 3],
      [1, 0],
      [3, 2],
    ];
    for (const [s, r] of messages) {
      const activity = [0, 0, 0, 0];
      activity[s] = 1;
      suite.observeRound(activity, [r]);
      suite.observeDelivery(r, [s], [1]);
    }
    const rec = suite.recovery(truth);
    assert.deepEqual(Object.keys(rec), ['sda', 'gsda', 'lsda', 'popularity']);
    for (const a of ['sda', 'gsda', 'lsda']) assert.deepEqual([rec[a].auc, rec[a].linkageAuc], [1, 1], a);
    // Everyone received twice: popularity ties every pair.
    assert.deepEqual([rec.popularity.auc, rec.popularity.linkageAuc], [0.5, 0.5]);
    assert.throws(() => suite.observeRound([1, 0], [1]), RangeError);
    assert.throws(() => new AttackSuite(4, ['sda']).scores('lsda'), RangeError);
  });
});

import assert from 'node:assert/strict';
import { simConfigFromObject, type DirectConfig } from '../../../simulator/config.js';
import { runDirect } from '../../../simulator/models/direct.js';
import { runSimulation } from '../../../simulator/run.js';

function direct(overrides: Record<string, unknown> = {}): DirectConfig {
  return simConfigFromObject({ model: 'direct', duration: 3600, epoch: 300, curve_points: 4, seeds: 1, seed: 1, behaviour: { rate: 60, rate_distribution: 'constant' }, ...overrides }) as DirectConfig;
}

describe('simulator/models/direct: a central server that sees every message', function () {
  it('recovers the social graph almost perfectly (AUC near 1), and better the longer it watches', function () {
    const r = runDirect(direct(), 1);
    for (const attack of ['sda', 'gsda', 'lsda']) {
      assert.ok(r.metrics.recovery[attack].auc > 0.98, `${attack} AUC ${r.metrics.recovery[attack].auc}`);
      assert.ok(r.metrics.recovery[attack].precisionAtDegree > 0.95, `${attack} precision at degree ${r.metrics.recovery[attack].precisionAtDegree}`);
    }
    const auc = r.curve.map((c) => c.recovery.gsda.auc);
    assert.deepEqual(
      r.curve.map((c) => c.timeS),
      [900, 1800, 2700, 3600],
    );
    assert.ok(auc[3] > auc[0], `curve ${auc}`);
    // The server knows every sender: no anonymity, no delay, no cover.
    assert.equal(r.metrics.anonymity.entropyBits.mean, 0);
    assert.equal(r.metrics.anonymity.effectiveSetSize, 1);
    assert.equal(r.metrics.latencyMs.delivery.p99, 0);
    assert.equal(r.metrics.traffic.realShare, 1);
    assert.equal(r.metrics.traffic.packetsPerUserPerSecond, r.metrics.traffic.messagesPerUserPerSecond);
    assert.equal(r.counts.users, 34);
    assert.equal(r.counts.edges, 78);
  });

  it('heavy-tailed senders leave some contacts unused: the attacks cannot find an edge that carried nothing', function () {
    const skewed = runDirect(direct({ behaviour: { rate: 6, rate_distribution: 'pareto', pareto_shape: 1.2 }, duration: 1800 }), 1);
    assert.ok(skewed.metrics.recovery.gsda.auc < 0.95, `AUC ${skewed.metrics.recovery.gsda.auc}`);
    assert.ok(skewed.metrics.recovery.gsda.auc > 0.6);
  });

  it('is reproducible per seed, and averages its seeds in results.json', function () {
    const config = direct({ seeds: 3, duration: 1800 });
    const a = runSimulation(config);
    assert.equal(JSON.stringify(a), JSON.stringify(runSimulation(config)));
    assert.equal(a.runs.length, 3);
    const meanAuc = a.runs.reduce((s, r) => s + r.metrics.recovery.sda.auc, 0) / 3;
    assert.ok(Math.abs(a.metrics.recovery.sda.auc - meanAuc) < 1e-12);
    assert.notEqual(a.runs[0].metrics.recovery.sda.auc, a.runs[1].metrics.recovery.sda.auc);
    assert.equal(a.curves.recovery.length, 4);
  });
});

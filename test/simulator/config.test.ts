import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSimConfig, MODELS, resolveConfigPaths, SimConfigError, simConfigFromObject, type LoopixConfig } from '../../simulator/config.js';
import { buildGraph } from '../../simulator/models/graph-spec.js';
import { seededStream } from '../../simulator/models/streams.js';

function refuses(raw: Record<string, unknown>, key: string, value: unknown): void {
  assert.throws(
    () => simConfigFromObject(raw),
    (e: unknown) =>
      e instanceof SimConfigError &&
      e.key === key &&
      e.message.includes(`${key} = ${typeof value === 'number' && !Number.isFinite(value) ? value : JSON.stringify(value)} is not allowed`) &&
      /allowed|expected/.test(e.message),
    `${key} = ${JSON.stringify(value)}`,
  );
}

describe('simulator/config: the pool, loopix and direct models', function () {
  it('knows every model; defaults are Chaff’s production parameters', function () {
    assert.deepEqual([...MODELS], ['threshold', 'population', 'pool', 'loopix', 'direct']);
    const c = simConfigFromObject({ model: 'loopix' }) as LoopixConfig;
    assert.deepEqual(c.network, {
      layers: 3,
      mixesPerLayer: 3,
      gateways: 4,
      mu: 2,
      lambdaP: 2,
      lambdaL: 1,
      lambdaD: 0.5,
      lambdaM: 1,
      pullIntervalS: 1,
      fetchBatch: 4,
      corruptMixes: 0,
      corruptGateways: 0.25,
      acks: true,
      decoys: true,
    });
    assert.deepEqual([c.graph, c.durationS, c.epochS, c.curvePoints, c.attacks, c.seeds, c.seed], [{ kind: 'karate-club' }, 1800, 60, 6, ['sda', 'gsda', 'lsda'], 3, 1]);
    assert.equal(c.behaviour.ratePerHour, 30);
    // The direct model accepts the network keys (one file, swept over the model) and has no network.
    const d = simConfigFromObject({ model: 'direct', mu: 5, layers: 2 });
    assert.equal(d.model, 'direct');
    assert.equal('network' in d, false);
  });

  it('refuses a bad value with the key, the value and what is allowed', function () {
    const loopix = { model: 'loopix' };
    refuses({ ...loopix, mu: 0 }, 'mu', 0);
    refuses({ ...loopix, lambda_p: 0 }, 'lambda_p', 0);
    refuses({ ...loopix, lambda_l: -1 }, 'lambda_l', -1);
    refuses({ ...loopix, lambda_d: 'lots' }, 'lambda_d', 'lots');
    refuses({ ...loopix, lambda_m: Number.POSITIVE_INFINITY }, 'lambda_m', Number.POSITIVE_INFINITY);
    refuses({ ...loopix, layers: 0 }, 'layers', 0);
    refuses({ ...loopix, layers: 2.5 }, 'layers', 2.5);
    refuses({ ...loopix, mixes_per_layer: 0 }, 'mixes_per_layer', 0);
    refuses({ ...loopix, gateways: 0 }, 'gateways', 0);
    refuses({ ...loopix, corrupt_mixes: 1.5 }, 'corrupt_mixes', 1.5);
    refuses({ ...loopix, corrupt_gateways: -0.1 }, 'corrupt_gateways', -0.1);
    refuses({ ...loopix, pull_interval: 0 }, 'pull_interval', 0);
    refuses({ ...loopix, fetch_batch: 0 }, 'fetch_batch', 0);
    refuses({ ...loopix, acks: 'yes' }, 'acks', 'yes');
    refuses({ ...loopix, duration: 0 }, 'duration', 0);
    refuses({ ...loopix, duration: 100, epoch: 200 }, 'epoch', 200);
    refuses({ ...loopix, duration: 600, epoch: 60, curve_points: 11 }, 'curve_points', 11);
    refuses({ ...loopix, attacks: ['sda', 'magic'] }, 'attacks', ['sda', 'magic']);
    refuses({ ...loopix, attacks: [] }, 'attacks', []);
    refuses({ ...loopix, seeds: 0 }, 'seeds', 0);
    refuses({ ...loopix, mixes: 3 }, 'mixes', 3);
    refuses({ ...loopix, graph: 'karate' }, 'graph', 'karate');
    refuses({ ...loopix, graph: { kind: 'lattice' } }, 'graph.kind', 'lattice');
    refuses({ ...loopix, graph: { kind: 'barabasi-albert', users: 1 } }, 'graph.users', 1);
    refuses({ ...loopix, graph: { kind: 'barabasi-albert', users: 10, m: 10 } }, 'graph.m', 10);
    refuses({ ...loopix, graph: { kind: 'watts-strogatz', users: 10, k: 3 } }, 'graph.k', 3);
    refuses({ ...loopix, graph: { kind: 'erdos-renyi', p: 2 } }, 'graph.p', 2);
    refuses({ ...loopix, graph: { kind: 'stochastic-block', sizes: [1, 1] } }, 'graph.sizes', [1, 1]);
    refuses({ ...loopix, graph: { kind: 'karate-club', users: 10 } }, 'graph.users', 10);
    refuses({ ...loopix, graph: { kind: 'csv' } }, 'graph.path', undefined);
    refuses({ ...loopix, behaviour: { rate: -1 } }, 'behaviour.rate', -1);
    // A run too large to finish in reasonable time is refused up front.
    refuses({ ...loopix, graph: { kind: 'barabasi-albert', users: 2000 }, duration: 86_400 * 10 }, 'duration', 864_000);
    const pool = { model: 'pool', recipients: 100, friends: 2, batch: 10, pool: 5 };
    refuses({ ...pool, pool: -1 }, 'pool', -1);
    refuses({ ...pool, mix: 'binomial' }, 'mix', 'binomial');
    refuses({ ...pool, target_probability: 0 }, 'target_probability', 0);
    refuses({ ...pool, background: 'zero' }, 'background', 'zero');
    refuses({ ...pool, senders: 1 }, 'senders', 1);
    refuses({ ...pool, friends: 101 }, 'friends', 101);
    refuses({ ...pool, layers: 3 }, 'layers', 3);
    refuses({ model: 'pool', recipients: 100, friends: 2, batch: 10 }, 'pool', undefined);
    refuses({ model: 'gossip' }, 'model', 'gossip');
  });

  it('builds every kind of graph, and reads a CSV edge list relative to the configuration file', function () {
    const u = () => seededStream(1, 0);
    const kinds: Array<[Record<string, unknown>, number]> = [
      [{ kind: 'karate-club' }, 34],
      [{ kind: 'barabasi-albert', users: 50, m: 2 }, 50],
      [{ kind: 'watts-strogatz', users: 40, k: 4, beta: 0.2 }, 40],
      [{ kind: 'stochastic-block', sizes: [10, 20], p_in: 0.5, p_out: 0.05 }, 30],
      [{ kind: 'erdos-renyi', users: 60, p: 0.1 }, 60],
    ];
    for (const [graph, n] of kinds) {
      const c = simConfigFromObject({ model: 'direct', graph }) as LoopixConfig;
      assert.equal(buildGraph(c.graph, u()).n, n, String(graph.kind));
    }
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-config-'));
    writeFileSync(join(dir, 'contacts.csv'), 'source,target,weight\nalice,bob,3\nbob,carol,1\ncarol,dave,2\n');
    writeFileSync(join(dir, 'sim.toml'), 'model = "direct"\n[graph]\nkind = "csv"\npath = "contacts.csv"\n');
    const c = loadSimConfig(join(dir, 'sim.toml')) as LoopixConfig;
    assert.deepEqual(c.graph, { kind: 'csv', path: join(dir, 'contacts.csv'), directed: false });
    const g = buildGraph(c.graph, u());
    assert.deepEqual([g.n, g.edgeCount, g.weight(0, 1)], [4, 3, 3]);
    assert.throws(
      () => buildGraph({ kind: 'csv', path: join(dir, 'missing.csv'), directed: false }, u()),
      (e: unknown) => e instanceof SimConfigError && e.key === 'graph.path',
    );
    writeFileSync(join(dir, 'bad.csv'), 'a,b,-1\n');
    assert.throws(
      () => buildGraph({ kind: 'csv', path: join(dir, 'bad.csv'), directed: false }, u()),
      (e: unknown) => e instanceof SimConfigError && /line 1/.test(e.message),
    );
    // Paths are resolved against the file's directory; absolute ones and other tables are left alone.
    assert.deepEqual(resolveConfigPaths({ graph: { kind: 'csv', path: 'x.csv' } }, '/data'), { graph: { kind: 'csv', path: '/data/x.csv' } });
    assert.deepEqual(resolveConfigPaths({ graph: { kind: 'csv', path: '/abs/x.csv' } }, '/data'), { graph: { kind: 'csv', path: '/abs/x.csv' } });
    assert.deepEqual(resolveConfigPaths({ model: 'threshold' }, '/data'), { model: 'threshold' });
  });
});

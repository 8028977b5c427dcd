import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DisclosureTracker, StatisticalDisclosureAttack } from '../../simulator/attacks/sda.js';
import { SimConfigError, simConfigFromObject } from '../../simulator/config.js';
import { quantile } from '../../protocol/stats/quantile.js';
import { summarize } from '../../simulator/metrics/summary.js';
import { danezisBound, roundsToDisclosure } from '../../simulator/models/threshold.js';
import { sampleDistinct, seededUniform } from '../../simulator/random.js';
import { runSimulation } from '../../simulator/run.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

describe('simulator: threshold model and the statistical disclosure attack', function () {
  it('reproduces Danezis 2003: N=20000, b=50, m=20, median rounds between the l=2 and l=3 estimates (30 seeds)', function () {
    const r = runSimulation({ model: 'threshold', recipients: 20000, batch: 50, friends: 20, seeds: 30, seed: 1, maxRounds: 100_000 });
    const { l2, l3 } = r.metrics.danezisBound;
    assert.ok(Math.abs(l2 - 119) < 1 && Math.abs(l3 - 268) < 1, `bounds ${l2}, ${l3}`);
    const median = r.metrics.roundsToDisclosure.median;
    assert.equal(r.metrics.roundsToDisclosure.undisclosed, 0);
    assert.ok(median > l2 && median < l3, `median ${median} outside (${l2}, ${l3})`);
  });

  it('more friends or bigger batches take more rounds (the attack responds to the parameters)', function () {
    const median = (p: { recipients: number; batch: number; friends: number }) =>
      summarize(Array.from({ length: 15 }, (_, i) => roundsToDisclosure({ ...p, maxRounds: 1e6 }, seededUniform(100 + i))!)).median;
    const base = median({ recipients: 5000, batch: 20, friends: 5 });
    assert.ok(median({ recipients: 5000, batch: 80, friends: 5 }) > base);
    assert.ok(median({ recipients: 5000, batch: 20, friends: 15 }) > base);
  });

  it('is reproducible: the same seed gives the same results, another seed other results', function () {
    const config = { model: 'threshold' as const, recipients: 2000, batch: 20, friends: 5, seeds: 5, seed: 7, maxRounds: 1e6 };
    assert.deepEqual(runSimulation(config), runSimulation(config));
    assert.notDeepEqual(runSimulation(config).runs, runSimulation({ ...config, seed: 8 }).runs);
  });

  it('the SDA estimate is b·mean(o) − (b−1)/N and ranks the friends first', function () {
    const attack = new StatisticalDisclosureAttack(4, 2);
    const tracker = new DisclosureTracker(attack, [1]);
    assert.equal(tracker.observe([1, 3]), false, 'tie with recipient 3');
    assert.equal(tracker.observe([1, 0]), true);
    assert.deepEqual(Array.from(attack.estimate()), [0.5 - 0.25, 1 - 0.25, -0.25, 0.5 - 0.25]);
  });

  it('stops at maxRounds with null when the friend set is not disclosed', function () {
    assert.equal(roundsToDisclosure({ recipients: 20000, batch: 50, friends: 20, maxRounds: 10 }, seededUniform(1)), null);
    assert.ok(danezisBound({ recipients: 20000, batch: 50, friends: 20 }, 2) > 10);
  });

  it('draws distinct friends and uniform indices', function () {
    const u = seededUniform(3);
    for (let i = 0; i < 100; i++) {
      const s = sampleDistinct(50, 20, u);
      assert.equal(new Set(s).size, 20);
      assert.ok(s.every((x) => Number.isInteger(x) && x >= 0 && x < 50));
    }
    assert.throws(() => sampleDistinct(3, 4, u), RangeError);
  });

  it('summaries use interpolated quantiles', function () {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.deepEqual(summarize([5, 1, 3]), { n: 3, mean: 3, median: 3, p10: 1.4, p90: 4.6, min: 1, max: 5 });
  });

  it('config errors name the key, the bad value and what is allowed', function () {
    const cases: Array<[unknown, string]> = [
      [{ model: 'loopy', recipients: 10, batch: 2, friends: 1 }, 'model'],
      [{ model: 'threshold', batch: 2, friends: 1 }, 'recipients'],
      [{ model: 'threshold', recipients: 10, batch: 0, friends: 1 }, 'batch'],
      [{ model: 'threshold', recipients: 10, batch: 2, friends: 11 }, 'friends'],
      [{ model: 'threshold', recipients: 10, batch: 2, friends: 1, seeds: 1.5 }, 'seeds'],
      [{ model: 'threshold', recipients: 10, batch: 2, friends: 1, colour: 'red' }, 'colour'],
    ];
    for (const [raw, key] of cases) {
      assert.throws(
        () => simConfigFromObject(raw),
        (e: unknown) => e instanceof SimConfigError && e.key === key && /allowed|expected/.test(e.message),
        key,
      );
    }
  });

  it('chaff sim run writes results.json with metrics.roundsToDisclosure (the scripting contract)', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-'));
    const config = join(dir, 'sda.toml');
    writeFileSync(config, 'model = "threshold"\nrecipients = 2000\nbatch = 20\nfriends = 5\nseeds = 4\nseed = 3\n');
    const r = spawnSync(process.execPath, [chaffEntry(), 'sim', 'run', '--config', config, '--out', join(dir, 'out')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
    for (const key of ['mean', 'median', 'p10', 'p90']) assert.equal(typeof results.metrics.roundsToDisclosure[key], 'number', key);
    assert.equal(results.seeds, 4);
    assert.match(readFileSync(join(dir, 'out', 'runs.csv'), 'utf8'), /^seed,roundsToDisclosure\n3,\d+\n/);

    writeFileSync(config, 'model = "threshold"\nrecipients = "many"\nbatch = 20\nfriends = 5\n');
    const bad = spawnSync(process.execPath, [chaffEntry(), 'sim', 'run', '--config', config, '--out', join(dir, 'out')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /recipients = "many"/);
  });
});

import assert from 'node:assert/strict';
import { simConfigFromObject, type PoolConfig } from '../../../simulator/config.js';
import { summarize } from '../../../simulator/metrics/summary.js';
import { MEASURED_ROUNDS, runPool, warmUpRounds, type PoolParams } from '../../../simulator/models/pool.js';
import { roundsToDisclosure } from '../../../simulator/models/threshold.js';
import { seededUniform } from '../../../simulator/random.js';
import { runSimulation } from '../../../simulator/run.js';

const BASE: PoolParams = { recipients: 500, senders: 500, friends: 3, batch: 10, pool: 0, mix: 'threshold', targetProbability: 0.2, background: 'uniform', maxRounds: 20_000 };

/** Median rounds to disclosure over seeds 1 … n (an undisclosed run counts as maxRounds). */
function medianRounds(p: Partial<PoolParams>, seeds = 15): number {
  const params = { ...BASE, ...p };
  return summarize(Array.from({ length: seeds }, (_, i) => runPool(params, seededUniform(i + 1)).roundsToDisclosure ?? params.maxRounds)).median;
}

describe('simulator/models/pool: the SDA against a pool mix (Mathewson & Dingledine 2004)', function () {
  this.timeout(30_000);

  it('with no pool and a target in every round it is Danezis’ threshold mix: similar rounds to disclosure', function () {
    const danezis = { recipients: 2000, batch: 20, friends: 5 };
    const pool = medianRounds({ ...danezis, senders: 2000, pool: 0, targetProbability: 1 }, 20);
    const threshold = summarize(Array.from({ length: 20 }, (_, i) => roundsToDisclosure({ ...danezis, maxRounds: 1e6 }, seededUniform(i + 1)) as number)).median;
    assert.ok(Math.abs(pool - threshold) / threshold < 0.35, `pool model ${pool} vs threshold model ${threshold}`);
  });

  it('a larger pool delays disclosure', function () {
    const none = medianRounds({ pool: 0 });
    const deep = medianRounds({ pool: 200 });
    assert.ok(deep > 1.4 * none, `pool 200: ${deep} rounds, no pool: ${none}`);
  });

  it('a larger pool raises each message’s sender entropy and its time in the mix', function () {
    const run = (pool: number) => runPool({ ...BASE, pool, maxRounds: 1 }, seededUniform(3));
    const [none, small, deep] = [run(0), run(20), run(200)];
    // No pool: a flush holds the batch's (at most 10 distinct) senders.
    assert.ok(none.entropyBits <= Math.log2(10) + 1e-9 && none.entropyBits > 3, `${none.entropyBits}`);
    assert.ok(small.entropyBits > none.entropyBits + 1 && deep.entropyBits > small.entropyBits + 1, `${none.entropyBits} < ${small.entropyBits} < ${deep.entropyBits}`);
    assert.ok(deep.entropyBits < Math.log2(500));
    assert.equal(none.latencyRounds.mean, 0);
    // Each held message leaves with probability b/(b + f) per round: it stays f/b rounds on average.
    assert.ok(Math.abs(deep.latencyRounds.mean - 20) < 2, `${deep.latencyRounds.mean}`);
    assert.ok(deep.effectiveSetSize > small.effectiveSetSize);
  });

  it('a timed pool mix (Poisson arrivals) and the estimated background also disclose', function () {
    const timed = runPool({ ...BASE, mix: 'timed', pool: 20, background: 'estimated', targetProbability: 0.3 }, seededUniform(2));
    assert.ok(timed.roundsToDisclosure !== null && timed.roundsToDisclosure > 10);
    assert.ok(Number.isFinite(timed.entropyBits));
    assert.ok(warmUpRounds({ batch: 10, pool: 20 }) === 15 && MEASURED_ROUNDS >= 100);
  });

  it('runs from a configuration, reproducibly, with the threshold model’s summary of rounds to disclosure', function () {
    const config = simConfigFromObject({ model: 'pool', recipients: 300, friends: 2, batch: 10, pool: 20, seeds: 4, seed: 5, background: 'uniform' }) as PoolConfig;
    assert.deepEqual([config.mix, config.senders, config.targetProbability, config.maxRounds], ['threshold', 300, 0.5, 100_000]);
    const a = runSimulation(config);
    assert.equal(JSON.stringify(a), JSON.stringify(runSimulation(config)));
    assert.notEqual(JSON.stringify(a.runs), JSON.stringify(runSimulation({ ...config, seed: 6 }).runs));
    for (const key of ['mean', 'median', 'p10', 'p90'] as const) assert.equal(typeof a.metrics.roundsToDisclosure[key], 'number');
    assert.equal(a.runs.length, 4);
    assert.ok(a.metrics.anonymity.degree > 0 && a.metrics.anonymity.degree < 1);
  });
});

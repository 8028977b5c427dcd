import assert from 'node:assert/strict';
import { LeastSquaresDisclosureAttack, profileMse } from '../../simulator/attacks/lsda.js';
import { SimConfigError, simConfigFromObject } from '../../simulator/config.js';
import { solveLinear } from '../../simulator/linalg/solve.js';
import { logLogSlope, lsdaErrorCurve, randomProfiles } from '../../simulator/models/population.js';
import { seededUniform } from '../../simulator/random.js';
import { runSimulation } from '../../simulator/run.js';

describe('simulator: least-squares disclosure attack', function () {
  it('solves small linear systems (against a known solution)', function () {
    // A = [[4,1,0],[1,3,1],[0,1,2]], X = [[1,2],[0,-1],[3,1]] → B = A·X
    const a = Float64Array.of(4, 1, 0, 1, 3, 1, 0, 1, 2);
    const x = [1, 2, 0, -1, 3, 1];
    const b = Float64Array.of(4, 7, 4, 0, 6, 1);
    const got = solveLinear(a, b, 3, 2);
    got.forEach((v, i) => assert.ok(Math.abs(v - x[i]) < 1e-12, `${v} vs ${x[i]}`));
    assert.throws(() => solveLinear(a, b, 2, 2), RangeError);
  });

  it('recovers profiles exactly from noiseless rounds', function () {
    const truth = Float64Array.of(0, 1, 0.5, 0.5); // 2 senders × 2 recipients
    const attack = new LeastSquaresDisclosureAttack(2, 2);
    attack.observe([2, 0], [0, 2]);
    attack.observe([0, 2], [1, 1]);
    attack.observe([1, 1], [0.5, 1.5]);
    assert.ok(profileMse(attack.estimate(), truth) < 1e-20);
  });

  it('profiles are stochastic rows with the requested number of friends and no self-loops', function () {
    const p = randomProfiles(30, 4, seededUniform(2));
    for (let i = 0; i < 30; i++) {
      const row = Array.from(p.subarray(i * 30, (i + 1) * 30));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
      assert.equal(row.filter((v) => v > 0).length, 4);
      assert.equal(row[i], 0);
    }
  });

  it('its mean squared error falls as 1/rounds (log-log slope between −1.3 and −0.7)', function () {
    const curve = lsdaErrorCurve({ users: 40, batch: 20, friends: 4, checkpoints: [250, 500, 1000, 2000, 4000, 8000] }, seededUniform(1));
    const slope = logLogSlope(curve);
    assert.ok(slope > -1.3 && slope < -0.7, `slope ${slope}`);
    assert.ok(curve[curve.length - 1].mse < curve[0].mse / 10);
  });

  it('runs from a config, reproducibly, and refuses bad checkpoints', function () {
    const config = simConfigFromObject({ model: 'population', users: 20, batch: 10, friends: 3, checkpoints: [100, 400], seeds: 2, seed: 5 });
    const a = runSimulation(config);
    assert.deepEqual(a, runSimulation(config));
    if (a.model !== 'population') assert.fail('a population result');
    assert.equal(a.metrics.lsda.curve.length, 2);
    assert.throws(
      () => simConfigFromObject({ model: 'population', users: 20, batch: 10, friends: 3, checkpoints: [400, 100] }),
      (e: unknown) => e instanceof SimConfigError && e.key === 'checkpoints',
    );
    assert.throws(
      () => simConfigFromObject({ model: 'population', users: 20, batch: 10, friends: 20 }),
      (e: unknown) => e instanceof SimConfigError && e.key === 'friends',
    );
    assert.throws(
      () => simConfigFromObject({ model: 'population', users: 20, batch: 10, friends: 3, recipients: 4 }),
      (e: unknown) => e instanceof SimConfigError && e.key === 'recipients',
    );
  });
});

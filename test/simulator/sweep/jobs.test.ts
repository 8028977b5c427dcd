import assert from 'node:assert/strict';
import { combinations, describeParams, expandJobs, MAX_JOBS, setKey, SweepPlanError } from '../../../simulator/sweep/jobs.js';
import type { VaryAxis } from '../../../simulator/sweep/vary.js';

const axes: VaryAxis[] = [
  { key: 'batch', values: [10, 20] },
  { key: 'mode', values: ['a', 'b', 'c'] },
];

describe('simulator/sweep: jobs', function () {
  it('the cartesian product has the first axis outermost', function () {
    assert.deepEqual(
      combinations(axes).map((c) => describeParams(c)),
      ['batch=10, mode=a', 'batch=10, mode=b', 'batch=10, mode=c', 'batch=20, mode=a', 'batch=20, mode=b', 'batch=20, mode=c'],
    );
  });

  it('each job overrides the varied keys and sets seed = base + repeat × stride, the same seeds for every combination', function () {
    const base = { model: 'threshold', batch: 5, mode: 'z', seeds: 30, seed: 100, table: { x: 1 } };
    const jobs = expandJobs({ baseConfig: base, axes, repeat: 3, seedStride: (c) => c.seeds as number });
    assert.equal(jobs.length, 18);
    assert.deepEqual(
      jobs.map((j) => j.index),
      [...Array(18).keys()],
    );
    assert.deepEqual(
      jobs.slice(0, 3).map((j) => j.seed),
      [100, 130, 160],
    );
    assert.deepEqual(
      jobs.slice(15).map((j) => j.seed),
      [100, 130, 160],
    );
    assert.deepEqual(jobs[4], {
      index: 4,
      combination: 1,
      params: { batch: 10, mode: 'b' },
      repeat: 1,
      seed: 130,
      config: { model: 'threshold', batch: 10, mode: 'b', seeds: 30, seed: 130, table: { x: 1 } },
    });
    // The base is not touched and jobs do not share tables.
    assert.equal(base.batch, 5);
    (jobs[0].config.table as { x: number }).x = 99;
    assert.equal((jobs[1].config.table as { x: number }).x, 1);
  });

  it('the stride may depend on the varied keys', function () {
    const jobs = expandJobs({ baseConfig: { seed: 1 }, axes: [{ key: 'seeds', values: [5, 10] }], repeat: 2, seedStride: (c) => c.seeds as number });
    assert.deepEqual(
      jobs.map((j) => j.seed),
      [1, 6, 1, 11],
    );
  });

  it('without a seed in the configuration the default seed is written; seedKey null leaves seeding to the job module', function () {
    assert.deepEqual(
      expandJobs({ baseConfig: {}, axes: [{ key: 'a', values: [1] }], repeat: 2 }).map((j) => j.config),
      [
        { a: 1, seed: 1 },
        { a: 1, seed: 2 },
      ],
    );
    assert.deepEqual(
      expandJobs({ baseConfig: {}, axes: [{ key: 'a', values: [1] }], repeat: 2, defaultSeed: 40 }).map((j) => j.seed),
      [40, 41],
    );
    const unseeded = expandJobs({ baseConfig: {}, axes: [{ key: 'a', values: [1] }], repeat: 2, seedKey: null });
    assert.deepEqual(
      unseeded.map((j) => [j.seed, j.repeat, j.config]),
      [
        [null, 0, { a: 1 }],
        [null, 1, { a: 1 }],
      ],
    );
    assert.deepEqual(
      expandJobs({ baseConfig: { run: { seed: 3 } }, axes: [{ key: 'a', values: [1] }], repeat: 2, seedKey: 'run.seed' }).map((j) => j.config),
      [
        { run: { seed: 3 }, a: 1 },
        { run: { seed: 4 }, a: 1 },
      ],
    );
  });

  it('sets dotted keys in nested tables and refuses to go through a value', function () {
    const config: Record<string, unknown> = { client: { rate: 1 }, n: 2 };
    setKey(config, 'client.rate', 5);
    setKey(config, 'mix.delay.mean', 0.5);
    assert.deepEqual(config, { client: { rate: 5 }, n: 2, mix: { delay: { mean: 0.5 } } });
    assert.throws(
      () => setKey(config, 'n.x', 1),
      (e: unknown) => e instanceof SweepPlanError && /n is not a table/.test(e.message),
    );
  });

  it('varying the seed while repeating is refused; varying it alone is allowed', function () {
    assert.throws(
      () => expandJobs({ baseConfig: {}, axes: [{ key: 'seed', values: [1, 2] }], repeat: 2 }),
      (e: unknown) => e instanceof SweepPlanError && /vary it or repeat/.test(e.message),
    );
    assert.deepEqual(
      expandJobs({ baseConfig: {}, axes: [{ key: 'seed', values: [4, 9] }], repeat: 1 }).map((j) => j.seed),
      [4, 9],
    );
  });

  it('a configuration the validator refuses fails the plan before anything runs, naming the combination', function () {
    const validateConfig = (c: Record<string, unknown>) => {
      if ((c.friends as number) > (c.recipients as number)) throw new Error(`friends = ${c.friends} is more than recipients`);
    };
    assert.throws(
      () => expandJobs({ baseConfig: { recipients: 10 }, axes: [{ key: 'friends', values: [2, 20] }], repeat: 1, validateConfig }),
      (e: unknown) => e instanceof SweepPlanError && /with friends=20: friends = 20 is more than recipients/.test(e.message) && e.cause instanceof Error,
    );
  });

  it('refuses a bad repeat count, a bad seed, a bad stride and too many jobs', function () {
    const a = [{ key: 'a', values: [1, 2] }];
    assert.throws(() => expandJobs({ baseConfig: {}, axes: a, repeat: 0 }), /--repeat 0/);
    assert.throws(() => expandJobs({ baseConfig: {}, axes: a, repeat: 1.5 }), /--repeat 1.5/);
    assert.throws(() => expandJobs({ baseConfig: { seed: 'x' }, axes: a, repeat: 1 }), /seed = "x"/);
    assert.throws(() => expandJobs({ baseConfig: {}, axes: a, repeat: 2, seedStride: 0 }), /seed stride is 0/);
    assert.throws(() => expandJobs({ baseConfig: {}, axes: [{ key: 'a', values: Array.from({ length: 1000 }, (_, i) => i) }], repeat: 101 }), new RegExp(`more than ${MAX_JOBS}`));
    assert.throws(() => expandJobs({ baseConfig: {}, axes: [], repeat: 1 }), /nothing is varied/);
  });
});

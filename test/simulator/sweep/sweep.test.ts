import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simConfigFromObject, SimConfigError } from '../../../simulator/config.js';
import { runSimulation } from '../../../simulator/run.js';
import { loadSimSweepBase, SIM_JOB_MODULE, SIM_SWEEP_HOOKS, SIM_UNITS } from '../../../simulator/sweep/sim-adapter.js';
import { fileSlug, metricPoints, runSweep, SweepPlanError, varyingMetrics, writeSweep, type SweepResult } from '../../../simulator/sweep/index.js';
import { parseVary } from '../../../simulator/sweep/vary.js';
import { noise } from './fixtures/noisy-double-job.js';

const FIXTURE = new URL('./fixtures/noisy-double-job.ts', import.meta.url);

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

describe('simulator/sweep: runSweep and its outputs', function () {
  this.timeout(30_000);
  let result: SweepResult;
  let progress = '';

  before(async function () {
    result = await runSweep({
      baseConfig: { param: 0, seed: 50, label: 'fixture' },
      axes: parseVary(['param=1,2,13,4']),
      repeat: 4,
      workers: 2,
      jobModule: FIXTURE,
      progress: { isTTY: false, write: (s: string) => void (progress += s) },
    });
  });

  it('runs every job with its own seed, results a function of the seed only', function () {
    assert.equal(result.jobs.length, 16);
    assert.equal(result.workers, 2);
    assert.equal(result.baseSeed, 50);
    for (const j of result.jobs) {
      const param = j.params.param as number;
      assert.equal(j.seed, 50 + j.repeat);
      if (param === 13) continue;
      assert.ok(j.ok, `job ${j.index}`);
      assert.equal((j.result as { x: number }).x, 2 * param + noise(j.seed as number));
    }
    assert.notEqual(noise(50), noise(51));
  });

  it('aggregates every numeric metric per varied value', function () {
    assert.deepEqual(result.metricKeys, ['x', 'nested.param', 'curve[0].y']);
    assert.deepEqual(
      result.combinations.map((c) => c.params.param),
      [1, 2, 13, 4],
    );
    const two = result.combinations[1];
    const xs = [0, 1, 2, 3].map((r) => 4 + noise(50 + r));
    assert.ok(Math.abs(two.metrics.x.mean - mean(xs)) < 1e-12);
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / 3);
    assert.ok(Math.abs((two.metrics.x.stddev as number) - sd) < 1e-12);
    assert.deepEqual([two.metrics.x.min, two.metrics.x.max], [Math.min(...xs), Math.max(...xs)]);
    assert.deepEqual(two.metrics['curve[0].y'], { n: 4, mean: 20, stddev: 0, median: 20, p10: 20, p90: 20, min: 20, max: 20 });
  });

  it('records each failed job with its parameters and goes on with the others', function () {
    assert.equal(result.failures.length, 4);
    assert.deepEqual(
      result.failures.map((f) => [f.params.param, f.repeat, f.seed, f.error.message]),
      [0, 1, 2, 3].map((r) => [13, r, 50 + r, 'param 13 is unlucky']),
    );
    const unlucky = result.combinations[2];
    assert.deepEqual([unlucky.jobs, unlucky.failed, unlucky.metrics], [4, 4, {}]);
    assert.equal(result.combinations[3].metrics.x.n, 4);
    assert.match(progress, /16\/16 100% .*done  4 failed\n$/);
  });

  it('writes sweep.json, sweep.csv, jobs.csv, one plot per varying metric and index.html', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sweep-'));
    const files = await writeSweep(dir, result, { configFile: 'fixture.toml', units: { param: 'units', x: 'widgets' } });
    assert.deepEqual(readdirSync(dir).sort(), ['index.html', 'jobs.csv', 'plot-01-x.svg', 'plot-02-nested.param.svg', 'plot-03-curve_0_.y.svg', 'sweep.csv', 'sweep.json']);
    assert.equal(files.length, 7);

    const json = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
    assert.equal(json.kind, 'chaff-sweep');
    assert.deepEqual([json.totalJobs, json.failedJobs, json.repeat, json.baseSeed], [16, 4, 4, 50]);
    assert.deepEqual(json.vary, [{ key: 'param', values: [1, 2, 13, 4] }]);
    assert.deepEqual(json.failures[0].params, { param: 13 });
    assert.equal(json.combinations[1].metrics.x.mean, result.combinations[1].metrics.x.mean);

    const csv = readFileSync(join(dir, 'sweep.csv'), 'utf8').split('\n');
    assert.equal(csv[0], 'param,metric,n,mean,stddev,median,p10,p90,min,max');
    assert.equal(csv.length, 1 + 3 * 3 + 1); // three combinations with data × three metrics, trailing newline
    assert.ok(csv.includes('2,curve[0].y,4,20,0,20,20,20,20,20'));

    const jobs = readFileSync(join(dir, 'jobs.csv'), 'utf8').split('\n');
    assert.equal(jobs[0], 'index,param,repeat,seed,status,error,x,nested.param,curve[0].y');
    assert.equal(jobs[9], '8,13,0,50,failed,RangeError: param 13 is unlucky,,,');
    assert.equal(jobs.length, 18);

    const svg = readFileSync(join(dir, 'plot-01-x.svg'), 'utf8');
    assert.equal(svg.split('aria-roledescription="point"').length - 1, 3, 'one point per combination with data');
    assert.equal(svg.split('aria-roledescription="rule mark"').length - 1, 3, 'one error bar per point');
    assert.ok(svg.includes('param (units)') && svg.includes('x (widgets)'));

    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.equal(html.split('<img src="data:image/svg+xml;base64,').length - 1, 3);
    assert.match(html, /<h2>Failed jobs \(4\)<\/h2>/);
    assert.match(html, /<td>param=13<\/td><td class="num">0<\/td><td class="num">50<\/td><td>RangeError: param 13 is unlucky<\/td>/);
    assert.match(html, /<tr><th>vary param<\/th><td>1, 2, 13, 4<\/td><\/tr>/);
    assert.match(html, /<tr><th>label<\/th><td>fixture<\/td><\/tr>/);
    assert.match(html, /16 jobs \(4 combinations × 4 repeats\) on 2 worker threads/);
    for (const f of ['sweep.json', 'sweep.csv', 'jobs.csv']) assert.ok(html.includes(`<a href="${f}">`), f);
  });

  it('plots against the first varied key with the others as series, and skips constant metrics', function () {
    const twoAxes: SweepResult = {
      ...result,
      axes: [
        { key: 'b', values: [1, 2] },
        { key: 'm', values: ['u', 'v'] },
      ],
      metricKeys: ['k', 'c'],
      combinations: [
        {
          combination: 0,
          params: { b: 1, m: 'u' },
          jobs: 2,
          failed: 0,
          metrics: { k: { n: 2, mean: 1, stddev: 0.5, median: 1, p10: 0.6, p90: 1.4, min: 0.5, max: 1.5 }, c: { n: 2, mean: 3, stddev: 0, median: 3, p10: 3, p90: 3, min: 3, max: 3 } },
        },
        {
          combination: 1,
          params: { b: 1, m: 'v' },
          jobs: 2,
          failed: 0,
          metrics: { k: { n: 1, mean: 2, stddev: null, median: 2, p10: 2, p90: 2, min: 2, max: 2 }, c: { n: 2, mean: 3, stddev: 0, median: 3, p10: 3, p90: 3, min: 3, max: 3 } },
        },
      ],
    };
    assert.deepEqual(varyingMetrics(twoAxes), ['k']);
    assert.deepEqual(metricPoints(twoAxes, 'k', 'stddev'), [
      { x: 1, series: 'm=u', value: 1, low: 0.5, high: 1.5 },
      { x: 1, series: 'm=v', value: 2, low: 2, high: 2 },
    ]);
    assert.deepEqual(metricPoints(twoAxes, 'k', 'p10-p90')[0], { x: 1, series: 'm=u', value: 1, low: 0.6, high: 1.4 });
    assert.equal(fileSlug('a b/c[0].d'), 'a_b_c_0_.d');
  });
});

describe('simulator/sweep: the simulator adapter (what `chaff sim sweep` runs)', function () {
  this.timeout(30_000);

  it('sweeps a threshold configuration: metrics equal a direct run, repeats take disjoint seed ranges', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-sweep-'));
    const path = join(dir, 'base.toml');
    writeFileSync(path, 'model = "threshold"\nrecipients = 300\nbatch = 10\nfriends = 2\nseeds = 3\nseed = 5\nmax_rounds = 10000\n');
    const base = loadSimSweepBase(path);
    const result = await runSweep({ baseConfig: base, axes: parseVary(['batch=5,20']), repeat: 2, workers: 2, jobModule: SIM_JOB_MODULE, progress: null, ...SIM_SWEEP_HOOKS });
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.jobs.map((j) => j.seed),
      [5, 8, 5, 8],
    );
    const direct = runSimulation(simConfigFromObject({ ...base, batch: 20, seed: 8 })).metrics;
    assert.deepEqual(result.jobs[3].result, JSON.parse(JSON.stringify(direct)));
    assert.ok(result.metricKeys.includes('roundsToDisclosure.median') && result.metricKeys.includes('danezisBound.l2'));
    const files = await writeSweep(join(dir, 'out'), result, { units: SIM_UNITS });
    const plot = files.find((f) => f.endsWith('roundsToDisclosure.median.svg'));
    assert.ok(plot && readFileSync(plot, 'utf8').includes('roundsToDisclosure.median (rounds)'));
  });

  it('refuses a bad configuration or a bad varied value before starting any worker, naming the key', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-sweep-'));
    const path = join(dir, 'base.toml');
    writeFileSync(path, 'model = "threshold"\nrecipients = 300\nbatch = 10\nfriends = 2\n');
    const base = loadSimSweepBase(path);
    // runSweep expands (and validates) synchronously before the pool starts; the rejection names the combination and the key.
    return assert
      .rejects(
        runSweep({ baseConfig: base, axes: parseVary(['friends=2,500']), repeat: 1, jobModule: SIM_JOB_MODULE, progress: null, ...SIM_SWEEP_HOOKS }),
        (e: unknown) => e instanceof SweepPlanError && /with friends=500: sim config: friends = 500/.test(e.message) && e.cause instanceof SimConfigError,
      )
      .then(() => {
        writeFileSync(path, 'model = "threshold"\nrecipients = "many"\n');
        assert.throws(
          () => loadSimSweepBase(path),
          (e: unknown) => e instanceof SimConfigError && e.key === 'recipients',
        );
        assert.throws(
          () => loadSimSweepBase(join(dir, 'missing.toml')),
          (e: unknown) => e instanceof SimConfigError && e.key === '--config',
        );
      });
  });
});

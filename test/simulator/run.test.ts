import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simConfigFromObject } from '../../simulator/config.js';
import { flattenParameters } from '../../simulator/models/run-report.js';
import { meanOfRecords } from '../../simulator/models/seed-average.js';
import { runSimulation, writeResults } from '../../simulator/run.js';

const TINY_LOOPIX = { model: 'loopix', duration: 120, epoch: 30, curve_points: 2, seeds: 2, seed: 3, corrupt_gateways: 1, behaviour: { rate: 120 } };

describe('simulator/run: results, tables, plots and the report page', function () {
  this.timeout(60_000);

  it('writes results.json, runs.csv, curves.csv, recovery plots and index.html for the loopix model', async function () {
    const results = runSimulation(simConfigFromObject(TINY_LOOPIX));
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-run-'));
    const files = await writeResults(results, dir);
    const names = files.map((f) => f.slice(dir.length + 1));
    assert.deepEqual(names, ['results.json', 'runs.csv', 'curves.csv', 'recovery-auc.svg', 'recovery-averagePrecision.svg', 'recovery-precisionAtDegree.svg', 'recovery-linkageAuc.svg', 'index.html']);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), JSON.parse(JSON.stringify(results)));
    const runs = readFileSync(join(dir, 'runs.csv'), 'utf8').split('\n');
    assert.match(runs[0], /^seed,recovery\.sda\.auc,.*,anonymity\.entropyBits\.mean,.*,latencyMs\.delivery\.mean,.*traffic\.realShare/);
    assert.match(runs[1], /^3,/);
    assert.equal(runs.length, 4);
    const curves = readFileSync(join(dir, 'curves.csv'), 'utf8').split('\n');
    assert.equal(curves[0], 'seed,timeS,attack,auc,averagePrecision,precisionAtDegree,linkageAuc');
    // 2 seeds + the mean, × 2 points, × 4 (three attacks and popularity)
    assert.equal(curves.length, 1 + 3 * 2 * 4 + 1);
    assert.ok(curves.some((l) => l.startsWith('mean,120,gsda,')));
    const svg = readFileSync(join(dir, 'recovery-auc.svg'), 'utf8');
    assert.ok(svg.includes('observation time (s)') && svg.includes('gsda') && svg.includes('popularity'));
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.equal(html.split('<img src="data:image/svg+xml;base64,').length - 1, 4);
    assert.match(html, /<tr><th>network\.mu<\/th><td class="num">2<\/td><\/tr>/);
    assert.match(html, /Recovery of the social graph at the end/);
    for (const f of ['results.json', 'runs.csv', 'curves.csv']) assert.ok(html.includes(`<a href="${f}">`), f);
  });

  it('writes the threshold model’s runs.csv as before, with a histogram and CDF of the rounds', async function () {
    const results = runSimulation(simConfigFromObject({ model: 'threshold', recipients: 500, batch: 10, friends: 3, seeds: 6, seed: 2 }));
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-run-'));
    await writeResults(results, dir);
    assert.match(readFileSync(join(dir, 'runs.csv'), 'utf8'), /^seed,roundsToDisclosure\n2,\d+\n3,\d+\n/);
    for (const f of ['rounds-histogram.svg', 'rounds-cdf.svg', 'index.html']) assert.ok(existsSync(join(dir, f)), f);
    const pool = runSimulation(simConfigFromObject({ model: 'pool', recipients: 300, friends: 2, batch: 10, pool: 10, seeds: 3, background: 'uniform' }));
    const poolDir = mkdtempSync(join(tmpdir(), 'chaff-sim-run-'));
    await writeResults(pool, poolDir);
    assert.match(readFileSync(join(poolDir, 'runs.csv'), 'utf8'), /^seed,roundsToDisclosure,entropyBits,effectiveSetSize,latencyRoundsMean,latencyRoundsP99\n1,\d+,/);
    assert.ok(existsSync(join(poolDir, 'rounds-cdf.svg')));
    const population = runSimulation(simConfigFromObject({ model: 'population', users: 10, batch: 5, friends: 2, checkpoints: [50, 100], seeds: 2 }));
    const popDir = mkdtempSync(join(tmpdir(), 'chaff-sim-run-'));
    await writeResults(population, popDir);
    assert.ok(existsSync(join(popDir, 'lsda-error.svg')));
  });

  it('averages seeds leaf by leaf (NaN where no seed has a value) and flattens parameters for the page', function () {
    assert.deepEqual(
      meanOfRecords([
        { a: 1, b: { c: [2, Number.NaN] }, s: 'x' },
        { a: 3, b: { c: [4, Number.NaN] }, s: 'y' },
      ]),
      { a: 2, b: { c: [3, Number.NaN] }, s: 'x' },
    );
    assert.deepEqual(meanOfRecords([{ a: Number.NaN }, { a: 5 }]), { a: 5 });
    assert.throws(() => meanOfRecords([]), RangeError);
    assert.deepEqual(flattenParameters({ graph: { kind: 'csv', path: 'x' }, attacks: ['sda'], mu: 2 }), { 'graph.kind': 'csv', 'graph.path': 'x', attacks: ['sda'], mu: 2 });
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaffEntry } from '../../testnet/chaff-entry.js';

function chaff(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [chaffEntry(), 'sim', ...args], { encoding: 'utf8' });
}

describe('chaff sim: run and sweep from the command line', function () {
  this.timeout(60_000);

  it('chaff sim run on a loopix configuration prints a summary and writes the report', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-cli-'));
    const config = join(dir, 'loopix.toml');
    writeFileSync(config, 'model = "loopix"\nduration = 120\nepoch = 30\ncurve_points = 2\nseeds = 1\ncorrupt_gateways = 1\n[behaviour]\nrate = 120\n');
    const r = chaff(['run', '--config', config, '--out', join(dir, 'out')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^loopix: 34 users, \d+ messages per run, 120 s observed\nROC AUC at the end: sda [\d.]+, gsda [\d.]+, lsda [\d.]+, popularity [\d.]+\nlinkage AUC \(per recipient; 0\.5 = no link found\): sda [\d.]+, gsda [\d.]+, lsda [\d.]+, popularity 0\.5\nper-message entropy/,
    );
    assert.match(r.stdout, /traffic per user: 3\.\d+ packets\/s/);
    assert.ok(existsSync(join(dir, 'out', 'index.html')));

    writeFileSync(config, 'model = "loopix"\nlambda_p = -2\n');
    const bad = chaff(['run', '--config', config, '--out', join(dir, 'out')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /lambda_p = -2 is not allowed; expected a number above 0/);
    assert.equal(chaff(['run', '--config', config, '--out', dir, '--vary', 'mu=1,2']).status, 2, '--vary belongs to sweep');
  });

  it('chaff sim sweep varies a key over the repeats and plots every metric against it', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-cli-'));
    const config = join(dir, 'pool.toml');
    writeFileSync(config, 'model = "pool"\nrecipients = 300\nfriends = 2\nbatch = 10\npool = 0\nbackground = "uniform"\nseeds = 3\nseed = 1\n');
    const out = join(dir, 'sweep');
    const r = chaff(['sweep', '--config', config, '--vary', 'pool=0,50', '--repeat', '2', '--workers', '2', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^4 jobs \(2 combinations × 2 repeats\) on 2 workers/);
    assert.match(r.stderr, /4\/4 100%/, 'progress with ETA on stderr');
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    assert.deepEqual(
      sweep.jobs.map((j: { seed: number }) => j.seed),
      [1, 4, 1, 4],
    );
    const entropy = sweep.combinations.map((c: { metrics: Record<string, { mean: number }> }) => c.metrics['anonymity.entropyBits'].mean);
    assert.ok(entropy[1] > entropy[0] + 1, `entropy ${entropy}`);
    const plot = readFileSync(join(out, 'plot-07-anonymity.entropyBits.svg'), 'utf8');
    assert.ok(plot.includes('pool (messages)') && plot.includes('anonymity.entropyBits (bits)'));
    assert.ok(existsSync(join(out, 'index.html')));

    const bad = chaff(['sweep', '--config', config, '--vary', 'pool=0,-5', '--out', out]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /with pool=-5: sim config: pool = -5 is not allowed/);
    assert.match(chaff(['sweep', '--config', config, '--vary', 'pool', '--out', out]).stderr, /--vary: "pool" has no "="/);
    assert.match(chaff(['sweep', '--config', config, '--vary', 'pool=1,2', '--repeat', 'x', '--out', out]).stderr, /--repeat "x": expected a whole number/);
  });
});

// The bundle the suite's spawned processes run (testnet/chaff-bundle.ts) is
// the same program as bin/chaff.js: paths made from a source file's URL
// still point into the checkout, and a command's output is byte for byte
// the one bin/chaff.js gives.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_ROOT, buildChaffBundle } from '../../testnet/chaff-bundle.js';
import { CHAFF_JS } from '../../testnet/chaff-entry.js';

describe('testnet/chaff-bundle: chaff as one prebuilt file', function () {
  this.timeout(60_000);
  let dir: string;
  let entry: string;

  before(async () => {
    dir = await mkdtemp(join(BUNDLE_ROOT, 'bundle-test-'));
    entry = (await buildChaffBundle(dir)).entry;
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // bin/chaff.js itself runs dist/ when a current build is there (bin/current-build.js): here it must run the sources.
  const run = (bin: string, args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env: { ...process.env, CHAFF_FROM_SOURCES: '1' } });

  it('is split per command: chaff.mjs and chunks in the folder it was given', async () => {
    const files = await readdir(dir);
    assert.ok(files.includes('chaff.mjs'));
    assert.ok(
      files.some((f) => /^chunk-[A-Z0-9]+\.mjs$/.test(f)),
      files.join(' '),
    );
  });

  it('names the sources it was built from, and no path of this checkout: it runs wherever it is moved together with them (dist/ in a package)', async () => {
    const { sources } = await buildChaffBundle(dir);
    for (const source of ['cli/run.ts', 'cli/main.ts', 'node/mix/unwrap-worker.ts', 'client/ui/web-bundle.ts']) assert.ok(sources.includes(source), source);
    assert.ok(
      sources.every((s) => !s.startsWith('node_modules/') && !s.startsWith('/')),
      "only the package's own files, relative",
    );
    const root = fileURLToPath(new URL('../..', import.meta.url));
    for (const file of await readdir(dir)) {
      const text = await readFile(join(dir, file), 'utf8');
      assert.ok(!text.includes(root), `${file} holds the path ${root}`);
    }
  });

  it('prints what bin/chaff.js prints: the version (read from package.json beside the sources), usage errors, a Sphinx command', () => {
    for (const [args, input] of [[['--version']], [['no-such-command']], [['node', '--help']], [['sphinx', 'geometry']]] as Array<[string[], string?]>) {
      const a = run(CHAFF_JS, args, input);
      const b = run(entry, args, input);
      assert.equal(b.status, a.status, `chaff ${args.join(' ')}: exit status`);
      assert.equal(b.stdout, a.stdout, `chaff ${args.join(' ')}: stdout`);
      assert.equal(b.stderr, a.stderr, `chaff ${args.join(' ')}: stderr`);
    }
    assert.match(run(entry, ['--version']).stdout, /^chaff \d+\.\d+\.\d+ /);
  });
});

// bin/current-build.js: bin/chaff.js runs the prebuilt bundle only while it
// is current with the sources it was built from (same content), never a
// stale one.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { currentBuild } from '../../bin/current-build.js';

describe('bin/current-build: the bundle runs only while it is current', () => {
  let root: string;
  const rootUrl = (): URL => pathToFileURL(`${root}/`);
  const startedMs = Date.UTC(2026, 11, 1);
  const at = (ms: number) => new Date(ms);
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const SOURCES: Record<string, string> = { 'cli/run.ts': '// run\n', 'cli/main.ts': '// main\n' };
  const write = (source: string, text: string, ms: number) => {
    writeFileSync(join(root, source), text);
    utimesSync(join(root, source), at(ms), at(ms));
  };
  const stamp = (fields: Record<string, unknown>) => writeFileSync(join(root, 'dist', 'build.json'), JSON.stringify(fields));
  const current = () => currentBuild(rootUrl(), undefined, {});

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'chaff-current-build-'));
    mkdirSync(join(root, 'cli'));
    mkdirSync(join(root, 'dist'));
    for (const [source, text] of Object.entries(SOURCES)) write(source, text, startedMs - 60_000);
    writeFileSync(join(root, 'dist', 'chaff.mjs'), '// bundle\n');
    stamp({ startedMs, entry: 'chaff.mjs', sources: Object.fromEntries(Object.entries(SOURCES).map(([s, t]) => [s, sha256(t)])) });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the entry when no source changed since the build began', () => {
    assert.equal(current()?.href, pathToFileURL(join(root, 'dist', 'chaff.mjs')).href);
  });

  it("takes sources dated after the build with the same content as current (an installed package's files carry the time they were unpacked)", () => {
    for (const [source, text] of Object.entries(SOURCES)) write(source, text, startedMs + 3_600_000);
    assert.notEqual(current(), null);
  });

  it('runs the sources once one of them holds other content (an edit, a pull, another branch)', () => {
    write('cli/main.ts', '// main, edited\n', startedMs + 1);
    assert.equal(current(), null);
    write('cli/main.ts', SOURCES['cli/main.ts'], startedMs + 2);
    assert.notEqual(current(), null, 'the content is back (the branch switched back)');
  });

  it('runs the sources for a source that changed while the build ran (its digest is empty)', () => {
    stamp({ startedMs, entry: 'chaff.mjs', sources: { 'cli/run.ts': sha256(SOURCES['cli/run.ts']), 'cli/main.ts': '' } });
    assert.notEqual(current(), null, 'not touched since: the stat is enough');
    write('cli/main.ts', SOURCES['cli/main.ts'], startedMs + 1);
    assert.equal(current(), null);
  });

  it('runs the sources when a source is gone, the entry is missing, or build.json is missing or malformed', () => {
    rmSync(join(root, 'cli/main.ts'));
    assert.equal(current(), null, 'a source gone');
    write('cli/main.ts', SOURCES['cli/main.ts'], startedMs - 1);
    assert.notEqual(current(), null, 'back again');
    rmSync(join(root, 'dist', 'chaff.mjs'));
    assert.equal(current(), null, 'the entry missing');
    writeFileSync(join(root, 'dist', 'chaff.mjs'), '');
    for (const bad of [
      '{',
      '{}',
      JSON.stringify({ startedMs: 'soon', entry: 'chaff.mjs', sources: {} }),
      JSON.stringify({ startedMs, entry: 'chaff.mjs' }),
      JSON.stringify({ startedMs, entry: 'chaff.mjs', sources: null }),
    ]) {
      writeFileSync(join(root, 'dist', 'build.json'), bad);
      assert.equal(current(), null, bad);
    }
    rmSync(join(root, 'dist', 'build.json'));
    assert.equal(current(), null, 'no build.json');
  });

  it('runs the sources when CHAFF_FROM_SOURCES is set', () => {
    assert.equal(currentBuild(rootUrl(), undefined, { CHAFF_FROM_SOURCES: '1' }), null);
  });
});

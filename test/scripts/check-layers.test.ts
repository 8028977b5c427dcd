import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkLayers } from '../../scripts/check-layers.js';

describe('scripts/check-layers: the import-boundary check of npm run lint', function () {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'chaff-layers-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reports each forbidden import with its file, line and rule, whatever the form of the import', function () {
    write('protocol/a/pure.ts', "import { x } from '../b/other.js';\nimport { createHash } from 'node:crypto';\nexport const y = x;\n");
    write('protocol/b/other.ts', 'export const x = 1;\n');
    write('protocol/a/impure.ts', "\nimport type { Clock } from '../../runtime/clock.js';\nimport { readFileSync } from 'node:fs';\nimport { createLibp2p } from 'libp2p';\n");
    write('runtime/clock.ts', "export * from '../node/daemon.js';\n");
    write('node/daemon.ts', "export const c = () => import('../client/api.js');\n");
    write('client/api.ts', "import '../protocol/b/other.js';\nimport { runNode } from '../node/daemon.js';\n");
    write('simulator/run.ts', "import { systemClock } from '../runtime/clock.js';\nimport { x } from '../protocol/b/other.js';\n");
    write('cli/main.ts', "import '../node/daemon.js';\nimport '../client/api.js';\nimport '../simulator/run.js';\n");
    const found = checkLayers(root)
      .map((v) => `${v.file}:${v.line} ${v.specifier}`)
      .sort();
    assert.deepEqual(found, [
      'client/api.ts:2 ../node/daemon.js',
      'node/daemon.ts:1 ../client/api.js',
      'protocol/a/impure.ts:2 ../../runtime/clock.js',
      'protocol/a/impure.ts:3 node:fs',
      'protocol/a/impure.ts:4 libp2p',
      'runtime/clock.ts:1 ../node/daemon.js',
      'simulator/run.ts:1 ../runtime/clock.js',
    ]);
    assert.match(checkLayers(root).find((v) => v.file === 'client/api.ts')!.reason, /client must not import node/);
  });

  it('the repository itself has no violation', function () {
    this.timeout(30_000);
    assert.deepEqual(checkLayers(join(import.meta.dirname, '..', '..')), []);
  });
});

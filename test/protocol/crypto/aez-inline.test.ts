// The inlined AES rounds in protocol/crypto/aez.ts must match what scripts/aez-inline.cjs
// generates from their `// @aez-inline` markers.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'aez-inline.cjs');
const AEZ = join(ROOT, 'protocol', 'crypto', 'aez.ts');

interface Region {
  line: number;
  spec: string;
  inSync: boolean;
}
const { expandRegions } = createRequire(import.meta.url)(SCRIPT) as {
  expandRegions(src: string): { text: string; regions: Region[] };
};

function runCheck(file: string) {
  return spawnSync(process.execPath, [SCRIPT, '--check', file], { encoding: 'utf8' });
}

describe('aez-inline (generated AES rounds in aez.ts)', () => {
  const src = readFileSync(AEZ, 'utf8');

  it('the repository file is in sync with its markers', () => {
    const { text, regions } = expandRegions(src);
    assert.equal(regions.length, 16);
    assert.deepEqual(
      regions.filter((r) => !r.inSync),
      [],
    );
    assert.equal(text, src);
    const r = runCheck(AEZ);
    assert.equal(r.status, 0, r.stderr);
  });

  it('detects an edited generated line and names its region', () => {
    const at = src.indexOf('^ kj0;', src.indexOf('// @aez-inline AES4 a b sink'));
    assert.ok(at > 0);
    const altered = src.slice(0, at) + '^ ki0;' + src.slice(at + 6);
    const { text, regions } = expandRegions(altered);
    assert.equal(text, src); // regeneration restores the original
    const stale = regions.filter((r) => !r.inSync);
    assert.equal(stale.length, 1);
    assert.equal(stale[0]!.spec, 'AES4 a b sink');

    const dir = mkdtempSync(join(tmpdir(), 'aez-inline-'));
    try {
      const file = join(dir, 'aez.ts');
      writeFileSync(file, altered);
      const r = runCheck(file);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`aez\\.ts:${stale[0]!.line}: region "@aez-inline AES4 a b sink"`));
      assert.equal(readFileSync(file, 'utf8'), altered); // --check does not write
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unterminated region', () => {
    assert.throws(() => expandRegions('  // @aez-inline ROUND a b none\n  x = 1;\n'), /not followed by @aez-inline end/);
  });
});

// `npm run build`, also npm's `prepare` (so `npm install` in a checkout and
// `npm pack` run it): bundles the `chaff` command into dist/
// (testnet/chaff-bundle.ts), which bin/chaff.js runs while no source it was
// built from has changed since (bin/current-build.js). The bundle finds the
// sources' own files (web/, package.json, the native addon) by paths
// relative to itself, so dist/ travels with the package.
//
// dist/build.json: { "startedMs": when the build began, "entry":
// "chaff.mjs", "sources": { path relative to the package, '/'-separated:
// SHA-256 of its content, hex } }. A source modified while the build ran
// gets an empty digest, so the build is stale from the start.

import { createHash } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildChaffBundle } from '../testnet/chaff-bundle.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

async function main(): Promise<void> {
  // Taken before esbuild reads a file: one edited during the build leaves it stale, not current.
  const startedMs = Date.now();
  const staging = join(ROOT, `dist.build-${process.pid}`);
  try {
    const { sources } = await buildChaffBundle(staging);
    const digests: Record<string, string> = {};
    for (const source of sources) {
      const path = join(ROOT, source);
      const content = await readFile(path);
      digests[source] = (await stat(path)).mtimeMs > startedMs ? '' : createHash('sha256').update(content).digest('hex');
    }
    await writeFile(join(staging, 'build.json'), `${JSON.stringify({ startedMs, entry: 'chaff.mjs', sources: digests }, null, 1)}\n`);
    await rm(DIST, { recursive: true, force: true });
    await rename(staging, DIST);
    process.stdout.write(`dist/: chaff bundled from ${sources.length} source files in ${((Date.now() - startedMs) / 1000).toFixed(1)} s\n`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

await main();

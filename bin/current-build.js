// Which program bin/chaff.js runs: the prebuilt bundle in dist/ (`npm run
// build`, scripts/build.ts) while it is current, else the TypeScript sources
// through tsx. Loading the sources through tsx costs about 3 s of CPU before
// a command does anything (testnet/chaff-bundle.ts says why); the bundle
// loads in a tenth of that.
//
// dist/build.json records when the build began and the SHA-256 of every
// source it read. The bundle is current while every one of them is still
// there with that content: a file not modified since the build began is
// taken as it is (one stat), a later one is hashed (an installed package's
// files all carry the time they were unpacked: about 20 ms for all of them).
// So a checkout that was edited, pulled or switched to another branch runs
// its sources, never a stale bundle. CHAFF_FROM_SOURCES=1 forces the sources.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/**
 * The URL of the bundle's entry when `dist` (a folder URL, default
 * `root`/dist/) holds a build current with the sources under `root` (a
 * folder URL), else null.
 */
export function currentBuild(root, dist = new URL('dist/', root), env = process.env) {
  if (env.CHAFF_FROM_SOURCES) return null;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(new URL('build.json', dist), 'utf8'));
  } catch {
    return null;
  }
  if (typeof stamp?.startedMs !== 'number' || typeof stamp.entry !== 'string' || typeof stamp.sources !== 'object' || stamp.sources === null) return null;
  try {
    for (const [source, digest] of Object.entries(stamp.sources)) {
      const file = new URL(source, root);
      if (statSync(file).mtimeMs <= stamp.startedMs) continue;
      if (createHash('sha256').update(readFileSync(file)).digest('hex') !== digest) return null;
    }
    const entry = new URL(stamp.entry, dist);
    statSync(entry);
    return entry;
  } catch {
    return null;
  }
}

// Mocha global fixture (test/lanes.cjs, .mocharc.json): the `chaff` processes
// the tests spawn run from a bundle of the current sources, built here when
// mocha starts (about 2 s), instead of through tsx, which costs each process
// about 3 s of CPU to load (testnet/chaff-bundle.ts says why). A suite run
// spawns a few hundred of them.
//
// Each mocha process builds its own bundle (the two lanes of `npm test` run
// at once) and removes it at the end; folders of runs that were killed are
// removed by the next one. With CHAFF_BIN already set (for instance to
// bin/chaff.js, to run the suite through tsx), nothing is built.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_ROOT, buildChaffBundle } from '../../testnet/chaff-bundle.js';

let built: string | undefined;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.CHAFF_BIN) return;
  for (const name of await readdir(BUNDLE_ROOT).catch(() => [])) {
    if (/^run-\d+$/.test(name) && !alive(Number(name.slice(4)))) await rm(join(BUNDLE_ROOT, name), { recursive: true, force: true });
  }
  built = join(BUNDLE_ROOT, `run-${process.pid}`);
  process.env.CHAFF_BIN = (await buildChaffBundle(built)).entry;
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (built) await rm(built, { recursive: true, force: true });
}

#!/usr/bin/env node
// The `chaff` command. Chaff is written in TypeScript: a checkout runs its
// sources through tsx, so it needs no build step. `npm run build` (run by
// `npm install` and `npm pack` as npm's `prepare`) bundles them into dist/,
// from which a command starts in about a third of the time (a node loads
// its code in a tenth); it runs only while it is current with
// the sources (bin/current-build.js).
import { currentBuild } from './current-build.js';

const built = currentBuild(new URL('../', import.meta.url));
if (built) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/run.ts');
}

// Which `chaff` a testnet or a test spawns: $CHAFF_BIN if set (a bundle of
// the sources, testnet/chaff-bundle.ts), else bin/chaff.js (through tsx).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/chaff.js: the command as installed, run through tsx. */
export const CHAFF_JS = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'chaff.js');

/** The `chaff` entry to spawn: $CHAFF_BIN if set, else bin/chaff.js. */
export function chaffEntry(): string {
  return process.env.CHAFF_BIN || CHAFF_JS;
}

// Per-epoch files in one folder (documents/<epoch>.bin, descriptors/<epoch>.log):
// deleting those of past epochs, the one loop the document store and the
// authority's round log share.

import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Deletes every file in `dir` whose name `pattern` matches with an epoch
 * (its first capture group, decimal) below `epoch`, and every file
 * `alsoStale` names. A missing folder, or a file already gone, is not an
 * error: pruning is best effort and runs again at the next epoch.
 */
export async function deleteEpochFilesBefore(dir: string, epoch: number, pattern: RegExp, alsoStale: (name: string) => boolean = () => false): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if ((m && Number(m[1]) < epoch) || alsoStale(name)) await unlink(join(dir, name)).catch(() => undefined);
  }
}

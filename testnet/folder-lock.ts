// One testnet per folder at a time: `<dir>/testnet.lock` holds the pid of the
// `chaff testnet` that runs the network in it. A second one on the same
// folder would find every port taken by the first and, worse, two sets of
// nodes writing the same stores; it stops with a clear error instead. A lock
// left by a testnet that died (SIGKILL, a power cut) is taken over: its pid
// is gone, or now belongs to a process that is not a chaff testnet.

import { openSync, readFileSync, closeSync, writeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { TestnetFolderError } from './plan-file.js';

export const LOCK_FILE = 'testnet.lock';

/** Whether `pid` is a live process that may be a chaff testnet (its command line, where /proc shows it, mentions testnet). */
function testnetAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('testnet');
  } catch {
    return true; // no /proc: a live pid is taken at its word
  }
}

export class FolderLock {
  readonly path: string;
  #held = true;

  private constructor(path: string) {
    this.path = path;
  }

  /** Takes the lock of `dir` (which must exist), or throws TestnetFolderError 'running'. */
  static acquire(dir: string): FolderLock {
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx', 0o644);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
        if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && testnetAlive(pid)) {
          throw new TestnetFolderError('running', `a testnet already runs in ${dir} (pid ${pid}); stop it first (Ctrl-C in its terminal, or kill ${pid}); if none runs, remove ${path}`);
        }
        unlinkSync(path); // left by a testnet that is gone
        continue;
      }
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return new FolderLock(path);
    }
    throw new TestnetFolderError('running', `could not take the lock ${path}: another testnet is starting in the same folder`);
  }

  /** Removes the lock file (idempotent; synchronous, so it can run in an exit hook). */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    try {
      if (readFileSync(this.path, 'utf8').trim() === String(process.pid)) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

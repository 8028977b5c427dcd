// Starting `chaff client daemon` from the web app's first run
// (docs/web-app.md §First run, §Security). The daemon reads its passphrase
// once at start (cli/passphrase.ts readPassphrase: --passphrase-file, else
// CHAFF_PASSPHRASE, else a terminal). Of these, the file is the one a
// detached child can be given without the passphrase being visible to
// anyone else: the command line is world-readable (/proc/PID/cmdline), an
// environment variable is inherited and can be read by the same user's
// tools, and a detached child has no terminal. So the file is a FIFO (a
// named pipe, `mkfifo -m 600`) in the profile folder (mode 0700): the
// daemon opens it as its --passphrase-file and this process writes the
// passphrase into it. A pipe's content goes through the kernel's memory,
// never to disk, and the FIFO is unlinked as soon as the daemon has opened
// it. Where `mkfifo` does not exist (Windows) the start fails and the page
// shows the command to run by hand.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The daemon's log (its stderr), in the profile folder, mode 0600. */
export const DAEMON_LOG_FILE = 'daemon.log';

/** How `chaff` is run: `file` with `args` before the subcommand (node and bin/chaff.js). */
export interface ChaffCommand {
  file: string;
  args: string[];
}

export interface SpawnedDaemon {
  pid: number;
  /** Resolves with the exit code (or signal) when the daemon exits. */
  exited: Promise<string>;
}

export interface SpawnDaemonOptions {
  /** How long the daemon has to open the passphrase FIFO (default 60 s). */
  timeoutMs?: number;
}

/** The command a user runs to start the daemon by hand. */
export function daemonCommandLine(profileDir: string): string {
  return `chaff client daemon --profile ${/^[\w./~-]+$/.test(profileDir) ? profileDir : `'${profileDir.replace(/'/g, `'\\''`)}'`}`;
}

/**
 * Spawns `chaff client daemon --profile DIR --passphrase-file FIFO` detached
 * (it outlives the web app, like a daemon started in a terminal), its output
 * appended to DIR/daemon.log, and hands it `passphrase` through the FIFO.
 * Resolves once the daemon has read the passphrase; rejects when it exits
 * first or does not open the FIFO in time. The passphrase is never on a
 * command line or in an environment.
 */
export async function spawnDaemon(command: ChaffCommand, profileDir: string, passphrase: string, options: SpawnDaemonOptions = {}): Promise<SpawnedDaemon> {
  const fifo = join(profileDir, `.passphrase-${randomBytes(8).toString('hex')}.fifo`);
  try {
    await promisify(execFile)('mkfifo', ['-m', '600', fifo]);
  } catch (err) {
    throw new Error(`cannot make a pipe for the passphrase (mkfifo): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const log = openSync(join(profileDir, DAEMON_LOG_FILE), 'a', 0o600);
    const env = { ...process.env };
    delete env.CHAFF_PASSPHRASE;
    let child;
    try {
      child = spawn(command.file, [...command.args, 'client', 'daemon', '--profile', profileDir, '--passphrase-file', fifo], { detached: true, stdio: ['ignore', log, log], env });
    } finally {
      closeSync(log);
    }
    let exit: string | null = null;
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve((exit = signal ?? `exit code ${code}`)));
      child.once('error', (err) => resolve((exit = err.message)));
    });
    child.unref();
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    // O_NONBLOCK: the open fails (ENXIO) until the daemon has the FIFO open for reading, rather than hang if it never does.
    for (;;) {
      if (exit !== null) throw new Error(`the daemon stopped before it read its passphrase (${exit}); see ${join(profileDir, DAEMON_LOG_FILE)}`);
      try {
        const handle = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        const bytes = Buffer.from(passphrase, 'utf8');
        try {
          await handle.write(bytes);
        } finally {
          bytes.fill(0);
          await handle.close();
        }
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
      }
      if (Date.now() > deadline) {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
        throw new Error(`the daemon did not read its passphrase within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s; see ${join(profileDir, DAEMON_LOG_FILE)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { pid: child.pid!, exited };
  } finally {
    await unlink(fifo).catch(() => undefined);
  }
}

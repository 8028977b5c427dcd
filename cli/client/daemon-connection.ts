// Finding the profile and talking to its running daemon: every front-end
// command but `init` and `daemon` connects to the daemon's local socket
// (client/rpc, docs/client-api.md), does one thing and disconnects.

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectClientApi, type ClientApiConnection } from '../../client/rpc/client.js';

/** The profile folder: --profile, else $CHAFF_PROFILE, else ~/.chaff/profile. */
export function resolveProfileDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const dir = option ?? (env.CHAFF_PROFILE ? env.CHAFF_PROFILE : join(homedir(), '.chaff', 'profile'));
  return resolve(dir);
}

/** Runs `fn` with a connection to the daemon listening on `socketPath`, then closes it. */
export async function withDaemon<T>(socketPath: string, fn: (api: ClientApiConnection) => Promise<T>): Promise<T> {
  const api = await connectClientApi(socketPath);
  try {
    return await fn(api);
  } finally {
    await api.close();
  }
}

/** Is a daemon listening on the socket already? (Checked before asking for the passphrase.) */
export async function daemonAnswers(socketPath: string): Promise<boolean> {
  try {
    await (await connectClientApi(socketPath, { connectTimeoutMs: 2000 })).close();
    return true;
  } catch {
    return false;
  }
}

// `chaff client ui`: the web app (docs/web-app.md). A front end like the
// others: it connects to the running daemon's socket (and follows it across
// restarts), serves the app on 127.0.0.1, prints the address that signs the
// browser in, and runs until Ctrl-C. A separate process, not part of the
// daemon: the daemon holds the keys and stays small; the UI can be started,
// stopped and upgraded on its own, and a bug in it never reaches the keys.
// When the profile folder holds no profile yet and a network file is given,
// the same server first serves the first run (client/ui/first-run.ts): the
// page creates the profile, then the daemon is started for it and the page
// switches to the app.

import { connectClientApi } from '../../client/rpc/client.js';
import { DaemonLink } from '../../client/ui/daemon-link.js';
import { FirstRun, profileExists } from '../../client/ui/first-run.js';
import { UiServer } from '../../client/ui/ui-server.js';
import { createLogger } from '../../runtime/log/logger.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';
import { waitForStopSignal } from '../signals.js';

export { profileExists } from '../../client/ui/first-run.js';

export interface WebAppOptions {
  socketPath: string;
  profileDir: string;
  /** 0: a free port. */
  port: number;
  /** The network file, for a first run (the folder holds no profile yet); ignored when it holds one. */
  network?: string;
}

export async function runWebApp(options: WebAppOptions): Promise<void> {
  const logger = createLogger('info', 'ui');
  const link = new DaemonLink({ logger: logger.child('daemon-link') }, { connect: () => connectClientApi(options.socketPath) });
  let firstRun: FirstRun | undefined;
  if (options.network !== undefined && !profileExists(options.profileDir)) {
    // The link starts once the daemon for the new profile has been started: its backoff begins then, not minutes before.
    firstRun = new FirstRun(
      { logger: logger.child('first-run'), daemonConnected: () => link.connected, onDaemonStarted: () => void link.start() },
      { profileDir: options.profileDir, network: options.network, chaffCommand: { file: process.execPath, args: [chaffEntry()] } },
    );
    firstRun.start();
    process.stderr.write(`chaff client ui: there is no profile in ${options.profileDir} yet: the page creates one on the network of ${options.network}, then starts its daemon\n`);
  } else {
    await link.start();
    if (!link.connected)
      process.stderr.write(`chaff client ui: no daemon is running for profile ${options.profileDir} yet; the app shows that and reconnects (start it with \`chaff client daemon\`)\n`);
  }
  const server = new UiServer({ api: link.api(), logger, ...(firstRun ? { firstRun } : {}) }, { port: options.port });
  try {
    await server.start();
  } catch (err) {
    await firstRun?.stop();
    await link.stop();
    throw err;
  }
  const forget = link.onConnectionChange(() => server.statusNow());
  process.stdout.write(`chaff client ui: open ${server.loginUrl}\n(the address signs you in: keep it private; Ctrl-C stops the web app, not the daemon)\n`);
  const signal = await waitForStopSignal();
  process.stderr.write(`chaff client ui: ${signal}, stopping\n`);
  forget();
  await server.stop();
  await firstRun?.stop();
  await link.stop();
}

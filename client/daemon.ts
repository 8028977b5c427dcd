// `chaff client daemon`: the process that owns a profile's keys, its gateway
// connection and its cover traffic (docs/client.md). It must run for the
// cover stream to stay constant. Front ends talk to it over the profile's
// local socket (client/rpc, docs/client-api.md).
//
// This is its entry point: it opens what the process needs from the outside
// world (the profile store, the identity, a libp2p host, the PKI client
// with the documents it cached on disk, which let the daemon start while the
// network is away),
// registering each on a Lifecycle so it is closed last, and hands them with
// the system clock and the runtime logger to the composition root
// (client/daemon/compose.ts), which builds, starts and stops the rest in its
// written order.

import { join } from 'node:path';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { deserializeIdentity, zeroizeIdentity } from '../protocol/e2ee/identity.js';
import type { Clock } from '../protocol/traffic/clock.js';
import { systemClock } from '../runtime/clock.js';
import { Lifecycle } from '../runtime/lifecycle/startable.js';
import { createLogger, type Logger } from '../runtime/log/logger.js';
import { authorityPeers } from '../runtime/pki/authority-peers.js';
import { PkiClient } from '../runtime/pki/pki-client.js';
import { ClientError } from './api.js';
import { CLIENT_CONFIG_FILE, loadClientConfig } from './config.js';
import { composeClientDaemon, type RunningClient } from './daemon/compose.js';
import { sealedMessengerStores } from './messenger/stores.js';
import { GatewayLink } from './net/gateway-link.js';
import { clientSocketPath, serveClientApi } from './rpc/index.js';
import { COLLECTIONS } from './state.js';
import { openProfile } from './store/profile.js';

export type { RunningClient } from './daemon/compose.js';

export interface ClientDaemonOptions {
  profileDir: string;
  passphrase: string;
  /**
   * Where the log lines go: one JSON object per line, without the newline
   * (runtime/log/logger.ts; default: stderr). Never keys, names or text.
   * Ignored when `logger` is given.
   */
  log?: (line: string) => void;
  /** The logger to use instead (its sink and level); the daemon logs as its "client" child. */
  logger?: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Longest wait for a first verified document when the profile has none cached (pki-cache/). Default: no bound. */
  documentTimeoutMs?: number;
  /** Trace mode (test networks only): append who wrote to whom to this file (docs/simulator.md §Trace mode). */
  tracePath?: string;
}

/** The daemon's logger: debug lines only with CHAFF_LOG=debug. */
function daemonLogger(options: ClientDaemonOptions): Logger {
  if (options.logger) return options.logger.child('client');
  const write = options.log;
  const level = process.env.CHAFF_LOG === 'debug' ? 'debug' : 'info';
  return write ? createLogger(level, 'client', (line) => write(line.replace(/\n$/, ''))) : createLogger(level, 'client');
}

export async function startClientDaemon(options: ClientDaemonOptions): Promise<RunningClient> {
  const clock = options.clock ?? systemClock;
  const logger = daemonLogger(options);
  const config = loadClientConfig(join(options.profileDir, CLIENT_CONFIG_FILE));
  const lifecycle = new Lifecycle(logger);
  const store = await openProfile(options.profileDir, options.passphrase, {
    collections: COLLECTIONS,
    onCorruptRecord: (err) => logger.warn('a corrupt record in the profile store was skipped', { collection: err.collection }),
  });
  lifecycle.onStop('profile store', () => store.close());
  try {
    const stores = sealedMessengerStores(store);
    const identityBytes = await stores.profile.get('identity');
    const keyBytes = await stores.profile.get('libp2p');
    if (!identityBytes || !keyBytes) throw new ClientError('unavailable', `the profile in ${options.profileDir} is incomplete (no identity): run \`chaff client init\` again in a new folder`);
    const identity = deserializeIdentity(identityBytes);
    lifecycle.onStop('identity', () => zeroizeIdentity(identity));
    const key = privateKeyFromProtobuf(keyBytes) as Ed25519PrivateKey;
    const host = await GatewayLink.createHost(key);
    // The gateway link stops the host too; stopping a stopped host does nothing.
    lifecycle.onStop('libp2p host', () => host.stop());
    const pki = new PkiClient({ host, logger: logger.child('pki') }, { authorities: authorityPeers(config.network.authorities), dataDir: options.profileDir });
    await lifecycle.add({ name: 'pki client', start: () => pki.start(), stop: () => pki.stop() });
    return await composeClientDaemon(
      {
        profileDir: options.profileDir,
        config,
        socketPath: clientSocketPath(options.profileDir),
        ...(options.documentTimeoutMs !== undefined ? { documentTimeoutMs: options.documentTimeoutMs } : {}),
        ...(options.tracePath !== undefined ? { tracePath: options.tracePath } : {}),
      },
      {
        clock,
        logger,
        lifecycle,
        stores,
        identity,
        key,
        documents: pki,
        // Verified at init or by an earlier run: the daemon starts from them while the network is away.
        cachedDocuments: () => pki.held(),
        openLink: (gateway) => GatewayLink.over(host, key, gateway, clock),
        serveApi: serveClientApi,
        // The API's passphrase change and backup (the web app's Settings) work on the open profile.
        profileStore: store,
      },
    );
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

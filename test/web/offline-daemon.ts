// A client daemon's API with no network under it, for the web app's browser
// tests of what needs no mixnet: the real Messenger over a real encrypted
// profile (test/helpers/messenger-users.ts) behind the real ApiFacade
// (client/daemon/api-facade.ts), its gateway never reached (connected:
// false, no document). Envelopes move between users when the test hands
// them over (drain, then receive), as the mixnet would deliver them; the
// network paths are proven by test/web/web-app.test.ts. Its settings are
// the daemon's real ones (client/daemon/daemon-settings.ts) over a
// client.toml written in the user's profile folder and a document follower
// that follows no document (the network's rates are NETWORK_RATES); its
// passphrase change and backup are the real ones over the user's profile.
// With `handles`, its short handles are the real HandleAdmin's over a
// registry of names that stands for the gateways (test/web/offline-handles.ts).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientApi } from '../../client/api.js';
import { CLIENT_CONFIG_FILE, clientToml, DEFAULT_CLIENT_SETTINGS } from '../../client/config.js';
import { ApiFacade } from '../../client/daemon/api-facade.js';
import { ClientEvents } from '../../client/daemon/client-events.js';
import { DaemonSettings, trafficSizes } from '../../client/daemon/daemon-settings.js';
import { DocumentFollower } from '../../client/daemon/document-follower.js';
import { ProfileAdmin } from '../../client/daemon/profile-admin.js';
import { toHex } from '../../protocol/bytes.js';
import { PRODUCTION_GEOMETRY } from '../../protocol/sphinx/geometry.js';
import { raiseRates, type ClientRates } from '../../protocol/traffic/client-streams.js';
import { silentLogger, type Logger } from '../../runtime/log/logger.js';
import type { Users, User } from '../helpers/messenger-users.js';
import type { OfflineNameServices } from './offline-handles.js';

export interface OfflineDaemon {
  user: User;
  api: ClientApi;
  /** The profile's client.toml, which the settings calls write. */
  configPath: string;
  /** The rates the daemon's streams would send at (status().rates, settings' effective rates). */
  streams: { rates: ClientRates };
}

/** The network's rates an offline daemon reports (the default network's). */
export const NETWORK_RATES: ClientRates = Object.freeze({ lambdaP: 2, lambdaL: 1, lambdaD: 0.5 });
/** Its fetch interval (client.toml's default). */
const FETCH_INTERVAL_MS = DEFAULT_CLIENT_SETTINGS.fetchIntervalMs;

const NO_LOOPS = { sent: 0, returned: 0, late: 0, lost: 0, outstanding: 0, acksReturned: 0 };

/** A user (users.create) whose messenger's events reach the API's subscribers. */
export async function offlineDaemon(users: Users, name: string, opts: Parameters<Users['create']>[1] = {}, options: { logger?: Logger; handles?: OfflineNameServices } = {}): Promise<OfflineDaemon> {
  const logger = options.logger ?? silentLogger;
  const events = new ClientEvents();
  const user = await users.create(name, { ...opts, extra: { ...opts.extra, emit: (e) => events.emit(e) } });
  const gateway = { identityKey: new Uint8Array(32), nodeId: user.gateway, name: `gateway-of-${name}`, addresses: [], sphinxKeys: { current: new Uint8Array(32), next: new Uint8Array(32) } };
  const configPath = join(user.dir, CLIENT_CONFIG_FILE);
  const settings = { ...DEFAULT_CLIENT_SETTINGS, gateway: toHex(user.gateway), gatewayName: gateway.name, fetchIntervalMs: FETCH_INTERVAL_MS };
  writeFileSync(
    configPath,
    clientToml({
      network: { genesisMs: Date.parse('2026-01-01T00:00:00Z'), epochDurationMs: 1_200_000, authorities: [{ name: 'auth-1', identity: 'ab'.repeat(32), addresses: ['/ip4/127.0.0.1/tcp/1'] }] },
      client: settings,
    }),
    { mode: 0o600 },
  );
  const streams = { rates: raiseRates(NETWORK_RATES, settings.raise), setRates: (r: ClientRates) => void (streams.rates = r) };
  // No document ever comes: the follower only applies the user's raise to the network's rates.
  const follower = new DocumentFollower(
    { view: { subscribe: () => () => undefined, epochNow: () => 0, newest: () => undefined }, link: { updateGateway: () => undefined }, streams, logger },
    { gateway: settings.gateway, raise: settings.raise, network: NETWORK_RATES },
  );
  const daemonSettings = new DaemonSettings(
    { logger, messenger: user.messenger, cover: follower, streams },
    { configPath, fetchIntervalMs: FETCH_INTERVAL_MS, sizes: trafficSizes(PRODUCTION_GEOMETRY) },
  );
  const facade = new ApiFacade(
    {
      clock: users.clock,
      logger,
      messenger: user.messenger,
      link: {
        gateway,
        connected: false,
        stats: () => ({ packetsSent: 0, bytesSent: 0, bytesReceived: 0, sendFailures: 0, fetches: 0, fetchFailures: 0, reconnects: 0 }),
        register: () => Promise.reject(new Error('offline: the gateway is not reached')),
      },
      arq: user.arq,
      loops: { stats: () => NO_LOOPS, decoyStats: () => ({ sent: 0, returned: 0, lost: 0, outstanding: 0 }) },
      streams,
      view: { current: () => null, epochStartMs: () => 0 },
      waiting: { count: () => 0 },
      scheduler: { sent: () => ({ real: 0, decoy: 0, drop: 0, loop: 0 }) },
      meter: { rateBps: () => 0 },
      events,
      settings: daemonSettings,
      profile: new ProfileAdmin({ logger, store: user.store }, { profileDir: user.dir }),
      ...(options.handles ? { handles: await options.handles.admin(user, gateway, logger) } : {}),
    },
    { profileDir: user.dir, address: user.address, fetchIntervalMs: FETCH_INTERVAL_MS },
  );
  return { user, api: facade.api(), configPath, streams };
}

// A client daemon's API with no network under it, for the web app's browser
// tests of what needs no mixnet: the real Messenger over a real encrypted
// profile (test/helpers/messenger-users.ts) behind the real ApiFacade
// (client/daemon/api-facade.ts), its gateway never reached (connected:
// false, no document). Envelopes move between users when the test hands
// them over (drain, then receive), as the mixnet would deliver them; the
// network paths are proven by test/web/web-app.test.ts.

import type { ClientApi } from '../../client/api.js';
import { ApiFacade } from '../../client/daemon/api-facade.js';
import { ClientEvents } from '../../client/daemon/client-events.js';
import { silentLogger } from '../../runtime/log/logger.js';
import type { Users, User } from '../helpers/messenger-users.js';

export interface OfflineDaemon {
  user: User;
  api: ClientApi;
}

const NO_LOOPS = { sent: 0, returned: 0, late: 0, lost: 0, outstanding: 0, acksReturned: 0 };

/** A user (users.create) whose messenger's events reach the API's subscribers. */
export async function offlineDaemon(users: Users, name: string, opts: Parameters<Users['create']>[1] = {}): Promise<OfflineDaemon> {
  const events = new ClientEvents();
  const user = await users.create(name, { ...opts, extra: { ...opts.extra, emit: (e) => events.emit(e) } });
  const gateway = { identityKey: new Uint8Array(32), nodeId: user.gateway, name: `gateway-of-${name}`, addresses: [], sphinxKeys: { current: new Uint8Array(32), next: new Uint8Array(32) } };
  const facade = new ApiFacade(
    {
      clock: users.clock,
      logger: silentLogger,
      messenger: user.messenger,
      link: {
        gateway,
        connected: false,
        stats: () => ({ packetsSent: 0, bytesSent: 0, bytesReceived: 0, sendFailures: 0, fetches: 0, fetchFailures: 0, reconnects: 0 }),
        register: () => Promise.reject(new Error('offline: the gateway is not reached')),
      },
      arq: user.arq,
      loops: { stats: () => NO_LOOPS, decoyStats: () => ({ sent: 0, returned: 0, lost: 0, outstanding: 0 }) },
      streams: { rates: { lambdaP: 1, lambdaL: 0.5, lambdaD: 0.5 } },
      view: { current: () => null, epochStartMs: () => 0 },
      waiting: { count: () => 0 },
      scheduler: { sent: () => ({ real: 0, decoy: 0, drop: 0, loop: 0 }) },
      meter: { rateBps: () => 0 },
      events,
    },
    { profileDir: user.dir, address: user.address, fetchIntervalMs: 1000 },
  );
  return { user, api: facade.api() };
}

// The web app's server follows the daemon across restarts (client/ui/daemon-link.ts):
// calls fail with 'unavailable' while it is away, the link retries with
// backoff, and once the daemon is back the event listeners hear it again
// without subscribing anew.

import assert from 'node:assert/strict';
import type { ClientEvent } from '../../client/api.js';
import { ClientError } from '../../client/api.js';
import type { ClientApiConnection } from '../../client/rpc/client.js';
import { DaemonLink } from '../../client/ui/daemon-link.js';
import { silentLogger } from '../../runtime/log/logger.js';
import { waitFor } from '../helpers/wait.js';

type FakeConnection = ClientApiConnection & { emit(e: ClientEvent): void; drop(): void; readonly subscribers: number };

/** A connection to a pretend daemon (only the calls the test makes): its status names the connection; `emit` pushes an event; `drop` ends it. */
function fakeConnection(n: number): FakeConnection {
  const listeners = new Set<(e: ClientEvent) => void>();
  let end!: () => void;
  let ended = false;
  const closed = new Promise<void>((r) => (end = r));
  const drop = (): void => {
    ended = true;
    end();
  };
  return {
    closed,
    get ended() {
      return ended;
    },
    close: async () => drop(),
    drop,
    emit: (e) => listeners.forEach((l) => l(e)),
    get subscribers() {
      return listeners.size;
    },
    status: async () => ({ profile: `connection ${n}` }) as never,
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as Partial<FakeConnection> as FakeConnection;
}

describe('DaemonLink (the web app server’s connection to the daemon)', function () {
  it('retries until the daemon answers, renews the subscription after a restart, and refuses calls while it is away', async function () {
    const connections: FakeConnection[] = [];
    let refuse = 2;
    const link = new DaemonLink(
      { logger: silentLogger },
      {
        connect: async () => {
          if (refuse > 0) {
            refuse--;
            throw new ClientError('unavailable', 'no daemon');
          }
          const c = fakeConnection(connections.length + 1);
          connections.push(c);
          return c;
        },
        minBackoffMs: 5,
        maxBackoffMs: 20,
      },
    );
    const changes: boolean[] = [];
    link.onConnectionChange((up) => changes.push(up));
    const api = link.api();
    const events: ClientEvent[] = [];
    api.subscribe((e) => events.push(e));

    await link.start();
    assert.equal(link.connected, false);
    await assert.rejects(api.status(), (err: ClientError) => err.code === 'unavailable');
    await waitFor('the first connection', () => link.connected, { timeoutMs: 5000 });
    assert.equal((await api.status()).profile, 'connection 1');
    assert.equal(connections[0].subscribers, 1);
    connections[0].emit({ type: 'warning', text: 'one' });

    connections[0].drop();
    await waitFor('the lost connection noticed', () => changes.length >= 2, { timeoutMs: 5000 });
    await waitFor('the second connection', () => link.connected, { timeoutMs: 5000 });
    assert.equal((await api.status()).profile, 'connection 2');
    assert.equal(connections[1].subscribers, 1, 'the subscription is renewed on the new connection');
    connections[1].emit({ type: 'warning', text: 'two' });
    assert.deepEqual(
      events.map((e) => (e.type === 'warning' ? e.text : e.type)),
      ['one', 'two'],
    );
    assert.deepEqual(changes, [true, false, true]);

    await link.stop();
    assert.equal(connections[1].ended, true);
    assert.equal(link.connected, false);
  });
});

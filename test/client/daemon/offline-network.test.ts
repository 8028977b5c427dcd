// Issue 12, "offline start; reconnect", on a real network (InProcessNetwork:
// the testnet's relays in this process, real libp2p on 127.0.0.1, real
// LevelDB) and a real client daemon (startClientDaemon) read over its
// JSON-RPC socket:
//
//   1. alice and bob get profiles while the network runs; alice's daemon
//      delivers one message to bob, then stops;
//   2. what alice needs of the network stops: every authority and her
//      gateway;
//   3. alice's daemon starts anyway (from the document her profile cached),
//      serves her history and contacts, says in status that its gateway is
//      not reached and why, and queues a message;
//   4. the authorities and her gateway come back on their folders: the
//      daemon reconnects by itself and the message written offline reaches
//      bob's mailbox.
//
// A start with no document for the epoch now at all (the authorities away
// for epochs) is the manual-clock test's (client-daemon.test.ts), where
// epochs pass in no time.
//
// Wall-clock epochs: this file runs in the network lane (test/lanes.cjs).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ClientStatus } from '../../../client/api.js';
import { startClientDaemon, type RunningClient } from '../../../client/daemon.js';
import { initProfile } from '../../../client/init.js';
import { connectClientApi, type ClientApiConnection } from '../../../client/rpc/index.js';
import { FAST_CHAT_SHAPE } from '../../helpers/chat.js';
import { InProcessNetwork } from '../../helpers/in-process-network.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const SHAPE = { ...FAST_CHAT_SHAPE, lambdaP: 4, lambdaL: 1, lambdaD: 1 };
const FETCH_INTERVAL_MS = 200;
const SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

describe('client daemon: offline start and reconnect (in-process network)', function () {
  this.timeout(240_000);
  let net: InProcessNetwork | undefined;
  let daemon: RunningClient | undefined;
  let api: ClientApiConnection | undefined;

  after(async function () {
    this.timeout(60_000);
    await api?.close().catch(() => undefined);
    await daemon?.stop().catch(() => undefined);
    await net?.stop();
  });

  it('starts without its gateway and the authorities, serves history and contacts over its socket, reports offline, and delivers what was queued once they are back', async function () {
    net = await InProcessNetwork.start(SHAPE);
    let topology = await net.currentDocument(90_000);
    for (const deadline = Date.now() + 90_000; topology.document.gateways.length < 2 && Date.now() < deadline;) {
      await sleep(1000);
      topology = await net.currentDocument(60_000);
    }
    const [gwA, gwB] = topology.document.gateways;
    assert.ok(gwB, 'the document lists two gateways');
    const profile = (name: string) => ({ profileDir: join(net!.plan.dir, `client-${name}`), passphrase: `passphrase of ${name}` });
    const alice = profile('alice');
    const bob = profile('bob');
    await initProfile({ ...alice, network: net.plan.networkFile, gateway: gwA.name, fetchIntervalMs: FETCH_INTERVAL_MS, scrypt: SCRYPT });
    const { address: bobAddress } = await initProfile({ ...bob, network: net.plan.networkFile, gateway: gwB.name, fetchIntervalMs: FETCH_INTERVAL_MS, scrypt: SCRYPT });

    // 1. Online: one message delivered (acknowledged from bob's mailbox; bob's daemon need not run).
    daemon = await startClientDaemon({ ...alice, log: () => undefined });
    await daemon.api.addContact('bob', bobAddress);
    const { message: first } = await daemon.api.sendText('bob', 'before the network went away');
    await waitFor('the first message delivered', async () => (await daemon!.api.history('bob')).some((m) => m.id === first.id && m.state === 'delivered'), { timeoutMs: 90_000, intervalMs: 200 });
    await daemon.stop();
    daemon = undefined;

    // 2. Her gateway and every authority stop.
    const away = [gwA.name, ...net.plan.nodes.filter((n) => n.role === 'authority').map((n) => n.name)];
    for (const name of away) await net.stopNode(name);

    // 3. Offline start.
    const startedAt = Date.now();
    daemon = await startClientDaemon({ ...alice, log: () => undefined });
    const startMs = Date.now() - startedAt;
    api = await connectClientApi(daemon.socketPath);
    const history = await api.history('bob');
    assert.deepEqual(
      history.map((m) => [m.content.text, m.state]),
      [['before the network went away', 'delivered']],
    );
    assert.deepEqual(
      (await api.listContacts()).map((c) => c.name),
      ['bob'],
    );
    const { message: offline } = await api.sendText('bob', 'written while the network was away');
    assert.equal(offline.state, 'queued');
    await sleep(2000);
    const offlineStatus: ClientStatus = await api.status();
    assert.equal(offlineStatus.connection?.online, false);
    assert.equal(offlineStatus.connection?.gateway.connected, false);
    assert.match(offlineStatus.connection!.gateway.error ?? '', /ECONNREFUSED/, 'why the gateway is not reached');
    assert.equal(offlineStatus.gateway.connected, false);
    assert.ok(offlineStatus.queue.queued >= 1, 'the message waits');
    assert.equal(offlineStatus.traffic.packetsSent.real + offlineStatus.traffic.packetsSent.decoy, 0, 'nothing left');

    // 4. They come back on their folders (authorities first, as at the network's start).
    const backAt = Date.now();
    for (const name of [...away].reverse()) await net.startNode(name);
    await waitFor('the message written offline delivered', async () => (await api!.history('bob')).some((m) => m.id === offline.id && m.state === 'delivered'), {
      timeoutMs: 180_000,
      intervalMs: 500,
      detail: async () => JSON.stringify((await api!.status()).connection),
    });
    const back = await api.status();
    assert.equal(back.connection?.online, true);
    this.test!.title += ` [offline start ${startMs} ms; delivered ${((Date.now() - backAt) / 1000).toFixed(1)} s after the restart; offline ${JSON.stringify(offlineStatus.connection)}]`;
  });
});

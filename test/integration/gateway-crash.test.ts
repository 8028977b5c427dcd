// Relay network proof (real processes on 127.0.0.1): a gateway that is
// SIGKILLed with messages in its mailboxes and restarted from the same config
// still holds every message and the client's registration, and delivers each
// message exactly once (docs/storage.md §Durability).

import assert from 'node:assert/strict';
import type { Topology } from '../../protocol/pki/routes.js';
import { ProbeClient, type FetchedMessage } from '../../testnet/probe-client.js';
import { sleep, TestNetwork } from '../helpers/network.js';

const N = 20;

describe('integration: gateway crash', function () {
  this.timeout(90_000);
  let net: TestNetwork | undefined;
  const clients: ProbeClient[] = [];

  after(async function () {
    this.timeout(30_000);
    for (const c of clients) await c.stop().catch(() => undefined);
    await net?.stop();
  });

  it('a gateway killed with SIGKILL and restarted still delivers every stored message', async function () {
    net = await TestNetwork.start({ shape: { epochDurationMs: 10_000 } });
    const topology: Topology = await net.waitForDocument(40_000);
    const [gwA, gwB] = topology.document.gateways;
    const nameB = gwB.name;

    const alice = await ProbeClient.create();
    const bob = await ProbeClient.create();
    clients.push(alice, bob);
    await net.waitFor('registration at gateway A', 5000, () => alice.register(gwA, topology).then(() => true));
    await net.waitFor('registration at gateway B', 5000, () => bob.register(gwB, topology).then(() => true));
    assert.equal(await net.metric(nameB, 'chaff_registered_clients'), 1);

    // N probes, paced under the entry rate limit, with the testnet's Exp(1/μ) delays.
    for (let seq = 0; seq < N; seq++) {
      await alice.send(topology, gwA, gwB, bob.mailboxId, seq);
      await sleep(50);
    }
    await net.waitFor(`gateway ${nameB} to hold ${N} messages`, 20_000, async () => (await net!.metric(nameB, 'chaff_mailbox_messages')) === N);

    // Crash: no shutdown code runs, the mailbox store is not closed.
    await net.killNode(nameB);
    assert.equal(net.isRunning(nameB), false);
    net.startNode(nameB);
    await net.waitFor(`restarted ${nameB} to serve metrics`, 20_000, async () => (await net!.metric(nameB, 'chaff_mailbox_messages')) !== undefined);
    assert.match(net.log(nameB), /"msg":"node running"[\s\S]*"msg":"node starting"[\s\S]*"msg":"node running"/, 'the gateway ran twice');
    assert.equal(await net.metric(nameB, 'chaff_mailbox_messages'), N, 'every deposit survived the crash');
    assert.equal(await net.metric(nameB, 'chaff_registered_clients'), 1, 'the registration survived the crash');

    // Fetch without registering again (an unregistered client's fetch is refused).
    const counts = new Map<number, number>();
    const others: FetchedMessage[] = [];
    let acks: bigint[] = [];
    let empty = false;
    for (let round = 0; round < 10 && !empty; round++) {
      const batch = await net.waitFor(`fetch #${round + 1} from ${nameB}`, 10_000, () => bob.fetch(gwB, topology, acks));
      for (const m of batch) {
        if (m.seq === null) others.push(m);
        else counts.set(m.seq, (counts.get(m.seq) ?? 0) + 1);
      }
      acks = batch.map((m) => m.id);
      empty = batch.length === 0;
    }
    assert.ok(empty, 'the mailbox drained');
    assert.deepEqual(others, [], 'only probes in the mailbox');
    assert.deepEqual(
      [...counts.keys()].sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i),
      'every probe came back',
    );
    for (const [seq, n] of counts) assert.equal(n, 1, `probe ${seq} came back ${n} times`);
    // Everything acknowledged: another fetch returns none, the store is empty.
    assert.deepEqual(await bob.fetch(gwB, topology), []);
    assert.equal(await net.metric(nameB, 'chaff_mailbox_messages'), 0);
    net.checkAlive();
  });
});

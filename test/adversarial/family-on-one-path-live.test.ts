// Attack (issue 9 §1, families), on a live network: one operator runs
// gateway-a and mix-1 and declares them one family; a path through both
// would be seen end to end by that operator. And the counter-attack: mix-2
// claims gateway-b as "its family", one-sidedly, to be kept off its paths.
// test/adversarial/family-on-one-path.test.ts covers the route choice over
// many draws; this file shows the whole chain working on real processes:
// `[node] family` in each config → signed descriptors → the authorities'
// majority-signed document → the client's route choice → the packets on the
// wire, counted by each mix.
//
// Real components: the testnet's 11 nodes as separate `chaff node`
// processes on 127.0.0.1 (test/helpers/network.ts), with mix loops off
// (λM = 0) so that the probes are the only packets a mix receives.

import assert from 'node:assert/strict';
import { toHex } from '../../protocol/bytes.js';
import { Families } from '../../protocol/pki/families.js';
import { ProbeClient } from '../../testnet/probe-client.js';
import { sleep, TestNetwork } from '../helpers/network.js';

const PROBES = 40;

describe('a family on one path, on a live network: gateway-a and mix-1 declare each other; mix-2 claims gateway-b alone', function () {
  this.timeout(180_000);
  let net: TestNetwork | undefined;
  const clients: ProbeClient[] = [];

  after(async function () {
    this.timeout(30_000);
    for (const c of clients) await c.stop().catch(() => undefined);
    await net?.stop();
  });

  it("no packet to or from gateway-a crosses mix-1; mix-2's one-sided claim keeps it on gateway-b's paths", async function () {
    net = await TestNetwork.start({
      shape: {
        epochDurationMs: 10_000,
        lambdaM: 0,
        family: { 'gateway-a': ['mix-1'], 'mix-1': ['gateway-a'], 'mix-2': ['gateway-b'] },
      },
    });
    await net.waitForDocument(50_000);
    // Each phase sends within one epoch, with its document (keys and layers),
    // and needs every mix and gateway in it: on a busy machine a node's upload
    // can miss an epoch (refused too-late or wrong-epoch), leaving it out of
    // that one document, so take the next one that lists them all.
    const relays = net.plan.nodes.filter((n) => n.role !== 'authority').map((n) => n.name);
    const fresh = () =>
      net!.waitFor('a document listing every mix and gateway', 4 * 10_000, async () => {
        if (net!.epochEnd(net!.epochNow()) - Date.now() < 5000) await sleep(net!.epochEnd(net!.epochNow()) + 200 - Date.now());
        const t = await net!.waitForDocument(5000, net!.epochNow());
        const listed = new Set([...t.document.layers.flat(), ...t.document.gateways].map((e) => e.name));
        return relays.every((name) => listed.has(name)) ? t : undefined;
      });
    let topology = await fresh();
    const doc = topology.document;
    const entry = (name: string) => [...doc.layers.flat(), ...doc.gateways].find((e) => e.name === name)!;
    const [gwA, gwB, mix1, mix2] = ['gateway-a', 'gateway-b', 'mix-1', 'mix-2'].map(entry);
    // The declarations are in the signed document as the operators wrote them.
    assert.deepEqual(gwA.family?.map(toHex), [net.node('mix-1').identityKey]);
    assert.deepEqual(mix1.family?.map(toHex), [net.node('gateway-a').identityKey]);
    assert.deepEqual(mix2.family?.map(toHex), [net.node('gateway-b').identityKey]);
    assert.equal(gwB.family, undefined);
    const families = new Families([...doc.layers.flat(), ...doc.gateways]);
    assert.equal(families.related(gwA.nodeId, mix1.nodeId), true, 'declared both ways: one family');
    assert.equal(families.related(gwB.nodeId, mix2.nodeId), false, 'claimed one way: no family');

    const alice = await ProbeClient.create();
    const bob = await ProbeClient.create();
    clients.push(alice, bob);
    await net.waitFor('registration at gateway-a', 5000, () => alice.register(gwA, topology).then(() => true));
    await net.waitFor('registration at gateway-b', 5000, () => bob.register(gwB, topology).then(() => true));
    const packetsIn = async (name: string) => (await net!.metric(name, 'chaff_packets_in_total')) ?? 0;
    const mixes = net.plan.nodes.filter((n) => n.role === 'mix').map((n) => n.name);
    const before = new Map(await Promise.all(mixes.map(async (m) => [m, await packetsIn(m)] as const)));

    // alice → bob and bob → alice: every path has gateway-a at one end.
    let seq = 0;
    for (let i = 0; i < PROBES; i++) {
      const p = await alice.send(topology, gwA, gwB, bob.mailboxId, seq++, 0);
      assert.ok(!p.route.includes('mix-1'), `probe ${p.seq} was routed through mix-1: ${p.route.join(' → ')}`);
      const q = await bob.send(topology, gwB, gwA, alice.mailboxId, seq++, 0);
      assert.ok(!q.route.includes('mix-1'), `probe ${q.seq} was routed through mix-1: ${q.route.join(' → ')}`);
    }
    // Every probe arrived (mixes hold them 0 ms, links take a moment).
    const arrived = { a: 0, b: 0 };
    let acks = { a: [] as bigint[], b: [] as bigint[] };
    await net.waitFor(`${PROBES} probes at each gateway`, 20_000, async () => {
      const [atA, atB] = await Promise.all([alice.fetch(gwA, topology, acks.a), bob.fetch(gwB, topology, acks.b)]);
      acks = { a: atA.map((m) => m.id), b: atB.map((m) => m.id) };
      arrived.a += atA.filter((m) => m.seq !== null).length;
      arrived.b += atB.filter((m) => m.seq !== null).length;
      return arrived.a >= PROBES && arrived.b >= PROBES;
    });
    await sleep(500);
    const after1 = new Map(await Promise.all(mixes.map(async (m) => [m, await packetsIn(m)] as const)));
    const got = (m: string) => after1.get(m)! - before.get(m)!;
    assert.equal(got('mix-1'), 0, "mix-1 saw none of the packets to or from its own family's gateway");
    // Each of the 2·PROBES probes crossed one mix per layer, never mix-1: the rest carried them all.
    assert.equal(
      mixes.reduce((sum, m) => sum + got(m), 0),
      2 * PROBES * doc.layers.length,
    );
    const layerOf = (name: string) => doc.layers.findIndex((l) => l.some((e) => e.name === name));
    const mate = doc.layers[layerOf('mix-1')].find((e) => e.name !== 'mix-1')!.name;
    assert.equal(got(mate), 2 * PROBES, `${mate}, mix-1's only peer in its layer, carried every probe there`);

    // bob → bob (gateway-b at both ends): mix-2's claim on gateway-b is one-sided and steers nothing.
    topology = await fresh();
    for (let i = 0; i < PROBES; i++) await bob.send(topology, gwB, gwB, bob.mailboxId, seq++, 0);
    await net.waitFor('mix-2 to carry some of the gateway-b → gateway-b probes', 20_000, async () => (await packetsIn('mix-2')) > after1.get('mix-2')!);
    net.checkAlive();
    this.test!.title += ` [mix-1 0 of ${2 * PROBES} in its layer; mix-2 ${(await packetsIn('mix-2')) - after1.get('mix-2')!} of ${PROBES} on gateway-b's own paths]`;
  });
});

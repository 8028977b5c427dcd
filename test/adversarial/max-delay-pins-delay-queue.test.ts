// Attack (issue 9 §2): a sender writes the longest Sphinx delay command,
// 0xffffffff ms (49.7 days), into its packets. A hop that honours it holds
// each one in its bounded delay queue until restart; once the queue is full
// every honest packet after them is dropped ('delay-queue-full'). Every hop,
// the gateway's entry hop included, must refuse a delay beyond the bound
// derived from the document's μ (maxHopDelayMs(1000/μ), docs/sphinx.md
// §Delay bound) and count it ('delay-too-long').
//
// Real components: one authority, one mix and one gateway run by the
// daemon's runNode on 127.0.0.1 with real LevelDB folders, a delay queue of
// 8 packets on each relay; packets built with the real Sphinx library and
// the published document's keys, sent by a registered client.

import assert from 'node:assert/strict';
import type { NodeEntry } from '../../protocol/pki/document.js';
import type { Topology } from '../../protocol/pki/routes.js';
import { MAX_DELAY_MS } from '../../protocol/traffic/exponential.js';
import { ProbeClient } from '../../testnet/probe-client.js';
import { InProcessNetwork } from '../helpers/in-process-network.js';
import { sleep } from '../helpers/network.js';

const DELAY_QUEUE = 8;
const ATTACK_PACKETS = 12;
const HONEST_PACKETS = 6;
const MU = 20; // mean 50 ms per hop: the bound is ⌈−ln(10⁻⁹) · 50⌉ = 1037 ms

describe('a sender pins a relay’s delay queue with the longest Sphinx delay (0xffffffff ms)', function () {
  this.timeout(60_000);
  let net: InProcessNetwork | undefined;
  let client: ProbeClient | undefined;
  let topology: Topology;
  let gateway: NodeEntry;
  let seq = 0;

  before(async function () {
    net = await InProcessNetwork.start(
      { authorities: 3, layers: 1, mixesPerLayer: 1, gateways: 1, epochDurationMs: 5000, mu: MU, lambdaP: 40, lambdaL: 1, lambdaD: 1, lambdaM: 0 },
      (config) => void (config.mix.delayQueue = DELAY_QUEUE),
    );
    topology = await net.currentDocument(20_000, 3000);
    gateway = topology.document.gateways[0];
    client = await ProbeClient.create();
    await client.register(gateway, topology);
  });

  after(async function () {
    await client?.stop().catch(() => undefined);
    await net?.stop();
  });

  /**
   * Sends `count` probes gateway → mix → gateway (into the client's own
   * mailbox) with `delays` at the two hops, 20 ms apart (a burst would
   * overflow the small delay queues on its own); returns their numbers.
   */
  async function send(count: number, delays: [number, number]): Promise<number[]> {
    const sent: number[] = [];
    for (let i = 0; i < count; i++) {
      sent.push((await client!.send(topology, gateway, gateway, client!.mailboxId, seq++, delays)).seq);
      await sleep(20);
    }
    return sent;
  }

  /** Fetches until every probe in `wanted` arrived or `ms` passed; returns those that arrived. */
  async function receive(wanted: number[], ms: number): Promise<Set<number>> {
    const got = new Set<number>();
    const end = Date.now() + ms;
    let acks: bigint[] = [];
    while (Date.now() < end && !wanted.every((s) => got.has(s))) {
      const messages = await client!.fetch(gateway, topology, acks);
      acks = messages.map((m) => m.id).slice(0, 32);
      for (const m of messages) if (m.seq !== null) got.add(m.seq);
      if (messages.length === 0) await sleep(150);
    }
    return got;
  }

  const drops = (name: string, label: string) => net!.metric(name, 'chaff_packets_dropped_total', label).then((v) => v ?? 0);

  // The mix first: with the gateway's queue pinned, nothing would reach the mix.
  it('at a mix: the long delays are refused and counted, honest packets after them arrive', async function () {
    topology = await net!.currentDocument(10_000, 3000); // packets built with keys that stay live to the end
    await send(ATTACK_PACKETS, [0, MAX_DELAY_MS]);
    await sleep(300);
    const honest = await send(HONEST_PACKETS, [20, 20]);
    const got = await receive(honest, 4000);
    const lost = honest.filter((s) => !got.has(s));
    const status = net!.running('mix-1').status() as { dropped: Record<string, number> };
    assert.deepEqual(lost, [], `honest probes lost; the mix's drops: ${JSON.stringify(status.dropped)}`);
    assert.equal(status.dropped['delay-too-long'], ATTACK_PACKETS);
    assert.equal(await drops('mix-1', 'delay-too-long'), ATTACK_PACKETS, 'exposed in the metrics');
    assert.equal(await net!.metric('mix-1', 'chaff_delay_queue_size'), 0, 'nothing is held for 49.7 days');
  });

  it('at the gateway’s entry hop: the long delays are refused and counted, honest packets after them arrive', async function () {
    topology = await net!.currentDocument(10_000, 3000); // packets built with keys that stay live to the end
    await send(ATTACK_PACKETS, [MAX_DELAY_MS, 0]);
    await sleep(300);
    const honest = await send(HONEST_PACKETS, [20, 20]);
    const got = await receive(honest, 4000);
    const lost = honest.filter((s) => !got.has(s));
    const status = net!.running('gateway-a').status() as { mix: { drops: Record<string, number>; delayDepth: number } };
    assert.deepEqual(lost, [], `honest probes lost; the gateway's pipeline drops: ${JSON.stringify(status.mix.drops)}, held for delay: ${status.mix.delayDepth}`);
    assert.equal(status.mix.drops['delay-too-long'], ATTACK_PACKETS);
    assert.equal(await drops('gateway-a', 'delay-too-long'), ATTACK_PACKETS, 'exposed in the metrics');
    assert.equal(status.mix.delayDepth, 0, 'nothing is held for 49.7 days');
  });
});

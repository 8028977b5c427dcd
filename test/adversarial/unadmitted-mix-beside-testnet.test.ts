// Attack (issue 9 §1, the named proof): someone starts a mix beside
// `chaff testnet` from a copy of one of its mix configs, with a new name,
// port and data folder (so a new identity), which nobody admitted. It
// uploads valid self-signed descriptors to every authority every epoch and
// must never appear in a signed document.
//
// Real components: the testnet's 11 nodes as separate `chaff node`
// processes on 127.0.0.1 (test/helpers/network.ts, 5-second epochs), and
// the outsider as a twelfth `chaff node` process.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '../../protocol/pki/routes.js';
import { freePort } from '../../testnet/plan.js';
import { parseMetric, sleep, TestNetwork } from '../helpers/network.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

const EPOCH_MS = 5000;

describe('a mix started beside chaff testnet from a copy of its config, admitted by nobody, enters the signed document', function () {
  this.timeout(300_000);
  let net: TestNetwork | undefined;
  let rogue: ChildProcess | undefined;

  after(async function () {
    this.timeout(30_000);
    if (rogue && rogue.exitCode === null) {
      const gone = new Promise((r) => rogue!.once('exit', r));
      rogue.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      rogue.kill('SIGKILL');
    }
    await net?.stop();
  });

  it('never appears in a signed document, and every authority counts its uploads as not admitted', async function () {
    net = await TestNetwork.start({ shape: { epochDurationMs: EPOCH_MS } });
    // A copy of mix-1's config: new name, port, metrics port and data folder,
    // started with the testnet (so its start-up overlaps the network's).
    const mix1 = net.node('mix-1');
    const port = await freePort();
    const metricsPort = await freePort();
    const dataDir = join(net.dir, 'rogue-mix');
    mkdirSync(dataDir, { recursive: true });
    const config = readFileSync(mix1.configPath, 'utf8')
      .replace(/^name = .*$/m, 'name = "rogue-mix"')
      .replace(/^data_dir = .*$/m, `data_dir = ${JSON.stringify(dataDir)}`)
      .replace(/\/tcp\/\d+"\]/, `/tcp/${port}"]`)
      .replace(/^listen = "127\.0\.0\.1:\d+"$/m, `listen = "127.0.0.1:${metricsPort}"`);
    assert.notEqual(config, readFileSync(mix1.configPath, 'utf8'));
    const configPath = join(net.dir, 'rogue-mix.toml');
    writeFileSync(configPath, config);
    const log = createWriteStream(join(net.dir, 'rogue-mix.log'));
    rogue = spawn(process.execPath, [chaffEntry(), 'node', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    rogue.stdout!.pipe(log);
    rogue.stderr!.pipe(log);

    const relays = net.plan.nodes.filter((n) => n.role !== 'authority').map((n) => n.name);
    const first: Topology = await net.waitForDocument(150_000); // generous: 12 processes starting at once on a busy machine
    assert.ok(!first.document.layers.flat().some((m) => m.name === 'rogue-mix'), `the outsider mix is in the signed document for epoch ${first.epoch}`);

    // Its descriptors reach the authorities (it uploads early in every epoch)...
    await net.waitFor('the outsider mix to start and upload', 90_000, async () => {
      const refused = await Promise.all(['authority-1', 'authority-2', 'authority-3'].map((a) => net!.metric(a, 'chaff_pki_descriptors_refused_total', 'not-admitted')));
      return refused.every((n) => (n ?? 0) > 0);
    });
    assert.equal(rogue.exitCode, null, 'the outsider mix runs');
    // ...and for three documents after that, it is in none of them.
    const start = net.epochNow();
    for (let e = start + 1; e <= start + 3; e++) {
      const topology: Topology = await net.waitForDocument(4 * EPOCH_MS, e);
      const names: string[] = [...topology.document.gateways, ...topology.document.layers.flat()].map((n) => n.name);
      assert.ok(!names.includes('rogue-mix'), `the outsider mix is in the signed document for epoch ${e}: ${names.join(', ')}`);
      for (const n of names) assert.ok(relays.includes(n), `${n} in the document for epoch ${e} is not one of the testnet's relays`);
    }
    for (const a of ['authority-1', 'authority-2', 'authority-3']) {
      const text = await net.metricsText(a);
      assert.ok((parseMetric(text, 'chaff_pki_descriptors_refused_total', 'not-admitted') ?? 0) >= 2, `${a} refused the outsider's uploads as not admitted`);
      assert.match(net.log(a), /descriptor refused: not admitted/, `${a} logged the refusal`);
    }
    net.checkAlive();
  });
});

// Attack: outsiders run mixes, upload valid self-signed descriptors to every
// directory authority, and so fill the majority-signed document (issue 9
// §1: 54 outsider mixes beside 6 honest ones put 72.7 % of paths through
// attacker mixes only).
//
// Real components: three AuthorityService instances on libp2p hosts on
// 127.0.0.1 with temp data folders, 6-second epochs; uploads through the
// real PkiClient. Each authority admits the same honest nodes
// (admissions.toml). Ten outsider identities upload valid descriptors.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PkiClient } from '../../runtime/pki/pki-client.js';
import { signedFor } from '../helpers/pki-fixtures.js';
import { admit, clientHost, fetchWithRetry, inBatches, currentEpoch, makeAuthorities, paramsNow, startAuthority, stopAuthority, until } from '../helpers/authorities.js';

const HONEST = [1, 2, 3, 4, 5, 6, 50, 51];
const OUTSIDERS = [30, 31, 32, 33, 34, 35, 36, 37, 38, 39];
const role = (n: number) => (n >= 50 ? 'gateway' : 'mix');

describe('outsider mixes upload self-signed descriptors to get into the majority-signed document', function () {
  this.timeout(30_000);
  let root: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'chaff-adv-outsiders-'))));
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('the signed document lists only admitted nodes; every outsider upload is refused and counted', async function () {
    const params = paramsNow(6000, 100);
    const E = currentEpoch(params);
    const auths = await makeAuthorities(3, root);
    for (const a of auths) admit(a, HONEST);
    for (const a of auths) await startAuthority(a, auths, params);
    cleanup.push(async () => Promise.all(auths.map(stopAuthority)));
    const host = await clientHost();
    cleanup.push(async () => host.stop());
    const client = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), rpcTimeoutMs: 2000 });

    await inBatches([...HONEST, ...OUTSIDERS], 4, (n) => client.uploadDescriptor(signedFor(n, E + 1, role(n))));

    await until(params, E, 0.85);
    const got = await fetchWithRetry(() => client.fetchDocument(E + 1));
    assert.equal(got.signed.signatures.length, 3, 'signed by all three authorities');
    const listed = [...got.document.gateways, ...got.document.layers.flat()].map((e) => e.name);
    for (const n of OUTSIDERS) assert.ok(!listed.includes(`node-${n}`), `outsider node-${n} is in the signed document`);
    assert.deepEqual(listed.sort(), HONEST.map((n) => `node-${n}`).sort(), 'every admitted node is in');
    for (const a of auths) assert.equal(a.service!.stats().descriptorsRefused['not-admitted'], OUTSIDERS.length, `${a.peer.name} counted each outsider upload`);
  });
});

// Attack: one dishonest (or compromised) directory authority adds nodes of
// its choosing to the topology: it admits and accepts their descriptors and
// shares them with the other authorities, which build the document from the
// union of what was shared.
//
// Real components: three AuthorityService instances on libp2p hosts on
// 127.0.0.1 with temp data folders, 6-second epochs, uploads through the
// real PkiClient. Authority 0 alone admits nodes 40–44; nodes 9 is admitted
// by authorities 1 and 2 but not 0 (a majority: the control).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PkiClient } from '../../runtime/pki/pki-client.js';
import { signedFor } from '../helpers/pki-fixtures.js';
import { admit, clientHost, fetchWithRetry, inBatches, currentEpoch, makeAuthorities, paramsNow, startAuthority, stopAuthority, until } from '../helpers/authorities.js';

const HONEST = [1, 2, 3, 4, 5, 6, 50, 51];
const ROGUE = [40, 41, 42, 43, 44];
const role = (n: number) => (n >= 50 ? 'gateway' : 'mix');

describe('a single authority adds nodes that only it admits to the document', function () {
  this.timeout(30_000);
  let root: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'chaff-adv-one-authority-'))));
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('nodes admitted by one authority of three never enter; a node admitted by the other two does', async function () {
    const params = paramsNow(6000, 100);
    const E = currentEpoch(params);
    const auths = await makeAuthorities(3, root);
    admit(auths[0], [...HONEST, ...ROGUE]);
    admit(auths[1], [...HONEST, 9]);
    admit(auths[2], [...HONEST, 9]);
    for (const a of auths) await startAuthority(a, auths, params);
    cleanup.push(async () => Promise.all(auths.map(stopAuthority)));
    const host = await clientHost();
    cleanup.push(async () => host.stop());
    const client = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), rpcTimeoutMs: 2000 });
    const onlyA = new PkiClient({ host }, { authorities: [auths[0].peer], rpcTimeoutMs: 2000 });

    await inBatches(HONEST, 4, (n) => client.uploadDescriptor(signedFor(n, E + 1, role(n))));
    // The rogue nodes reach only the authority that admits them; it shares them on.
    for (const n of ROGUE) assert.equal((await onlyA.uploadDescriptor(signedFor(n, E + 1))).accepted, 1);
    await client.uploadDescriptor(signedFor(9, E + 1));

    await until(params, E, 0.85);
    const published = auths.map((a) => a.service!.published(E + 1));
    assert.ok(
      published.every((p) => p !== null),
      'all three published',
    );
    const got = await fetchWithRetry(() => client.fetchDocument(E + 1));
    assert.equal(got.signed.signatures.length, 3, 'the three authorities signed the same bytes');
    const listed = [...got.document.gateways, ...got.document.layers.flat()].map((e) => e.name);
    for (const n of ROGUE) assert.ok(!listed.includes(`node-${n}`), `node-${n}, admitted by one authority only, is in the signed document`);
    assert.ok(listed.includes('node-9'), 'node-9, admitted by two of three, is in');
    assert.equal(listed.length, HONEST.length + 1);
  });
});

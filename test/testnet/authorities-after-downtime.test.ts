// A resumed testnet's authorities (docs/testnet.md §A long-lived network):
// three authorities publish, all stop, and 100 epochs later start again on
// the same folders. The epoch schedule went on from genesis while they were
// down: they publish the document for the epoch after the one they restart
// in, from the descriptors uploaded then, signed by all three, and prune the
// documents of epochs long gone from their folders at the next boundary.
// In memory, on a ManualClock (3 s epochs), as the authority service's own
// round tests run.

import assert from 'node:assert/strict';
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkParams } from '../../protocol/pki/document.js';
import { epochAt, epochStart } from '../../protocol/pki/epoch.js';
import { PkiClient } from '../../runtime/pki/pki-client.js';
import { admit, makeMemoryAuthorities, startAuthority, stopAuthority, type TestAuthority } from '../helpers/authorities.js';
import { PARAMS, signedFor } from '../helpers/pki-fixtures.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { MemoryNetwork } from '../helpers/memory-host.js';
import { sleep, waitFor } from '../helpers/wait.js';

const T0 = 1_800_000_000_000;
const D = 3000;
const MIXES = [1, 2, 3];
const GATEWAY = 50;
const DOWN_EPOCHS = 100;

describe('testnet resume: authorities after a long downtime (in memory, manual clock)', function () {
  this.timeout(30_000);
  let root: string;
  let clock: ManualClock;
  let auths: TestAuthority[] = [];

  beforeEach(async function () {
    root = await mkdtemp(join(tmpdir(), 'chaff-downtime-'));
    clock = new ManualClock(T0);
  });
  afterEach(async function () {
    for (const a of auths) await stopAuthority(a).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  /** Moves the clock in steps of a sixtieth of an epoch, letting each step's calls and file writes run. */
  async function advanceTo(toMs: number): Promise<void> {
    while (clock.now() < toMs) {
      clock.advanceTo(Math.min(toMs, clock.now() + D / 60));
      await sleep(10);
      await new Promise((r) => setImmediate(r));
    }
  }

  async function startAll(params: NetworkParams): Promise<void> {
    for (const a of auths) {
      admit(a, [...MIXES, GATEWAY]);
      await startAuthority(a, auths, params, { clock });
    }
  }

  /** Uploads every node's descriptor for `epoch` to every authority. */
  async function uploadAll(client: PkiClient, epoch: number): Promise<void> {
    for (const n of [...MIXES, GATEWAY]) {
      const r = await client.uploadDescriptor(signedFor(n, epoch, n === GATEWAY ? 'gateway' : 'mix'));
      assert.equal(r.accepted, 3, JSON.stringify(r));
    }
  }

  it('publishes the document for the epoch after the one they come back in, and prunes the old ones', async function () {
    const network = new MemoryNetwork();
    const params: NetworkParams = { ...PARAMS, epochDurationMs: D, genesisMs: T0 - 20 * D - 200 };
    const E = epochAt(clock.now(), params);
    auths = await makeMemoryAuthorities(3, root, network);
    await startAll(params);
    const host = await network.host();
    const client = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), rpcTimeoutMs: 1000 });
    await uploadAll(client, E + 1);
    await advanceTo(epochStart(E, params) + 0.8 * D);
    assert.equal((await client.fetchDocument(E + 1)).signed.signatures.length, 3, 'published before the downtime');

    for (const a of auths) await stopAuthority(a);
    const back = E + DOWN_EPOCHS;
    clock.advanceTo(epochStart(back, params) + 0.1 * D);
    await startAll(params);
    for (const a of auths) assert.equal(a.service!.stats().documentsLoaded, 1, 'the stored document is read back');
    await assert.rejects(client.fetchDocument(back), 'nothing was published for the epoch they come back in');

    await uploadAll(client, back + 1);
    await advanceTo(epochStart(back, params) + 0.8 * D);
    const after = await client.fetchDocument(back + 1);
    assert.equal(after.signed.signatures.length, 3, 'signed by all three');
    assert.equal(after.document.epoch, back + 1);
    assert.deepEqual(after.document.layers.flat().length, MIXES.length);
    assert.deepEqual(
      after.document.gateways.map((g) => g.name),
      [`node-${GATEWAY}`],
    );

    await advanceTo(epochStart(back + 1, params) + 0.1 * D);
    // The prune runs after the new document's synced write: on a slow disk (100 ms per fsync) it is
    // still under way when the steps end, so the folder is polled, on the wall clock, for a while.
    const kept = async (dir: string) => (await readdir(join(dir, 'documents'))).sort();
    for (const a of auths) {
      await waitFor(`${a.peer.name} to prune its past documents`, async () => (await kept(a.dir)).length === 1, { timeoutMs: 10_000, intervalMs: 50 }).catch(() => undefined);
      assert.deepEqual(await kept(a.dir), [`${back + 1}.bin`], `${a.peer.name} keeps only the current document`);
    }
    await host.stop();
  });
});

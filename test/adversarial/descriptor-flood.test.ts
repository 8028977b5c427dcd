// Attack: a flood of descriptor uploads grows what a directory authority
// holds and writes without bound (issue 9 §1: past 2,048 descriptors the
// share step fails; every accepted upload rewrote the whole descriptor file,
// so disk writes grew with the square of the count).
//
// Real components: an AuthorityService on a libp2p host on 127.0.0.1 with a
// temp data folder; uploads through the real PkiClient. The flood comes from
// admitted identities (outsiders are refused outright:
// outsider-descriptors-enter-document.test.ts), 60 of them, against a bound
// of 40 descriptors per epoch. Bytes written are read from /proc/self/io
// (wchar: every byte this process passed to write(2), disk and sockets).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PkiClient } from '../../runtime/pki/pki-client.js';
import { signedFor } from '../helpers/pki-fixtures.js';
import { admit, clientHost, currentEpoch, inBatches, makeAuthorities, paramsNow, sleep, startAuthority, stopAuthority } from '../helpers/authorities.js';

const NODES = Array.from({ length: 60 }, (_, i) => i + 1);
const BOUND = 40;

function bytesWritten(): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return Number(m![1]);
}

describe('a descriptor flood grows what an authority holds and writes without bound', function () {
  this.timeout(30_000);
  let root: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'chaff-adv-flood-'))));
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('holds at most the bound per epoch, refusing (and counting) the rest; each upload writes about its own size', async function () {
    const params = paramsNow(30_000, 100);
    const E = currentEpoch(params);
    const [a] = await makeAuthorities(1, root);
    admit(a, NODES);
    const svc = await startAuthority(a, [a], params, { maxDescriptorsPerEpoch: BOUND });
    cleanup.push(async () => stopAuthority(a));
    const host = await clientHost();
    cleanup.push(async () => host.stop());
    const client = new PkiClient({ host }, { authorities: [a.peer], rpcTimeoutMs: 5000 });
    await client.uploadDescriptor(signedFor(200, E + 1)); // warm the connection (refused: not admitted)

    const settle = async () => {
      await (svc as unknown as { flushed?: () => Promise<void> }).flushed?.();
      await sleep(300); // the code before the fix had no flush to wait on
    };
    const batch = async (labels: number[]): Promise<number> => {
      await settle();
      const before = bytesWritten();
      for (const n of labels) await client.uploadDescriptor(signedFor(n, E + 1));
      await settle();
      return bytesWritten() - before;
    };
    const first = await batch(NODES.slice(0, 10));
    await batch(NODES.slice(10, 30));
    const last = await batch(NODES.slice(30, 40));
    assert.ok(last < 2 * first, `uploads 31–40 wrote ${last} bytes, uploads 1–10 wrote ${first}: writes grow with what is held`);

    const over: Awaited<ReturnType<typeof client.uploadDescriptor>>[] = [];
    await inBatches(NODES.slice(40), 4, async (n) => over.push(await client.uploadDescriptor(signedFor(n, E + 1))));
    assert.ok(
      over.every((r) => r.accepted === 0 && r.refused[0]?.reason === 'full'),
      'uploads beyond the bound are refused as full',
    );
    const s = svc.stats();
    assert.equal(s.descriptorsAccepted, BOUND);
    assert.equal(s.descriptorsRefused.full, NODES.length - BOUND);
    assert.equal(s.roundLog.recordsAppended, BOUND + 0, 'one record per accepted descriptor (the own view is signed at the share step)');
    assert.ok(s.roundLog.bytesAppended < BOUND * 1024, `${s.roundLog.bytesAppended} bytes appended for ${BOUND} descriptors`);
    assert.equal(s.roundLog.compactions, 0);
  });
});

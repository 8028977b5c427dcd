// Documents on disk: atomic writes, reload, corrupt files skipped, pruning.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentStore } from '../../../runtime/pki/document-store.js';

const doc = (n: number) => ({ document: new TextEncoder().encode(`{"n":${n}}`), signatures: [{ identityKey: new Uint8Array(32).fill(n), signature: new Uint8Array(64).fill(n) }] });

describe('runtime/pki/document-store', function () {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'chaff-docs-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('saves, replaces and reloads in epoch order; a missing folder is empty', async function () {
    assert.deepEqual(await new DocumentStore(join(dir, 'none')).loadAll(), { documents: [], corrupt: [] });
    const store = new DocumentStore(join(dir, 'documents'));
    await Promise.all([store.save(12, doc(1)), store.save(3, doc(2)), store.save(12, doc(3))]);
    const { documents, corrupt } = await new DocumentStore(join(dir, 'documents')).loadAll();
    assert.deepEqual(corrupt, []);
    assert.deepEqual(
      documents.map((d) => d.epoch),
      [3, 12],
    );
    assert.deepEqual(documents[1].signed, doc(3), 'the later save wins');
    assert.deepEqual((await readdir(join(dir, 'documents'))).sort(), ['12.bin', '3.bin'], 'no temporary files left');
  });

  it('skips corrupt files and ignores foreign names; prunes old epochs', async function () {
    const store = new DocumentStore(dir);
    await store.save(5, doc(5));
    await store.save(6, doc(6));
    await writeFile(join(dir, '7.bin'), Uint8Array.of(1, 2, 3));
    await writeFile(join(dir, 'notes.txt'), 'x');
    await writeFile(join(dir, '007.bin'), 'x');
    const { documents, corrupt } = await store.loadAll();
    assert.deepEqual(
      documents.map((d) => d.epoch),
      [5, 6],
    );
    assert.deepEqual(corrupt, ['7.bin']);
    await store.pruneBefore(6);
    assert.deepEqual(
      (await store.loadAll()).documents.map((d) => d.epoch),
      [6],
    );
  });
});

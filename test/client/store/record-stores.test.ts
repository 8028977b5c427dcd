// The two implementations of the store interfaces (client/store/unit-of-work.ts)
// behave alike: the same cases run on the sealed store (LevelDB in a temp
// folder) and in memory. A unit of work spans stores and applies all or none.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesCodec, jsonCodec } from '../../../client/store/codecs.js';
import { MemoryRecordStore, MemoryUnitOfWork } from '../../../client/store/memory-record-store.js';
import { SealedRecordStore, SealedUnitOfWork } from '../../../client/store/sealed-record-store.js';
import { SealedStore } from '../../../client/store/sealed-store.js';
import type { RecordStore, UnitOfWork } from '../../../client/store/unit-of-work.js';

interface Note {
  text: string;
  seq: bigint;
  tags: string[];
}

interface Backing {
  notes: RecordStore<Note>;
  blobs: RecordStore<Uint8Array>;
  begin(): UnitOfWork;
  close(): Promise<void>;
}

const backings: Record<string, () => Promise<Backing>> = {
  memory: async () => ({
    notes: new MemoryRecordStore<Note>(),
    blobs: new MemoryRecordStore<Uint8Array>(),
    begin: () => new MemoryUnitOfWork(),
    close: async () => undefined,
  }),
  sealed: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-record-stores-'));
    const store = await SealedStore.open(dir, new Uint8Array(randomBytes(32)), { collections: ['notes', 'blobs'], create: true });
    return {
      notes: new SealedRecordStore(store.collection('notes', jsonCodec<Note>())),
      blobs: new SealedRecordStore(store.collection('blobs', bytesCodec)),
      begin: () => SealedUnitOfWork.begin(store),
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

for (const [name, make] of Object.entries(backings)) {
  describe(`client/store record stores: ${name}`, () => {
    let b: Backing;
    beforeEach(async () => (b = await make()));
    afterEach(() => b.close());

    it('applies a unit of work over several stores only when it commits, and then all of it', async () => {
      const work = b.begin();
      b.notes.put(work, 'b', { text: 'two', seq: 2n, tags: [] });
      b.notes.put(work, 'a', { text: 'one', seq: 1n, tags: ['x'] });
      b.blobs.put(work, 'a', Uint8Array.of(1, 2, 3));
      assert.equal(work.length, 3);
      assert.deepEqual(await b.notes.list(), [], 'nothing is stored before commit');
      await work.commit({ sync: true });
      assert.deepEqual(await b.notes.list(), [
        ['a', { text: 'one', seq: 1n, tags: ['x'] }],
        ['b', { text: 'two', seq: 2n, tags: [] }],
      ]);
      assert.deepEqual(await b.blobs.get('a'), Uint8Array.of(1, 2, 3));
      const del = b.begin();
      b.notes.del(del, 'a');
      b.blobs.del(del, 'a');
      await del.commit();
      assert.deepEqual(
        (await b.notes.list()).map(([id]) => id),
        ['b'],
      );
      assert.equal(await b.blobs.get('a'), undefined);
    });

    it('stores a value as it was when staged; a read is a copy', async () => {
      const note: Note = { text: 'before', seq: 1n, tags: [] };
      const work = b.begin();
      b.notes.put(work, 'n', note);
      note.text = 'after';
      await work.commit();
      const read = (await b.notes.get('n'))!;
      assert.equal(read.text, 'before');
      read.tags.push('changed');
      assert.deepEqual((await b.notes.get('n'))!.tags, []);
    });

    it('commits a unit of work once, and refuses one it did not make', async () => {
      const work = b.begin();
      b.notes.put(work, 'n', { text: 't', seq: 0n, tags: [] });
      await work.commit();
      await assert.rejects(work.commit());
      const foreign: UnitOfWork = { length: 0, commit: async () => undefined };
      assert.throws(() => b.notes.put(foreign, 'm', { text: 't', seq: 0n, tags: [] }), TypeError);
    });
  });
}

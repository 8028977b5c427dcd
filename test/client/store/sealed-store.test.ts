// The sealed store on a real LevelDB in temp folders: round trips, reopen,
// nothing readable on disk, moved and damaged records, batches, the
// collection registry, and the errors a user sees.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { Level } from 'level';
import { toHex } from '../../../protocol/bytes.js';
import { bytesCodec, jsonCodec } from '../../../client/store/codecs.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';
import { WrongPassphraseError, changePassphrase, unlockProfileKey } from '../../../client/store/profile-key.js';
import { InvalidRecordIdError, deriveStoreKeys, metaRecordKey, recordKey } from '../../../client/store/record-format.js';
import { SealedStore } from '../../../client/store/sealed-store.js';
import {
  CollectionRegistryError,
  CorruptRecordError,
  DatabaseCorruptError,
  ProfileInUseError,
  StoreClosedError,
  StoreKeyMismatchError,
  StoreMissingError,
  UnknownCollectionError,
} from '../../../client/store/store-errors.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const COLLECTIONS = ['contacts', 'messages', 'outbox'] as const;
const PASS = 'test passphrase';

interface Contact {
  name: string;
  address: string;
  identityKey: Uint8Array;
  addedMs: number;
}
interface Message {
  text: string;
  seq: bigint;
}
const contactCodec = jsonCodec<Contact>();
const messageCodec = jsonCodec<Message>();

/** Every file under `dir`, concatenated. */
function folderBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) parts.push(readFileSync(join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts);
}

async function rawDb(folder: string): Promise<Level<Uint8Array, Uint8Array>> {
  const db = new Level<Uint8Array, Uint8Array>(folder, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open({ createIfMissing: false });
  return db;
}

async function rawEntries(folder: string): Promise<Array<[Uint8Array, Uint8Array]>> {
  const db = await rawDb(folder);
  try {
    return await db.iterator().all();
  } finally {
    await db.close();
  }
}

describe('client/store/sealed-store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-sealed-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const create = () => createProfile(dir, PASS, { scrypt: SMALL, collections: COLLECTIONS });
  const reopen = () => openProfile(dir, PASS, { collections: COLLECTIONS });

  it('round-trips get, put, del, has, list and count per collection', async () => {
    const store = await create();
    try {
      const contacts = store.collection('contacts', contactCodec);
      const messages = store.collection('messages', messageCodec);
      const bob: Contact = { name: 'bob', address: 'chaff1bob', identityKey: new Uint8Array(32).fill(7), addedMs: 1 };
      assert.equal(await contacts.get('bob'), undefined);
      assert.equal(await contacts.has('bob'), false);
      await contacts.put('bob', bob);
      await contacts.put('ann', { ...bob, name: 'ann' });
      await messages.put('bob', { text: 'same id, other collection', seq: 2n ** 64n });
      assert.deepEqual(await contacts.get('bob'), bob);
      assert.equal(await contacts.has('bob'), true);
      assert.deepEqual(
        (await contacts.list()).map(([id]) => id),
        ['ann', 'bob'],
        'sorted by id',
      );
      assert.equal(await contacts.count(), 2);
      assert.deepEqual(await messages.list(), [['bob', { text: 'same id, other collection', seq: 2n ** 64n }]]);
      await contacts.put('bob', { ...bob, addedMs: 2 });
      assert.equal((await contacts.get('bob'))?.addedMs, 2, 'put replaces');
      await contacts.del('bob');
      await contacts.del('never-there');
      assert.equal(await contacts.get('bob'), undefined);
      assert.equal(await contacts.count(), 1);
      assert.equal(await messages.count(), 1, 'deleting in one collection leaves the other alone');
      assert.equal(await store.collection('outbox', bytesCodec).count(), 0);
    } finally {
      await store.close();
    }
  });

  it('stores records under the documented key and value layout', async () => {
    const store = await create();
    await store.collection('messages', bytesCodec).put('m-1', Uint8Array.of(1, 2, 3));
    await store.close();
    const master = await unlockProfileKey(dir, PASS);
    const { valueKey, indexKey } = deriveStoreKeys(master);
    const key = recordKey(indexKey, 2, 'messages', 'm-1'); // messages is the second collection → tag 2
    const entry = (await rawEntries(join(dir, 'db'))).find(([k]) => toHex(k) === toHex(key));
    assert.ok(entry, 'record under tag ‖ HMAC(indexKey, collection ‖ 0 ‖ id)[0..16)');
    const value = entry[1];
    assert.equal(value[0], 0x01);
    const plaintext = xchacha20poly1305(valueKey, value.subarray(1, 25), Uint8Array.of(1, ...key)).decrypt(value.subarray(25));
    assert.deepEqual(plaintext.subarray(0, 2 + 3 + 4 + 3), Uint8Array.of(0, 3, ...Buffer.from('m-1'), 0, 0, 0, 3, 1, 2, 3));
  });

  it('reopens with the right passphrase and reads everything back; refuses a wrong one', async () => {
    const store = await create();
    const contacts = store.collection('contacts', contactCodec);
    for (let i = 0; i < 50; i++) await contacts.put(`c${i}`, { name: `c${i}`, address: `chaff1-${i}`, identityKey: new Uint8Array([i]), addedMs: i });
    await store.collection('outbox', bytesCodec).put('o', Uint8Array.of(9), { sync: true });
    await store.close();

    await assert.rejects(openProfile(dir, 'not the passphrase', { collections: COLLECTIONS }), WrongPassphraseError);
    const again = await reopen();
    try {
      const list = await again.collection('contacts', contactCodec).list();
      assert.equal(list.length, 50);
      assert.deepEqual(list.find(([id]) => id === 'c17')?.[1], { name: 'c17', address: 'chaff1-17', identityKey: new Uint8Array([17]), addedMs: 17 });
      assert.deepEqual(await again.collection('outbox', bytesCodec).get('o'), Uint8Array.of(9));
      assert.equal(again.stats().corruptRecords, 0);
    } finally {
      await again.close();
    }
  });

  it('leaves no name, text, id or key readable in the profile folder (and the grep does find plaintext)', async () => {
    const NAME = 'Zebulon-Marker-Name-7Q3';
    const TEXT = 'Meet at the marker-fountain 9X4 at noon';
    const ID = 'contact-id-marker-W8K';
    const SECRET = Buffer.from('SECRET-KEY-MARKER-BYTES-0123456789');
    const store = await create();
    await store.collection('contacts', contactCodec).put(ID, { name: NAME, address: 'chaff1addr', identityKey: SECRET, addedMs: 5 });
    await store.collection('messages', messageCodec).put(`${ID}-msg`, { text: TEXT, seq: 1n });
    await store.close();

    const master = await unlockProfileKey(dir, PASS);
    const { valueKey, indexKey } = deriveStoreKeys(master);
    const disk = folderBytes(dir);
    assert.ok(disk.length > 1000, 'the folder holds the database files');
    for (const [what, needle] of [
      ['name', Buffer.from(NAME)],
      ['text', Buffer.from(TEXT)],
      ['text fragment', Buffer.from('marker-fountain')],
      ['id', Buffer.from(ID)],
      ['stored key bytes', SECRET],
      ['stored key bytes as base64', Buffer.from(SECRET.toString('base64'))],
      ['master key', Buffer.from(master)],
      ['value key', Buffer.from(valueKey)],
      ['index key', Buffer.from(indexKey)],
    ] as const) {
      assert.equal(disk.indexOf(needle), -1, `the ${what} is on disk in clear`);
    }

    // Control: the same markers written without encryption into a LevelDB
    // beside it are found by the same search, so the search is not vacuous.
    const control = new Level<string, string>(join(dir, 'control-db'));
    await control.open();
    await control.put(ID, JSON.stringify({ name: NAME, text: TEXT }));
    await control.close();
    const withControl = folderBytes(dir);
    assert.notEqual(withControl.indexOf(Buffer.from(NAME)), -1);
    assert.notEqual(withControl.indexOf(Buffer.from(TEXT)), -1);
    assert.notEqual(withControl.indexOf(Buffer.from(ID)), -1);
  });

  it('rejects a value moved onto another record key (copied with a raw LevelDB handle)', async () => {
    const store = await create();
    const contacts = store.collection('contacts', contactCodec);
    const a: Contact = { name: 'mallory-wants-this', address: 'chaff1a', identityKey: new Uint8Array(1), addedMs: 1 };
    await contacts.put('a', a);
    await contacts.put('b', { ...a, name: 'b' });
    await store.close();

    const { indexKey } = deriveStoreKeys(await unlockProfileKey(dir, PASS));
    const keyA = recordKey(indexKey, 1, 'contacts', 'a');
    const keyB = recordKey(indexKey, 1, 'contacts', 'b');
    const db = await rawDb(join(dir, 'db'));
    await db.put(keyB, (await db.get(keyA))!);
    await db.close();

    const again = await reopen();
    try {
      const c = again.collection('contacts', contactCodec);
      await assert.rejects(c.get('b'), (e: unknown) => e instanceof CorruptRecordError && e.collection === 'contacts');
      assert.deepEqual(await c.get('a'), a);
      assert.deepEqual(
        (await c.list()).map(([id]) => id),
        ['a'],
        'list skips the moved record',
      );
      assert.equal(again.stats().corruptRecords, 1);
    } finally {
      await again.close();
    }
  });

  it('rejects a value moved into another collection', async () => {
    const store = await create();
    await store.collection('contacts', bytesCodec).put('x', Uint8Array.of(1));
    await store.close();
    const { indexKey } = deriveStoreKeys(await unlockProfileKey(dir, PASS));
    const db = await rawDb(join(dir, 'db'));
    const value = (await db.get(recordKey(indexKey, 1, 'contacts', 'x')))!;
    await db.put(recordKey(indexKey, 3, 'outbox', 'x'), value);
    await db.close();
    const again = await reopen();
    try {
      await assert.rejects(again.collection('outbox', bytesCodec).get('x'), CorruptRecordError);
      assert.deepEqual(await again.collection('outbox', bytesCodec).list(), []);
    } finally {
      await again.close();
    }
  });

  it('reports a flipped byte as CorruptRecordError naming the collection, not the id; list skips and counts it', async () => {
    const store = await create();
    const messages = store.collection('messages', messageCodec);
    for (const id of ['m1', 'secret-id-m2', 'm3']) await messages.put(id, { text: id, seq: 1n });
    await store.close();

    const { indexKey } = deriveStoreKeys(await unlockProfileKey(dir, PASS));
    const key = recordKey(indexKey, 2, 'messages', 'secret-id-m2');
    const db = await rawDb(join(dir, 'db'));
    const value = (await db.get(key))!;
    value[40] ^= 0x80;
    await db.put(key, value);
    await db.close();

    const seen: CorruptRecordError[] = [];
    const again = await openProfile(dir, PASS, { collections: COLLECTIONS, onCorruptRecord: (e) => seen.push(e) });
    try {
      const m = again.collection('messages', messageCodec);
      await assert.rejects(m.get('secret-id-m2'), (e: unknown) => {
        assert.ok(e instanceof CorruptRecordError);
        assert.equal(e.collection, 'messages');
        assert.match(e.message, /collection "messages".*corrupt/);
        assert.ok(!e.message.includes('secret-id-m2'), 'the id stays out of the message');
        return true;
      });
      assert.deepEqual(
        (await m.list()).map(([id]) => id),
        ['m1', 'm3'],
      );
      assert.deepEqual(
        (await m.list()).map(([id]) => id),
        ['m1', 'm3'],
      );
      assert.deepEqual(again.stats(), { bytesWritten: 0, writes: 0, commits: 0, corruptRecords: 1, corruptByCollection: { messages: 1 } }, 'one record, counted once');
      assert.equal(await m.count(), 3, 'count() counts stored records, corrupt ones included');
      assert.equal(await m.has('secret-id-m2'), true);
      assert.equal(seen.length, 3);
      await m.put('secret-id-m2', { text: 'rewritten', seq: 2n });
      assert.equal(again.stats().corruptRecords, 0, 'overwriting clears the count');
      assert.equal((await m.get('secret-id-m2'))?.text, 'rewritten');
    } finally {
      await again.close();
    }
  });

  it('treats a value its codec cannot decode as corrupt', async () => {
    const store = await create();
    await store.collection('outbox', bytesCodec).put('not-json', Uint8Array.of(0xff, 0x00));
    const asJson = store.collection('outbox', jsonCodec<unknown>());
    await assert.rejects(asJson.get('not-json'), (e: unknown) => e instanceof CorruptRecordError && /does not decode/.test(e.message));
    assert.deepEqual(await asJson.list(), []);
    assert.equal(store.stats().corruptRecords, 1);
    await store.close();
  });

  it('writes a batch across collections atomically, visible only after write()', async () => {
    const store = await create();
    try {
      const contacts = store.collection('contacts', contactCodec);
      const outbox = store.collection('outbox', bytesCodec);
      await outbox.put('old', Uint8Array.of(0));
      const batch = store
        .batch()
        .put(contacts, 'bob', { name: 'bob', address: 'chaff1b', identityKey: new Uint8Array(1), addedMs: 3 })
        .put(outbox, 'p1', Uint8Array.of(1))
        .put(outbox, 'p2', Uint8Array.of(2))
        .del(outbox, 'old');
      assert.equal(batch.length, 4);
      assert.equal(await contacts.get('bob'), undefined, 'nothing before write()');
      assert.deepEqual(await outbox.get('old'), Uint8Array.of(0));
      await batch.write({ sync: true });
      assert.equal((await contacts.get('bob'))?.name, 'bob');
      assert.deepEqual(
        (await outbox.list()).map(([id]) => id),
        ['p1', 'p2'],
      );
      await assert.rejects(batch.write(), /already written/);
      assert.throws(() => batch.put(outbox, 'p3', Uint8Array.of(3)), /already written/);
    } finally {
      await store.close();
    }
  });

  it('commits the writes issued while one commits together, in the order they were issued (group commit)', async () => {
    const store = await create();
    try {
      const outbox = store.collection('outbox', bytesCodec);
      const before = store.stats();
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < 20; i++) writes.push(outbox.put('same', Uint8Array.of(i), { sync: true }));
      for (let i = 0; i < 20; i++) writes.push(outbox.put(`m${i}`, Uint8Array.of(i), { sync: i % 2 === 0 }));
      writes.push(outbox.del('m3'));
      writes.push(store.batch().put(outbox, 'm3', Uint8Array.of(33)).del(outbox, 'm4').write({ sync: true }));
      await Promise.all(writes);
      const after = store.stats();
      assert.equal(after.writes - before.writes, 42);
      // The first write commits alone; the 41 issued while it ran, together.
      assert.equal(after.commits - before.commits, 2);
      assert.deepEqual(await outbox.get('same'), Uint8Array.of(19), 'the last put of a record wins');
      assert.deepEqual(await outbox.get('m3'), Uint8Array.of(33), 'a delete then a put: the put, as issued');
      assert.equal(await outbox.get('m4'), undefined);
      assert.equal(await outbox.count(), 20);
    } finally {
      await store.close();
    }
    const again = await reopen();
    try {
      assert.deepEqual(await again.collection('outbox', bytesCodec).get('same'), Uint8Array.of(19));
    } finally {
      await again.close();
    }
  });

  it('a read on one state of the store (quiesced) sees the writes issued before it and none issued after', async () => {
    const store = await create();
    try {
      const outbox = store.collection('outbox', bytesCodec);
      void outbox.put('a', Uint8Array.of(1));
      const seen = store.quiesced(async () => [await outbox.get('a'), await outbox.get('b')]);
      const later = [outbox.put('a', Uint8Array.of(2)), outbox.put('b', Uint8Array.of(2))];
      assert.deepEqual(await seen, [Uint8Array.of(1), undefined]);
      await Promise.all(later);
      assert.deepEqual(await outbox.get('a'), Uint8Array.of(2));
      await assert.rejects(
        store.quiesced(async () => {
          throw new Error('the read failed');
        }),
        /the read failed/,
      );
      await outbox.put('c', Uint8Array.of(3));
      assert.deepEqual(await outbox.get('c'), Uint8Array.of(3), 'a failed read does not stop the writes after it');
    } finally {
      await store.close();
    }
  });

  it('a batch that fails writes none of its operations', async () => {
    const store = await create();
    const outbox = store.collection('outbox', bytesCodec);
    const batch = store.batch().put(outbox, 'a', Uint8Array.of(1)).put(outbox, 'b', Uint8Array.of(2));
    // a codec error is thrown when the operation is queued, before anything is written
    assert.throws(() => batch.put(store.collection('contacts', jsonCodec<unknown>()), 'bad', { x: NaN }), TypeError);
    await store.close();
    await assert.rejects(batch.write(), StoreClosedError);
    const again = await reopen();
    try {
      assert.equal(await again.collection('outbox', bytesCodec).count(), 0);
      assert.equal(await again.collection('contacts', bytesCodec).count(), 0);
    } finally {
      await again.close();
    }
  });

  it('refuses to batch a collection of another store', async () => {
    const store = await create();
    const other = await createProfile(join(dir, 'other'), PASS, { scrypt: SMALL, collections: COLLECTIONS });
    try {
      assert.throws(() => store.batch().put(other.collection('outbox', bytesCodec), 'x', Uint8Array.of(1)), /its own store/);
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });

  it('keeps the data through a passphrase change', async () => {
    const store = await create();
    await store.collection('messages', messageCodec).put('m', { text: 'still here', seq: 7n });
    await store.close();
    await changePassphrase(dir, PASS, 'new passphrase');
    await assert.rejects(reopen(), WrongPassphraseError);
    const again = await openProfile(dir, 'new passphrase', { collections: COLLECTIONS });
    try {
      assert.deepEqual(await again.collection('messages', messageCodec).get('m'), { text: 'still here', seq: 7n });
    } finally {
      await again.close();
    }
  });

  it('refuses a second open of the same profile: "profile in use by another chaff client daemon"', async () => {
    const store = await create();
    try {
      await assert.rejects(reopen(), (e: unknown) => {
        assert.ok(e instanceof ProfileInUseError);
        assert.match(e.message, /profile in use by another chaff client daemon/);
        assert.equal(e.folder, join(dir, 'db'));
        return true;
      });
    } finally {
      await store.close();
    }
    const again = await reopen();
    await again.close();
  });

  it('does not print its keys when a store or collection is logged', async () => {
    const master = new Uint8Array(32).map((_, i) => 100 + i);
    const { valueKey, indexKey } = deriveStoreKeys(master);
    const store = await SealedStore.open(dir, master, { collections: COLLECTIONS, create: true });
    try {
      const compact = (v: unknown) => inspect(v, { depth: 10 }).replace(/\s+/g, '');
      const shown = compact(store) + compact(store.collection('outbox', bytesCodec));
      assert.match(shown, /chaff-sealed-/, 'the inspection does show the store');
      for (const key of [valueKey, indexKey]) {
        const needle = Array.from(key.subarray(0, 8)).join(',');
        assert.ok(compact({ key }).includes(needle), 'control: a printed key would be found');
        assert.ok(!shown.includes(needle), 'a key is printed');
      }
    } finally {
      await store.close();
    }
  });

  it('refuses a missing database instead of starting an empty profile', async () => {
    const master = new Uint8Array(32).fill(1);
    await assert.rejects(SealedStore.open(dir, master, { collections: COLLECTIONS }), (e: unknown) => {
      assert.ok(e instanceof StoreMissingError);
      assert.ok(e.message.includes(join(dir, 'db')));
      return true;
    });
    assert.deepEqual(readdirSync(dir), [], 'nothing was created');
    const created = await SealedStore.open(dir, master, { collections: COLLECTIONS, create: true });
    await created.close();
    assert.equal(statSync(join(dir, 'db')).mode & 0o777, 0o700);
  });

  it('refuses a database written under another master key', async () => {
    const a = await SealedStore.open(dir, new Uint8Array(32).fill(1), { collections: COLLECTIONS, create: true });
    await a.close();
    await assert.rejects(SealedStore.open(dir, new Uint8Array(32).fill(2), { collections: COLLECTIONS }), StoreKeyMismatchError);
  });

  it('refuses a database whose registry record is gone but records remain', async () => {
    const master = new Uint8Array(32).fill(1);
    const a = await SealedStore.open(dir, master, { collections: COLLECTIONS, create: true });
    await a.collection('outbox', bytesCodec).put('x', Uint8Array.of(1));
    await a.close();
    const db = await rawDb(join(dir, 'db'));
    await db.del(metaRecordKey('registry'));
    await db.close();
    await assert.rejects(SealedStore.open(dir, master, { collections: COLLECTIONS }), (e: unknown) => e instanceof DatabaseCorruptError && /registry record is missing/.test(e.message));
  });

  it('keeps collection tags fixed: appending is allowed, reordering and unknown names are refused', async () => {
    const master = new Uint8Array(32).fill(3);
    const s1 = await SealedStore.open(dir, master, { collections: ['contacts', 'messages'], create: true });
    await s1.collection('messages', bytesCodec).put('m', Uint8Array.of(1));
    assert.throws(() => s1.collection('outbox', bytesCodec), UnknownCollectionError);
    await s1.close();

    await assert.rejects(SealedStore.open(dir, master, { collections: ['messages', 'contacts'] }), (e: unknown) => {
      assert.ok(e instanceof CollectionRegistryError);
      assert.match(e.message, /only be appended/);
      return true;
    });
    const s2 = await SealedStore.open(dir, master, { collections: ['contacts', 'messages', 'outbox'] });
    assert.deepEqual(s2.collections, ['contacts', 'messages', 'outbox']);
    assert.deepEqual(await s2.collection('messages', bytesCodec).get('m'), Uint8Array.of(1));
    await s2.close();
    // an older daemon that knows fewer collections still opens, and the registry keeps the newer ones
    const s3 = await SealedStore.open(dir, master, { collections: ['contacts'] });
    assert.deepEqual(s3.collections, ['contacts', 'messages', 'outbox']);
    await s3.close();
    await assert.rejects(SealedStore.open(dir, master, { collections: ['contacts', 'outbox'] }), CollectionRegistryError);
  });

  it('refuses invalid collection lists', async () => {
    const master = new Uint8Array(32);
    for (const collections of [['Contacts'], ['a', 'a'], ['$meta'], Array.from({ length: 256 }, (_, i) => `c${i}`)]) {
      await assert.rejects(SealedStore.open(dir, master, { collections, create: true }), CollectionRegistryError);
    }
  });

  it('rejects bad ids with InvalidRecordIdError and calls after close with StoreClosedError', async () => {
    const store = await create();
    const outbox = store.collection('outbox', bytesCodec);
    await assert.rejects(outbox.put('', Uint8Array.of(1)), InvalidRecordIdError);
    await assert.rejects(outbox.get('\ud800'), InvalidRecordIdError);
    const pending = outbox.put('late', Uint8Array.of(1));
    await Promise.all([store.close(), store.close()]);
    await pending; // close waited for it
    assert.equal(store.isOpen, false);
    await assert.rejects(outbox.get('late'), StoreClosedError);
    await assert.rejects(outbox.list(), StoreClosedError);
    const again = await reopen();
    try {
      assert.deepEqual(await again.collection('outbox', bytesCodec).get('late'), Uint8Array.of(1));
    } finally {
      await again.close();
    }
  });
});

// The names a gateway hosts (node/gateway/handle-registry.ts, docs/gateway.md
// §Short handles): first come, first served, one name per client key,
// persistent in its own LevelDB folder, corrupt entries skipped.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../protocol/bytes.js';
import { encodeHandleRecord } from '../../../protocol/wire/handle.js';
import { HandleRegistry, HandleRegistryInputError } from '../../../node/gateway/handle-registry.js';
import { Database, StoreClosedError, StoreKindError } from '../../../node/store/database.js';
import { ClientRegistry } from '../../../node/gateway/client-registry.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { handleOwner, handleRecordOf } from '../../helpers/handle-fixtures.js';

const GATEWAY = new Uint8Array(32).fill(0xb0);

describe('node/gateway/handle-registry (real LevelDB)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-handles-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const alice = handleOwner('alice', GATEWAY);
  const mallory = handleOwner('mallory', GATEWAY);

  it('gives a name to the first client that claims it; another client is told it is taken', async () => {
    const handles = await HandleRegistry.open(dir);
    try {
      const record = handleRecordOf(alice, 'bob');
      assert.equal(handles.lookup('bob'), null);
      assert.deepEqual(await handles.claim(alice.clientKey, record), { status: 'ok', held: 'bob' });
      assert.deepEqual(await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'bob')), { status: 'taken', held: null });
      assert.deepEqual(handles.lookup('bob'), encodeHandleRecord(record), 'still alice’s record');
      assert.deepEqual(handles.recordOf('bob')?.address.mailbox, alice.mailboxId);
      assert.equal(handles.nameOf(alice.clientKey), 'bob');
      assert.equal(handles.nameOf(mallory.clientKey), null);
      assert.equal(handles.size, 1);
      // A taken answer says what the loser holds: its own name, if it has one.
      await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'mallory'));
      assert.deepEqual(await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'bob')), { status: 'taken', held: 'mallory' });
    } finally {
      await handles.close();
    }
  });

  it('lets the same client claim its name again (the newer record replaces the old) and holds one name per client', async () => {
    const handles = await HandleRegistry.open(dir);
    try {
      await handles.claim(alice.clientKey, handleRecordOf(alice, 'bob'));
      // A new identity (a new prekey, a new address) behind the same mailbox key K.
      const renewed = handleOwner('alice, renewed', GATEWAY, alice.mailboxKey);
      const newer = handleRecordOf(renewed, 'bob');
      assert.notDeepEqual(encodeHandleRecord(newer), encodeHandleRecord(handleRecordOf(alice, 'bob')));
      assert.deepEqual(await handles.claim(alice.clientKey, newer), { status: 'ok', held: 'bob' });
      assert.deepEqual(handles.lookup('bob'), encodeHandleRecord(newer));

      // Another name: the old one is released.
      assert.deepEqual(await handles.claim(alice.clientKey, handleRecordOf(alice, 'alice')), { status: 'ok', held: 'alice' });
      assert.equal(handles.lookup('bob'), null);
      assert.equal(handles.size, 1);
      assert.deepEqual((await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'bob'))).status, 'ok', 'the released name is free');
    } finally {
      await handles.close();
    }
  });

  it('releases a client’s name, and refuses a record that is not the claiming client’s', async () => {
    const handles = await HandleRegistry.open(dir);
    try {
      await handles.claim(alice.clientKey, handleRecordOf(alice, 'bob'));
      await assert.rejects(handles.claim(mallory.clientKey, handleRecordOf(alice, 'carol')), HandleRegistryInputError);
      await assert.rejects(handles.claim(new Uint8Array(31), handleRecordOf(alice, 'carol')), HandleRegistryInputError);
      assert.equal(await handles.release(alice.clientKey), 'bob');
      assert.equal(handles.lookup('bob'), null);
      assert.equal(await handles.release(alice.clientKey), null, 'nothing left to release');
    } finally {
      await handles.close();
    }
  });

  it('of two concurrent claims of one name, exactly one wins', async () => {
    const handles = await HandleRegistry.open(dir);
    try {
      const results = await Promise.all([handles.claim(alice.clientKey, handleRecordOf(alice, 'bob')), handles.claim(mallory.clientKey, handleRecordOf(mallory, 'bob'))]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['ok', 'taken']);
      assert.deepEqual(results[0].status, 'ok', 'the first to arrive');
      assert.equal(handles.size, 1);
    } finally {
      await handles.close();
    }
  });

  it('keeps names, and releases, across a reopen', async () => {
    let handles = await HandleRegistry.open(dir);
    const carol = handleOwner('carol', GATEWAY);
    await handles.claim(alice.clientKey, handleRecordOf(alice, 'bob'));
    await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'mallory'));
    await handles.claim(carol.clientKey, handleRecordOf(carol, 'carol'));
    await handles.release(carol.clientKey);
    await handles.close();
    await assert.rejects(handles.claim(alice.clientKey, handleRecordOf(alice, 'x')), StoreClosedError);

    handles = await HandleRegistry.open(dir);
    try {
      assert.equal(handles.size, 2);
      assert.equal(handles.corruptEntries, 0);
      assert.deepEqual(handles.lookup('bob'), encodeHandleRecord(handleRecordOf(alice, 'bob')));
      assert.equal(handles.nameOf(mallory.clientKey), 'mallory');
      assert.equal(handles.lookup('carol'), null, 'the release was durable');
      assert.deepEqual((await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'bob'))).status, 'taken', 'first come survives the restart');
    } finally {
      await handles.close();
    }
  });

  it('releases the names of clients no longer registered', async () => {
    const handles = await HandleRegistry.open(join(dir, 'handles'));
    const registry = await ClientRegistry.open(join(dir, 'clients'));
    try {
      await registry.register(alice.clientKey, 0);
      await handles.claim(alice.clientKey, handleRecordOf(alice, 'bob'));
      await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'mallory'));
      assert.equal(await handles.releaseUnregistered((m) => registry.has(m)), 1);
      assert.equal(handles.lookup('mallory'), null);
      assert.equal(handles.nameOf(alice.clientKey), 'bob');
      assert.equal(await handles.releaseUnregistered((m) => registry.has(m)), 0);
    } finally {
      await handles.close();
      await registry.close();
    }
    const reopened = await HandleRegistry.open(join(dir, 'handles'));
    assert.equal(reopened.size, 1, 'the release was written');
    await reopened.close();
  });

  it('skips, counts and logs corrupt entries (never a key), and loads the rest', async () => {
    const carol = handleOwner('carol', GATEWAY);
    const dave = handleOwner('dave', GATEWAY);
    const erin = handleOwner('erin', GATEWAY);
    const db = await Database.open(dir, 'handle-registry');
    const keyOf = (mailboxId: Uint8Array) => Uint8Array.of(0x05, ...mailboxId);
    const good = encodeHandleRecord(handleRecordOf(alice, 'bob'));
    await db.db.put(keyOf(alice.mailboxId), good);
    await db.db.put(keyOf(dave.mailboxId), encodeHandleRecord(handleRecordOf(dave, 'dave')).subarray(0, 100)); // truncated
    await db.db.put(keyOf(carol.mailboxId), good); // alice's record under carol's key
    // Erin's own record for the name alice holds: one name, two owners. The first in key order keeps it.
    const erins = encodeHandleRecord(handleRecordOf(erin, 'bob'));
    await db.db.put(keyOf(erin.mailboxId), erins);
    const [first, firstBytes] = toHex(alice.mailboxId) < toHex(erin.mailboxId) ? [alice, good] : [erin, erins];
    await db.db.put(Uint8Array.of(0x05, 1, 2, 3), encodeHandleRecord(handleRecordOf(carol, 'carol'))); // a key of the wrong length
    const forged = encodeHandleRecord(handleRecordOf(mallory, 'mallory'));
    forged[2 + 7 + 40] ^= 1; // inside the address: its signature no longer verifies
    await db.db.put(keyOf(mallory.mailboxId), forged);
    await db.close();

    const log = memoryLogger();
    const handles = await HandleRegistry.open(dir, { logger: log });
    try {
      assert.equal(handles.corruptEntries, 5);
      assert.equal(handles.size, 1);
      assert.deepEqual(handles.lookup('bob'), firstBytes);
      assert.equal(handles.nameOf(first.clientKey), 'bob');
      assert.equal(handles.lookup('carol'), null);
      assert.equal(handles.lookup('mallory'), null);
      assert.equal(handles.lookup('dave'), null);
      const warnings = log.records.filter((r) => r.level === 'warn');
      assert.equal(warnings.length, 5);
      const text = JSON.stringify(warnings);
      for (const o of [alice, mallory, carol, dave, erin]) {
        assert.ok(!text.includes(toHex(o.mailboxId)) && !text.includes(toHex(o.clientKey)), 'no mailbox id or key in the log');
      }
      // The client whose entry was corrupt can claim again: its entry is overwritten.
      assert.deepEqual((await handles.claim(mallory.clientKey, handleRecordOf(mallory, 'mallory'))).status, 'ok');
    } finally {
      await handles.close();
    }
  });

  it('refuses a folder holding another kind of store', async () => {
    const registry = await ClientRegistry.open(dir);
    await registry.close();
    await assert.rejects(HandleRegistry.open(dir), StoreKindError);
  });
});

// exportProfile / importProfile: a whole profile (keys, contacts, history,
// files, groups, settings) through one backup file into a new folder, where
// the store shows the same records and the same address; and the refusals:
// wrong passphrase, damaged or cut files, an occupied target, a held profile.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { addressOf, encodeAddress } from '../../../protocol/e2ee/address.js';
import { deserializeIdentity, generateIdentity, serializeIdentity } from '../../../protocol/e2ee/identity.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import { CLIENT_CONFIG_FILE, clientToml, DEFAULT_CLIENT_SETTINGS, loadClientConfig } from '../../../client/config.js';
import { COLLECTIONS, collectionsOf, type ContactRecord, type MessageRow } from '../../../client/state.js';
import { bytesCodec } from '../../../client/store/codecs.js';
import { BackupExistsError, ImportTargetError, exportProfile, exportStore, importProfile } from '../../../client/store/backup.js';
import { BackupCorruptError, BackupTruncatedError, WrongBackupPassphraseError, decodeBackupPayload, openBackup } from '../../../client/store/backup-format.js';
import { ProfileExistsError, WrongPassphraseError, readProfileFile } from '../../../client/store/profile-key.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';
import { ProfileInUseError } from '../../../client/store/store-errors.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'seven quiet herons fold the map';
const GATEWAY = 'cd'.repeat(32);

function contact(name: string, address: string): ContactRecord {
  return { name, address, identity: 'ab'.repeat(32), addedMs: 1, verified: name === 'bob', keyChanged: false, pendingAddress: null, nextSeq: 7n, sessionId: null };
}

function message(id: string, contactName: string, text: string): MessageRow {
  return {
    record: { id, contact: contactName, direction: 'in', content: { text }, state: 'delivered', sentMs: 5, deliveredMs: 6, readMs: null, fragments: 1, retransmissions: 0 },
    peer: 'ab'.repeat(32),
    hidden: false,
    held: false,
    acked: [],
    sent: [],
    seq: '1',
  };
}

/** A profile as `chaff client init` leaves it, with contacts, history, a file and a group. */
async function makeProfile(dir: string): Promise<void> {
  const store = await createProfile(dir, PASSPHRASE, { collections: COLLECTIONS, scrypt: SMALL });
  try {
    const c = collectionsOf(store);
    const key = await generateKeyPair('Ed25519');
    const batch = store
      .batch()
      .put(c.profile, 'identity', serializeIdentity(generateIdentity()))
      .put(c.profile, 'libp2p', privateKeyToProtobuf(key))
      .put(c.profile, 'delivery-id', new Uint8Array(32).fill(9))
      .put(c.contacts, 'bob', contact('bob', 'chaff1bob'))
      .put(c.contacts, 'carol ✓', contact('carol ✓', 'chaff1carol'))
      .put(
        c.files,
        'f1',
        new Uint8Array(200_000).map((_, i) => i % 253),
      )
      .put(c.groups, 'aa'.repeat(16), Uint8Array.of(1, 2, 3));
    for (let i = 0; i < 300; i++) batch.put(c.messages, i.toString(16).padStart(32, '0'), message(i.toString(16).padStart(32, '0'), i % 2 ? 'bob' : 'carol ✓', `message ${i}`));
    await batch.write({ sync: true });
  } finally {
    await store.close();
  }
  const network = { genesisMs: Date.UTC(2026, 0, 1), epochDurationMs: 60_000, authorities: [{ name: 'auth-1', identity: 'a'.repeat(64), addresses: ['/ip4/127.0.0.1/tcp/30000'] }] };
  writeFileSync(join(dir, CLIENT_CONFIG_FILE), clientToml({ network, client: { ...DEFAULT_CLIENT_SETTINGS, gateway: GATEWAY, gatewayName: 'gateway-a' } }), { mode: 0o600 });
}

/** Every record of every collection, as stored bytes. */
async function allRecords(dir: string, passphrase: string): Promise<Map<string, Array<[string, string]>>> {
  const store = await openProfile(dir, passphrase, { collections: COLLECTIONS });
  try {
    const out = new Map<string, Array<[string, string]>>();
    for (const name of store.collections)
      out.set(
        name,
        (await store.collection(name, bytesCodec).list()).map(([id, v]) => [id, toHex(v)]),
      );
    return out;
  } finally {
    await store.close();
  }
}

/** The profile's address, derived as the daemon derives it (client/daemon/compose.ts). */
async function addressOfProfile(dir: string, passphrase: string): Promise<string> {
  const store = await openProfile(dir, passphrase, { collections: COLLECTIONS });
  try {
    const c = collectionsOf(store);
    const identity = deserializeIdentity((await c.profile.get('identity'))!);
    const key = privateKeyFromProtobuf((await c.profile.get('libp2p'))!);
    const gateway = loadClientConfig(join(dir, CLIENT_CONFIG_FILE)).client.gateway;
    return encodeAddress(addressOf(identity, fromHex(gateway), mailboxIdOf(key.publicKey.raw)));
  } finally {
    await store.close();
  }
}

describe('client/store/backup: export and import', function () {
  this.timeout(20_000);
  let root: string;
  let original: string;
  let file: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'chaff-backup-'));
    original = join(root, 'original');
    file = join(root, 'profile.chaff-backup');
    await makeProfile(original);
    const summary = await exportProfile(original, PASSPHRASE, file, { collections: COLLECTIONS });
    assert.equal(summary.records.contacts, 2);
    assert.equal(summary.records.messages, 300);
    assert.equal(summary.records.files, 1);
    assert.equal(summary.records.groups, 1);
    assert.deepEqual(summary.files, ['client.toml']);
    assert.equal(summary.skippedCorrupt, 0);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes one file, mode 0600, holding no record in clear', () => {
    const bytes = readFileSync(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(bytes.subarray(0, 8).toString(), 'CHAFFBAK');
    for (const clear of ['carol ✓', 'message 17', 'chaff1bob', 'gateway-a']) assert.ok(!bytes.includes(Buffer.from(clear)), `${clear} is not in clear`);
    assert.deepEqual(readdirSync(root).sort(), ['original', 'profile.chaff-backup'], 'no temporary file left');
  });

  it('imports into a new folder: the same records, settings and address, under a new master key', async () => {
    const copy = join(root, 'copy');
    const summary = await importProfile(file, PASSPHRASE, copy);
    assert.equal(summary.records.messages, 300);
    assert.deepEqual(await allRecords(copy, PASSPHRASE), await allRecords(original, PASSPHRASE));
    assert.equal(readFileSync(join(copy, CLIENT_CONFIG_FILE), 'utf8'), readFileSync(join(original, CLIENT_CONFIG_FILE), 'utf8'));
    assert.equal(await addressOfProfile(copy, PASSPHRASE), await addressOfProfile(original, PASSPHRASE));
    const store = await openProfile(copy, PASSPHRASE, { collections: COLLECTIONS });
    try {
      const c = collectionsOf(store);
      assert.deepEqual(await c.contacts.get('carol ✓'), contact('carol ✓', 'chaff1carol'));
      assert.equal(((await c.messages.get('0'.repeat(29) + '011'))?.record.content as { text: string }).text, 'message 17');
    } finally {
      await store.close();
    }
    const [a, b] = [await readProfileFile(original), await readProfileFile(copy)];
    assert.notEqual(toHex(a.salt), toHex(b.salt));
    assert.deepEqual(b.scrypt, SMALL, "the backup's scrypt cost");
    assert.equal(statSync(copy).mode & 0o777, 0o700);
    assert.ok(!readdirSync(root).some((n) => n.includes('.import-')), 'no staging folder left');
  });

  it('imports into an existing empty folder', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await importProfile(file, PASSPHRASE, empty);
    assert.ok(existsSync(join(empty, 'profile.json')));
  });

  it('never imports over a profile or into a folder that holds anything', async () => {
    await assert.rejects(
      importProfile(file, PASSPHRASE, original),
      (e: unknown) => e instanceof ProfileExistsError && /a chaff profile already exists at .*profile\.json; refusing to overwrite it/.test(e.message),
    );
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    await assert.rejects(importProfile(file, PASSPHRASE, busy), (e: unknown) => e instanceof ImportTargetError && /it is not empty; import into a new folder/.test(e.message));
    assert.deepEqual(readdirSync(busy), ['notes.txt']);
  });

  it('refuses a wrong passphrase, a cut file and a flipped byte, leaving nothing behind', async () => {
    const target = join(root, 'refused');
    await assert.rejects(importProfile(file, 'not the passphrase', target), WrongBackupPassphraseError);
    const bytes = readFileSync(file);
    const cut = join(root, 'cut.chaff-backup');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(importProfile(cut, PASSPHRASE, target), (e: unknown) => e instanceof BackupTruncatedError && e.message.includes(`of its ${bytes.length} bytes`));
    const flipped = join(root, 'flipped.chaff-backup');
    const copy = Buffer.from(bytes);
    copy[copy.length >> 1] ^= 0x40;
    writeFileSync(flipped, copy);
    await assert.rejects(importProfile(flipped, PASSPHRASE, target), BackupCorruptError);
    assert.equal(existsSync(target), false);
    for (const f of [cut, flipped]) rmSync(f);
  });

  it('never overwrites an existing file, and needs the profile passphrase and the database to itself', async () => {
    await assert.rejects(exportProfile(original, PASSPHRASE, file, { collections: COLLECTIONS }), BackupExistsError);
    const other = join(root, 'other.chaff-backup');
    await assert.rejects(exportProfile(original, 'not the passphrase', other, { collections: COLLECTIONS }), WrongPassphraseError);
    const held = await openProfile(original, PASSPHRASE, { collections: COLLECTIONS });
    try {
      await assert.rejects(exportProfile(original, PASSPHRASE, other, { collections: COLLECTIONS }), ProfileInUseError);
    } finally {
      await held.close();
    }
    assert.equal(existsSync(other), false);
  });

  it('encrypts under another passphrase when asked', async () => {
    const other = join(root, 'other-passphrase.chaff-backup');
    await exportProfile(original, PASSPHRASE, other, { collections: COLLECTIONS, backupPassphrase: 'a different long backup phrase' });
    await assert.rejects(importProfile(other, PASSPHRASE, join(root, 'x')), WrongBackupPassphraseError);
    const copy = join(root, 'other-copy');
    await importProfile(other, 'a different long backup phrase', copy);
    await assert.rejects(openProfile(copy, PASSPHRASE, { collections: COLLECTIONS }), WrongPassphraseError);
    assert.equal(await addressOfProfile(copy, 'a different long backup phrase'), await addressOfProfile(original, PASSPHRASE));
  });

  it("exports a store in use (a daemon's) in one consistent state: a pair written in one batch is in the backup whole or not at all", async () => {
    const live = join(root, 'live');
    const store = await createProfile(live, PASSPHRASE, { collections: COLLECTIONS, scrypt: SMALL });
    const c = collectionsOf(store);
    let writing = true;
    let written = 0;
    // Each batch puts a message and a file under the same id: a backup must never hold one without the other.
    const writer = (async () => {
      while (writing) {
        const id = written.toString(16).padStart(32, '0');
        await store
          .batch()
          .put(c.messages, id, message(id, 'bob', `pair ${written}`))
          .put(c.files, id, Uint8Array.of(written & 0xff))
          .write();
        written++;
      }
    })();
    try {
      const files: string[] = [];
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 15));
        const f = join(root, `live-${i}.chaff-backup`);
        await exportStore(store, live, f, { backupPassphrase: PASSPHRASE });
        files.push(f);
      }
      writing = false;
      await writer;
      for (const f of files) {
        const contents = decodeBackupPayload(f, await openBackup(f, readFileSync(f), PASSPHRASE));
        const ids = (name: string) => contents.records.filter((r) => r.collection === name).map((r) => r.id);
        assert.deepEqual(ids('messages'), ids('files'), `${f}: messages and files pair up`);
      }
      assert.ok(written > 0);
    } finally {
      writing = false;
      await writer;
      await store.close();
    }
  });

  it('quiesced: writes issued before run first, writes issued during wait for it', async () => {
    const dir = join(root, 'quiesced');
    const store = await createProfile(dir, PASSPHRASE, { collections: COLLECTIONS, scrypt: SMALL });
    const c = collectionsOf(store);
    try {
      const before = c.files.put('a', Uint8Array.of(1));
      let during: Promise<void> | undefined;
      const seen = await store.quiesced(async () => {
        during = c.files.put('b', Uint8Array.of(2));
        await new Promise((r) => setTimeout(r, 30));
        return (await c.files.list()).map(([id]) => id);
      });
      assert.deepEqual(seen, ['a']);
      await before;
      await during;
      assert.deepEqual(
        (await c.files.list()).map(([id]) => id),
        ['a', 'b'],
      );
    } finally {
      await store.close();
    }
  });
});

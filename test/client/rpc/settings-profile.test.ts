// The settings, passphrase and backup calls of the client's local API
// (docs/client-api.md §Methods: settings.get, settings.set,
// passphrase.strength, profile.passphrase, profile.backup), end to end over
// a real Unix socket (serveClientApi, connectClientApi) against the daemon's
// real API (client/daemon/api-facade.ts) over a real messenger and encrypted
// profile with no network under it (test/web/offline-daemon.ts): what is
// answered, what client.toml then holds, the rates the streams run at, the
// profile opening with the new passphrase and not the old one, and a backup
// that `chaff client import`'s library code restores with its messages.
// Nothing logged, by the daemon or the socket layer, holds a passphrase.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError, type ClientErrorCode } from '../../../client/api.js';
import { loadClientConfig } from '../../../client/config.js';
import { sealedMessengerStores } from '../../../client/messenger/stores.js';
import { connectClientApi, type ClientApiConnection } from '../../../client/rpc/client.js';
import { serveClientApi, type ClientApiServer } from '../../../client/rpc/server.js';
import { clientSocketPath } from '../../../client/rpc/socket-path.js';
import { COLLECTIONS } from '../../../client/state.js';
import { WrongBackupPassphraseError } from '../../../client/store/backup-format.js';
import { importProfile } from '../../../client/store/backup.js';
import { unlockProfileKey, WrongPassphraseError } from '../../../client/store/profile-key.js';
import { openProfile } from '../../../client/store/profile.js';
import { zeroize } from '../../../protocol/bytes.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { closeUser, drain, Users } from '../../helpers/messenger-users.js';
import { NETWORK_RATES, offlineDaemon, type OfflineDaemon } from '../../web/offline-daemon.js';

/** The test users' profile passphrase (test/helpers/messenger-users.ts). */
const CURRENT = 'pass';
const REFUSED = 'password1';
const WEAK = 'tulip garden';
const STRONG = 'quiet otter lantern 1987';
const BACKUP = 'backup: violet harbour tram 77';
const DAY = 86_400;

async function rejectsWith(p: Promise<unknown>, code: ClientErrorCode, message?: RegExp): Promise<ClientError> {
  let caught: unknown;
  await assert.rejects(p, (err: unknown) => {
    caught = err;
    return err instanceof ClientError && err.code === code && (!message || message.test(err.message));
  });
  return caught as ClientError;
}

describe('client API: settings, passphrase and backup, over the socket', function () {
  this.timeout(60_000);
  let users: Users;
  let alice: OfflineDaemon;
  let bob: OfflineDaemon;
  let dir: string;
  let server: ClientApiServer;
  let api: ClientApiConnection;
  const log = memoryLogger();
  const socketLog: string[] = [];

  before(async function () {
    users = new Users();
    alice = await offlineDaemon(users, 'alice', {}, { logger: log });
    bob = await offlineDaemon(users, 'bob');
    await alice.api.addContact('bob', bob.user.address);
    await bob.api.addContact('alice', alice.user.address);
    for (const e of await drain(alice.user)) await bob.user.messenger.receive(e);
    for (const e of await drain(bob.user)) await alice.user.messenger.receive(e);
    dir = mkdtempSync(join(tmpdir(), 'chaff-rpc-settings-'));
    server = await serveClientApi(alice.api, clientSocketPath(dir), { log: (line) => socketLog.push(line) });
    api = await connectClientApi(clientSocketPath(dir));
  });

  after(async function () {
    await api?.close();
    await server?.close();
    await users.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('settings', function () {
    it("settings.get: read receipts on, the network's rates unraised, and what they cost a day", async function () {
      const s = await api.settings();
      assert.equal(s.readReceipts, true);
      assert.deepEqual(s.cover.network, NETWORK_RATES);
      assert.deepEqual(s.cover.raise, { lambdaP: null, lambdaL: null, lambdaD: null });
      assert.deepEqual(s.cover.effective, NETWORK_RATES);
      assert.equal(s.cover.fetchPerSecond, 1);
      // docs/client.md §Status: 3,130-byte packets, a 362-byte request and an 8,961-byte reply a second: 978 MB and 774 MB a day.
      assert.deepEqual({ ...s.cover.cost }, { packetBytes: 3130, fetchRequestBytes: 362, fetchReplyBytes: 8961, sentPerDay: (3.5 * 3130 + 362) * DAY, receivedPerDay: 8961 * DAY });
      assert.equal(Math.round(s.cover.cost.sentPerDay / 1e6), 978);
      assert.equal(Math.round(s.cover.cost.receivedPerDay / 1e6), 774);
      assert.equal(s.configFile, alice.configPath);
    });

    it('settings.set: read receipts off and a raise, applied at once (the streams and status) and written to client.toml', async function () {
      const s = await api.setSettings({ readReceipts: false, lambdaP: 6, lambdaD: 1.5 });
      assert.equal(s.readReceipts, false);
      assert.deepEqual(s.cover.raise, { lambdaP: 6, lambdaL: null, lambdaD: 1.5 });
      assert.deepEqual(s.cover.effective, { lambdaP: 6, lambdaL: 1, lambdaD: 1.5 });
      assert.equal(s.cover.cost.sentPerDay, (8.5 * 3130 + 362) * DAY, 'the cost follows the raise');
      assert.deepEqual(await api.settings(), s, 'settings.get says the same');
      assert.equal(alice.user.messenger.readReceipts, false, 'the messenger sends no receipt from now on');
      assert.deepEqual(alice.streams.rates, { lambdaP: 6, lambdaL: 1, lambdaD: 1.5 }, 'the streams run at the raised rates now');
      assert.deepEqual((await api.status()).rates, { lambdaP: 6, lambdaL: 1, lambdaD: 1.5, mu: 0, fetchPerSecond: 1 });
      // What the next start reads.
      const file = loadClientConfig(alice.configPath).client;
      assert.equal(file.readReceipts, false);
      assert.deepEqual(file.raise, { lambdaP: 6, lambdaL: undefined, lambdaD: 1.5 });
      assert.match(readFileSync(alice.configPath, 'utf8'), /^# chaff client configuration/, "the file's comments stay");
    });

    it('with read receipts off, reading bob queues nothing for him; on again, it does', async function () {
      await bob.api.sendText('alice', 'are you there?');
      for (const e of await drain(bob.user)) await alice.user.messenger.receive(e);
      assert.equal(await api.markRead('bob'), 1);
      assert.equal(alice.user.messenger.queuedFragments, 0, 'no receipt');
      await api.setSettings({ readReceipts: true });
      assert.equal(loadClientConfig(alice.configPath).client.readReceipts, true);
      await bob.api.sendText('alice', 'hello?');
      for (const e of await drain(bob.user)) await alice.user.messenger.receive(e);
      assert.equal(await api.markRead('bob'), 1);
      assert.equal(alice.user.messenger.queuedFragments, 1, 'a receipt');
      for (const e of await drain(alice.user)) await bob.user.messenger.receive(e);
      assert.deepEqual(
        (await bob.api.history('alice')).filter((m) => m.direction === 'out').map((m) => [m.content.text, m.state]),
        [
          ['are you there?', 'delivered'],
          ['hello?', 'read'],
        ],
      );
    });

    it("refuses a raise below the network's rate, with a clear error, and changes nothing", async function () {
      const before = readFileSync(alice.configPath, 'utf8');
      const err = await rejectsWith(api.setSettings({ readReceipts: false, lambdaL: 0.5 }), 'below-network', /λL 0.5\/s is below the network's 1\/s: you may only raise/);
      assert.ok(err.message.length < 300);
      assert.equal(readFileSync(alice.configPath, 'utf8'), before, 'client.toml untouched');
      assert.equal(alice.user.messenger.readReceipts, true, 'nothing of the call applied');
      assert.deepEqual(alice.streams.rates, { lambdaP: 6, lambdaL: 1, lambdaD: 1.5 });
      // Out of range, or not a rate at all: the RPC layer refuses it (bad-request).
      await rejectsWith(api.setSettings({ lambdaP: 5000 }), 'bad-request', /"lambdaP" must be a rate from 0 to 1000/);
    });

    it('a raise of null removes it: the network rate applies again, and the line leaves client.toml', async function () {
      const s = await api.setSettings({ lambdaP: null, lambdaD: null });
      assert.deepEqual(s.cover.raise, { lambdaP: null, lambdaL: null, lambdaD: null });
      assert.deepEqual(s.cover.effective, NETWORK_RATES);
      assert.deepEqual(alice.streams.rates, NETWORK_RATES);
      assert.doesNotMatch(readFileSync(alice.configPath, 'utf8'), /^lambda_[pd] =/m);
      // Equal to the network's is a raise too (kept if the network lowers its rate later).
      assert.deepEqual((await api.setSettings({ lambdaL: 1 })).cover.raise.lambdaL, 1);
      await api.setSettings({ lambdaL: null });
    });

    it('a client.toml broken by hand is not overwritten: the change is refused, saying why', async function () {
      const good = readFileSync(alice.configPath, 'utf8');
      writeFileSync(alice.configPath, good.replace('max_attempts = 8', 'max_attempts = "many"'));
      try {
        await rejectsWith(api.setSettings({ readReceipts: false }), 'unavailable', /cannot save the settings: .*client\.max_attempts/);
        assert.match(readFileSync(alice.configPath, 'utf8'), /max_attempts = "many"/);
        assert.equal(alice.user.messenger.readReceipts, true);
      } finally {
        writeFileSync(alice.configPath, good);
      }
    });
  });

  describe('passphrase', function () {
    it('passphrase.strength: the verdict and why, never the passphrase', async function () {
      const refused = await api.passphraseStrength(REFUSED);
      assert.equal(refused.verdict, 'refused');
      assert.match(refused.text, /^this passphrase is too easy to guess/);
      assert.equal((await api.passphraseStrength(WEAK)).verdict, 'weak');
      const good = await api.passphraseStrength(STRONG);
      assert.equal(good.verdict, 'good');
      assert.ok(good.guessesLog10 >= 10);
      for (const s of [refused, good]) assert.ok(!JSON.stringify(s).includes(REFUSED) && !JSON.stringify(s).includes(STRONG));
    });

    it('profile.passphrase refuses a wrong current one, a refused or unaccepted weak new one, and the current one again, each with its code', async function () {
      await rejectsWith(api.changePassphrase('not the passphrase', STRONG), 'wrong-passphrase', /the current passphrase is wrong/);
      await rejectsWith(api.changePassphrase(CURRENT, REFUSED), 'refused-passphrase', /too easy to guess.*Choose another\./);
      await rejectsWith(api.changePassphrase(CURRENT, REFUSED, true), 'refused-passphrase');
      await rejectsWith(api.changePassphrase(CURRENT, WEAK), 'weak-passphrase', /this passphrase is weak.*acceptWeak/);
      await rejectsWith(api.changePassphrase(CURRENT, ''), 'bad-request', /must not be empty/);
      // Still the old one.
      zeroize(await unlockProfileKey(alice.user.dir, CURRENT));
    });

    it('profile.passphrase with a weak one accepted, then a strong one: the profile opens with the new one only', async function () {
      assert.deepEqual(await api.changePassphrase(CURRENT, WEAK, true), { verdict: 'weak' });
      await rejectsWith(api.changePassphrase(WEAK, WEAK), 'weak-passphrase');
      await rejectsWith(api.changePassphrase(WEAK, WEAK, true), 'bad-request', /the new passphrase is the current one/);
      assert.deepEqual(await api.changePassphrase(WEAK, STRONG), { verdict: 'good' });
      zeroize(await unlockProfileKey(alice.user.dir, STRONG));
      for (const old of [CURRENT, WEAK]) await assert.rejects(unlockProfileKey(alice.user.dir, old), WrongPassphraseError);
      // The daemon runs on: its store is sealed under the master key, which did not change.
      assert.equal((await api.sendText('bob', 'still here')).message.state, 'queued');
    });
  });

  describe('backup', function () {
    it('profile.backup refuses a backup passphrase the strength check refuses, or a weak one not accepted', async function () {
      await rejectsWith(api.backup(REFUSED), 'refused-passphrase');
      await rejectsWith(api.backup(WEAK), 'weak-passphrase');
    });

    it('profile.backup gives the bytes of an export file: it imports with the backup passphrase (only) and holds the messages and settings', async function () {
      const b = await api.backup(BACKUP);
      const bytes = Buffer.from(b.data, 'base64');
      assert.equal(bytes.length, b.bytes);
      assert.equal(b.records.messages, 3, 'the three messages are counted');
      assert.equal(b.records.contacts, 1);
      const file = join(dir, 'alice.chaff-backup');
      writeFileSync(file, bytes);
      await assert.rejects(importProfile(file, STRONG, join(dir, 'wrong')), WrongBackupPassphraseError);
      const summary = await importProfile(file, BACKUP, join(dir, 'restored'));
      assert.deepEqual(summary.records, b.records);
      assert.deepEqual(summary.files, ['client.toml']);
      assert.equal(loadClientConfig(join(dir, 'restored', 'client.toml')).client.readReceipts, true);
      const store = await openProfile(join(dir, 'restored'), BACKUP, { collections: COLLECTIONS });
      try {
        const texts = (await sealedMessengerStores(store).messages.list()).map(([, row]) => row.record.content.text);
        for (const t of ['are you there?', 'hello?', 'still here']) assert.ok(texts.includes(t), `the backup holds "${t}"`);
      } finally {
        await store.close();
      }
    });
  });

  describe('afterwards', function () {
    it('the profile, closed by the daemon, opens with the new passphrase and not the old one; no log line holds a passphrase', async function () {
      await closeUser(alice.user);
      await assert.rejects(openProfile(alice.user.dir, CURRENT, { collections: COLLECTIONS }), WrongPassphraseError);
      const store = await openProfile(alice.user.dir, STRONG, { collections: COLLECTIONS });
      try {
        assert.ok((await sealedMessengerStores(store).contacts.list()).some(([name]) => name === 'bob'));
      } finally {
        await store.close();
      }
      const logged = JSON.stringify(log.records) + socketLog.join('\n');
      assert.ok(
        log.records.some((r) => r.msg === 'the profile passphrase was changed through the API'),
        'the change is logged',
      );
      assert.ok(log.records.some((r) => r.msg === 'a backup of the profile was made through the API'));
      for (const secret of [WEAK, STRONG, BACKUP, REFUSED, 'not the passphrase']) assert.ok(!logged.includes(secret), `"${secret}" is not logged`);
    });
  });
});

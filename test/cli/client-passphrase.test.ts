// A new passphrase on the terminal and from files (strength check, asked
// again on a mismatch), and `chaff client passphrase`, `export` and
// `import` as separate processes on a real profile (docs/client.md
// §Passphrase, §Changing the passphrase, §Backup).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientApi } from '../../client/api.js';
import { serveClientApi } from '../../client/rpc/server.js';
import { clientSocketPath } from '../../client/rpc/socket-path.js';
import { PassphraseError } from '../../client/store/passphrase.js';
import { WrongPassphraseError, unlockProfileKey } from '../../client/store/profile-key.js';
import { createProfile } from '../../client/store/profile.js';
import { COLLECTIONS, collectionsOf } from '../../client/state.js';
import { openProfile } from '../../client/store/profile.js';
import { clientToml, CLIENT_CONFIG_FILE, DEFAULT_CLIENT_SETTINGS } from '../../client/config.js';
import { profileArg, shellWord } from '../../cli/client/profile-commands.js';
import { readPassphrase } from '../../cli/passphrase.js';
import { FakeTty } from '../helpers/fake-tty.js';
import { waitFor } from '../helpers/wait.js';
import { assessPassphrase } from '../../client/store/passphrase-strength.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

const GOOD = 'seven quiet herons fold the map';
const OTHER_GOOD = 'violet stapler drifts under moss';
const WEAK = 'tiger lamp';

function sink() {
  const written: string[] = [];
  return { written, text: () => written.join(''), write: (t: string) => written.push(t) };
}

/** Types line i once the (i+1)th prompt listens on this fresh terminal. */
async function typeLines(tty: FakeTty, lines: string[]): Promise<void> {
  for (const [i, line] of lines.entries()) {
    await waitFor(`prompt ${i + 1}`, () => tty.listens > i);
    tty.type(`${line}\r`);
  }
}

describe('chaff client: a new passphrase', function () {
  this.timeout(10_000);
  const strength = { context: ['chaff'] };
  // Builds the estimator (its dictionaries take a moment) before the prompts are timed.
  before(() => assessPassphrase('warm up'));

  it('asks again when the two entries differ', async function () {
    const tty = new FakeTty();
    const out = sink();
    const asked = readPassphrase({ env: {}, input: tty, output: out, confirm: true });
    await typeLines(tty, ['one', 'two', GOOD, GOOD]);
    assert.equal(await asked, GOOD);
    assert.equal(out.text(), 'new passphrase: \nrepeat the passphrase: \nthe two passphrases differ; try again\nnew passphrase: \nrepeat the passphrase: \n');
  });

  it('refuses a very weak one on the terminal with the reason, and asks again', async function () {
    const tty = new FakeTty();
    const out = sink();
    const asked = readPassphrase({ env: {}, input: tty, output: out, confirm: true, strength });
    await typeLines(tty, ['letmein1', GOOD, GOOD]);
    assert.equal(await asked, GOOD);
    assert.match(out.text(), /^new passphrase: \nthis passphrase is too easy to guess: someone who copies your profile could find it in .*\nnew passphrase: \nrepeat the passphrase: \n$/s);
    assert.ok(!out.text().includes('letmein1'), 'never printed');
  });

  it('takes a weak one only when the user types yes', async function () {
    const tty = new FakeTty();
    const out = sink();
    const asked = readPassphrase({ env: {}, input: tty, output: out, confirm: true, strength });
    await typeLines(tty, [WEAK, '', WEAK, 'yes', WEAK]);
    assert.equal(await asked, WEAK);
    const text = out.text();
    assert.equal(text.match(/this passphrase is weak: /g)?.length, 2);
    assert.equal(text.match(/use it anyway\? type yes, or press Enter to choose another: /g)?.length, 2);
    assert.ok(text.includes('yes'), 'the answer is echoed');
    assert.ok(!text.includes(WEAK), 'the passphrase is not');
  });

  it('gives up after three refusals', async function () {
    const tty = new FakeTty();
    const asked = readPassphrase({ env: {}, input: tty, output: sink(), confirm: true, strength });
    const typing = typeLines(tty, ['abc', 'password', '123456']);
    await assert.rejects(asked, (e: unknown) => e instanceof PassphraseError && e.message === 'no passphrase strong enough (3 tries)');
    await typing;
  });

  it('from a file: refuses a very weak one, needs --accept-weak-passphrase for a weak one', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-new-pass-'));
    try {
      const file = join(dir, 'p');
      writeFileSync(file, 'abc\n', { mode: 0o600 });
      await assert.rejects(
        readPassphrase({ file, output: sink(), strength }),
        (e: unknown) => e instanceof PassphraseError && /^this passphrase is too easy to guess: .* Choose another\.$/.test(e.message),
      );
      writeFileSync(file, `${WEAK}\n`);
      await assert.rejects(readPassphrase({ file, output: sink(), strength }), /^PassphraseError: this passphrase is weak: .* To use it anyway, pass --accept-weak-passphrase\.$/);
      const out = sink();
      assert.equal(await readPassphrase({ file, output: out, strength: { ...strength, acceptWeak: true } }), WEAK);
      assert.match(out.text(), /^warning: this passphrase is weak: /);
      writeFileSync(file, `${GOOD}\n`);
      const quiet = sink();
      assert.equal(await readPassphrase({ file, output: quiet, strength }), GOOD);
      assert.equal(quiet.text(), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('next: hints keep --profile unless it is the default folder', function () {
    assert.equal(profileArg(join(homedir(), '.chaff', 'profile')), '');
    assert.equal(profileArg('/tmp/alice'), ' --profile /tmp/alice');
    assert.equal(profileArg("/tmp/my alice's"), ` --profile '/tmp/my alice'\\''s'`);
    assert.equal(shellWord('/a/b-c_d.e'), '/a/b-c_d.e');
  });
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function chaff(args: string[]): Promise<Result> {
  const child = spawn(process.execPath, [chaffEntry(), ...args], { env: { ...process.env, CHAFF_PROFILE: '', CHAFF_PASSPHRASE: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('chaff client passphrase, export, import (processes)', function () {
  this.timeout(60_000);
  let root: string;
  let profile: string;
  const pass = (name: string, text: string) => {
    const file = join(root, name);
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
    return file;
  };
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'chaff-cli-profile-cmds-'));
    profile = join(root, 'alice');
    // The cheapest scrypt the store accepts: the tests are about the commands, not the key derivation.
    const store = await createProfile(profile, GOOD, { collections: COLLECTIONS, scrypt: { N: 2 ** 10, r: 8, p: 1 } });
    const c = collectionsOf(store);
    await c.contacts.put('bob', { name: 'bob', address: 'chaff1bob', identity: 'ab'.repeat(32), addedMs: 1, verified: false, keyChanged: false, pendingAddress: null, nextSeq: 1n, sessionId: null });
    await store.close();
    const network = { genesisMs: Date.UTC(2026, 0, 1), epochDurationMs: 60_000, authorities: [{ name: 'auth-1', identity: 'a'.repeat(64), addresses: ['/ip4/127.0.0.1/tcp/30000'] }] };
    writeFileSync(join(profile, CLIENT_CONFIG_FILE), clientToml({ network, client: { ...DEFAULT_CLIENT_SETTINGS, gateway: 'cd'.repeat(32), gatewayName: 'gateway-a' } }));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('passphrase: checks the current one first, refuses a weak new one from a file, then changes it', async function () {
    const wrong = await chaff(['client', 'passphrase', '--profile', profile, '--passphrase-file', pass('wrong', 'not it at all, sorry'), '--new-passphrase-file', pass('new', OTHER_GOOD)]);
    assert.equal(wrong.status, 1);
    assert.equal(wrong.stderr, `chaff client: wrong passphrase for the profile ${join(profile, 'profile.json')} (or its wrapped key is damaged)\n`);
    const weak = await chaff(['client', 'passphrase', '--profile', profile, '--passphrase-file', pass('current', GOOD), '--new-passphrase-file', pass('weak', 'abc')]);
    assert.equal(weak.status, 2);
    assert.match(weak.stderr, /^chaff client: this passphrase is too easy to guess: .* Choose another\.\n$/);
    const ok = await chaff(['client', 'passphrase', '--profile', profile, '--passphrase-file', pass('current', GOOD), '--new-passphrase-file', pass('new', OTHER_GOOD)]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^changed the passphrase of the profile .*alice; the old one no longer opens it\./);
    await assert.rejects(unlockProfileKey(profile, GOOD), WrongPassphraseError);
    const store = await openProfile(profile, OTHER_GOOD, { collections: COLLECTIONS });
    assert.equal((await collectionsOf(store).contacts.get('bob'))?.address, 'chaff1bob');
    await store.close();
    // Back, for the tests below.
    const back = await chaff(['client', 'passphrase', '--profile', profile, '--passphrase-file', pass('current', OTHER_GOOD), '--new-passphrase-file', pass('new', GOOD)]);
    assert.equal(back.status, 0, back.stderr);
  });

  it('export, then import into a new folder; import never overwrites, and names a wrong passphrase or a cut file', async function () {
    const backup = join(root, 'alice.chaff-backup');
    const exported = await chaff(['client', 'export', backup, '--profile', profile, '--passphrase-file', pass('current', GOOD)]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(
      exported.stdout,
      /^wrote the backup .*alice\.chaff-backup \(.*\): 1 contact, 0 messages, 0 files, 0 groups, your keys and settings\.\nIt opens with the profile's passphrase\. Restore it with: chaff client import .* --profile NEW-FOLDER\n$/,
    );
    const again = await chaff(['client', 'export', backup, '--profile', profile, '--passphrase-file', pass('current', GOOD)]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /alice\.chaff-backup exists; export writes a new file/);

    const copy = join(root, 'alice copy');
    const imported = await chaff(['client', 'import', backup, '--profile', copy, '--passphrase-file', pass('current', GOOD)]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /^restored the profile .*alice copy from .*: 1 contact, 0 messages, 0 files, 0 groups, your keys and settings\./);
    assert.ok(imported.stdout.endsWith(`\nnext: chaff client daemon --profile '${copy}'\n`), imported.stdout);
    const store = await openProfile(copy, GOOD, { collections: COLLECTIONS });
    assert.equal((await collectionsOf(store).contacts.get('bob'))?.address, 'chaff1bob');
    await store.close();

    const over = await chaff(['client', 'import', backup, '--profile', profile, '--passphrase-file', pass('current', GOOD)]);
    assert.equal(over.status, 1);
    assert.equal(over.stderr, `chaff client: a chaff profile already exists at ${join(profile, 'profile.json')}; refusing to overwrite it\n`);
    const wrong = await chaff(['client', 'import', backup, '--profile', join(root, 'w'), '--passphrase-file', pass('wrong', 'not it at all, sorry')]);
    assert.equal(wrong.status, 1);
    assert.equal(wrong.stderr, `chaff client: wrong passphrase for the backup ${backup} (or its header is damaged)\n`);
    const cut = join(root, 'cut.chaff-backup');
    const bytes = readFileSync(backup);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const truncated = await chaff(['client', 'import', cut, '--profile', join(root, 'w'), '--passphrase-file', pass('current', GOOD)]);
    assert.equal(truncated.status, 1);
    assert.equal(truncated.stderr, `chaff client: the backup ${cut} is truncated: it has ${bytes.length - 10} of its ${bytes.length} bytes (was the copy interrupted?)\n`);
  });

  it('with a daemon running: export refuses before asking anything; passphrase changes it and says what to update', async function () {
    // Only the socket matters here: the commands check whether a daemon answers on it.
    const daemon = await serveClientApi({} as ClientApi, clientSocketPath(profile));
    try {
      const exported = await chaff(['client', 'export', join(root, 'live.chaff-backup'), '--profile', profile]);
      assert.equal(exported.status, 1);
      assert.equal(exported.stderr, `chaff client: a chaff client daemon is running for profile ${profile}; stop it first: export reads the profile's database, which the daemon holds\n`);
      const changed = await chaff(['client', 'passphrase', '--profile', profile, '--passphrase-file', pass('current', GOOD), '--new-passphrase-file', pass('new', OTHER_GOOD)]);
      assert.equal(changed.status, 0, changed.stderr);
      assert.match(changed.stdout, /\nThe running daemon goes on\. If it reads its passphrase from a file or CHAFF_PASSPHRASE, update that before it restarts\.\n/);
      await assert.rejects(unlockProfileKey(profile, GOOD), WrongPassphraseError);
    } finally {
      await daemon.close();
    }
  });
});

// Changing a profile's passphrase (`chaff client passphrase`): the old one no
// longer opens the profile, the new one opens everything that was there;
// and a process killed at any moment of a change leaves a profile that one
// of the two passphrases opens, with all its records.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toHex } from '../../../protocol/bytes.js';
import { COLLECTIONS, collectionsOf } from '../../../client/state.js';
import { bytesCodec } from '../../../client/store/codecs.js';
import { WrongPassphraseError, changePassphrase } from '../../../client/store/profile-key.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';
import { sleep } from '../../helpers/wait.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const OLD = 'the first long passphrase of this profile';
const NEW = 'a second one, just as long and odd';

async function records(dir: string, passphrase: string): Promise<string> {
  const store = await openProfile(dir, passphrase, { collections: COLLECTIONS });
  try {
    const all: string[] = [];
    for (const name of store.collections) for (const [id, v] of await store.collection(name, bytesCodec).list()) all.push(`${name}/${id}=${toHex(v)}`);
    return all.join('\n');
  } finally {
    await store.close();
  }
}

/** Which of `candidates` opens the profile (and its database). */
async function opensWith(dir: string, candidates: string[]): Promise<string[]> {
  const opened: string[] = [];
  for (const p of candidates) {
    try {
      await records(dir, p);
      opened.push(p);
    } catch (e) {
      if (!(e instanceof WrongPassphraseError)) throw e;
    }
  }
  return opened;
}

describe('client/store: changing the passphrase', function () {
  this.timeout(30_000);
  let dir: string;
  let before: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-passphrase-change-'));
    const store = await createProfile(dir, OLD, { collections: COLLECTIONS, scrypt: SMALL });
    const c = collectionsOf(store);
    await store.batch().put(c.profile, 'identity', new Uint8Array(64).fill(7)).put(c.files, 'f', new Uint8Array(5000).fill(3)).write({ sync: true });
    await c.contacts.put('bob', { name: 'bob', address: 'chaff1bob', identity: 'ab'.repeat(32), addedMs: 1, verified: true, keyChanged: false, pendingAddress: null, nextSeq: 3n, sessionId: null });
    await store.close();
    before = await records(dir, OLD);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the old passphrase no longer opens the profile; the new one opens all of it', async () => {
    await changePassphrase(dir, OLD, NEW);
    assert.deepEqual(await opensWith(dir, [OLD, NEW]), [NEW]);
    assert.equal(await records(dir, NEW), before);
    await assert.rejects(changePassphrase(dir, OLD, 'a third passphrase entirely'), WrongPassphraseError);
    assert.equal(await records(dir, NEW), before);
  });

  it('a process killed in the middle of changes leaves a profile one of the two passphrases opens', async function () {
    const moduleUrl = pathToFileURL(join(process.cwd(), 'client/store/profile-key.ts')).href;
    // Changes back and forth until killed: each one derives two keys and replaces profile.json.
    const script = `
      import { changePassphrase } from ${JSON.stringify(moduleUrl)};
      const [dir, a, b] = process.argv.slice(1);
      let from = a, to = b;
      console.log('ready');
      for (;;) { await changePassphrase(dir, from, to); [from, to] = [to, from]; }
    `;
    const kills = [5, 40, 120];
    for (const delayMs of kills) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, OLD, NEW], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the child exited (${code}) before it started`)));
      });
      await sleep(delayMs);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const opened = await opensWith(dir, [OLD, NEW]);
      assert.equal(opened.length, 1, `killed after ${delayMs} ms: exactly one passphrase opens it (got ${opened.length})`);
      assert.equal(await records(dir, opened[0]), before, `killed after ${delayMs} ms: every record is there`);
      // The next change starts from whichever passphrase won.
      if (opened[0] === NEW) await changePassphrase(dir, NEW, OLD);
    }
    // A kill may leave the temporary file of an unfinished write; it is never read, and not the profile.
    assert.ok(readdirSync(dir).every((n) => n === 'profile.json' || n === 'db' || /^profile\.json\.\d+\.\d+\.tmp$/.test(n)));
  });
});

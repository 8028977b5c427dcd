// profile.json: the passphrase-wrapped master key. Pinned file bytes, an
// independent decryption following the documented layout, wrong and changed
// passphrases, and damaged files.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { toHex } from '../../../protocol/bytes.js';
import {
  ProfileCorruptError,
  ProfileExistsError,
  ProfileNotFoundError,
  WrongPassphraseError,
  changePassphrase,
  createProfileKey,
  readProfileFile,
  unlockProfileKey,
} from '../../../client/store/profile-key.js';
import { DEFAULT_SCRYPT_PARAMS, PassphraseError } from '../../../client/store/passphrase.js';
import { deterministicRandom } from '../../helpers/drbg.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const execFileAsync = promisify(execFile);

// createProfileKey with deterministicRandom('chaff profile-key vector'),
// passphrase "vector passphrase", scrypt N = 2^10, r = 8, p = 1.
const VECTOR_MASTER_KEY = '8bd92f00c4ad6344b2e839bd58209bda329309d281d63eeeafad070925d399b5';
const VECTOR_FILE = `{
  "format": "chaff-profile",
  "version": 1,
  "kdf": {
    "name": "scrypt",
    "N": 1024,
    "r": 8,
    "p": 1,
    "salt": "ek5PKsEpewSBplkZQQDs+w=="
  },
  "masterKey": {
    "aead": "xchacha20poly1305",
    "nonce": "HbGNPEOS55qPQF9Bj7kYhvrIKeZljTQR",
    "ciphertext": "9Na31uWZADyoPkuQNLESv0gEqlv36T88BUIXK4KOBdOexsEmxf6ojjmeE9NFbtwL"
  }
}
`;

describe('client/store/profile-key', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-profile-key-'));
    file = join(dir, 'profile.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the pinned profile.json for seeded randomness', async () => {
    const key = await createProfileKey(dir, 'vector passphrase', { scrypt: SMALL, random: deterministicRandom('chaff profile-key vector') });
    assert.equal(toHex(key), VECTOR_MASTER_KEY);
    assert.equal(readFileSync(file, 'utf8'), VECTOR_FILE);
  });

  it('follows the documented layout: scrypt key, XChaCha20-Poly1305, AD = domain ‖ version (independent decryption)', () => {
    writeFileSync(file, VECTOR_FILE);
    const json = JSON.parse(VECTOR_FILE);
    const kek = scryptSync(Buffer.from('vector passphrase'), Buffer.from(json.kdf.salt, 'base64'), 32, { N: 1024, r: 8, p: 1 });
    const ad = Buffer.concat([Buffer.from('chaff-profile-master-key'), Buffer.from([1])]);
    const master = xchacha20poly1305(kek, Buffer.from(json.masterKey.nonce, 'base64'), ad).decrypt(Buffer.from(json.masterKey.ciphertext, 'base64'));
    assert.equal(toHex(master), VECTOR_MASTER_KEY);
  });

  it('unlocks the pinned file with its passphrase', async () => {
    writeFileSync(file, VECTOR_FILE);
    assert.equal(toHex(await unlockProfileKey(dir, 'vector passphrase')), VECTOR_MASTER_KEY);
  });

  it('creates the folder, writes profile.json with mode 0600, and unlocks to the same random key', async () => {
    const nested = join(dir, 'a', 'profile');
    const key = await createProfileKey(nested, 'pass', { scrypt: SMALL });
    assert.equal(key.length, 32);
    assert.equal(statSync(join(nested, 'profile.json')).mode & 0o777, 0o600);
    assert.equal(statSync(nested).mode & 0o777, 0o700);
    assert.deepEqual(await unlockProfileKey(nested, 'pass'), key);
    const other = await createProfileKey(join(dir, 'b'), 'pass', { scrypt: SMALL });
    assert.notDeepEqual(other, key);
  });

  it('refuses a wrong passphrase with WrongPassphraseError naming the file', async () => {
    await createProfileKey(dir, 'right', { scrypt: SMALL });
    await assert.rejects(unlockProfileKey(dir, 'wrong'), (e: unknown) => {
      assert.ok(e instanceof WrongPassphraseError);
      assert.equal(e.file, file);
      assert.match(e.message, /wrong passphrase/);
      assert.ok(e.message.includes(file));
      return true;
    });
  });

  it('refuses to overwrite an existing profile', async () => {
    await createProfileKey(dir, 'one', { scrypt: SMALL });
    const before = readFileSync(file, 'utf8');
    await assert.rejects(createProfileKey(dir, 'two', { scrypt: SMALL }), ProfileExistsError);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('refuses an empty passphrase at creation', async () => {
    await assert.rejects(createProfileKey(dir, '', { scrypt: SMALL }), PassphraseError);
  });

  it('reports a missing profile.json as ProfileNotFoundError naming the file', async () => {
    await assert.rejects(unlockProfileKey(dir, 'x'), (e: unknown) => e instanceof ProfileNotFoundError && e.file === file && e.message.includes(file));
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- damages parsed JSON of any shape
  const damaged: Array<[string, (json: Record<string, any>) => unknown, RegExp]> = [
    ['not JSON', () => '{"format": ', /not valid UTF-8 JSON/],
    ['not an object', () => [1, 2], /not a JSON object/],
    ['another format', (j) => ({ ...j, format: 'something' }), /"format"/],
    ['a future version', (j) => ({ ...j, version: 2 }), /version 2 is not supported/],
    ['another KDF', (j) => ({ ...j, kdf: { ...j.kdf, name: 'argon2id' } }), /kdf.name/],
    ['an absurd N', (j) => ({ ...j, kdf: { ...j.kdf, N: 2 ** 40 } }), /scrypt N must be between/],
    ['N not a power of two', (j) => ({ ...j, kdf: { ...j.kdf, N: 1000 } }), /power of two/],
    ['an absurd p', (j) => ({ ...j, kdf: { ...j.kdf, p: 1e6 } }), /scrypt p must be at most/],
    ['a short salt', (j) => ({ ...j, kdf: { ...j.kdf, salt: 'AAAA' } }), /salt must be 16 to 64 bytes/],
    ['bad base64', (j) => ({ ...j, masterKey: { ...j.masterKey, nonce: 'not base64!' } }), /masterKey.nonce is not valid base64/],
    ['a short ciphertext', (j) => ({ ...j, masterKey: { ...j.masterKey, ciphertext: 'AAAA' } }), /ciphertext is 3 bytes/],
    ['another AEAD', (j) => ({ ...j, masterKey: { ...j.masterKey, aead: 'aes-gcm' } }), /masterKey.aead/],
  ];
  for (const [what, mutate, message] of damaged) {
    it(`reports a profile.json with ${what} as ProfileCorruptError naming the file`, async () => {
      const m = mutate(JSON.parse(VECTOR_FILE));
      writeFileSync(file, typeof m === 'string' ? m : JSON.stringify(m));
      await assert.rejects(unlockProfileKey(dir, 'vector passphrase'), (e: unknown) => {
        assert.ok(e instanceof ProfileCorruptError, String(e));
        assert.equal(e.file, file);
        assert.ok(e.message.includes(file));
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('reports a flipped ciphertext byte as a wrong passphrase (indistinguishable, both fail the tag)', async () => {
    const json = JSON.parse(VECTOR_FILE);
    const ct = Buffer.from(json.masterKey.ciphertext, 'base64');
    ct[5] ^= 0x01;
    json.masterKey.ciphertext = ct.toString('base64');
    writeFileSync(file, JSON.stringify(json));
    await assert.rejects(unlockProfileKey(dir, 'vector passphrase'), WrongPassphraseError);
  });

  it('changePassphrase rewraps the same master key with a new salt and nonce', async () => {
    const key = await createProfileKey(dir, 'old', { scrypt: SMALL });
    const before = await readProfileFile(dir);
    await changePassphrase(dir, 'old', 'new');
    const after = await readProfileFile(dir);
    assert.notDeepEqual(after.salt, before.salt);
    assert.notDeepEqual(after.nonce, before.nonce);
    assert.deepEqual(after.scrypt, SMALL, 'keeps the profile parameters by default');
    assert.deepEqual(await unlockProfileKey(dir, 'new'), key);
    await assert.rejects(unlockProfileKey(dir, 'old'), WrongPassphraseError);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('changePassphrase can raise the scrypt cost', async () => {
    await createProfileKey(dir, 'old', { scrypt: SMALL });
    await changePassphrase(dir, 'old', 'new', { scrypt: { N: 2 ** 11, r: 8, p: 1 } });
    assert.equal((await readProfileFile(dir)).scrypt.N, 2 ** 11);
  });

  it('changePassphrase with the wrong old passphrase changes nothing', async () => {
    await createProfileKey(dir, 'old', { scrypt: SMALL });
    const before = readFileSync(file, 'utf8');
    await assert.rejects(changePassphrase(dir, 'not it', 'new'), WrongPassphraseError);
    await assert.rejects(changePassphrase(dir, 'old', ''), PassphraseError);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  // In a child process: mocha loads the tests through tsx's CommonJS path,
  // which makes @noble's hashes an order of magnitude slower than in the
  // daemon (ESM), so the timing taken here would be meaningless.
  it('works with the default scrypt parameters (N = 2^17; timed in a child process, logged, not asserted)', async function () {
    this.timeout(60_000);
    const moduleUrl = pathToFileURL(join(process.cwd(), 'client/store/profile-key.ts')).href;
    const script = `
      import { createProfileKey, unlockProfileKey, readProfileFile } from ${JSON.stringify(moduleUrl)};
      const dir = process.argv[1];
      const t0 = performance.now();
      const key = await createProfileKey(dir, 'default cost');
      const t1 = performance.now();
      const again = await unlockProfileKey(dir, 'default cost');
      const t2 = performance.now();
      const { scrypt } = await readProfileFile(dir);
      console.log(JSON.stringify({ same: Buffer.compare(key, again) === 0, scrypt, createMs: t1 - t0, unlockMs: t2 - t1 }));
    `;
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir]);
    const result = JSON.parse(stdout);
    assert.equal(result.same, true);
    assert.deepEqual(result.scrypt, { ...DEFAULT_SCRYPT_PARAMS });
    console.log(`      scrypt N=2^17 r=8 p=1: create ${result.createMs.toFixed(0)} ms, unlock ${result.unlockMs.toFixed(0)} ms`);
  });
});

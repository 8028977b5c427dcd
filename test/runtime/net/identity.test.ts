import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDENTITY_FILE, IdentityError, loadOrCreateIdentity } from '../../../runtime/net/identity.js';

describe('runtime/net/identity', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-identity-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates an Ed25519 key with mode 0600 on first start and reloads the same identity', async () => {
    const first = await loadOrCreateIdentity(join(dir, 'data'));
    assert.equal(first.created, true);
    assert.equal(first.privateKey.type, 'Ed25519');
    assert.equal(first.publicKey.length, 32);
    assert.equal((await stat(first.path)).mode & 0o777, 0o600);

    const again = await loadOrCreateIdentity(join(dir, 'data'));
    assert.equal(again.created, false);
    assert.equal(again.peerId.toString(), first.peerId.toString());
    assert.deepEqual(again.publicKey, first.publicKey);
    assert.ok(again.peerId.equals(first.peerId));
  });

  it('refuses a corrupt key file with a typed error and leaves it in place', async () => {
    const path = join(dir, IDENTITY_FILE);
    await writeFile(path, Buffer.from('not a protobuf key at all'));
    await assert.rejects(loadOrCreateIdentity(dir), (err: unknown) => err instanceof IdentityError && err.code === 'corrupt' && err.path === path);
    assert.equal(await readFile(path, 'utf8'), 'not a protobuf key at all');
  });

  it('refuses a truncated key file', async () => {
    const { path } = await loadOrCreateIdentity(dir);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, 20));
    await assert.rejects(loadOrCreateIdentity(dir), (err: unknown) => err instanceof IdentityError && err.code === 'corrupt');
  });

  it('reports an unreadable key file as such (and does not replace it)', async () => {
    // A directory where the key should be: unreadable even for root (EISDIR).
    await mkdir(join(dir, IDENTITY_FILE));
    await assert.rejects(loadOrCreateIdentity(dir), (err: unknown) => err instanceof IdentityError && err.code === 'unreadable');
    assert.ok((await stat(join(dir, IDENTITY_FILE))).isDirectory());
  });
});

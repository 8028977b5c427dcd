import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../protocol/bytes.js';
import { sha256 } from '../../../protocol/crypto/hash.js';
import { formatInviteToken, InviteStore, parseInviteToken } from '../../../node/gateway/invite-store.js';

describe('node/gateway/invite-store: single-use invite tokens in files', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-invites-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('stores only the hash of each token, with its expiry; a token is valid until claimed and consumed', async () => {
    const store = new InviteStore(join(dir, 'invites'));
    const [token, other] = await store.mint(2, 1000, 5000);
    assert.deepEqual((await readdir(join(dir, 'invites'))).sort(), [toHex(sha256(token)), toHex(sha256(other))].sort());
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'invites', toHex(sha256(token))), 'utf8')), { createdMs: 1000, expiresMs: 5000 });
    assert.equal(await store.check(token, 2000), 'valid');
    const claim = await store.claim(token);
    assert.ok(claim);
    assert.equal(await store.claim(token), null, 'claimed once: a concurrent second claim loses');
    assert.equal(await store.check(token, 2000), 'unknown');
    await claim.release();
    assert.equal(await store.check(token, 2000), 'valid', 'a released claim gives the invite back');
    await (await store.claim(token))!.consume();
    assert.equal(await store.check(token, 2000), 'unknown', 'used');
    assert.equal(await store.count(), 1);
    assert.equal(await store.check(other, 5000), 'expired');
    assert.equal(await store.count(), 0, 'an expired invite is deleted when presented');
  });

  it('prunes expired invites; prints and parses tokens as 64 hex digits', async () => {
    const store = new InviteStore(join(dir, 'invites'));
    await store.mint(3, 0, 100);
    await store.mint(1, 0, 10_000);
    assert.equal(await store.prune(200), 3);
    assert.equal(await store.count(), 1);
    const token = crypto.getRandomValues(new Uint8Array(32));
    assert.deepEqual(parseInviteToken(` ${formatInviteToken(token).toUpperCase()}\n`), token);
    assert.throws(() => parseInviteToken('abc'), /64 hex digits/);
  });
});

// createProfile / openProfile: the one-call path the daemon uses, including
// a profile held open by another process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bytesCodec } from '../../../client/store/codecs.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';
import { ProfileExistsError, ProfileNotFoundError } from '../../../client/store/profile-key.js';
import { ProfileInUseError, StoreMissingError } from '../../../client/store/store-errors.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const COLLECTIONS = ['contacts', 'outbox'];

describe('client/store/profile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-profile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates profile.json and db/, and opens them again', async () => {
    const store = await createProfile(dir, 'pw', { scrypt: SMALL, collections: COLLECTIONS });
    await store.collection('outbox', bytesCodec).put('x', Uint8Array.of(1), { sync: true });
    await store.close();
    assert.deepEqual(readdirSync(dir).sort(), ['db', 'profile.json']);
    const again = await openProfile(dir, 'pw', { collections: COLLECTIONS });
    assert.deepEqual(await again.collection('outbox', bytesCodec).get('x'), Uint8Array.of(1));
    await again.close();
  });

  it('refuses to create over an existing profile or a leftover database', async () => {
    await (await createProfile(dir, 'pw', { scrypt: SMALL, collections: COLLECTIONS })).close();
    await assert.rejects(createProfile(dir, 'pw', { scrypt: SMALL, collections: COLLECTIONS }), ProfileExistsError);
    const other = join(dir, 'other');
    mkdirSync(join(other, 'db'), { recursive: true });
    writeFileSync(join(other, 'db', 'CURRENT'), 'MANIFEST-000001\n');
    await assert.rejects(createProfile(other, 'pw', { scrypt: SMALL, collections: COLLECTIONS }), ProfileExistsError);
    assert.deepEqual(readdirSync(other), ['db'], 'no profile.json was written');
  });

  it('reports an empty folder as ProfileNotFoundError, and a profile without db/ as StoreMissingError', async () => {
    await assert.rejects(openProfile(dir, 'pw', { collections: COLLECTIONS }), ProfileNotFoundError);
    await (await createProfile(dir, 'pw', { scrypt: SMALL, collections: COLLECTIONS })).close();
    rmSync(join(dir, 'db'), { recursive: true });
    await assert.rejects(openProfile(dir, 'pw', { collections: COLLECTIONS }), StoreMissingError);
  });

  it('refuses a profile held open by another process with "profile in use by another chaff client daemon"', async function () {
    this.timeout(30_000);
    await (await createProfile(dir, 'pw', { scrypt: SMALL, collections: COLLECTIONS })).close();
    const moduleUrl = pathToFileURL(join(process.cwd(), 'client/store/profile.ts')).href;
    const script = `
      import { openProfile } from ${JSON.stringify(moduleUrl)};
      const store = await openProfile(process.argv[1], 'pw', { collections: ${JSON.stringify(COLLECTIONS)} });
      console.log('open');
      process.stdin.resume();
      process.stdin.on('end', async () => { await store.close(); process.exit(0); });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      assert.equal(chunk.toString().trim(), 'open');
      await assert.rejects(openProfile(dir, 'pw', { collections: COLLECTIONS }), (e: unknown) => {
        assert.ok(e instanceof ProfileInUseError);
        assert.match(e.message, /profile in use by another chaff client daemon/);
        return true;
      });
    } finally {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    }
    const again = await openProfile(dir, 'pw', { collections: COLLECTIONS });
    await again.close();
  });
});

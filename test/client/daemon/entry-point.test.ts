// The entry point's own steps (client/daemon.ts): what it opened is closed
// again when the start fails.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError } from '../../../client/api.js';
import { CLIENT_CONFIG_FILE, clientToml } from '../../../client/config.js';
import { startClientDaemon } from '../../../client/daemon.js';
import { COLLECTIONS } from '../../../client/state.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';

const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

describe('client/daemon (entry point)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-daemon-entry-'));
    const network = { genesisMs: Date.parse('2026-01-01T00:00:00Z'), epochDurationMs: 15_000, authorities: [{ name: 'a1', identity: 'ab'.repeat(32), addresses: ['/ip4/127.0.0.1/tcp/9'] }] };
    writeFileSync(
      join(dir, CLIENT_CONFIG_FILE),
      clientToml({ network, client: { gateway: 'cd'.repeat(32), gatewayName: 'g', fetchIntervalMs: 1000, maxAttempts: 8, retransmitSlackMs: 3000, orderHoldMs: 1000, raise: {} } }),
    );
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a profile without its identity is refused, and the store it opened is closed again', async () => {
    const store = await createProfile(dir, 'pass', { collections: COLLECTIONS, scrypt: SCRYPT });
    await store.close();
    await assert.rejects(
      startClientDaemon({ profileDir: dir, passphrase: 'pass', log: () => undefined }),
      (err: unknown) => err instanceof ClientError && /is incomplete \(no identity\)/.test(err.message),
    );
    // LevelDB holds a lock while open: opening again proves it was closed.
    const again = await openProfile(dir, 'pass', { collections: COLLECTIONS });
    await again.close();
  });
});

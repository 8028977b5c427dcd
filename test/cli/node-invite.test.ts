// `chaff node invite`: an operator mints invite tokens for a gateway with
// registration = "invite", into its data folder, from a separate process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InviteStore, parseInviteToken } from '../../node/gateway/invite-store.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

function config(dir: string, role: 'gateway' | 'mix'): string {
  const file = join(dir, `${role}.toml`);
  writeFileSync(
    file,
    `[node]\nname = "${role}-1"\nrole = "${role}"\ndata_dir = "data-${role}"\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n\n` +
      `[[authorities]]\nname = "auth-1"\nidentity = "${'a'.repeat(64)}"\naddresses = ["/ip4/127.0.0.1/tcp/30000"]\n\n` +
      `[gateway]\nregistration = "invite"\n`,
  );
  return file;
}

describe('chaff node invite', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-invite-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints N single-use tokens that the gateway’s invite store accepts, valid for --valid', async () => {
    const run = spawnSync(process.execPath, [chaffEntry(), 'node', 'invite', '--config', config(dir, 'gateway'), '--count', '3', '--valid', '2h'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const tokens = run.stdout.trim().split('\n').map(parseInviteToken);
    assert.equal(tokens.length, 3);
    const store = new InviteStore(join(dir, 'data-gateway', 'invites'));
    const now = Date.now();
    for (const t of tokens) assert.equal(await store.check(t, now), 'valid');
    assert.equal(await store.check(tokens[0], now + 3 * 3_600_000), 'expired');
    assert.match(run.stderr, /3 invites, single-use, valid until/);
  });

  it('refuses a node that is not a gateway, and a bad --valid', function () {
    const mix = spawnSync(process.execPath, [chaffEntry(), 'node', 'invite', '--config', config(dir, 'mix')], { encoding: 'utf8' });
    assert.equal(mix.status, 2);
    assert.match(mix.stderr, /invites are for gateways/);
    const gw = config(dir, 'gateway');
    for (const args of [['--valid', 'soon']]) {
      const r = spawnSync(process.execPath, [chaffEntry(), 'node', 'invite', '--config', gw, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, args.join(' '));
    }
  });
});

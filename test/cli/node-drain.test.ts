// `chaff node` and SIGUSR2 (cli/node.ts, docs/operators.md §Draining): the
// running node drains, logs it, and the process exits 0 on its own, as
// systemd's `systemctl kill -s SIGUSR2` expects.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

describe('chaff node: SIGUSR2 drains, then exits', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chaff-node-drain-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a mix drains, stops and exits with status 0', async () => {
    const config = join(dir, 'mix.toml');
    writeFileSync(
      config,
      `[node]\nname = "mix-1"\nrole = "mix"\ndata_dir = "data"\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n\n` +
        `[[authorities]]\nname = "auth-1"\nidentity = "${'a'.repeat(64)}"\naddresses = ["/ip4/127.0.0.1/tcp/1"]\n`,
    );
    const child = spawn(process.execPath, [chaffEntry(), 'node', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the node is running', () => stderr.includes('"node running"'), { timeoutMs: 60_000 });
      child.kill('SIGUSR2');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
    const msgs = stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    const at = (m: string) => msgs.indexOf(m);
    assert.ok(at('drain requested') > at('node running'), msgs.join(', '));
    assert.ok(at('drained: everything held was delivered') > at('drain requested'), msgs.join(', '));
    assert.ok(at('stopped') > at('drained: everything held was delivered'), msgs.join(', '));
  });
});

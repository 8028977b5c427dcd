// `chaff testnet --dir DIR` on a folder (testnet/testnet-folder.ts,
// testnet/folder-lock.ts): a new folder gets a new network; the same folder
// again gets the same network (genesis, keys, ports, network.toml byte for
// byte); a folder it cannot resume is refused with a clear error and left as
// it was; --fresh removes the testnet's own files and nothing else.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SHAPE, type TestnetPlan } from '../../testnet/plan.js';
import { PLAN_FILE, readPlanFile } from '../../testnet/plan-file.js';
import { refused } from './folder-error.js';
import { openTestnet } from '../../testnet/testnet-folder.js';
import { FolderLock, LOCK_FILE } from '../../testnet/folder-lock.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Every file under `dir` with its bytes, to show a refused start changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(p, readFileSync(p, 'base64'));
    }
  };
  walk(dir);
  return files;
}

const open = (dir: string, nowMs: number, fresh = false) => openTestnet(dir, { shape: DEFAULT_SHAPE, nowMs, fresh });

describe('testnet folder: create, resume, refuse, --fresh', function () {
  this.timeout(20_000);
  let dir: string;
  let first: TestnetPlan;

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'chaff-testnet-folder-'));
    const opened = await open(dir, T0);
    assert.equal(opened.resumed, false);
    first = opened.plan;
  });

  it('resumes the network it finds: the same genesis, keys, ports and network file', async function () {
    const networkFile = readFileSync(first.networkFile, 'utf8');
    const again = await open(dir, T0 + 3_600_000);
    assert.equal(again.resumed, true);
    assert.deepEqual(again.notes, []);
    assert.equal(again.plan.genesisMs, T0, 'the genesis of the first start, not the time of this one');
    assert.deepEqual(again.plan.shape, first.shape);
    assert.deepEqual(again.plan.nodes, first.nodes);
    assert.equal(readFileSync(again.plan.networkFile, 'utf8'), networkFile, 'network.toml unchanged: profiles made from it stay valid');
  });

  it('keeps an admission list its operator changed, and writes a missing one again', async function () {
    const a1 = join(dir, 'authority-1', 'admissions.toml');
    const a2 = join(dir, 'authority-2', 'admissions.toml');
    const edited = `${readFileSync(a1, 'utf8')}\n# admitted by hand\n`;
    writeFileSync(a1, edited);
    unlinkSync(a2);
    const again = await open(dir, T0 + 1000);
    assert.equal(readFileSync(a1, 'utf8'), edited);
    assert.ok(existsSync(a2));
    assert.match(again.notes.join('\n'), /authority-2\/admissions\.toml was missing: written again/);
  });

  it('refuses a half-written plan and changes nothing', async function () {
    const text = readFileSync(join(dir, PLAN_FILE), 'utf8');
    writeFileSync(join(dir, PLAN_FILE), text.slice(0, 200));
    const before = snapshot(dir);
    await assert.rejects(open(dir, T0 + 1000), refused('corrupt', /testnet\.json is damaged or half-written.*--fresh/));
    assert.deepEqual(snapshot(dir), before);
  });

  it('refuses a plan of another format', async function () {
    writeFileSync(join(dir, PLAN_FILE), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, PLAN_FILE), 'utf8')), format: 99 }));
    await assert.rejects(open(dir, T0 + 1000), refused('other-format', /made by another version of chaff/));
  });

  it("refuses a testnet's files without a plan (an older chaff's folder, or an interrupted creation)", async function () {
    unlinkSync(join(dir, PLAN_FILE));
    const before = snapshot(dir);
    await assert.rejects(open(dir, T0 + 1000), refused('incomplete', /holds a testnet's files \(authority-1, authority-1\.toml, .*\) but no testnet\.json.*--fresh/));
    assert.deepEqual(snapshot(dir), before, 'nothing overwritten');
  });

  it('refuses a node whose key file is missing, and does not make a new key', async function () {
    const key = join(dir, 'mix-3', 'libp2p.key');
    unlinkSync(key);
    await assert.rejects(open(dir, T0 + 1000), refused('missing-key', /mix-3\/libp2p\.key is missing: mix-3 cannot start again with its identity/));
    assert.equal(existsSync(key), false);
  });

  it('refuses a node whose key is not the one recorded', async function () {
    const other = mkdtempSync(join(tmpdir(), 'chaff-testnet-folder-'));
    await open(other, T0);
    writeFileSync(join(dir, 'gateway-a', 'libp2p.key'), readFileSync(join(other, 'gateway-a', 'libp2p.key')));
    await assert.rejects(open(dir, T0 + 1000), refused('key-mismatch', /gateway-a\/libp2p\.key holds another key than testnet\.json records for gateway-a/));
  });

  it("stops when an authority's port is taken; moves a relay's, says so and records it", async function () {
    const authority = first.nodes.find((n) => n.name === 'authority-2')!;
    const mix = first.nodes.find((n) => n.name === 'mix-4')!;
    const blocker = await listen(authority.port);
    try {
      await assert.rejects(open(dir, T0 + 1000), refused('port-taken', new RegExp(`authority-2's port ${authority.port} is in use by another program.*cannot move`)));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    const relayBlocker = await listen(mix.port);
    try {
      const again = await open(dir, T0 + 1000);
      const moved = again.plan.nodes.find((n) => n.name === 'mix-4')!;
      assert.notEqual(moved.port, mix.port);
      assert.match(again.notes.join('\n'), new RegExp(`mix-4: port ${mix.port} is in use by another program; it listens on ${moved.port} now`));
      assert.equal(readPlanFile(dir).nodes.find((n) => n.name === 'mix-4')!.port, moved.port, 'recorded');
      assert.match(readFileSync(moved.configPath, 'utf8'), new RegExp(`/tcp/${moved.port}"`));
      assert.deepEqual(
        again.plan.nodes.filter((n) => n.role === 'authority').map((n) => n.port),
        first.nodes.filter((n) => n.role === 'authority').map((n) => n.port),
      );
    } finally {
      await new Promise((r) => relayBlocker.close(r));
    }
  });

  it('refuses to start while a node of an earlier run still runs', async function () {
    const configPath = first.nodes.find((n) => n.name === 'mix-1')!.configPath;
    // A stand-in for a node left running: its command line names the node's config, as `chaff node --config …` does.
    const leftover = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'node', '--config', configPath], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      await assert.rejects(open(dir, T0 + 1000), refused('running', new RegExp(`earlier run of this testnet still run \\(mix-1: pid ${leftover.pid}\\).*kill ${leftover.pid}`)));
    } finally {
      leftover.kill('SIGKILL');
    }
  });

  it('--fresh removes the network (only its own files) and makes a new one', async function () {
    mkdirSync(join(dir, 'carol'));
    writeFileSync(join(dir, 'carol', 'client.toml'), 'a profile of the user');
    writeFileSync(join(dir, 'notes.txt'), 'the user\u2019s');
    mkdirSync(join(dir, 'client-alice'));
    writeFileSync(join(dir, 'client-alice.passphrase'), 'x');
    const fresh = await open(dir, T0 + 5000, true);
    assert.equal(fresh.resumed, false);
    assert.equal(fresh.plan.genesisMs, T0 + 5000);
    assert.notEqual(fresh.plan.nodes[0].identityKey, first.nodes[0].identityKey, 'new keys');
    assert.match(fresh.notes.join('\n'), /--fresh: removed the previous network/);
    assert.equal(readFileSync(join(dir, 'carol', 'client.toml'), 'utf8'), 'a profile of the user');
    assert.ok(existsSync(join(dir, 'notes.txt')));
    assert.equal(existsSync(join(dir, 'client-alice')), false);
    assert.equal(existsSync(join(dir, 'client-alice.passphrase')), false);
  });

  it('a new network may go into a folder holding other things', async function () {
    const other = mkdtempSync(join(tmpdir(), 'chaff-testnet-folder-'));
    writeFileSync(join(other, 'notes.txt'), 'x');
    assert.equal((await open(other, T0)).resumed, false);
    rmSync(other, { recursive: true });
  });
});

describe('testnet folder lock', function () {
  it('lets one testnet at a time run in a folder, and is released', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-testnet-lock-'));
    // A live process that is a testnet, as far as /proc can tell: this test's own runner is not, so lock as another pid.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'testnet'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, LOCK_FILE), `${other.pid}\n`);
      assert.throws(() => FolderLock.acquire(dir), refused('running', new RegExp(`a testnet already runs in .* \\(pid ${other.pid}\\)`)));
    } finally {
      const gone = new Promise((r) => other.once('exit', r));
      other.kill('SIGKILL');
      await gone;
    }
    const lock = FolderLock.acquire(dir);
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });

  it('takes over a lock left by a testnet that is gone', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-testnet-lock-'));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), `${gone.stdout}\n`);
    const lock = FolderLock.acquire(dir);
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
    lock.release();
  });
});

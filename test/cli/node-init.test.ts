// `chaff node init`: a node folder a volunteer can run as written. The
// config holds every key the role reads, each explained, its commented
// lines show the true defaults, the identity it prints is the one in the
// data folder, and an existing node folder is never written over.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { initNode, NodeInitError } from '../../cli/node-init.js';
import { configFromObject, ConfigError, loadConfig, type NodeRole } from '../../node/config.js';
import { toHex } from '../../protocol/bytes.js';
import { loadOrCreateIdentity } from '../../runtime/net/identity.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

const AUTHORITY_ID = '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29';

/** The sections each role reads, and the keys of a section it does not use. */
const SECTIONS: Record<NodeRole, string[]> = {
  authority: ['node', 'authority', 'metrics', 'log'],
  mix: ['node', 'authority', 'mix', 'metrics', 'log'],
  gateway: ['node', 'authority', 'mix', 'gateway', 'metrics', 'log'],
};
const NOT_READ: Record<NodeRole, Record<string, string[]>> = {
  // An authority has no family (it is not on paths); relays have no admission list.
  authority: { node: ['family'] },
  mix: { authority: ['admissions', 'max_descriptors_per_epoch'] },
  gateway: { authority: ['admissions', 'max_descriptors_per_epoch'] },
};

/** The keys node/config.ts accepts in `[section]`, from its "unknown key" error (so this test follows the reader). */
function keysRead(section: string): string[] {
  const raw: Record<string, unknown> = { node: { name: 'n', role: 'mix', data_dir: 'd', listen: ['/ip4/127.0.0.1/tcp/1'] }, authorities: [{ name: 'a', identity: AUTHORITY_ID, addresses: [] }] };
  raw[section] = { ...((raw[section] as object) ?? {}), zz_probe: 1 };
  try {
    configFromObject(raw, '/tmp');
  } catch (err) {
    const m = /use one of: (.*)$/.exec((err as Error).message);
    assert.ok(m, (err as Error).message);
    return m[1].split(', ');
  }
  throw new Error(`[${section}] accepted an unknown key`);
}

/** Section → keys written in `text`, set or commented out (`# key = value`). */
function keysWritten(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[\[?([a-z_]+)\]\]?$/.exec(line);
    if (header) section = header[1];
    const key = /^(?:# )?([a-z_]+) = /.exec(line);
    if (key && section !== 'authorities') out.set(section, [...(out.get(section) ?? []), key[1]]);
  }
  return out;
}

describe('chaff node init', function () {
  this.timeout(30_000);
  let dir: string;
  let network: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-node-init-'));
    network = join(dir, 'network.toml');
    writeFileSync(
      network,
      `[network]\ngenesis = "2026-03-01T00:00:00Z"\nepoch_duration = "30m"\n\n[[authorities]]\nname = "auth-1"\nidentity = "${AUTHORITY_ID}"\naddresses = ["/ip4/198.51.100.1/tcp/30000"]\n`,
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const role of ['mix', 'gateway', 'authority'] as const) {
    it(`${role}: writes a config that loads, with every key the role reads explained and the true defaults commented out`, async () => {
      const node = await initNode({ role, dir: join(dir, role), network, announce: '203.0.113.5' });
      const text = readFileSync(node.configPath, 'utf8');
      const config = loadConfig(node.configPath);
      assert.equal(config.node.role, role);
      assert.equal(config.node.name, node.name);
      assert.equal(config.node.dataDir, join(dir, role, 'data'));
      assert.deepEqual(config.node.announce, [`/ip4/203.0.113.5/tcp/${{ authority: 30000, mix: 30001, gateway: 30002 }[role]}`]);
      assert.equal(config.authority.genesisMs, Date.parse('2026-03-01T00:00:00Z'));
      assert.equal(config.authority.epochDurationMs, 30 * 60_000);
      assert.equal(config.metrics.listen, '127.0.0.1:9464');
      const authorities = config.authorities.map((a) => a.identity);
      assert.deepEqual(authorities, role === 'authority' ? [AUTHORITY_ID, node.identity] : [AUTHORITY_ID]);

      // Every key of every section the role reads, and no other section.
      const written = keysWritten(text);
      assert.deepEqual([...written.keys()].sort(), [...SECTIONS[role]].sort());
      for (const section of SECTIONS[role]) {
        const expected = keysRead(section).filter((k) => !(NOT_READ[role][section] ?? []).includes(k));
        assert.deepEqual([...(written.get(section) ?? [])].sort(), expected.sort(), `[${section}]`);
      }
      // Each key has its explanation on the line above.
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (/^(# )?[a-z_]+ = /.test(line) && !/^(name|identity|addresses) = /.test(line)) assert.match(lines[i - 1], /^# \S/, `no comment above "${line}"`);
      });
      // Uncommenting every default changes nothing: the commented values are the reader's defaults.
      const uncommented = text.replace(/^# ([a-z_]+ = )/gm, '$1');
      assert.deepEqual(configFromObject(parseToml(uncommented), join(dir, role)), config);
    });
  }

  it('prints the identity of the key in the data folder and leaves that key private', async () => {
    const run = spawnSync(process.execPath, [chaffEntry(), 'node', 'init', '--role', 'mix', '--dir', join(dir, 'm'), '--network', network, '--announce', '203.0.113.5', '--name', 'mix-7'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const printed = JSON.parse(run.stdout);
    const id = await loadOrCreateIdentity(join(dir, 'm', 'data'));
    assert.deepEqual(printed, { name: 'mix-7', identity: toHex(id.publicKey), peerId: id.peerId.toString() });
    assert.equal(id.created, false);
    assert.equal(statSync(join(dir, 'm', 'data', 'libp2p.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'm', 'data')).mode & 0o777, 0o700);
    // The admission step, with the command the authority operators run.
    assert.match(run.stderr, new RegExp(`chaff node admit --config authority\\.toml ${printed.identity} --role mix`));
  });

  it('refuses an existing node folder and leaves it as it was; an empty folder is used', async () => {
    const first = await initNode({ role: 'gateway', dir: join(dir, 'g'), network, announce: '203.0.113.5' });
    const before = readFileSync(first.configPath, 'utf8');
    const key = readFileSync(join(dir, 'g', 'data', 'libp2p.key'));
    await assert.rejects(initNode({ role: 'gateway', dir: join(dir, 'g'), network, announce: '203.0.113.9' }), (err: Error) => err instanceof NodeInitError && /not empty/.test(err.message));
    assert.equal(readFileSync(first.configPath, 'utf8'), before);
    assert.deepEqual(readFileSync(join(dir, 'g', 'data', 'libp2p.key')), key);

    const run = spawnSync(process.execPath, [chaffEntry(), 'node', 'init', '--role', 'gateway', '--dir', join(dir, 'g'), '--network', network, '--announce', '203.0.113.5'], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^chaff node init: .* exists and is not empty/);

    mkdirSync(join(dir, 'empty'));
    await initNode({ role: 'mix', dir: join(dir, 'empty'), network, announce: '203.0.113.5' });
    assert.deepEqual(readdirSync(join(dir, 'empty')).sort(), ['data', 'node.toml']);
  });

  it('says what is missing: the role, the network file of a relay, the public address; a bad network file leaves nothing behind', async () => {
    const refused = async (flags: Parameters<typeof initNode>[0], pattern: RegExp, type: new (...args: never[]) => Error = NodeInitError) =>
      assert.rejects(initNode(flags), (err: Error) => err instanceof type && pattern.test(err.message));
    await refused({ dir: join(dir, 'x') }, /--role is one of authority, mix, gateway/);
    await refused({ role: 'relay', dir: join(dir, 'x') }, /got "relay"/);
    await refused({ role: 'mix', dir: join(dir, 'x'), announce: '203.0.113.5' }, /--network FILE is required/);
    await refused({ role: 'mix', dir: join(dir, 'x'), network }, /--announce is required/);
    await refused({ role: 'mix', dir: join(dir, 'x'), network, announce: 'relay.example.org' }, /IP address or a multiaddr/);
    writeFileSync(join(dir, 'bad.toml'), '[network]\n');
    await refused({ role: 'mix', dir: join(dir, 'x'), network: join(dir, 'bad.toml'), announce: '203.0.113.5' }, /genesis/, ConfigError);
    assert.deepEqual(readdirSync(dir).sort(), ['bad.toml', 'network.toml']);

    // A specific listen address is its own announce address; an authority needs no network file.
    const auth = await initNode({ role: 'authority', dir: join(dir, 'a'), listen: '/ip4/198.51.100.7/tcp/30000' });
    assert.deepEqual(loadConfig(auth.configPath).node.announce, ['/ip4/198.51.100.7/tcp/30000']);
  });
});

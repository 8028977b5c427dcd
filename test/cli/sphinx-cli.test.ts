// `chaff sphinx` end to end, as a separate process fed JSON lines.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../protocol/bytes.js';
import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { delay, encodeCommand, recipient, surbReply } from '../../protocol/sphinx/index.js';
import { readKatzenpostVectors, type KatzenpostSphinxCase } from '../helpers/katzenpost.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

const GEOMETRY = '{"nike":"X25519","nrHops":5,"userForwardPayloadLength":103,"withSURB":false}';

function chaff(args: string[], input = ''): { status: number | null; lines: Array<Record<string, unknown>>; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [chaffEntry(), ...args], { input, encoding: 'utf8' });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines, stdout: r.stdout, stderr: r.stderr };
}

const jsonl = (...objects: unknown[]) => objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n') + '\n';

describe('chaff sphinx (CLI)', function () {
  this.timeout(60_000);
  const nodes = Array.from({ length: 3 }, () => ({ id: toHex(crypto.getRandomValues(new Uint8Array(32))), key: X25519PrivateKey.generate() }));
  const hop = (i: number, commands: string[]) => ({ id: nodes[i].id, publicKey: toHex(nodes[i].key.publicKey), commands });
  const keyHex = (i: number) => toHex(nodes[i].key.toBytes());

  it('geometry prints the computed geometry', function () {
    const r = chaff(['sphinx', 'geometry', '--geometry', GEOMETRY]);
    assert.equal(r.status, 0);
    assert.equal(r.lines[0].packetLength, 611);
    assert.equal(r.lines[0].surbLength, 572);
  });

  it('--geometry also takes a file', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-cli-'));
    const file = join(dir, 'geometry.json');
    writeFileSync(file, GEOMETRY);
    assert.equal(chaff(['sphinx', 'geometry', '--geometry', file]).lines[0].packetLength, 611);
  });

  it('new-packet then unwrap at every hop delivers the payload', function () {
    const payload = toHex(new TextEncoder().encode('x'.repeat(103)));
    const path = [hop(0, [toHex(encodeCommand(delay(10)))]), hop(1, [toHex(encodeCommand(delay(20)))]), hop(2, [toHex(encodeCommand(recipient(new Uint8Array(32).fill(9))))])];
    const created = chaff(['sphinx', 'new-packet', '--geometry', GEOMETRY], jsonl({ path, payload }));
    assert.equal(created.status, 0);
    let packet = created.lines[0].packet as string;
    for (let i = 0; i < 3; i++) {
      const out = chaff(['sphinx', 'unwrap', '--geometry', GEOMETRY], jsonl({ key: keyHex(i), packet })).lines[0];
      assert.equal((out.replayTag as string).length, 64);
      if (i < 2) {
        assert.equal(out.payload, null);
        assert.equal((out.commands as string[])[0], toHex(encodeCommand(delay(10 * (i + 1)))));
        packet = out.packet as string;
      } else {
        assert.equal(out.packet, null);
        assert.equal(out.payload, payload);
      }
    }
  });

  it('new-surb, new-packet-from-surb, unwrap and decrypt-surb-payload round-trip', function () {
    const last = [toHex(encodeCommand(recipient(new Uint8Array(32).fill(1)))), toHex(encodeCommand(surbReply(new Uint8Array(16).fill(2))))];
    const path = [hop(0, [toHex(encodeCommand(delay(5)))]), hop(1, last)];
    const surb = chaff(['sphinx', 'new-surb', '--geometry', GEOMETRY], jsonl({ path })).lines[0];
    assert.equal(surb.firstHop, nodes[0].id);
    const reply = toHex(new Uint8Array(103).fill(0x42));
    const made = chaff(['sphinx', 'new-packet-from-surb', '--geometry', GEOMETRY], jsonl({ surb: surb.surb, payload: reply })).lines[0];
    assert.equal(made.firstHop, nodes[0].id);
    const hops = chaff(['sphinx', 'unwrap', '--geometry', GEOMETRY], jsonl({ key: keyHex(0), packet: made.packet })).lines[0];
    const end = chaff(['sphinx', 'unwrap', '--geometry', GEOMETRY], jsonl({ key: keyHex(1), packet: hops.packet })).lines[0];
    assert.deepEqual(end.commands, last);
    const plain = chaff(['sphinx', 'decrypt-surb-payload', '--geometry', GEOMETRY], jsonl({ surbKeys: surb.surbKeys, payload: end.payload })).lines[0];
    assert.equal(plain.payload, reply);
  });

  it('answers a bad line with {"error"} and goes on, exit status 0', function () {
    const r = chaff(
      ['sphinx', 'unwrap', '--geometry', GEOMETRY],
      jsonl(
        'not json',
        [],
        { key: 'zz', packet: '00' },
        { key: keyHex(0), packet: '00' },
        { key: keyHex(0), packet: '00'.repeat(611) },
        { key: keyHex(0), packet: '01'.repeat(611) },
        { key: keyHex(0) },
      ),
    );
    assert.equal(r.status, 0);
    assert.equal(r.lines.length, 7, 'one output line per input line');
    for (const line of r.lines) assert.equal(typeof line.error, 'string');
    assert.equal(r.lines[3].code, 'wrong-size');
    assert.equal(r.lines[4].code, 'low-order-point');
    assert.equal(r.lines[5].code, 'bad-version');
    assert.equal(r.lines[6].code, 'bad-input');
  });

  it('exits 2 for a bad geometry or an unknown subcommand, naming the problem', function () {
    const bad = chaff(['sphinx', 'geometry', '--geometry', '{"nike":"X25519","nrHops":0,"userForwardPayloadLength":103,"withSURB":false}']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /nrHops/);
    assert.equal(chaff(['sphinx', 'geometry', '--geometry', '/no/such/file']).status, 2);
    const unknown = chaff(['sphinx', 'toString']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown subcommand/);
    assert.equal(chaff(['no-such-command']).status, 2);
  });

  it('unwraps the Katzenpost vectors through the tool', function () {
    const cases = readKatzenpostVectors<KatzenpostSphinxCase[]>('sphinx_vectors.json');
    if (!cases) this.skip();
    const c = cases![4];
    const input = c.Nodes.map((n, i) => ({ key: n.PrivateKey, packet: c.Packets[i] }));
    const r = chaff(['sphinx', 'unwrap', '--geometry', GEOMETRY], jsonl(...input));
    r.lines.forEach((line, i) => assert.equal(line.packet ?? '', i < c.Nodes.length - 1 ? c.Packets[i + 1] : ''));
    assert.equal(r.lines[c.Nodes.length - 1].payload, c.Payload);
  });
});

// The whole network as separate processes on 127.0.0.1: `chaff testnet
// --duration … --json` must bring it up, route probes from gateway A to
// gateway B across epoch changes without loss, let the two chat client
// daemons (alice, bob) exchange messages, each delivered once, and stop
// every node and daemon cleanly.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaffEntry } from '../../testnet/chaff-entry.js';

describe('integration: chaff testnet', function () {
  this.timeout(180_000);

  it('routes every probe through 3 authorities, 6 mixes and 2 gateways, and stops cleanly', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-it-testnet-'));
    const child = spawn(process.execPath, [chaffEntry(), 'testnet', '--duration', '12', '--json', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    for (const key of ['routed', 'dropped', 'delivered', 'lost']) assert.ok(key in summary, key);
    assert.ok(summary.sent >= 10, `sent ${summary.sent}`);
    assert.equal(summary.delivered, summary.sent);
    assert.equal(summary.lost, 0);
    assert.ok(summary.routed >= 3 * summary.sent, 'each probe crossed three mixes');
    assert.ok(summary.mixLoops.returned > 0, 'mix loops came back');
    for (const reason of ['mac-failure', 'replay', 'bad-command', 'payload-tag']) assert.equal(summary.dropped[reason] ?? 0, 0, reason);

    // The chat: every message alice and bob wrote was delivered, none lost.
    const m = summary.messages;
    assert.ok(m, 'the summary has the chat');
    assert.ok(m.sent > 0, `chat messages sent: ${m.sent}`);
    assert.equal(m.delivered, m.sent, 'every chat message delivered');
    assert.equal(m.lost, 0);
    assert.equal(typeof m.retransmitted, 'number');
    assert.ok(m.latencyMs && m.latencyMs.mean > 0 && m.latencyMs.p50 > 0 && m.latencyMs.p99 >= m.latencyMs.p50, `chat latency ${JSON.stringify(m.latencyMs)}`);

    const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
    const nodeLogs = logs.filter((f) => !f.startsWith('client-'));
    assert.equal(nodeLogs.length, 11);
    for (const f of nodeLogs) assert.match(readFileSync(join(dir, f), 'utf8'), /"msg":"stopped"/, `${f} stopped cleanly`);
    assert.deepEqual(logs.filter((f) => f.startsWith('client-')).sort(), ['client-alice.log', 'client-bob.log']);
    for (const f of ['client-alice.log', 'client-bob.log']) assert.match(readFileSync(join(dir, f), 'utf8'), /"msg":"client daemon stopped"/, `${f} stopped cleanly`);
  });
});

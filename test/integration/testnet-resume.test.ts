// `chaff testnet --dir DIR` twice on one folder, as real processes (issue 12,
// "testnet resume with an existing profile"): the second run resumes the
// network the first one made (same genesis, keys and ports: network.toml is
// byte for byte the same), and two profiles a user made from that file before
// the restart work after it. The network stays down until the epoch after
// the last document it stored, so it must publish new ones. What dave
// sent while carol was away waited in her mailbox at her gateway through the
// restart, and a message sent after the restart arrives. The demo profiles
// alice and bob are reused, with their history, and chat again.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatClient } from '../../testnet/chat-clients.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';
import { epochStart } from '../../protocol/pki/epoch.js';
import { readPlanFile } from '../../testnet/plan-file.js';
import { processesUnder, sleep, waitUntil } from '../helpers/chat.js';

/** One `chaff testnet --dir DIR --json` process, running until stop(). */
class TestnetProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  stdout = '';
  stderr = '';

  constructor(dir: string) {
    this.#child = spawn(process.execPath, [chaffEntry(), 'testnet', '--json', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (d) => (this.stdout += d));
    this.#child.stderr!.on('data', (d) => (this.stderr += d));
    this.#exited = new Promise((resolve) => this.#child.on('exit', (code) => resolve(code)));
  }

  /** Waits until the chat between alice and bob runs: the network is up. */
  async up(timeoutMs: number): Promise<void> {
    await waitUntil(
      'the testnet up, alice and bob chatting',
      timeoutMs,
      () => {
        if (this.#child.exitCode !== null) throw new Error(`chaff testnet exited (${this.#child.exitCode}): ${this.stderr}`);
        return /chat: alice writes to bob/.test(this.stderr);
      },
      () => this.stderr,
    );
  }

  /** Ctrl-C: the testnet drains its chat, stops every node and prints its summary. */
  async stop(): Promise<{ code: number | null; summary: Record<string, unknown> }> {
    this.#child.kill('SIGINT');
    const kill = setTimeout(() => this.#child.kill('SIGKILL'), 90_000);
    const code = await this.#exited;
    clearTimeout(kill);
    const last = this.stdout.trim().split('\n').pop() ?? '';
    return { code, summary: last ? (JSON.parse(last) as Record<string, unknown>) : {} };
  }
}

describe('integration: chaff testnet --dir resumes its network', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'chaff-it-resume-'));
  // The user's own profiles, outside the testnet's folder, made from its network.toml.
  const users = mkdtempSync(join(tmpdir(), 'chaff-it-resume-users-'));
  let testnet: TestnetProcess | undefined;
  const daemons: ChatClient[] = [];

  after(async function () {
    this.timeout(120_000);
    for (const d of daemons) await d.stop().catch(() => d.kill());
    if (testnet) await testnet.stop().catch(() => undefined);
  });

  it('a profile made before the restart works after it, its mailbox intact', async function () {
    // 1. The first run creates the network; carol (at gateway-a) and dave (at gateway-b) join it.
    testnet = new TestnetProcess(dir);
    await testnet.up(90_000);
    const networkFile = join(dir, 'network.toml');
    const networkToml = readFileSync(networkFile, 'utf8');
    const carol = await ChatClient.create({ dir: users, name: 'carol', networkFile, gateway: 'gateway-a', fetchIntervalMs: 250 });
    daemons.push(carol);
    const dave = await ChatClient.create({ dir: users, name: 'dave', networkFile, gateway: 'gateway-b', fetchIntervalMs: 250 });
    daemons.push(dave);
    await carol.ensureContact('dave', dave.address);
    await dave.ensureContact('carol', carol.address);

    // carol goes away; dave's message waits in her mailbox (delivered: her gateway acknowledged it).
    await carol.stop();
    const { message: away } = await dave.api.sendText('carol', 'sent while carol was away');
    await waitUntil(
      "dave's message deposited in carol's mailbox",
      60_000,
      async () => (await dave.api.history('carol')).find((m) => m.id === away.id)?.state === 'delivered',
      async () => JSON.stringify((await dave.api.history('carol')).map((m) => m.state)),
    );
    await dave.stop();
    const first = await testnet.stop();
    assert.equal(first.code, 0, testnet.stderr);
    assert.equal(first.summary.resumed, false);

    // Down until the epoch after the last document the authorities stored: the resumed network must publish new ones.
    const { genesisMs, shape } = readPlanFile(dir);
    const stored = ['authority-1', 'authority-2', 'authority-3'].flatMap((a) => readdirSync(join(dir, a, 'documents')).map((f) => Number(/^(\d+)\.bin$/.exec(f)?.[1] ?? -1)));
    const lastEpoch = Math.max(...stored);
    assert.ok(lastEpoch >= (first.summary.epoch as number), `documents stored up to epoch ${lastEpoch}`);
    await sleep(epochStart(lastEpoch + 1, { genesisMs, epochDurationMs: shape.epochDurationMs }) - Date.now());

    // 2. The second run on the same folder resumes that network.
    testnet = new TestnetProcess(dir);
    await testnet.up(150_000);
    assert.match(testnet.stderr, /resuming the network in .* genesis .* the same keys and ports/);
    assert.match(testnet.stderr, /chat: starting the client daemons alice \(at gateway-a\) and bob \(at gateway-b\), from their profiles of an earlier run/);
    assert.equal(readFileSync(networkFile, 'utf8'), networkToml, 'network.toml unchanged');
    const resumedAt = Number(/document for epoch (\d+)/.exec(testnet.stderr)?.[1]);
    assert.ok(resumedAt > lastEpoch, `a document published after the restart: epoch ${resumedAt}, the last stored before it ${lastEpoch}`);

    await carol.restart();
    await waitUntil(
      'the message that waited in carol’s mailbox',
      60_000,
      async () => (await carol.api.history('dave')).some((m) => m.direction === 'in' && m.content.text === 'sent while carol was away'),
      () => carol.logPath,
    );
    await dave.restart();
    await dave.api.sendText('carol', 'sent after the restart');
    await waitUntil(
      'the message sent after the restart',
      60_000,
      async () => (await carol.api.history('dave')).some((m) => m.direction === 'in' && m.content.text === 'sent after the restart'),
      () => `${carol.logPath}, ${dave.logPath}`,
    );
    const inbox = (await carol.api.history('dave')).filter((m) => m.direction === 'in').map((m) => m.content.text);
    assert.deepEqual(inbox, ['sent while carol was away', 'sent after the restart'], 'each once');
    for (const d of daemons.splice(0)) await d.stop();

    const second = await testnet.stop();
    testnet = undefined;
    assert.equal(second.code, 0);
    assert.equal(second.summary.resumed, true);
    // alice and bob chatted again on the profiles of the first run.
    const messages = second.summary.messages as { sent: number; delivered: number; lost: number };
    assert.ok(messages.sent > 0 && messages.delivered === messages.sent && messages.lost === 0, JSON.stringify(messages));
    const bobLog = readFileSync(join(dir, 'client-bob.log'), 'utf8');
    assert.equal(bobLog.match(/"msg":"client daemon stopped"/g)?.length, 2, "bob's daemon ran twice on one profile");
    assert.deepEqual(processesUnder(dir), [], 'every node and daemon stopped');
  });
});

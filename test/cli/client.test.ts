// `chaff client …` as a separate process, against a socket this test serves
// with a fake daemon (client/rpc over a real Unix socket). The daemon itself
// is not under test here.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError, MAX_MESSAGE_BYTES, type ClientApi, type ClientEvent, type ClientStatus, type ContactInfo, type ContactRequest, type MessageRecord, type SendResult } from '../../client/api.js';
import { serveClientApi, type ClientApiServer } from '../../client/rpc/server.js';
import { clientSocketPath } from '../../client/rpc/socket-path.js';
import { clientToml, CLIENT_CONFIG_FILE, DEFAULT_CLIENT_SETTINGS } from '../../client/config.js';
import { PassphraseError } from '../../client/store/passphrase.js';
import { createProfileKey } from '../../client/store/profile-key.js';
import { zeroize } from '../../protocol/bytes.js';
import { resolveProfileDir } from '../../cli/client/daemon-connection.js';
import { deliveryMark, messageLine, printable, stateLine } from '../../cli/client/format.js';
import { promptHidden, readPassphrase } from '../../cli/passphrase.js';
import { FakeTty } from '../helpers/fake-tty.js';
import { formatDuration } from '../../protocol/util/format-duration.js';
import { GroupsUnavailable } from '../helpers/groups-unavailable.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';

const BOB = 'chaff1bobxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

const STATUS: ClientStatus = {
  profile: '/p',
  address: 'chaff1ownxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  gateway: { name: 'gateway-a', nodeId: 'cd'.repeat(32), connected: true },
  epoch: 7,
  documentAgeMs: 3000,
  queue: { queued: 0, inFlight: 1, failed: 0, waitingForGateway: 0 },
  rates: { lambdaP: 4, lambdaL: 1, lambdaD: 1, mu: 20, fetchPerSecond: 1 },
  traffic: { packetsSent: { real: 2, decoy: 45, drop: 5, loop: 10 }, bytesSent: 131_072, bytesReceived: 65_536, sendRateBps: 2048, retransmissions: 0, acksReceived: 2 },
  loops: { sent: 10, returned: 9, late: 0, lost: 0, outstanding: 1 },
  decoys: { sent: 40, returned: 39, lost: 0, outstanding: 1 },
  uptimeMs: 90_000,
};

function message(over: Partial<MessageRecord> & Pick<MessageRecord, 'id' | 'direction' | 'content'>): MessageRecord {
  return { contact: 'bob', state: over.direction === 'in' ? 'delivered' : 'queued', sentMs: T0, deliveredMs: null, readMs: null, fragments: 1, retransmissions: 0, ...over };
}

/** Just enough daemon for the commands under test. */
class FakeApi extends GroupsUnavailable implements ClientApi {
  contacts: ContactInfo[] = [];
  messages: MessageRecord[] = [];
  sent: Array<{ contact: string; text?: string; name?: string; data?: string }> = [];
  readCalls: string[] = [];
  listeners = new Set<(e: ClientEvent) => void>();
  private n = 0;

  private contact(name: string): ContactInfo {
    const c = this.contacts.find((x) => x.name === name);
    if (!c) throw new ClientError('unknown-contact', `no contact named "${name}"`);
    return c;
  }
  async status() {
    return STATUS;
  }
  async address() {
    return { address: STATUS.address };
  }
  async addContact(name: string, address: string) {
    if (!address.startsWith('chaff1')) throw new ClientError('bad-address', `"${address}" is not a chaff address`);
    const c = { name, address, verified: false, keyChanged: false, held: 0, addedMs: T0 };
    this.contacts.push(c);
    return c;
  }
  async listContacts() {
    return this.contacts;
  }
  async removeContact(name: string) {
    this.contacts = this.contacts.filter((c) => c !== this.contact(name));
  }
  async acceptContactKey(name: string) {
    return this.contact(name);
  }
  async rejectContactKey(name: string) {
    return this.contact(name);
  }
  async markVerified(name: string, verified: boolean) {
    const c = this.contact(name);
    c.verified = verified;
    return c;
  }
  private queue(contact: string, content: MessageRecord['content']): SendResult {
    this.contact(contact);
    const m = message({ id: (++this.n).toString(16).padStart(32, '0'), direction: 'out', content, contact });
    this.messages.push(m);
    return { message: m };
  }
  async sendText(contact: string, text: string) {
    const r = this.queue(contact, { text });
    this.sent.push({ contact, text });
    return r;
  }
  async sendFile(contact: string, name: string, data: string) {
    const r = this.queue(contact, { file: { name, size: Buffer.from(data, 'base64').length } });
    this.sent.push({ contact, name, data });
    return r;
  }
  async history(contact: string, limit = 50) {
    this.contact(contact);
    return this.messages.filter((m) => m.contact === contact).slice(-limit);
  }
  async inbox(): Promise<{ unread: MessageRecord[]; requests: ContactRequest[] }> {
    return { unread: this.messages.filter((m) => m.direction === 'in' && m.state === 'delivered'), requests: [] };
  }
  async markRead(contact: string) {
    this.readCalls.push(contact);
    let count = 0;
    for (const m of this.messages) {
      if (m.contact === contact && m.direction === 'in' && m.state === 'delivered') {
        m.state = 'read';
        count++;
      }
    }
    return count;
  }
  async fileData(): Promise<{ name: string; data: string }> {
    throw new ClientError('not-found', 'no such file');
  }
  async verify(contact: string) {
    return { safetyNumber: '11111 22222 33333 44444', verified: this.contact(contact).verified };
  }
  async rotateDeliveryId() {
    return { contacts: this.contacts.length };
  }
  subscribe(listener: (e: ClientEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(e: ClientEvent) {
    for (const l of this.listeners) l(e);
  }
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs chaff without blocking this process (it serves the socket the child talks to). */
function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcessWithoutNullStreams; result: Promise<Result>; output: () => string } {
  const child = spawn(process.execPath, [chaffEntry(), ...args], { env: { ...process.env, CHAFF_PROFILE: '', CHAFF_PASSPHRASE: undefined, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<Result>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, result, output: () => stdout };
}

function chaff(args: string[], env?: NodeJS.ProcessEnv): Promise<Result> {
  const p = start(args, env);
  p.child.stdin.end();
  return p.result;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 8000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('chaff client (CLI)', function () {
  this.timeout(30_000);
  let dir: string;
  let api: FakeApi;
  let server: ClientApiServer;
  const client = (...args: string[]) => chaff(['client', '--profile', dir, ...args]);

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'chaff-cli-client-'));
    api = new FakeApi();
    server = await serveClientApi(api, clientSocketPath(dir));
  });
  afterEach(async function () {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status --json prints the daemon status as one JSON line', async function () {
    const r = await client('status', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), STATUS);
    assert.equal(r.stdout.trim().split('\n').length, 1);
  });

  it('--json also works before the command (chaff client --json status); a command without --json refuses it there too', async function () {
    const r = await client('--json', 'status');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), STATUS);
    const list = await client('--json', 'contacts', 'list');
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), []);
    const refused = await client('--json', 'contacts', 'remove', 'bob');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^chaff client: contacts remove does not take --json\n/);
  });

  it('status explains the fields', async function () {
    const r = await client('status');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^gateway +gateway-a \(cdcdcdcdcdcdcdcd…\), connected$/m);
    assert.match(r.stdout, /^epoch +7 \(began 3\.0 s ago\)$/m);
    assert.match(r.stdout, /^cover +λP 4\/s \(real or decoy\), λL 1\/s \(loops\), λD 1\/s \(drop\); mean hop delay 50 ms; mailbox fetches 1\/s$/m);
    assert.match(r.stdout, /^bandwidth 128\.0 KiB sent, 64\.0 KiB received, now 2\.0 KiB\/s out$/m);
    assert.match(r.stdout, /^loops +10 sent, 9 returned, 0 late, 0 lost, 1 outstanding$/m);
  });

  it('contacts add, list (text and --json), remove', async function () {
    assert.match((await client('contacts', 'list')).stdout, /no contacts yet/);
    const added = await client('contacts', 'add', 'bob', BOB);
    assert.equal(added.status, 0, added.stderr);
    assert.deepEqual(
      api.contacts.map((c) => [c.name, c.address]),
      [['bob', BOB]],
    );
    const list = await client('contacts', 'list');
    assert.equal(list.stdout, 'bob  chaff1bobxxxxx…xxxxxxxx  not verified\n');
    assert.deepEqual(
      (JSON.parse((await client('contacts', 'list', '--json')).stdout) as ContactInfo[]).map((c) => c.name),
      ['bob'],
    );
    assert.equal((await client('contacts', 'remove', 'bob')).status, 0);
    assert.deepEqual(api.contacts, []);
  });

  it('an error from the daemon is one line on stderr and exit status 1', async function () {
    const r = await client('contacts', 'add', 'eve', 'not-an-address');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'chaff client: "not-an-address" is not a chaff address\n');
    const unknown = await client('send', 'nobody', 'hi');
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr, 'chaff client: no contact named "nobody"\n');
  });

  it('send joins the words into one text; -- lets a text start with -', async function () {
    await api.addContact('bob', BOB);
    const r = await client('send', 'bob', 'hello', 'there');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^queued for bob: hello there \(message 0+1, 1 fragment;/);
    assert.equal((await client('send', 'bob', '--', '-1 is a number')).status, 0);
    assert.deepEqual(api.sent, [
      { contact: 'bob', text: 'hello there' },
      { contact: 'bob', text: '-1 is a number' },
    ]);
  });

  it('send --file sends the file by name, and refuses one above 1 MiB before sending', async function () {
    await api.addContact('bob', BOB);
    const small = join(dir, 'notes.txt');
    writeFileSync(small, 'some notes');
    const ok = await client('send', 'bob', '--file', small);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(api.sent, [{ contact: 'bob', name: 'notes.txt', data: Buffer.from('some notes').toString('base64') }]);
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(MAX_MESSAGE_BYTES + 1));
    const refused = await client('send', 'bob', '--file', big);
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr, `chaff client: ${big} is 1.0 MiB (1048577 bytes); files up to 1.0 MiB (1048576 bytes) can be sent\n`);
    assert.equal(api.sent.length, 1, 'nothing more was sent');
  });

  it('usage errors exit 2 with a short usage', async function () {
    const unknown = await client('frobnicate');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^chaff client: unknown command "frobnicate"\n\nusage: chaff client <command>/);
    const missing = await client('send', 'bob');
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, 'chaff client: send needs a text or --file PATH\nusage: chaff client send NAME TEXT…   or   chaff client send NAME --file PATH\n');
    const option = await client('status', '--qr');
    assert.equal(option.status, 2);
    assert.match(option.stderr, /status does not take --qr/);
    const unknownOption = await client('status', '--colour');
    assert.equal(unknownOption.status, 2);
    assert.match(unknownOption.stderr, /Unknown option '--colour'/);
    assert.equal((await client('contacts', 'add', 'bob')).status, 2);
    assert.equal((await chaff(['client'])).status, 2);
    assert.equal(api.contacts.length, 0);
  });

  it('says when no daemon runs for the profile', async function () {
    const empty = mkdtempSync(join(tmpdir(), 'chaff-cli-none-'));
    try {
      const r = await chaff(['client', 'status', '--profile', empty]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `chaff client: no chaff client daemon is running for profile ${empty} (start it with \`chaff client daemon\`)\n`);
      // $CHAFF_PROFILE is the default profile.
      const viaEnv = await chaff(['client', 'inbox'], { CHAFF_PROFILE: empty });
      assert.match(viaEnv.stderr, new RegExp(`for profile ${empty} `));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('daemon refuses to start a second time for a profile, before asking for a passphrase', async function () {
    const r = await client('daemon');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `chaff client: a chaff client daemon is already running for profile ${dir}\n`);
  });

  it('init without a network file, and daemon without a passphrase source, are usage errors', async function () {
    const init = await client('init');
    assert.equal(init.status, 2);
    assert.match(init.stderr, /init needs --network FILE/);
    const empty = mkdtempSync(join(tmpdir(), 'chaff-cli-none-'));
    try {
      const daemon = await chaff(['client', 'daemon', '--profile', empty]);
      assert.equal(daemon.status, 2);
      assert.equal(daemon.stderr, 'chaff client: no passphrase: give --passphrase-file FILE, set CHAFF_PASSPHRASE, or run on a terminal to be asked\n');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a wrong passphrase is one line and exit status 1 (daemon); an empty one exit status 2 (init)', async function () {
    const profile = mkdtempSync(join(tmpdir(), 'chaff-cli-profile-'));
    try {
      const network = { genesisMs: Date.UTC(2026, 0, 1), epochDurationMs: 60_000, authorities: [{ name: 'auth-1', identity: 'a'.repeat(64), addresses: ['/ip4/127.0.0.1/tcp/30000'] }] };
      writeFileSync(join(profile, CLIENT_CONFIG_FILE), clientToml({ network, client: { ...DEFAULT_CLIENT_SETTINGS, gateway: 'cd'.repeat(32), gatewayName: 'gateway-a' } }));
      // The cheapest scrypt the store accepts: the test is about the CLI, not the key derivation.
      zeroize(await createProfileKey(profile, 'the right one', { scrypt: { N: 2 ** 10, r: 8, p: 1 } }));
      const wrong = join(profile, 'wrong-passphrase');
      writeFileSync(wrong, 'not the right one\n', { mode: 0o600 });
      const r = await chaff(['client', 'daemon', '--profile', profile, '--passphrase-file', wrong]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `chaff client: wrong passphrase for the profile ${join(profile, 'profile.json')} (or its wrapped key is damaged)\n`);
      assert.equal(r.stdout, '');
      // An unusable passphrase (client/store/passphrase.ts's PassphraseError) is the user's to fix: exit status 2.
      const empty = join(profile, 'empty-passphrase');
      writeFileSync(empty, '\n', { mode: 0o600 });
      const init = await chaff(['client', 'init', '--profile', join(profile, 'new'), '--network', join(profile, CLIENT_CONFIG_FILE), '--passphrase-file', empty]);
      assert.equal(init.status, 2);
      assert.equal(init.stderr, 'chaff client: the passphrase is empty\n');
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('address prints the address, --qr a terminal QR code above it', async function () {
    assert.equal((await client('address')).stdout, `${STATUS.address}\n`);
    const qr = await client('address', '--qr');
    assert.equal(qr.status, 0, qr.stderr);
    const lines = qr.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), STATUS.address);
    assert.ok(lines.filter((l) => /[▀▄█]/.test(l)).length >= 10, 'a block-character QR code');
  });

  it('inbox groups unread messages by contact; history --json gives the records', async function () {
    await api.addContact('bob', BOB);
    api.messages.push(message({ id: 'b'.repeat(32), direction: 'in', content: { text: 'ping' } }));
    const inbox = await client('inbox');
    assert.equal(inbox.status, 0, inbox.stderr);
    assert.match(inbox.stdout, /^bob: 1 unread \(chaff client chat bob\)\n {2}\[[0-9: -]+\] bob: ping\n$/);
    assert.equal(api.readCalls.length, 0, 'the inbox does not mark anything read');
    const history = await client('history', 'bob', '--json', '--limit', '5');
    assert.deepEqual(
      (JSON.parse(history.stdout) as MessageRecord[]).map((m) => m.id),
      ['b'.repeat(32)],
    );
  });

  it('verify --mark marks the contact and shows the safety number', async function () {
    await api.addContact('bob', BOB);
    const r = await client('verify', 'bob', '--mark');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(api.contacts[0].verified, true);
    assert.match(r.stdout, /11111 22222 33333 44444/);
    assert.match(r.stdout, /bob is marked verified/);
  });

  it('chat shows the history, live messages and state changes, sends lines, marks read and quits', async function () {
    await api.addContact('bob', BOB);
    api.messages.push(message({ id: 'a'.repeat(32), direction: 'out', content: { text: 'earlier' }, state: 'delivered', deliveredMs: T0 + 800 }));
    api.messages.push(message({ id: 'b'.repeat(32), direction: 'in', content: { text: 'unread one' } }));
    const chat = start(['client', 'chat', 'bob', '--profile', dir]);
    await waitFor('the history', () => chat.output().includes('unread one'));
    assert.match(chat.output(), /\] you: earlier {2}✓✓\n/);
    await waitFor('mark read', () => api.readCalls.length === 1);
    await waitFor('the subscription', () => api.listeners.size === 1);

    // An incoming message, with an escape sequence a contact should not be able to send to our terminal.
    const incoming = message({ id: 'c'.repeat(32), direction: 'in', content: { text: 'live \u001b[31mred' } });
    api.messages.push(incoming);
    api.emit({ type: 'message', message: incoming });
    await waitFor('the live message', () => chat.output().includes('bob: live \\u{1b}[31mred'));
    assert.ok(!chat.output().includes('\u001b'), 'no raw escape reaches the terminal');
    await waitFor('mark read again', () => api.readCalls.length === 2);

    chat.child.stdin.write('hello bob\n');
    await waitFor('the send', () => api.sent.length === 1);
    assert.deepEqual(api.sent[0], { contact: 'bob', text: 'hello bob' });
    await waitFor('our line', () => chat.output().includes('you: hello bob  ·'));
    const ours = { ...api.messages.find((m) => m.content.text === 'hello bob')!, state: 'delivered' as const, deliveredMs: T0 + 1200 };
    api.emit({ type: 'state', message: ours });
    await waitFor('the state change', () => chat.output().includes('→ delivered (1.2 s): "hello bob"'));

    chat.child.stdin.write('/bogus\n//slash text\n/quit\n');
    const r = await chat.result;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /unknown command \/bogus/);
    assert.deepEqual(api.sent[1], { contact: 'bob', text: '/slash text' });
    await waitFor('unsubscribed', () => api.listeners.size === 0);
  });

  it('chat sends every piped line before leaving at the end of input', async function () {
    await api.addContact('bob', BOB);
    const chat = start(['client', 'chat', 'bob', '--profile', dir]);
    chat.child.stdin.end('one\ntwo\n');
    const r = await chat.result;
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      api.sent.map((m) => m.text),
      ['one', 'two'],
    );
  });

  it('chat leaves with status 1 when the daemon goes away', async function () {
    await api.addContact('bob', BOB);
    const chat = start(['client', 'chat', 'bob', '--profile', dir]);
    await waitFor('the subscription', () => api.listeners.size === 1);
    // Until the history is shown the chat is still starting (a daemon gone
    // then is an error line on stderr); from then on it is a live chat.
    await waitFor('the chat to start', () => /chat with bob/.test(chat.output()));
    await server.close();
    const r = await chat.result;
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /the chaff client daemon stopped/);
  });
});

describe('chaff client: display helpers', function () {
  it('printable shows control characters and bidi overrides as escapes, keeps text, tabs and newlines', function () {
    assert.equal(printable('a\u001b[2Jb\u0007\r\n\tc ✓ é'), 'a\\u{1b}[2Jb\\u{7}\\u{d}\n\tc ✓ é');
    assert.equal(printable('abc\u202edef'), 'abc\\u{202e}def');
    assert.equal(printable('\u009b'), '\\u{9b}');
  });

  it('marks the delivery states', function () {
    const base = message({ id: '0'.repeat(32), direction: 'out', content: { text: 'x' } });
    assert.deepEqual(
      (['queued', 'sent', 'delivered', 'read', 'failed'] as const).map((state) => deliveryMark({ ...base, state })),
      ['·', '✓', '✓✓', '✓✓ read', '✗'],
    );
    assert.equal(deliveryMark({ ...base, state: 'failed', error: 'no ack after 8 attempts' }), '✗ no ack after 8 attempts');
  });

  it('state lines give the time since sending', function () {
    const base = message({ id: '0'.repeat(32), direction: 'out', content: { text: 'a rather long message that goes on' } });
    assert.equal(stateLine({ ...base, state: 'delivered', deliveredMs: T0 + 1234 }), '→ delivered (1.2 s): "a rather long message t…"');
    assert.equal(stateLine({ ...base, state: 'read', deliveredMs: T0 + 1000, readMs: T0 + 65_000 }), '→ read (1m 5s): "a rather long message t…"');
    assert.equal(stateLine({ ...base, state: 'failed', error: 'gateway gone' }), '→ failed: "a rather long message t…": gateway gone');
    assert.equal(stateLine({ ...base, state: 'sent' }), '→ sent: "a rather long message t…"');
  });

  it('message lines name the sender, indent continuation lines and point at saving files', function () {
    const now = T0 + 60_000;
    const time = `${String(new Date(T0).getHours()).padStart(2, '0')}:${String(new Date(T0).getMinutes()).padStart(2, '0')}`;
    assert.equal(messageLine(message({ id: '0'.repeat(32), direction: 'in', content: { text: 'one\ntwo' } }), now), `[${time}] bob: one\n    two`);
    assert.equal(
      messageLine(message({ id: 'f'.repeat(32), direction: 'in', content: { file: { name: 'a/../b.txt', size: 2048 } } }), now),
      `[${time}] bob: [file a/../b.txt, 2.0 KiB; chaff client save ${'f'.repeat(32)}]`,
    );
    assert.equal(messageLine(message({ id: '0'.repeat(32), direction: 'out', content: { text: 'hi' }, state: 'sent' }), now), `[${time}] you: hi  ✓`);
  });

  it('durations read naturally', function () {
    assert.deepEqual(
      [850, 1234, 59_900, 65_000, 3_720_000, 90_000_000].map((ms) => formatDuration(ms)),
      ['850 ms', '1.2 s', '59.9 s', '1m 5s', '1h 2m', '1d 1h'],
    );
  });

  it('the profile folder: --profile, else $CHAFF_PROFILE, else ~/.chaff/profile', function () {
    assert.equal(resolveProfileDir('/x/p', { CHAFF_PROFILE: '/y' }), '/x/p');
    assert.equal(resolveProfileDir(undefined, { CHAFF_PROFILE: '/y' }), '/y');
    assert.match(resolveProfileDir(undefined, {}), /\/\.chaff\/profile$/);
  });
});

describe('chaff client: passphrase', function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chaff-pass-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const sink = () => {
    const written: string[] = [];
    return { written, write: (t: string) => written.push(t) };
  };

  it('reads --passphrase-file without its trailing newline, and warns when others can read it', async function () {
    const file = join(dir, 'pass');
    writeFileSync(file, 'correct horse\n', { mode: 0o600 });
    const out = sink();
    const env: NodeJS.ProcessEnv = { CHAFF_PASSPHRASE: 'other' };
    assert.equal(await readPassphrase({ file, env, output: out }), 'correct horse');
    assert.equal(env.CHAFF_PASSPHRASE, undefined, 'the variable is removed even when the file wins');
    assert.deepEqual(out.written, []);
    chmodSync(file, 0o644);
    assert.equal(await readPassphrase({ file, output: out }), 'correct horse');
    assert.match(out.written.join(''), /can be read by other users \(chmod 600/);
    assert.ok(!out.written.join('').includes('correct horse'), 'never printed');
    writeFileSync(file, 'two\nlines\r\n');
    assert.equal(await readPassphrase({ file, output: sink() }), 'two\nlines');
  });

  it('refuses a missing, empty or oversized file', async function () {
    await assert.rejects(readPassphrase({ file: join(dir, 'none'), output: sink() }), /cannot read the passphrase file .*ENOENT/);
    writeFileSync(join(dir, 'empty'), '\n');
    await assert.rejects(readPassphrase({ file: join(dir, 'empty'), output: sink() }), /the passphrase is empty/);
    writeFileSync(join(dir, 'big'), 'x'.repeat(5000));
    await assert.rejects(readPassphrase({ file: join(dir, 'big'), output: sink() }), /5000 bytes/);
  });

  it('takes CHAFF_PASSPHRASE and removes it from the environment', async function () {
    const env: NodeJS.ProcessEnv = { CHAFF_PASSPHRASE: 'from env' };
    assert.equal(await readPassphrase({ env, output: sink() }), 'from env');
    assert.equal(env.CHAFF_PASSPHRASE, undefined);
  });

  it('without a file, a variable or a terminal, says what to do', async function () {
    await assert.rejects(
      readPassphrase({ env: {}, input: { isTTY: false, on() {}, off() {}, resume() {}, pause() {} }, output: sink() }),
      (err: unknown) => err instanceof PassphraseError && /--passphrase-file FILE, set CHAFF_PASSPHRASE/.test(err.message),
    );
  });

  it('prompts with echo off, handles backspace, and asks twice for a new one', async function () {
    const tty = new FakeTty();
    const out = sink();
    const asked = readPassphrase({ env: {}, input: tty, output: out, confirm: true });
    tty.type('sekrit\u007f\u007fet\r');
    await new Promise((r) => setTimeout(r, 20));
    tty.type('sekret\n');
    assert.equal(await asked, 'sekret');
    assert.deepEqual(tty.raw, [true, false, true, false]);
    assert.equal(out.written.join(''), 'new passphrase: \nrepeat the passphrase: \n');
  });

  it('refuses two different entries, and Ctrl-C cancels', async function () {
    const tty = new FakeTty();
    const asked = readPassphrase({ env: {}, input: tty, output: sink(), confirm: true });
    const refused = assert.rejects(asked, /the two passphrases differ/);
    // A mismatch asks again (test/cli/client-passphrase.test.ts); the third one gives up.
    for (let attempt = 0; attempt < 3; attempt++) {
      tty.type('one\r');
      await new Promise((r) => setTimeout(r, 20));
      tty.type('two\r');
      await new Promise((r) => setTimeout(r, 20));
    }
    await refused;
    const cancelled = promptHidden('passphrase: ', tty, sink());
    tty.type('abc\u0003');
    await assert.rejects(cancelled, /cancelled/);
    assert.equal(tty.listenerCount('data'), 0);
  });
});

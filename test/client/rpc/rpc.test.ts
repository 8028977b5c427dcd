// The client's local JSON-RPC layer over a real Unix-domain socket, against
// an in-memory fake of the daemon (this tests the RPC layer, not the daemon).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClientError,
  MAX_MESSAGE_BYTES,
  type ClientApi,
  type ClientErrorCode,
  type ClientEvent,
  type ClientStatus,
  type ContactInfo,
  type ContactRequest,
  type MessageRecord,
  type SendResult,
} from '../../../client/api.js';
import { connectClientApi, type ClientApiConnection } from '../../../client/rpc/client.js';
import { CLIENT_ERROR_NUMBERS } from '../../../client/rpc/jsonrpc.js';
import { ClientSocketError, serveClientApi, type ClientApiServer, type ServeOptions } from '../../../client/rpc/server.js';
import { clientSocketPath } from '../../../client/rpc/socket-path.js';
import { GroupsUnavailable } from '../../helpers/groups-unavailable.js';

const OWN_ADDRESS = 'chaff1ownaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
const BOB_ADDRESS = 'chaff1bobaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
const T0 = 1_700_000_000_000;

const STATUS: ClientStatus = {
  profile: '/home/u/.chaff/profile',
  address: OWN_ADDRESS,
  gateway: { name: 'gateway-a', nodeId: 'ab'.repeat(32), connected: true },
  epoch: 42,
  documentAgeMs: 12_000,
  queue: { queued: 1, inFlight: 2, failed: 0, waitingForGateway: 0 },
  rates: { lambdaP: 4, lambdaL: 1, lambdaD: 1, mu: 20, fetchPerSecond: 1 },
  traffic: { packetsSent: { real: 3, decoy: 95, drop: 5, loop: 20 }, bytesSent: 250_000, bytesReceived: 90_000, sendRateBps: 4096, retransmissions: 1, acksReceived: 3 },
  loops: { sent: 20, returned: 18, late: 1, lost: 0, outstanding: 1 },
  decoys: { sent: 40, returned: 39, lost: 0, outstanding: 1 },
  uptimeMs: 60_000,
};

/** The daemon, faked with arrays. */
class FakeApi extends GroupsUnavailable implements ClientApi {
  readonly contacts: ContactInfo[] = [];
  readonly messages: MessageRecord[] = [];
  readonly requests: ContactRequest[] = [];
  readonly files = new Map<string, { name: string; data: string }>();
  readonly listeners = new Set<(e: ClientEvent) => void>();
  /** status() throws this when set. */
  statusFailure: Error | null = null;
  /** status() waits this long (ms). */
  statusDelayMs = 0;
  private seq = 0;

  private contact(name: string): ContactInfo {
    const c = this.contacts.find((x) => x.name === name);
    if (!c) throw new ClientError('unknown-contact', `no contact named "${name}"`);
    return c;
  }

  private nextId(): string {
    return (++this.seq).toString(16).padStart(32, '0');
  }

  async status(): Promise<ClientStatus> {
    if (this.statusDelayMs) await new Promise((r) => setTimeout(r, this.statusDelayMs));
    if (this.statusFailure) throw this.statusFailure;
    return STATUS;
  }
  async address(): Promise<{ address: string }> {
    return { address: OWN_ADDRESS };
  }
  async addContact(name: string, address: string): Promise<ContactInfo> {
    if (!address.startsWith('chaff1')) throw new ClientError('bad-address', `"${address}" is not a chaff address`);
    if (this.contacts.some((c) => c.name === name)) throw new ClientError('contact-exists', `a contact named "${name}" exists`);
    const c: ContactInfo = { name, address, verified: false, keyChanged: false, held: 0, addedMs: T0 };
    this.contacts.push(c);
    return c;
  }
  async listContacts(): Promise<ContactInfo[]> {
    return [...this.contacts];
  }
  async removeContact(name: string): Promise<void> {
    this.contacts.splice(this.contacts.indexOf(this.contact(name)), 1);
  }
  async acceptContactKey(name: string, unverify = false): Promise<ContactInfo> {
    const c = this.contact(name);
    if (c.verified && !unverify) throw new ClientError('verified-contact', `${name} is verified`);
    c.keyChanged = false;
    c.held = 0;
    return c;
  }
  async rejectContactKey(name: string): Promise<ContactInfo> {
    const c = this.contact(name);
    c.keyChanged = false;
    c.held = 0;
    return c;
  }
  async markVerified(name: string, verified: boolean): Promise<ContactInfo> {
    const c = this.contact(name);
    c.verified = verified;
    return c;
  }
  private queue(contact: string, content: MessageRecord['content']): SendResult {
    this.contact(contact);
    const message: MessageRecord = { id: this.nextId(), contact, direction: 'out', content, state: 'queued', sentMs: T0, deliveredMs: null, readMs: null, fragments: 1, retransmissions: 0 };
    this.messages.push(message);
    return { message };
  }
  async sendText(contact: string, text: string): Promise<SendResult> {
    if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) throw new ClientError('too-large', 'the text is longer than 1 MiB');
    return this.queue(contact, { text });
  }
  async sendFile(contact: string, name: string, data: string): Promise<SendResult> {
    const size = Buffer.from(data, 'base64').length;
    const result = this.queue(contact, { file: { name, size } });
    this.files.set(result.message.id, { name, data });
    return result;
  }
  async history(contact: string, limit = 50): Promise<MessageRecord[]> {
    this.contact(contact);
    return this.messages.filter((m) => m.contact === contact).slice(-limit);
  }
  async inbox(): Promise<{ unread: MessageRecord[]; requests: ContactRequest[] }> {
    return { unread: this.messages.filter((m) => m.direction === 'in' && m.state === 'delivered'), requests: this.requests };
  }
  async markRead(contact: string): Promise<number> {
    this.contact(contact);
    let n = 0;
    for (const m of this.messages) {
      if (m.contact === contact && m.direction === 'in' && m.state === 'delivered') {
        m.state = 'read';
        n++;
      }
    }
    return n;
  }
  async fileData(messageId: string): Promise<{ name: string; data: string }> {
    const f = this.files.get(messageId.toLowerCase());
    if (!f) throw new ClientError('not-found', `no file in message ${messageId}`);
    return f;
  }
  async verify(contact: string): Promise<{ safetyNumber: string; verified: boolean }> {
    const c = this.contact(contact);
    return { safetyNumber: '12345 67890 12345 67890 12345 67890', verified: c.verified };
  }
  async rotateDeliveryId(): Promise<{ contacts: number }> {
    return { contacts: this.contacts.length };
  }
  subscribe(listener: (event: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: ClientEvent): void {
    for (const l of this.listeners) l(event);
  }
  receive(contact: string, text: string): MessageRecord {
    const message: MessageRecord = {
      id: this.nextId(),
      contact,
      direction: 'in',
      content: { text },
      state: 'delivered',
      sentMs: T0,
      deliveredMs: T0 + 900,
      readMs: null,
      fragments: 1,
      retransmissions: 0,
    };
    this.messages.push(message);
    return message;
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw connection speaking lines, to see exactly what the server sends. */
class RawPeer {
  readonly lines: string[] = [];
  private buffer = '';
  closed = false;
  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) !== -1) {
        this.lines.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => (this.closed = true));
  }
  static open(path: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  write(text: string | Buffer): void {
    this.socket.write(text);
  }
  request(message: unknown): void {
    this.write(`${JSON.stringify(message)}\n`);
  }
  async next(): Promise<Record<string, unknown>> {
    const index = this.seen;
    await waitFor('a line from the server', () => this.lines.length > index);
    this.seen++;
    return JSON.parse(this.lines[index]) as Record<string, unknown>;
  }
  private seen = 0;
  get unread(): number {
    return this.lines.length - this.seen;
  }
}

describe('client/rpc: JSON-RPC over a Unix socket', function () {
  this.timeout(10_000);
  let dir: string;
  let path: string;
  let api: FakeApi;
  let server: ClientApiServer;
  let logged: string[];
  const opened: Array<{ close(): unknown }> = [];

  async function serve(options: ServeOptions = {}): Promise<ClientApiServer> {
    server = await serveClientApi(api, path, { log: (l) => logged.push(l), ...options });
    return server;
  }
  async function raw(): Promise<RawPeer> {
    const peer = await RawPeer.open(path);
    opened.push({ close: () => peer.socket.destroy() });
    return peer;
  }
  async function client(options = {}): Promise<ClientApiConnection> {
    const c = await connectClientApi(path, options);
    opened.push(c);
    return c;
  }

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'chaff-rpc-'));
    path = clientSocketPath(dir);
    api = new FakeApi();
    logged = [];
  });
  afterEach(async function () {
    for (const c of opened.splice(0)) await c.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('wire format', function () {
    beforeEach(async () => void (await serve()));

    it('answers a request with exactly one compact JSON line', async function () {
      const peer = await raw();
      peer.write('{"jsonrpc":"2.0","id":1,"method":"address"}\n');
      await waitFor('answer', () => peer.lines.length === 1);
      assert.equal(peer.lines[0], `{"jsonrpc":"2.0","id":1,"result":{"address":"${OWN_ADDRESS}"}}`);
    });

    it('answers a ClientError with its number and data.code', async function () {
      const peer = await raw();
      peer.write('{"jsonrpc":"2.0","id":"x7","method":"verify","params":{"contact":"nobody"}}\n');
      await waitFor('answer', () => peer.lines.length === 1);
      assert.equal(peer.lines[0], '{"jsonrpc":"2.0","id":"x7","error":{"code":-32001,"message":"no contact named \\"nobody\\"","data":{"code":"unknown-contact"}}}');
    });

    it('pushes events as "event" notifications with the ClientEvent as params', async function () {
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', id: 1, method: 'subscribe' });
      assert.deepEqual(await peer.next(), { jsonrpc: '2.0', id: 1, result: { subscribed: true } });
      api.emit({ type: 'warning', text: 'gateway unreachable' });
      await waitFor('event', () => peer.lines.length === 2);
      assert.equal(peer.lines[1], '{"jsonrpc":"2.0","method":"event","params":{"type":"warning","text":"gateway unreachable"}}');
    });

    it('removeContact (void) answers result null', async function () {
      await api.addContact('bob', BOB_ADDRESS);
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', id: 3, method: 'contacts.remove', params: ['bob'] });
      assert.deepEqual(await peer.next(), { jsonrpc: '2.0', id: 3, result: null });
      assert.equal(api.contacts.length, 0);
    });
  });

  describe('every method round-trips through connectClientApi', function () {
    beforeEach(async () => void (await serve()));

    it('status, address', async function () {
      const c = await client();
      assert.deepEqual(await c.status(), STATUS);
      assert.deepEqual(await c.address(), { address: OWN_ADDRESS });
    });

    it('contacts: add, list, accept, verify, remove', async function () {
      const c = await client();
      const added = await c.addContact('bob', BOB_ADDRESS);
      assert.equal(added.name, 'bob');
      assert.equal(added.address, BOB_ADDRESS);
      api.contacts[0].keyChanged = true;
      api.contacts[0].held = 2;
      assert.deepEqual(
        (await c.listContacts()).map((x) => [x.name, x.keyChanged, x.held]),
        [['bob', true, 2]],
      );
      const accepted = await c.acceptContactKey('bob');
      assert.equal(accepted.keyChanged, false);
      assert.equal(accepted.held, 0);
      assert.equal((await c.markVerified('bob', true)).verified, true);
      assert.equal(api.contacts[0].verified, true);
      assert.deepEqual(await c.verify('bob'), { safetyNumber: '12345 67890 12345 67890 12345 67890', verified: true });
      assert.equal(await c.removeContact('bob'), undefined);
      assert.deepEqual(await c.listContacts(), []);
    });

    it('send.text, send.file, history, inbox, read, file.data', async function () {
      const c = await client();
      await c.addContact('bob', BOB_ADDRESS);
      const text = await c.sendText('bob', 'hi ✓ "quoted"\n\u0001');
      assert.deepEqual(text.message.content, { text: 'hi ✓ "quoted"\n\u0001' });
      assert.equal(text.message.state, 'queued');
      const data = Buffer.from('file body').toString('base64');
      const file = await c.sendFile('bob', 'notes.txt', data);
      assert.deepEqual(file.message.content, { file: { name: 'notes.txt', size: 9 } });
      const incoming = api.receive('bob', 'hello back');
      assert.deepEqual(
        (await c.history('bob')).map((m) => m.id),
        [text.message.id, file.message.id, incoming.id],
      );
      assert.deepEqual(
        (await c.history('bob', 1)).map((m) => m.id),
        [incoming.id],
      );
      assert.deepEqual(
        (await c.inbox()).unread.map((m) => m.id),
        [incoming.id],
      );
      assert.equal(await c.markRead('bob'), 1);
      assert.deepEqual((await c.inbox()).unread, []);
      assert.deepEqual(await c.fileData(file.message.id), { name: 'notes.txt', data });
    });

    it('handle.get, handle.claim, handle.release; contacts.add with a handle gets a longer deadline than the connection', async function () {
      let held: string | null = null;
      const slowAdd = api.addContact.bind(api);
      Object.assign(api, {
        handle: async () => ({ handle: held === null ? null : `${held}@gateway-a` }),
        claimHandle: async (name: string) => {
          held = name;
          return { handle: `${name}@gateway-a` };
        },
        releaseHandle: async () => {
          const released = held === null ? null : `${held}@gateway-a`;
          held = null;
          return { released };
        },
        // A lookup takes a while: longer than this connection's deadline.
        addContact: async (name: string, address: string) => {
          await new Promise((r) => setTimeout(r, 400));
          return slowAdd(name, address.includes('@') ? BOB_ADDRESS : address);
        },
      });
      const c = await client({ timeoutMs: 200 });
      assert.deepEqual(await c.handle(), { handle: null });
      assert.deepEqual(await c.claimHandle('alice'), { handle: 'alice@gateway-a' });
      assert.deepEqual(await c.handle(), { handle: 'alice@gateway-a' });
      assert.deepEqual(await c.releaseHandle(), { released: 'alice@gateway-a' });
      assert.equal((await c.addContact('bob', 'bob@gateway-b')).address, BOB_ADDRESS, 'a handle: the call waits for the lookup');
      await assert.rejects(
        c.addContact('carol', BOB_ADDRESS),
        (err: unknown) => err instanceof ClientError && err.code === 'unavailable' && /did not answer contacts.add within 0.2 s/.test(err.message),
      );
    });

    it('a send.file of the full 1 MiB fits the line bound', async function () {
      const c = await client();
      await c.addContact('bob', BOB_ADDRESS);
      const data = Buffer.alloc(MAX_MESSAGE_BYTES, 7).toString('base64');
      const sent = await c.sendFile('bob', 'big.bin', data);
      assert.equal(sent.message.content.file?.size, MAX_MESSAGE_BYTES);
      assert.equal((await c.fileData(sent.message.id)).data, data);
    });

    it('a send.text of 1 MiB of control characters (the worst escaping) fits the line bound', async function () {
      const c = await client();
      await c.addContact('bob', BOB_ADDRESS);
      const text = '\u0001'.repeat(MAX_MESSAGE_BYTES);
      const sent = await c.sendText('bob', text);
      assert.equal(sent.message.content.text?.length, MAX_MESSAGE_BYTES);
    });
  });

  describe('errors', function () {
    beforeEach(async () => void (await serve()));

    it('re-throws every ClientError code as a ClientError with that code', async function () {
      const c = await client();
      for (const code of Object.keys(CLIENT_ERROR_NUMBERS) as ClientErrorCode[]) {
        api.statusFailure = new ClientError(code, `failure ${code}`);
        await assert.rejects(c.status(), (err: unknown) => err instanceof ClientError && err.code === code && err.message === `failure ${code}`);
      }
    });

    it('gives each ClientErrorCode its own number in the server-error range', function () {
      const numbers = Object.values(CLIENT_ERROR_NUMBERS);
      assert.equal(new Set(numbers).size, numbers.length);
      for (const n of numbers) assert.ok(n <= -32000 && n >= -32099);
    });

    it('an unexpected exception is -32603 "internal error" without the message or a stack', async function () {
      api.statusFailure = new TypeError('secret detail at /home/u/x.ts:12');
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', id: 5, method: 'status' });
      assert.deepEqual(await peer.next(), { jsonrpc: '2.0', id: 5, error: { code: -32603, message: 'internal error' } });
      assert.ok(logged.some((l) => l.includes('internal error in status')));
      const c = await client();
      await assert.rejects(c.status(), (err: unknown) => err instanceof ClientError && err.code === 'unavailable' && err.message === 'internal error');
    });

    it('invalid params are -32602 naming the problem; the client sees bad-request', async function () {
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', id: 1, method: 'contacts.add', params: { name: 'bob' } });
      peer.request({ jsonrpc: '2.0', id: 2, method: 'history', params: { contact: 'bob', limit: -1 } });
      peer.request({ jsonrpc: '2.0', id: 3, method: 'send.file', params: { contact: 'bob', name: 'x', data: '!!' } });
      peer.request({ jsonrpc: '2.0', id: 4, method: 'subscribe', params: { all: true } });
      const answers = [await peer.next(), await peer.next(), await peer.next(), await peer.next()];
      for (const a of answers) assert.equal((a.error as { code: number }).code, -32602);
      assert.deepEqual(
        answers.map((a) => a.id),
        [1, 2, 3, 4],
      );
      assert.match((answers[0].error as { message: string }).message, /missing parameter "address"/);
      assert.match((answers[1].error as { message: string }).message, /"limit" must be an integer/);
    });

    it('an unknown method is -32601, and __proto__ or toString are not methods', async function () {
      const peer = await raw();
      for (const [id, method] of [
        [1, 'contacts.rename'],
        [2, '__proto__'],
        [3, 'toString'],
        [4, 'constructor'],
      ] as const) {
        peer.request({ jsonrpc: '2.0', id, method });
        const a = await peer.next();
        assert.equal(a.id, id);
        assert.equal((a.error as { code: number }).code, -32601);
      }
    });

    it('malformed requests are -32600', async function () {
      const peer = await raw();
      const cases: Array<[unknown, unknown]> = [
        [{ id: 1, method: 'status' }, 1],
        [{ jsonrpc: '1.0', id: 2, method: 'status' }, 2],
        [{ jsonrpc: '2.0', id: 3 }, 3],
        [{ jsonrpc: '2.0', id: { x: 1 }, method: 'status' }, null],
        [{ jsonrpc: '2.0', id: 5, method: 'status', param: {} }, 5],
        [42, null],
        [[], null],
      ];
      for (const [request, id] of cases) {
        peer.request(request);
        const a = await peer.next();
        assert.equal((a.error as { code: number }).code, -32600, JSON.stringify(request));
        assert.equal(a.id, id);
      }
    });

    it('a parse error (bad JSON, bad UTF-8) is -32700 and the connection stays usable', async function () {
      const peer = await raw();
      peer.write('{"jsonrpc":"2.0",\n');
      assert.deepEqual(await peer.next(), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: the line is not JSON' } });
      peer.write(Buffer.from([0x7b, 0xff, 0x7d, 0x0a]));
      assert.equal(((await peer.next()).error as { code: number }).code, -32700);
      peer.request({ jsonrpc: '2.0', id: 9, method: 'address' });
      assert.deepEqual(await peer.next(), { jsonrpc: '2.0', id: 9, result: { address: OWN_ADDRESS } });
    });

    it('notifications (no id) run but get no answer, even when they fail', async function () {
      await api.addContact('bob', BOB_ADDRESS);
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', method: 'send.text', params: { contact: 'bob', text: 'fire and forget' } });
      peer.request({ jsonrpc: '2.0', method: 'no.such.method' });
      peer.request({ jsonrpc: '2.0', id: 2, method: 'address' });
      assert.equal((await peer.next()).id, 2);
      assert.equal(api.messages[0].content.text, 'fire and forget');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(peer.unread, 0);
    });

    it('a batch gets one array of answers for its requests (not its notifications)', async function () {
      const peer = await raw();
      peer.write('[{"jsonrpc":"2.0","id":1,"method":"address"},{"jsonrpc":"2.0","method":"status"},{"jsonrpc":"2.0","id":2,"method":"nope"}]\n');
      await waitFor('answer', () => peer.lines.length === 1);
      const answers = JSON.parse(peer.lines[0]) as Array<Record<string, unknown>>;
      assert.deepEqual(answers[0], { jsonrpc: '2.0', id: 1, result: { address: OWN_ADDRESS } });
      assert.equal(answers.length, 2);
      assert.equal((answers[1].error as { code: number }).code, -32601);
    });

    it('answers the requests of one connection by id, the fast before the slow', async function () {
      api.statusDelayMs = 200;
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', id: 'slow', method: 'status' });
      peer.request({ jsonrpc: '2.0', id: 'fast', method: 'address' });
      assert.equal((await peer.next()).id, 'fast');
      assert.equal((await peer.next()).id, 'slow');
    });
  });

  describe('connections', function () {
    it('creates the socket with mode 0600', async function () {
      await serve();
      const st = lstatSync(path);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600);
    });

    it('closes a connection whose line exceeds the bound, after saying why', async function () {
      await serve({ maxLineBytes: 4096 });
      const peer = await raw();
      peer.write('{"jsonrpc":"2.0","id":1,"method":"send.text","params":{"contact":"bob","text":"');
      peer.write('x'.repeat(5000));
      await waitFor('close', () => peer.closed);
      assert.equal(peer.lines.length, 1);
      const answer = JSON.parse(peer.lines[0]) as { id: null; error: { code: number; message: string } };
      assert.equal(answer.error.code, -32600);
      assert.match(answer.error.message, /longer than 4096 bytes/);
      // The server itself carries on.
      const c = await client();
      assert.deepEqual(await c.address(), { address: OWN_ADDRESS });
    });

    it('the client refuses a request above the bound before sending it', async function () {
      await serve();
      const c = await client();
      await assert.rejects(c.sendText('bob', '\u0001'.repeat(MAX_MESSAGE_BYTES + 100_000)), (err: unknown) => err instanceof ClientError && err.code === 'too-large');
      assert.deepEqual(await c.address(), { address: OWN_ADDRESS }, 'the connection is still usable');
    });

    it('serves many connections at once', async function () {
      await serve();
      api.statusDelayMs = 50;
      const clients = await Promise.all(Array.from({ length: 30 }, () => client()));
      await waitFor('30 connections', () => server.connections() === 30);
      const statuses = await Promise.all(clients.map((c) => c.status()));
      assert.equal(statuses.length, 30);
      for (const s of statuses) assert.equal(s.epoch, 42);
    });

    it('subscribe delivers events until unsubscribe', async function () {
      await serve();
      const c = await client();
      const seen: ClientEvent[] = [];
      const stop = c.subscribe((e) => seen.push(e));
      await waitFor('subscription', () => api.listeners.size === 1);
      const message = api.receive('bob', 'hi');
      api.emit({ type: 'message', message });
      api.emit({ type: 'warning', text: 'w' });
      await waitFor('two events', () => seen.length === 2);
      assert.deepEqual(seen[0], { type: 'message', message });
      stop();
      await waitFor('unsubscribed', () => api.listeners.size === 0);
      api.emit({ type: 'warning', text: 'after' });
      assert.deepEqual(await c.address(), { address: OWN_ADDRESS });
      assert.equal(seen.length, 2);
    });

    it('one daemon subscription serves every local listener; it ends with the last', async function () {
      await serve();
      const c = await client();
      const a: ClientEvent[] = [];
      const b: ClientEvent[] = [];
      const stopA = c.subscribe((e) => a.push(e));
      const stopB = c.subscribe((e) => b.push(e));
      await waitFor('subscription', () => api.listeners.size === 1);
      api.emit({ type: 'warning', text: '1' });
      await waitFor('both', () => a.length === 1 && b.length === 1);
      stopA();
      api.emit({ type: 'warning', text: '2' });
      await waitFor('b', () => b.length === 2);
      assert.equal(a.length, 1);
      assert.equal(api.listeners.size, 1);
      stopB();
      await waitFor('unsubscribed', () => api.listeners.size === 0);
    });

    it('a client that disconnects mid-subscription is unsubscribed', async function () {
      await serve();
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', id: 1, method: 'subscribe' });
      await peer.next();
      assert.equal(api.listeners.size, 1);
      peer.socket.destroy();
      await waitFor('unsubscribed', () => api.listeners.size === 0);
      api.emit({ type: 'warning', text: 'nobody listens' });
      await waitFor('connection gone', () => server.connections() === 0);
    });

    it('drops a subscriber that stops reading once its backlog passes the bound', async function () {
      await serve({ maxBufferedBytes: 64 * 1024 });
      const peer = await raw();
      peer.request({ jsonrpc: '2.0', id: 1, method: 'subscribe' });
      await peer.next();
      peer.socket.pause();
      const text = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 64 && api.listeners.size > 0; i++) {
        api.emit({ type: 'warning', text });
        await new Promise((r) => setImmediate(r));
      }
      await waitFor('dropped', () => api.listeners.size === 0);
      assert.ok(logged.some((l) => l.includes('unread by the peer')));
    });

    it('close() ends connections and subscriptions and removes the socket file', async function () {
      await serve();
      const c = await client();
      c.subscribe(() => {});
      await waitFor('subscription', () => api.listeners.size === 1);
      const pending = c.closed;
      await server.close();
      await pending;
      assert.equal(c.ended, true);
      assert.equal(api.listeners.size, 0);
      assert.equal(existsSync(path), false);
      await assert.rejects(c.address(), (err: unknown) => err instanceof ClientError && err.code === 'unavailable');
    });

    it('a request in flight when the daemon goes away fails as unavailable', async function () {
      await serve();
      api.statusDelayMs = 500;
      const c = await client();
      const call = c.status();
      await new Promise((r) => setTimeout(r, 50));
      await server.close();
      await assert.rejects(call, (err: unknown) => err instanceof ClientError && err.code === 'unavailable' && /closed the connection/.test(err.message));
    });
  });

  describe('the socket file', function () {
    it('replaces a socket left by a crashed daemon', async function () {
      // A process that binds the socket and dies without cleaning up.
      const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
      spawnSync(process.execPath, ['-e', script]);
      assert.ok(lstatSync(path).isSocket(), 'the stale socket is there');
      await serve();
      const c = await client();
      assert.deepEqual(await c.address(), { address: OWN_ADDRESS });
    });

    it('refuses a socket another daemon is listening on, and leaves it working', async function () {
      await serve();
      const first = server;
      await assert.rejects(serveClientApi(new FakeApi(), path), (err: unknown) => err instanceof ClientSocketError && err.reason === 'in-use' && err.message.includes(dir));
      server = first;
      const c = await client();
      assert.deepEqual(await c.address(), { address: OWN_ADDRESS });
    });

    it('refuses to replace a file that is not a socket', async function () {
      writeFileSync(path, 'precious');
      await assert.rejects(serveClientApi(api, path), (err: unknown) => err instanceof ClientSocketError && err.reason === 'not-a-socket');
      assert.ok(existsSync(path));
    });

    it('refuses a socket path longer than the system allows, with the reason', async function () {
      const long = join(dir, 'x'.repeat(120), 'client.sock');
      await assert.rejects(serveClientApi(api, long), (err: unknown) => err instanceof ClientSocketError && err.reason === 'path-too-long');
    });
  });

  describe('connectClientApi without a daemon', function () {
    it('says no daemon runs for the profile and how to start one', async function () {
      await assert.rejects(
        connectClientApi(path),
        (err: unknown) => err instanceof ClientError && err.code === 'unavailable' && err.message === `no chaff client daemon is running for profile ${dir} (start it with \`chaff client daemon\`)`,
      );
    });

    it('says the same for a stale socket file', async function () {
      spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      await assert.rejects(connectClientApi(path), /no chaff client daemon is running/);
    });

    it('times out a request the daemon does not answer', async function () {
      const held = new Set<Socket>();
      const silent = createServer((s) => {
        held.add(s);
        s.resume();
      });
      await new Promise<void>((r) => silent.listen(path, r));
      try {
        const c = await connectClientApi(path, { timeoutMs: 150 });
        await assert.rejects(c.status(), (err: unknown) => err instanceof ClientError && err.code === 'unavailable' && /did not answer status/.test(err.message));
        await c.close();
      } finally {
        for (const s of held) s.destroy();
        await new Promise((r) => silent.close(r));
      }
    });
  });
});

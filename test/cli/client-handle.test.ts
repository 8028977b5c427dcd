// `chaff client handle …` and `chaff client contacts add NAME HANDLE` as a
// separate process, against a socket this test serves with a fake daemon
// (client/rpc over a real Unix socket). The daemon's side is proven by
// test/client/daemon/handles-daemon.test.ts.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError, type ClientApi, type ClientEvent, type ContactInfo, type HandleInfo } from '../../client/api.js';
import { serveClientApi, type ClientApiServer } from '../../client/rpc/server.js';
import { clientSocketPath } from '../../client/rpc/socket-path.js';
import { statusText } from '../../cli/client/format.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';
import { unavailableApi } from '../helpers/groups-unavailable.js';

/** A daemon holding one handle at gateway-a; bob@gateway-b resolves, the name "taken" is someone else's. */
class HandleApi {
  held: string | null = null;
  added: Array<{ name: string; address: string }> = [];

  readonly handle = async (): Promise<HandleInfo> => ({ handle: this.held === null ? null : `${this.held}@gateway-a` });
  readonly claimHandle = async (name: string): Promise<HandleInfo> => {
    if (name === 'taken') throw new ClientError('handle-taken', 'taken@gateway-a is taken: another client of gateway-a claimed it first. Choose another name');
    this.held = name;
    return this.handle();
  };
  readonly releaseHandle = async (): Promise<{ released: string | null }> => {
    const released = (await this.handle()).handle;
    this.held = null;
    return { released };
  };
  readonly addContact = async (name: string, address: string): Promise<ContactInfo> => {
    if (address === 'nobody@gateway-b') throw new ClientError('not-found', 'no handle nobody@gateway-b: gateway-b holds no name nobody');
    this.added.push({ name, address });
    return { name, address: 'chaff1resolved', verified: false, keyChanged: false, held: 0, addedMs: 0 };
  };
}

function daemonOf(h: HandleApi): ClientApi {
  return {
    ...unavailableApi(),
    handle: h.handle,
    claimHandle: h.claimHandle,
    releaseHandle: h.releaseHandle,
    addContact: h.addContact,
    subscribe: (_l: (e: ClientEvent) => void) => () => undefined,
  };
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function chaff(args: string[]): Promise<Result> {
  const child = spawn(process.execPath, [chaffEntry(), ...args], { env: { ...process.env, CHAFF_PROFILE: '', CHAFF_PASSPHRASE: undefined } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end();
  return new Promise<Result>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('chaff client handle (CLI)', function () {
  this.timeout(30_000);
  let dir: string;
  let api: HandleApi;
  let server: ClientApiServer;
  const client = (...args: string[]) => chaff(['client', '--profile', dir, ...args]);

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'chaff-cli-handle-'));
    api = new HandleApi();
    server = await serveClientApi(daemonOf(api), clientSocketPath(dir));
  });
  afterEach(async function () {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handle shows none, handle claim NAME claims it, handle (and --json) shows it, handle release drops it', async function () {
    let r = await client('handle');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'no handle yet: claim one with chaff client handle claim NAME\n');

    r = await client('handle', 'claim', 'alice');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^your handle is now alice@gateway-a: give it to the people you talk to \(chaff client contacts add NAME alice@gateway-a\)/);
    assert.equal(api.held, 'alice');

    r = await client('handle');
    assert.equal(r.stdout, 'your handle: alice@gateway-a\nanyone can add you with it: chaff client contacts add NAME alice@gateway-a\n');
    r = await client('handle', '--json');
    assert.deepEqual(JSON.parse(r.stdout), { handle: 'alice@gateway-a' });

    r = await client('handle', 'release');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^released alice@gateway-a: anyone may claim the name now/);
    r = await client('handle', 'release');
    assert.equal(r.stdout, 'you held no handle\n');
  });

  it("a name someone else holds: the daemon's error on one line, exit status 1; no NAME: a usage error", async function () {
    let r = await client('handle', 'claim', 'taken');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'chaff client: taken@gateway-a is taken: another client of gateway-a claimed it first. Choose another name\n');
    r = await client('handle', 'claim');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing required argument 'name'/);
  });

  it('contacts add NAME HANDLE hands the handle to the daemon, which looks it up', async function () {
    let r = await client('contacts', 'add', 'bob', 'bob@gateway-b');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(api.added, [{ name: 'bob', address: 'bob@gateway-b' }]);
    assert.equal(r.stderr, 'looking up bob@gateway-b through the mixnet…\n');
    assert.equal(r.stdout, 'added bob (bob@gateway-b). Compare safety numbers with them: chaff client verify bob\n');
    r = await client('contacts', 'add', 'nobody', 'nobody@gateway-b');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /chaff client: no handle nobody@gateway-b: gateway-b holds no name nobody\n$/);
  });

  it('status shows the handle, when there is one', function () {
    const status = {
      profile: '/p',
      address: 'chaff1own',
      gateway: { name: 'gateway-a', nodeId: 'cd'.repeat(32), connected: true },
      epoch: 7,
      documentAgeMs: 3000,
      queue: { queued: 0, inFlight: 0, failed: 0, waitingForGateway: 0 },
      rates: { lambdaP: 4, lambdaL: 1, lambdaD: 1, mu: 20, fetchPerSecond: 1 },
      traffic: { packetsSent: { real: 0, decoy: 0, drop: 0, loop: 0 }, bytesSent: 0, bytesReceived: 0, sendRateBps: 0, retransmissions: 0, acksReceived: 0 },
      loops: { sent: 0, returned: 0, late: 0, lost: 0, outstanding: 0 },
      decoys: { sent: 0, returned: 0, lost: 0, outstanding: 0 },
      uptimeMs: 1000,
    };
    assert.deepEqual(
      statusText({ ...status, handle: 'alice@gateway-a' })
        .split('\n')
        .slice(1, 3),
      ['address   chaff1own', 'handle    alice@gateway-a'],
    );
    assert.ok(!statusText({ ...status, handle: null }).includes('handle'));
    assert.ok(!statusText(status).includes('handle'));
  });

  it('the help names the handle commands and that contacts add takes a handle', async function () {
    const handle = await client('handle', '--help');
    assert.equal(handle.status, 0);
    assert.match(handle.stdout, /claim/);
    assert.match(handle.stdout, /release/);
    const add = await client('contacts', 'add', '--help');
    assert.match(add.stdout, /NAME ADDRESS\|HANDLE/);
    assert.match(add.stdout, /handle \(name@gateway\)/);
  });
});

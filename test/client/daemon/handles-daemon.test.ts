// Short handles through the client daemon's API, on the composed daemon
// (client/daemon/compose.ts) with a manual clock, in-memory profile stores
// and the in-memory gateway link (fake-network.ts), whose gateways keep
// names and answer lookups through the lookup's SURB: handle.claim,
// handle.get, handle.release and status; contacts.add with a handle, whose
// lookup takes a payload slot and leaves every packet's time on the wire as
// it was.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { ClientError, type ClientErrorCode } from '../../../client/api.js';
import type { ClientConfig } from '../../../client/config.js';
import type { RunningClient } from '../../../client/daemon/compose.js';
import { memoryMessengerStores } from '../../../client/messenger/stores.js';
import { toHex } from '../../../protocol/bytes.js';
import { encodeAddress } from '../../../protocol/e2ee/address.js';
import { generateIdentity } from '../../../protocol/e2ee/identity.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import { verifyHandleRecord, type HandleRecord } from '../../../protocol/wire/handle.js';
import { Lifecycle } from '../../../runtime/lifecycle/startable.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { handleOwner, outcome } from '../handles/lookup-rig.js';
import { documentOf, EPOCHS, FakeDocuments, FakeGatewayLink, GATEWAY_A, GATEWAY_B, startOf, type Rates, composeOnFakeNetwork } from './fake-network.js';

const RATES: Rates = { lambdaP: 1, lambdaL: 0.2, lambdaD: 0.2 };
const EPOCH = 100;
const BOB = handleOwner('bob', GATEWAY_B);
const MALLORY_AT_A = handleOwner('mallory', GATEWAY_A);

interface Daemon {
  clock: ManualClock;
  link: FakeGatewayLink;
  running: RunningClient;
  log: ReturnType<typeof memoryLogger>;
}

const folders: string[] = [];
const running: RunningClient[] = [];

async function startDaemon(seed = 1): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'chaff-handles-'));
  folders.push(dir);
  const clock = new ManualClock(startOf(EPOCH) + 1000);
  const log = memoryLogger('client');
  const key = await generateKeyPair('Ed25519');
  const documents = new FakeDocuments();
  documents.docs.set(EPOCH, documentOf(EPOCH, [GATEWAY_A, GATEWAY_B], RATES));
  const link = new FakeGatewayLink(clock, mailboxIdOf(key.publicKey.raw));
  const config: ClientConfig = {
    network: { ...EPOCHS, authorities: [] },
    client: { gateway: toHex(GATEWAY_A.nodeId), gatewayName: GATEWAY_A.name, fetchIntervalMs: 1000, maxAttempts: 8, retransmitSlackMs: 3000, orderHoldMs: 60_000, raise: {} },
  };
  const r = await composeOnFakeNetwork(
    { profileDir: dir, config },
    { clock, logger: log, lifecycle: new Lifecycle(log), stores: memoryMessengerStores(), identity: generateIdentity(), key, documents, link, seed },
  );
  running.push(r);
  const d = { clock, link, running: r, log };
  await run(d, 0);
  return d;
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves simulated time by `ms` in 100 ms steps, settling after each; stops early once `until` holds. */
async function run(d: Pick<Daemon, 'clock'>, ms: number, until: () => boolean = () => false): Promise<void> {
  const end = d.clock.now() + ms;
  await settle();
  while (d.clock.now() < end && !until()) {
    d.clock.advanceTo(Math.min(end, d.clock.now() + 100));
    await settle();
  }
}

const clientError = (code: ClientErrorCode, message?: RegExp) => (err: unknown) => err instanceof ClientError && err.code === code && (message === undefined || message.test(err.message));

function serve(link: FakeGatewayLink, gateway: typeof GATEWAY_B, name: string, record: HandleRecord): void {
  const names = link.names.get(toHex(gateway.nodeId)) ?? new Map<string, HandleRecord>();
  names.set(name, record);
  link.names.set(toHex(gateway.nodeId), names);
}

describe('client/daemon: short handles through the API', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('handle.claim signs a record our gateway keeps; handle.get and status show the handle; handle.release drops it', async () => {
    const d = await startDaemon();
    const { api } = d.running;
    assert.deepEqual(await api.handle(), { handle: null });
    assert.equal((await api.status()).handle, null);
    assert.deepEqual(await api.claimHandle('alice'), { handle: 'alice@gateway-a' });
    const kept = d.link.names.get(toHex(GATEWAY_A.nodeId))?.get('alice');
    assert.ok(kept, 'our gateway holds the name');
    assert.doesNotThrow(() => verifyHandleRecord(kept, { name: 'alice', gateway: GATEWAY_A.nodeId }));
    assert.equal(encodeAddress(kept.address), (await api.address()).address, 'bound to our address');
    assert.deepEqual(await api.handle(), { handle: 'alice@gateway-a' });
    assert.equal((await api.status()).handle, 'alice@gateway-a');

    serve(d.link, GATEWAY_A, 'mallory', MALLORY_AT_A.record('mallory'));
    await assert.rejects(api.claimHandle('mallory'), clientError('handle-taken', /^mallory@gateway-a is taken/));
    assert.deepEqual(await api.handle(), { handle: 'alice@gateway-a' }, 'we keep ours');

    assert.deepEqual(await api.releaseHandle(), { released: 'alice@gateway-a' });
    assert.deepEqual(await api.handle(), { handle: null });
    assert.equal(d.link.names.get(toHex(GATEWAY_A.nodeId))?.has('alice'), false);
  });

  it('contacts.add with a handle: looked up in a payload slot, the contact added with the address the record names', async () => {
    const d = await startDaemon();
    serve(d.link, GATEWAY_B, 'bob', BOB.record('bob'));
    const added = outcome(d.running.api.addContact('bob', 'bob@gateway-b'));
    await run(d, 30_000, () => added.settled());
    const contact = await added.promise;
    assert.equal(contact.name, 'bob');
    assert.equal(contact.address, encodeAddress(BOB.address), 'exactly the address the record names');
    const lookups = d.link.routed.filter((r) => r.to === 'names');
    assert.equal(lookups.length, 1, 'one lookup');
    assert.equal(toHex(lookups[0].exit), toHex(GATEWAY_B.nodeId));
    assert.deepEqual(
      (await d.running.api.listContacts()).map((c) => [c.name, c.address]),
      [['bob', encodeAddress(BOB.address)]],
    );
  });

  it('a lookup leaves the stream on the wire as it was: the same packets at the same times', async () => {
    const idle = await startDaemon(7);
    await run(idle, 20_000);
    const looking = await startDaemon(7);
    serve(looking.link, GATEWAY_B, 'bob', BOB.record('bob'));
    const added = outcome(looking.running.api.addContact('bob', 'bob@gateway-b'));
    await run(looking, 20_000);
    assert.ok(added.settled() && added.error() === undefined, String(added.error()));
    assert.equal(looking.link.routed.filter((r) => r.to === 'names').length, 1);
    assert.deepEqual(
      looking.link.routed.map((r) => r.atMs),
      idle.link.routed.map((r) => r.atMs),
      'every packet left when it would have without the lookup',
    );
  });

  it('contacts.add with a forged answer: forged-handle, and nothing is added', async () => {
    const d = await startDaemon();
    const real = BOB.record('bob');
    serve(d.link, GATEWAY_B, 'bob', { ...real, signature: real.signature.map((b, i) => (i === 5 ? b ^ 1 : b)) });
    const added = outcome(d.running.api.addContact('bob', 'bob@gateway-b'));
    await run(d, 30_000, () => added.settled());
    await assert.rejects(added.promise, clientError('forged-handle', /gateway-b answered for bob@gateway-b with a record that does not verify/));
    assert.deepEqual(await d.running.api.listContacts(), []);
  });

  it('contacts.add with a handle at no such gateway, or for a name in use: refused before any lookup', async () => {
    const d = await startDaemon();
    await assert.rejects(d.running.api.addContact('bob', 'bob@gateway-z'), clientError('bad-address', /no gateway named "gateway-z".*"gateway-a", "gateway-b"/));
    await assert.rejects(d.running.api.addContact('bad name!', 'bob@gateway-b'), clientError('bad-name'));
    await d.running.api.addContact('bob', encodeAddress(BOB.address));
    await assert.rejects(d.running.api.addContact('bob', 'bob@gateway-b'), clientError('contact-exists'));
    await run(d, 5000);
    assert.equal(d.link.routed.filter((r) => r.to === 'names').length, 0, 'no lookup went out');
  });

  it('contacts.add with a handle nobody holds: not-found', async () => {
    const d = await startDaemon();
    const added = outcome(d.running.api.addContact('bob', 'bob@gateway-b'));
    await run(d, 30_000, () => added.settled());
    await assert.rejects(added.promise, clientError('not-found', /^no handle bob@gateway-b/));
  });
});

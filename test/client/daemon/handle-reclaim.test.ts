// A daemon restarted on a profile that holds a handle claims it again
// (client/daemon/handle-admin.ts reclaim(), called from compose.ts once the
// link registers): on the composed daemon with a manual clock, the same
// in-memory profile stores, identity and key across the restart, and a
// fresh in-memory gateway link (fake-network.ts) whose gateway keeps the
// names of the one before, as a real gateway would, or lost them, as one
// whose registration of us expired would. Covers: the name claimed again
// with a fresh record (kept, and put back when the gateway had released
// it); a name someone else took meanwhile cleared, with a warning in the log
// (naming no handle) and a `warning` event to the front ends listening then
// (an event is not kept for those that connect later: status shows no handle
// to them); a gateway away at the start
// delays nothing and the claim goes out once it answers.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import type { ClientEvent } from '../../../client/api.js';
import type { ClientConfig } from '../../../client/config.js';
import type { RunningClient } from '../../../client/daemon/compose.js';
import { HANDLE_RECORD } from '../../../client/daemon/handle-admin.js';
import { memoryMessengerStores, type MessengerStores } from '../../../client/messenger/stores.js';
import { toHex } from '../../../protocol/bytes.js';
import { encodeAddress } from '../../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import { verifyHandleRecord, type HandleRecord } from '../../../protocol/wire/handle.js';
import { Lifecycle } from '../../../runtime/lifecycle/startable.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { handleOwner } from '../handles/lookup-rig.js';
import { documentOf, EPOCHS, FakeDocuments, FakeGatewayLink, GATEWAY_A, GATEWAY_B, startOf, type Rates, composeOnFakeNetwork } from './fake-network.js';

const RATES: Rates = { lambdaP: 1, lambdaL: 0.2, lambdaD: 0.2 };
const EPOCH = 100;
const A = toHex(GATEWAY_A.nodeId);

/** What lasts across a restart: the profile (stores, identity, key) and the gateway's names. */
interface Profile {
  dir: string;
  stores: MessengerStores;
  identity: Identity;
  key: Ed25519PrivateKey;
  /** Gateway A's names (node id hex → name → record), as the gateway keeps them across our restarts. */
  names: Map<string, Map<string, HandleRecord>>;
}

interface Daemon {
  clock: ManualClock;
  link: FakeGatewayLink;
  running: RunningClient;
  log: ReturnType<typeof memoryLogger>;
  events: ClientEvent[];
}

const folders: string[] = [];
const running: RunningClient[] = [];

async function newProfile(): Promise<Profile> {
  const dir = mkdtempSync(join(tmpdir(), 'chaff-handle-reclaim-'));
  folders.push(dir);
  return { dir, stores: memoryMessengerStores(), identity: generateIdentity(), key: await generateKeyPair('Ed25519'), names: new Map() };
}

/** Starts a daemon on `profile`; `prepare` sets the new link up (its gateway's state) before anything runs. */
async function startDaemon(profile: Profile, prepare: (link: FakeGatewayLink) => void = () => undefined): Promise<Daemon> {
  const clock = new ManualClock(startOf(EPOCH) + 1000);
  const log = memoryLogger('client');
  const documents = new FakeDocuments();
  documents.docs.set(EPOCH, documentOf(EPOCH, [GATEWAY_A, GATEWAY_B], RATES));
  const link = new FakeGatewayLink(clock, mailboxIdOf(profile.key.publicKey.raw));
  for (const [gateway, names] of profile.names) link.names.set(gateway, names);
  prepare(link);
  const config: ClientConfig = {
    network: { ...EPOCHS, authorities: [] },
    client: { gateway: A, gatewayName: GATEWAY_A.name, fetchIntervalMs: 1000, maxAttempts: 8, retransmitSlackMs: 3000, orderHoldMs: 60_000, raise: {} },
  };
  const r = await composeOnFakeNetwork(
    { profileDir: profile.dir, config },
    { clock, logger: log, lifecycle: new Lifecycle(log), stores: profile.stores, identity: profile.identity, key: profile.key, documents, link, seed: 1 },
  );
  running.push(r);
  const events: ClientEvent[] = [];
  r.api.subscribe((e) => events.push(e));
  const d = { clock, link, running: r, log, events };
  await run(d, 0);
  return d;
}

async function stopDaemon(d: Daemon, profile: Profile): Promise<void> {
  await d.running.stop();
  running.splice(running.indexOf(d.running), 1);
  profile.names = new Map([...d.link.names].map(([gateway, names]) => [gateway, new Map(names)]));
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves simulated time by `ms` in 100 ms steps, settling after each. */
async function run(d: Pick<Daemon, 'clock'>, ms: number): Promise<void> {
  const end = d.clock.now() + ms;
  await settle();
  while (d.clock.now() < end) {
    d.clock.advanceTo(Math.min(end, d.clock.now() + 100));
    await settle();
  }
}

/** A profile whose daemon claimed "alice" at gateway A, then stopped. */
async function aliceWithHandle(): Promise<Profile> {
  const profile = await newProfile();
  const first = await startDaemon(profile);
  assert.deepEqual(await first.running.api.claimHandle('alice'), { handle: 'alice@gateway-a' });
  assert.equal(first.link.claims.length, 1);
  await stopDaemon(first, profile);
  return profile;
}

const stored = async (profile: Profile): Promise<string | undefined> => {
  const v = await profile.stores.profile.get(HANDLE_RECORD);
  return v === undefined ? undefined : new TextDecoder().decode(v);
};

describe('client/daemon: the handle claimed again at start', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('a restarted daemon claims its kept handle again with a fresh record (idempotent when the gateway still holds it)', async () => {
    const profile = await aliceWithHandle();
    const kept = profile.names.get(A)!.get('alice')!;
    const d = await startDaemon(profile);
    await run(d, 2000);
    assert.equal(d.link.claims.length, 1, 'one claim at start');
    const claim = d.link.claims[0];
    assert.ok(claim.op === 'claim');
    assert.equal(claim.record.name, 'alice');
    assert.doesNotThrow(() => verifyHandleRecord(claim.record, { name: 'alice', gateway: GATEWAY_A.nodeId }));
    assert.notEqual(claim.record, kept, 'signed afresh, not the stored one replayed');
    assert.equal(encodeAddress(claim.record.address), (await d.running.api.address()).address);
    assert.equal((await d.running.api.status()).handle, 'alice@gateway-a');
    assert.equal(d.link.names.get(A)?.get('alice'), claim.record, 'the gateway holds the fresh record');
    await run(d, 5000);
    assert.equal(d.link.claims.length, 1, 'once a start, not at every look');
    assert.ok(!JSON.stringify(d.log.records).includes('alice'), 'the log names no handle');
  });

  it('a gateway that released the name while our registration had expired gets it claimed again', async () => {
    const profile = await aliceWithHandle();
    const d = await startDaemon(profile, (link) => link.names.get(A)!.delete('alice'));
    await run(d, 2000);
    assert.equal(d.link.claims.length, 1);
    assert.equal(toHex(d.link.names.get(A)!.get('alice')!.address.mailbox), toHex(d.link.mailboxId), 'ours again at the gateway');
    assert.equal((await d.running.api.status()).handle, 'alice@gateway-a');
    assert.ok(d.log.records.some((r) => r.msg === 'our handle was claimed again at our gateway'));
  });

  it("a name that became someone else's meanwhile is cleared: status shows none, a warning is logged and sent as an event", async () => {
    const profile = await aliceWithHandle();
    const mallory = handleOwner('mallory', GATEWAY_A);
    // The gateway answers once the front end listens (an event only reaches those connected at the time).
    const d = await startDaemon(profile, (link) => {
      link.names.get(A)!.set('alice', mallory.record('alice'));
      link.reachable = false;
    });
    d.link.reachable = true;
    await run(d, 3000);
    assert.equal(d.link.claims.length, 1);
    assert.equal((await d.running.api.status()).handle, null, 'status shows no handle');
    assert.deepEqual(await d.running.api.handle(), { handle: null });
    assert.equal(await stored(profile), undefined, "the profile's handle is cleared");
    assert.equal(d.link.names.get(A)!.get('alice')!.address.mailbox.toString(), mallory.address.mailbox.toString(), "the gateway keeps mallory's");
    const warned = d.log.records.find((r) => r.level === 'warn' && /now held by another client/.test(r.msg));
    assert.ok(warned, 'a warning is logged');
    assert.ok(!JSON.stringify(d.log.records).includes('alice'), 'naming no handle');
    const event = d.events.find((e) => e.type === 'warning');
    assert.ok(event && event.type === 'warning' && /^Your handle alice@gateway-a is now someone else's/.test(event.text), 'the front ends are told');

    // A later start claims nothing: there is nothing left to claim.
    await stopDaemon(d, profile);
    const again = await startDaemon(profile);
    await run(again, 2000);
    assert.equal(again.link.claims.length, 0);
  });

  it('a gateway away at the start delays nothing: the handle is kept and claimed again once the gateway answers', async () => {
    const profile = await aliceWithHandle();
    const d = await startDaemon(profile, (link) => {
      link.names.get(A)!.delete('alice');
      link.reachable = false;
    });
    await run(d, 3000);
    assert.equal(d.link.claims.length, 0, 'nothing reached the gateway');
    assert.equal((await d.running.api.status()).handle, 'alice@gateway-a', 'kept meanwhile');
    assert.equal(await stored(profile), 'alice');

    d.link.reachable = true;
    await run(d, 3000);
    assert.equal(d.link.claims.length, 1, 'claimed at the next connection');
    assert.equal(toHex(d.link.names.get(A)!.get('alice')!.address.mailbox), toHex(d.link.mailboxId));
    assert.equal((await d.running.api.status()).handle, 'alice@gateway-a');
  });
});

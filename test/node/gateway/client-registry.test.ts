import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../protocol/bytes.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import { ClientRegistry, DeliveryIdTakenError, RegistryInputError } from '../../../node/gateway/client-registry.js';
import { MailboxStore } from '../../../node/store/mailbox-store.js';
import { StoreKindError } from '../../../node/store/database.js';

describe('node/gateway/client-registry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-registry-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registers idempotently and survives a restart', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const other = crypto.getRandomValues(new Uint8Array(32));
    let registry = await ClientRegistry.open(dir);
    const first = await registry.register(key, 1234);
    assert.deepEqual(first, { mailboxId: mailboxIdOf(key), created: true });
    assert.deepEqual(await registry.register(key, 9999), { mailboxId: mailboxIdOf(key), created: false });
    assert.equal(registry.size, 1);
    assert.equal(registry.has(mailboxIdOf(key)), true);
    assert.equal(registry.has(mailboxIdOf(other)), false);
    await registry.close();

    registry = await ClientRegistry.open(dir);
    assert.equal(registry.size, 1);
    assert.equal(registry.has(mailboxIdOf(key)), true);
    assert.equal(await registry.registeredAt(mailboxIdOf(key)), 1234, 'the first registration time is kept');
    await registry.close();
  });

  it('refuses a key of the wrong size, and a folder holding another store', async () => {
    const registry = await ClientRegistry.open(join(dir, 'clients'));
    await assert.rejects(registry.register(new Uint8Array(31), 0), RegistryInputError);
    assert.equal(registry.has(new Uint8Array(5)), false);
    await registry.close();
    const mailboxes = await MailboxStore.open(join(dir, 'mailbox'));
    await mailboxes.close();
    await assert.rejects(ClientRegistry.open(join(dir, 'mailbox')), StoreKindError);
  });

  it('sets, keeps and rotates a delivery id, resolves both recipient ids, and refuses one that is another client’s', async () => {
    const alice = crypto.getRandomValues(new Uint8Array(32));
    const bob = crypto.getRandomValues(new Uint8Array(32));
    const d1 = crypto.getRandomValues(new Uint8Array(32));
    const d2 = crypto.getRandomValues(new Uint8Array(32));
    let registry = await ClientRegistry.open(dir);
    const a = mailboxIdOf(alice);
    assert.equal(registry.resolve(a), null);
    await registry.register(alice, 10);
    assert.deepEqual(registry.resolve(a), { mailboxId: a, via: 'address', hasDeliveryId: false });
    assert.deepEqual((await registry.register(alice, 20, d1)).created, false);
    assert.deepEqual(registry.resolve(d1), { mailboxId: a, via: 'delivery', hasDeliveryId: true });
    assert.deepEqual(registry.resolve(a), { mailboxId: a, via: 'address', hasDeliveryId: true });
    await registry.register(alice, 30); // without one: kept
    assert.deepEqual(registry.deliveryIdOf(a), d1);
    await registry.register(alice, 40, d2); // rotated
    assert.equal(registry.resolve(d1), null);
    await registry.register(bob, 50);
    await assert.rejects(registry.register(bob, 60, d2), DeliveryIdTakenError);
    await assert.rejects(registry.register(bob, 60, a), DeliveryIdTakenError);
    await assert.rejects(registry.register(bob, 60, mailboxIdOf(bob)), DeliveryIdTakenError);
    await assert.rejects(registry.register(bob, 60, new Uint8Array(32)), RegistryInputError);
    await registry.close();
    registry = await ClientRegistry.open(dir);
    assert.deepEqual(registry.resolve(d2)?.mailboxId, a, 'the delivery id survives a restart');
    assert.equal(await registry.registeredAt(a), 10, 'a rotation keeps the first registration time');
    await registry.close();
  });

  it('expires registrations idle for the period, counting in-memory activity, and writes activity at most once per granularity', async () => {
    const keys = [1, 2, 3].map(() => crypto.getRandomValues(new Uint8Array(32)));
    let registry = await ClientRegistry.open(dir, { activityGranularityMs: 1000 });
    for (const k of keys) await registry.register(k, 0);
    registry.touch(mailboxIdOf(keys[0]), 500);
    assert.equal(await registry.flushActivity(), 0, 'under the granularity: nothing written');
    registry.touch(mailboxIdOf(keys[0]), 5000);
    assert.equal(await registry.flushActivity(), 1);
    registry.touch(mailboxIdOf(keys[1]), 6000); // in memory only
    assert.deepEqual((await registry.expireIdle(6500, 3000)).map(toHex), [toHex(mailboxIdOf(keys[2]))]);
    assert.equal(registry.size, 2);
    await registry.close(); // writes the unflushed activity
    registry = await ClientRegistry.open(dir, { nowMs: 100_000 });
    assert.equal(registry.size, 2, 'the expiry was durable');
    assert.equal(registry.lastSeen(mailboxIdOf(keys[1])), 6000, 'activity written on close');
    assert.deepEqual((await registry.expireIdle(8500, 3000)).map(toHex), [toHex(mailboxIdOf(keys[0]))]);
    await registry.close();
  });

  it('reads a 40-byte entry (written before delivery ids) as last seen when opened, without a delivery id', async () => {
    const { Database, u64 } = await import('../../../node/store/database.js');
    const key = crypto.getRandomValues(new Uint8Array(32));
    const db = await Database.open(dir, 'client-registry');
    const k = new Uint8Array(33);
    k[0] = 0x03;
    k.set(mailboxIdOf(key), 1);
    const v = new Uint8Array(40);
    v.set(key, 0);
    v.set(u64(1234), 32);
    await db.db.put(k, v);
    await db.close();
    const registry = await ClientRegistry.open(dir, { nowMs: 99_000 });
    assert.equal(registry.size, 1);
    assert.equal(registry.lastSeen(mailboxIdOf(key)), 99_000);
    assert.equal(registry.deliveryIdOf(mailboxIdOf(key)), null);
    assert.equal(await registry.registeredAt(mailboxIdOf(key)), 1234);
    assert.deepEqual(await registry.expireIdle(99_500, 1000), []);
    await registry.close();
  });
});

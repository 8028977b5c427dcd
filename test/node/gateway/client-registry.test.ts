import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import { ClientRegistry, RegistryInputError } from '../../../node/gateway/client-registry.js';
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
});

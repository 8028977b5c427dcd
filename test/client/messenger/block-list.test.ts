// Blocking (docs/client.md §Blocking) with real messengers over real
// encrypted profiles (test/helpers/messenger-users.ts), envelopes handed
// over as the mixnet would deliver them.

import assert from 'node:assert/strict';
import { drain, Users, type User } from '../../helpers/messenger-users.js';

async function deliver(from: User, to: User): Promise<void> {
  for (const envelope of await drain(from)) await to.messenger.receive(envelope);
}

describe('client/messenger/block-list', function () {
  this.timeout(20_000);
  let users: Users;
  beforeEach(() => {
    users = new Users();
  });
  afterEach(() => users.closeAll());

  it("drops a blocked stranger's request and every later envelope unread, counts them, keeps the block across a restart; unblocked, they can ask again", async () => {
    let alice = await users.create('alice');
    const carol = await users.create('carol');
    await carol.messenger.addContact('alice', alice.address);
    await carol.messenger.send('alice', { kind: 'text', text: 'hello, it is carol' });
    await deliver(carol, alice);
    assert.equal(alice.messenger.inbox().requests.length, 1);

    const blocked = await alice.messenger.block(carol.address);
    assert.deepEqual(blocked, { address: carol.address, blockedMs: users.clock.now(), dropped: 0 });
    assert.deepEqual(alice.messenger.inbox().requests, [], 'the request went with the block');

    alice.events.length = 0;
    await carol.messenger.send('alice', { kind: 'text', text: 'why no answer?' });
    await carol.messenger.send('alice', { kind: 'text', text: 'hello?' });
    const envelopes = await drain(carol);
    for (const e of envelopes) await alice.messenger.receive(e);
    assert.deepEqual(alice.events, [], 'nothing of them reaches the front ends');
    assert.deepEqual(alice.messenger.inbox().requests, []);
    assert.equal(alice.messenger.listBlocked()[0].dropped, envelopes.length);
    assert.equal(alice.messenger.stats().rejected.blocked, envelopes.length);

    alice = await users.reopen(alice);
    assert.deepEqual(
      alice.messenger.listBlocked().map((b) => [b.address, b.dropped]),
      [[carol.address, 0]],
      'kept in the profile (the drop count is since the start)',
    );
    await carol.messenger.send('alice', { kind: 'text', text: 'still there?' });
    await deliver(carol, alice);
    assert.deepEqual(alice.messenger.inbox().requests, []);

    await alice.messenger.unblock(carol.address);
    assert.deepEqual(alice.messenger.listBlocked(), []);
    await carol.messenger.send('alice', { kind: 'text', text: 'one more try' });
    await deliver(carol, alice);
    assert.equal(alice.messenger.inbox().requests.length, 1, 'unblocked, they can write again');
  });

  it('keeps a blocked contact and its history, drops what it sends and refuses to send to it until unblocked', async () => {
    const alice = await users.create('alice');
    const bob = await users.create('bob');
    await alice.messenger.addContact('bob', bob.address);
    await bob.messenger.addContact('alice', alice.address);
    await deliver(alice, bob);
    await deliver(bob, alice);
    await bob.messenger.send('alice', { kind: 'text', text: 'before' });
    await deliver(bob, alice);

    const info = await alice.messenger.block(bob.address);
    assert.equal(info.contact, 'bob', 'the contact the address belongs to');
    await bob.messenger.send('alice', { kind: 'text', text: 'after' });
    await deliver(bob, alice);
    assert.deepEqual(
      alice.messenger.history('bob').map((m) => m.content.text),
      ['before'],
    );
    assert.deepEqual(
      alice.messenger.listContacts().map((c) => c.name),
      ['bob'],
    );
    await assert.rejects(alice.messenger.send('bob', { kind: 'text', text: 'x' }), { code: 'blocked' });

    await alice.messenger.unblock(bob.address);
    await alice.messenger.send('bob', { kind: 'text', text: 'unblocked' });
    await deliver(alice, bob);
    assert.ok(bob.messenger.history('alice').some((m) => m.content.text === 'unblocked'));
  });

  it('refuses our own address, a bad one and unblocking who is not blocked; blocking twice keeps the first record', async () => {
    const alice = await users.create('alice');
    const dave = await users.create('dave');
    await assert.rejects(alice.messenger.block(alice.address), { code: 'bad-address' });
    await assert.rejects(alice.messenger.block('chaff1nothing'), { code: 'bad-address' });
    await assert.rejects(alice.messenger.unblock(dave.address), { code: 'not-found' });
    const first = await alice.messenger.block(dave.address);
    users.clock.advance(60_000);
    assert.deepEqual(await alice.messenger.block(` ${dave.address}\n`), first);
    assert.equal(alice.messenger.listBlocked().length, 1);
  });
});

// Read receipts on or off (client.toml `read_receipts`, the API's
// settings.set): two real messengers over real encrypted profiles
// (test/helpers/messenger-users.ts), envelopes handed over as the mixnet
// would. Off, reading a conversation (or a group) marks it read here and
// queues nothing for the contact, whose message stays "delivered"; on again,
// the next read sends its receipt. The switch works while running and from
// the start (Messenger.load's readReceipts).

import assert from 'node:assert/strict';
import type { GroupInfo } from '../../../client/api.js';
import { drain, Users, type User } from '../../helpers/messenger-users.js';

describe('client/messenger: read receipts on or off', function () {
  this.timeout(60_000);
  let users: Users;
  let alice: User;
  let bob: User;

  async function deliver(from: User, to: User): Promise<number> {
    const envelopes = await drain(from);
    for (const e of envelopes) await to.messenger.receive(e);
    return envelopes.length;
  }

  const stateOf = (u: User, contact: string, text: string) => u.messenger.history(contact).find((m) => m.content.text === text)?.state;

  async function pair(aliceOptions: { readReceipts?: boolean } = {}): Promise<void> {
    users = new Users();
    alice = await users.create('alice', { extra: aliceOptions });
    bob = await users.create('bob');
    await alice.messenger.addContact('bob', bob.address);
    await bob.messenger.addContact('alice', alice.address);
    // Their contact cards.
    await deliver(alice, bob);
    await deliver(bob, alice);
  }

  afterEach(() => users.closeAll());

  it('off: reading marks the messages read here and queues no receipt; on again: the next read sends one', async function () {
    await pair();
    assert.equal(alice.messenger.readReceipts, true, 'on by default');
    await bob.messenger.send('alice', { kind: 'text', text: 'first' });
    await deliver(bob, alice);

    alice.messenger.readReceipts = false;
    assert.equal(await alice.messenger.markRead('bob'), 1);
    assert.equal(stateOf(alice, 'bob', 'first'), 'read', 'read here all the same');
    assert.equal(alice.messenger.queuedFragments, 0, 'no receipt queued');
    assert.equal(await deliver(alice, bob), 0, 'nothing leaves');
    assert.equal(stateOf(bob, 'alice', 'first'), 'delivered', 'bob never learns it was read');
    assert.equal(bob.messenger.stats().received.receipts, 0);

    alice.messenger.readReceipts = true;
    await bob.messenger.send('alice', { kind: 'text', text: 'second' });
    await deliver(bob, alice);
    assert.equal(await alice.messenger.markRead('bob'), 1, 'only the new message: the first was read already');
    assert.equal(alice.messenger.queuedFragments, 1, 'one receipt queued');
    assert.equal(await deliver(alice, bob), 1);
    assert.equal(bob.messenger.stats().received.receipts, 1);
    assert.equal(stateOf(bob, 'alice', 'second'), 'read');
    assert.equal(stateOf(bob, 'alice', 'first'), 'delivered', 'no late receipt for what was read while they were off');
  });

  it('off from the start (Messenger.load with readReceipts: false, as client.toml read_receipts = false makes it)', async function () {
    await pair({ readReceipts: false });
    assert.equal(alice.messenger.readReceipts, false);
    await bob.messenger.send('alice', { kind: 'text', text: 'hello' });
    await deliver(bob, alice);
    assert.equal(await alice.messenger.markRead('bob'), 1);
    assert.equal(alice.messenger.queuedFragments, 0);
    assert.equal(stateOf(bob, 'alice', 'hello'), 'delivered');
  });

  it('off: reading a group sends its author no read receipt (the delivered one still goes)', async function () {
    await pair();
    const id = (await bob.messenger.groups.create('book club')).id;
    await bob.messenger.groups.invite(id, 'alice');
    await deliver(bob, alice);
    await alice.messenger.groups.accept(id);
    await deliver(alice, bob);
    await bob.messenger.groups.post(id, { kind: 'text', text: 'chapter 3' });
    await deliver(bob, alice);
    // Alice's client acknowledged the post as delivered.
    await deliver(alice, bob);
    const delivery = (): string | undefined => bob.messenger.groups.history(id).find((p) => p.content.text === 'chapter 3')?.delivery?.[memberKey(bob.messenger.groups.list(), id, 'alice')];
    assert.equal(delivery(), 'delivered');

    alice.messenger.readReceipts = false;
    assert.equal(await alice.messenger.groups.markRead(id), 1);
    assert.equal(alice.messenger.queuedFragments, 0, 'no receipt queued');
    assert.equal(delivery(), 'delivered', 'bob does not learn alice read it');

    alice.messenger.readReceipts = true;
    await bob.messenger.groups.post(id, { kind: 'text', text: 'chapter 4' });
    await deliver(bob, alice);
    await deliver(alice, bob);
    assert.equal(await alice.messenger.groups.markRead(id), 1);
    assert.ok(alice.messenger.queuedFragments > 0, 'the read receipt is queued');
    await deliver(alice, bob);
    assert.equal(bob.messenger.groups.history(id).find((p) => p.content.text === 'chapter 4')?.delivery?.[memberKey(bob.messenger.groups.list(), id, 'alice')], 'read');
  });
});

/** The identity key (hex) of the member `contact` in group `id`. */
function memberKey(groups: GroupInfo[], id: string, contact: string): string {
  const key = groups.find((g) => g.id === id)?.members.find((m) => m.contact === contact)?.key;
  assert.ok(key, `${contact} is a member`);
  return key;
}

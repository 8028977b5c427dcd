// Attack: a stranger fakes a contact's key change. Mallory, who knows Bob's
// address, sends Alice one envelope from Mallory's own keys whose address
// names Bob's gateway and mailbox. Before: Alice's client took the shared
// mailbox for "Bob's key changed", flagged Bob (even verified), held his
// messages and refused to send to him, with no way back but removing and
// re-adding Bob. Now an address's mailbox counts only with a proof signed by
// the mailbox's key (protocol/e2ee/mailbox-proof.ts): Mallory stays a
// stranger's contact request, and a genuine key change can be rejected.

import assert from 'node:assert/strict';
import { ClientError } from '../../client/api.js';
import { drain, texts, Users, type User } from '../helpers/messenger-users.js';

async function deliver(from: User, to: User): Promise<void> {
  for (const e of await drain(from)) await to.messenger.receive(e);
}

describe("a stranger faking a contact's key change with an address that names the contact's mailbox", function () {
  this.timeout(30_000);
  const users = new Users();
  after(() => users.closeAll());

  it('leaves the contact unchanged (not flagged, nothing held, still sent to); a genuine key change can be rejected', async () => {
    const alice = await users.create('alice');
    const bob = await users.create('bob');
    await alice.messenger.addContact('bob', bob.address);
    await bob.messenger.addContact('alice', alice.address);
    await deliver(alice, bob);
    await deliver(bob, alice);
    await alice.messenger.markVerified('bob', true);

    // Mallory: her own keys, Bob's gateway and mailbox in her address, and a
    // "mailbox proof" signed by her own key (she lacks Bob's).
    const mallory = await users.create('mallory', { gateway: bob.gateway, claimMailbox: bob.ownAddress.mailbox });
    await mallory.messenger.addContact('alice', alice.address);
    await mallory.messenger.send('alice', { kind: 'text', text: 'it is Bob, new phone' });
    await deliver(mallory, alice);

    let info = alice.messenger.listContacts().find((c) => c.name === 'bob')!;
    assert.equal(info.keyChanged, false, "Bob's key must not be flagged as changed by a stranger");
    assert.equal(info.held, 0);
    assert.equal(info.verified, true, 'Bob stays verified');
    assert.equal(alice.messenger.inbox().requests.length, 1, 'Mallory is a contact request like any stranger');
    assert.equal(alice.messenger.stats().rejected['bad-mailbox-proof'], 1, "Mallory's forged proof was noticed and counted");
    // Alice's messages to Bob still leave, and Bob reads them.
    await alice.messenger.send('bob', { kind: 'text', text: 'still you?' });
    await deliver(alice, bob);
    assert.deepEqual(texts(bob), ['still you?']);

    // A genuine key change: Bob reinstalls with a new identity but keeps his mailbox key.
    const bob2 = await users.create('bob2', { mailboxKey: bob.mailboxKey, gateway: bob.gateway });
    await bob2.messenger.addContact('alice', alice.address);
    await bob2.messenger.send('alice', { kind: 'text', text: 'new keys' });
    await deliver(bob2, alice);
    info = alice.messenger.listContacts().find((c) => c.name === 'bob')!;
    assert.equal(info.keyChanged, true, 'a proven key change is flagged');
    assert.equal(info.held, 1);
    assert.ok(info.pendingSafetyNumber && info.pendingSafetyNumber !== alice.messenger.verify('bob').safetyNumber);
    assert.ok(
      alice.events.some((e) => e.type === 'warning' && e.text.startsWith('WARNING') && e.text.includes('VERIFIED')),
      'loud for a verified contact',
    );
    // A verified contact does not change without the explicit step.
    await assert.rejects(alice.messenger.acceptContactKey('bob'), (e: unknown) => e instanceof ClientError && e.code === 'verified-contact');
    // Rejecting keeps Bob's old key and verification and deletes what the new identity sent.
    info = await alice.messenger.rejectContactKey('bob');
    assert.equal(info.keyChanged, false);
    assert.equal(info.held, 0);
    assert.equal(info.verified, true);
    assert.equal(alice.messenger.verify('bob').verified, true);
    // The rejected identity never flags Bob again.
    await bob2.messenger.send('alice', { kind: 'text', text: 'again' });
    await deliver(bob2, alice);
    assert.equal(alice.messenger.listContacts().find((c) => c.name === 'bob')!.keyChanged, false);
    assert.ok((alice.messenger.stats().rejected['rejected-key'] ?? 0) >= 1);
    await alice.messenger.send('bob', { kind: 'text', text: 'hello old keys' });
    await deliver(alice, bob);
    assert.deepEqual(texts(bob), ['still you?', 'hello old keys']);
  });
});

// The contact book over in-memory stores: who sent an envelope (a contact,
// a contact's pending new key, a rejected key, a stranger within the policy),
// and a stranger's request becoming a contact.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { aliceAndBob, deliver, drain, memoryUser, shownTexts, type MemoryUser } from './memory-user.js';

/** The session `to` opens from a first envelope of `from`, as the inbox would. */
function firstSession(from: MemoryUser, to: MemoryUser): { session: Session; created: boolean } {
  const envelope = Session.initiate(from.identity, from.ownAddress, to.ownAddress).seal(new Uint8Array(8), 2048);
  const { session, created } = openEnvelope(to.identity, to.parts.sessions.lookup, envelope);
  return { session, created };
}

describe('client/messenger/contact-book', () => {
  const clock = new ManualClock(1_800_000_000_000);
  let bob: MemoryUser;
  let carol: MemoryUser;

  beforeEach(async () => {
    bob = await memoryUser(clock, 0x20);
    carol = await memoryUser(clock, 0x30);
  });
  afterEach(() => [bob, carol].forEach((u) => u.parts.inbox.stop()));

  it('resolves a contact by its identity, a stranger as a contact request, and refuses a key the user rejected', async () => {
    const book = bob.parts.book;
    let work = bob.stores.begin();
    const stranger = book.resolveSender(work, firstSession(carol, bob).session, true, clock.now());
    assert.ok(stranger.accepted && stranger.sender.kind === 'stranger');
    assert.equal(stranger.sender.request.identity, toHex(carol.ownAddress.identityKey));
    await work.commit();
    assert.equal((await bob.stores.requests.list()).length, 1, 'the request is staged with the envelope');

    await book.add('carol', carol.address);
    work = bob.stores.begin();
    assert.deepEqual(book.resolveSender(work, firstSession(carol, bob).session, true, clock.now()), { accepted: true, sender: { kind: 'contact', name: 'carol' } });
    assert.equal((await bob.stores.requests.list()).length, 0, 'adding the stranger removed its request');

    const c = bob.parts.contacts.require('carol');
    const mallory = await memoryUser(clock, 0x40);
    const malloryId = toHex(mallory.ownAddress.identityKey);
    bob.parts.contacts.set({ ...c, keyChanged: true, pendingAddress: mallory.address, pendingIdentity: malloryId });
    assert.deepEqual(book.resolveSender(bob.stores.begin(), firstSession(mallory, bob).session, true, clock.now()), { accepted: true, sender: { kind: 'key-changed', name: 'carol' } });
    bob.parts.contacts.set({ ...c, rejectedIdentities: [malloryId] });
    assert.deepEqual(book.resolveSender(bob.stores.begin(), firstSession(mallory, bob).session, true, clock.now()), { accepted: false, reason: 'rejected-key' });
    mallory.parts.inbox.stop();
  });

  it("holds a stranger's message as a request and shows it once the stranger is added", async () => {
    await carol.parts.book.add('bob', bob.address);
    await carol.parts.outbox.send('bob', { kind: 'text', text: 'hi, it is Carol' });
    await deliver(await drain(carol), bob);
    assert.deepEqual(shownTexts(bob), [], 'a request is not shown');
    assert.equal(bob.parts.requests.list().length, 1);
    const stored = await bob.stores.messages.list();
    assert.equal(stored.length, 1);
    assert.ok(stored[0][1].record.contact.startsWith('?') && stored[0][1].held, "a stranger's row is stored under its request, held");

    await bob.parts.book.add('carol', carol.address);
    assert.deepEqual(shownTexts(bob), ['hi, it is Carol']);
    assert.equal((await bob.stores.messages.list())[0][1].record.contact, 'carol', 'the stored row is now the contact’s');
    assert.equal(bob.parts.requests.list().length, 0);
  });

  describe('a key change (a new identity proves it owns the contact’s mailbox)', () => {
    let alice: MemoryUser;
    let oldBob: MemoryUser;
    let newBob: MemoryUser;

    beforeEach(async () => {
      [alice, oldBob] = await aliceAndBob(clock, true);
      // Bob reinstalled: a new identity, the same gateway and mailbox key (tag 0x20).
      newBob = await memoryUser(clock, 0x20);
      await newBob.parts.book.add('alice', alice.address);
      await newBob.parts.outbox.send('alice', { kind: 'text', text: 'new phone' });
      await deliver(await drain(newBob), alice);
    });
    afterEach(() => [alice, oldBob, newBob].forEach((u) => u.parts.inbox.stop()));

    it('flags the contact and holds its messages until the user accepts the new key', async () => {
      const info = alice.parts.book.list().find((c) => c.name === 'bob')!;
      assert.equal(info.keyChanged, true);
      assert.equal(info.held, 1);
      assert.deepEqual(shownTexts(alice), []);
      assert.ok(alice.events.some((e) => e.type === 'warning'));
      await alice.parts.book.acceptKey('bob');
      assert.deepEqual(shownTexts(alice), ['new phone']);
      assert.equal((await alice.stores.contacts.get('bob'))?.address, newBob.address);
    });

    it('rejecting it forgets what the new identity sent, and refuses it from then on', async () => {
      await alice.parts.book.rejectKey('bob');
      assert.deepEqual(alice.parts.messages.history('bob', 10), []);
      assert.equal((await alice.stores.messages.list()).filter(([, r]) => r.record.content.text === 'new phone').length, 0);
      await newBob.parts.outbox.send('alice', { kind: 'text', text: 'please' });
      await deliver(await drain(newBob), alice);
      assert.equal(alice.parts.counters.rejected['rejected-key'], 1);
      assert.deepEqual(shownTexts(alice), []);
    });
  });
});

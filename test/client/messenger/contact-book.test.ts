// The contact book over in-memory stores: who sent an envelope (a contact,
// a contact's pending new key, a rejected key, a stranger within the policy),
// and a stranger's request becoming a contact.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { deliver, drain, memoryUser, shownTexts, type MemoryUser } from './memory-user.js';

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
    assert.equal(bob.parts.book.requests().length, 1);
    const stored = await bob.stores.messages.list();
    assert.equal(stored.length, 1);
    assert.ok(stored[0][1].record.contact.startsWith('?') && stored[0][1].held, "a stranger's row is stored under its request, held");

    await bob.parts.book.add('carol', carol.address);
    assert.deepEqual(shownTexts(bob), ['hi, it is Carol']);
    assert.equal((await bob.stores.messages.list())[0][1].record.contact, 'carol', 'the stored row is now the contact’s');
    assert.equal(bob.parts.book.requests().length, 0);
  });
});

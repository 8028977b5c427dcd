// The contact book over in-memory stores: who sent an envelope (a contact,
// a contact's pending new key, a rejected key, a stranger within the policy),
// a stranger's request becoming a contact, and changes to a contact made
// while another change's commit is in flight.

import assert from 'node:assert/strict';
import type { ContactRecord } from '../../../client/state.js';
import { toHex } from '../../../protocol/bytes.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { aliceAndBob, deliver, drain, memoryUser, shownTexts, type MemoryUser } from './memory-user.js';

/**
 * Makes `u`'s commits take a turn of the event loop, applied in the order
 * issued, as the sealed store's do (client/store/sealed-store.ts): what runs
 * meanwhile (an envelope received, another call) sees the change staged but
 * not yet stored.
 */
function commitsInFlight(u: MemoryUser): void {
  const begin = u.stores.begin.bind(u.stores);
  u.stores.begin = () => {
    const work = begin();
    const commit = work.commit.bind(work);
    work.commit = (opts) => new Promise((resolve) => setImmediate(resolve)).then(() => commit(opts));
    return work;
  };
}

/**
 * Runs `change` on `to` while a new card of `from` (delivery id `d`) arrives,
 * `to`'s commits in flight; returns `to`'s record of `name` in memory and in
 * the store once both are done.
 */
async function cardDuring(to: MemoryUser, from: MemoryUser, d: Uint8Array, name: string, change: () => Promise<unknown>): Promise<Array<ContactRecord | undefined>> {
  await from.parts.outbox.announceDeliveryId(d);
  const cards = await drain(from);
  commitsInFlight(to);
  const changing = change();
  await deliver(cards, to);
  await changing;
  return [to.parts.contacts.get(name), await to.stores.contacts.get(name)];
}

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
    // Changed in memory (the units of work are never committed).
    bob.parts.contacts.update(bob.stores.begin(), 'carol', () => ({ keyChanged: true, pendingAddress: mallory.address, pendingIdentity: malloryId }));
    assert.deepEqual(book.resolveSender(bob.stores.begin(), firstSession(mallory, bob).session, true, clock.now()), { accepted: true, sender: { kind: 'key-changed', name: 'carol' } });
    bob.parts.contacts.update(bob.stores.begin(), 'carol', () => ({ ...c, rejectedIdentities: [malloryId] }));
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

    /** Bob's records at alice, in memory and in the store: `cardFrom`'s identity, no key change pending, and its card's delivery id `d`. */
    async function settledWithCard(cardFrom: MemoryUser, d: Uint8Array, decide: () => Promise<unknown>): Promise<void> {
      for (const c of await cardDuring(alice, cardFrom, d, 'bob', decide)) {
        assert.equal(c?.identity, toHex(cardFrom.ownAddress.identityKey));
        assert.equal(c?.keyChanged, false);
        assert.equal(c?.deliveryId, toHex(d), "the card's delivery id, in memory and in the store");
      }
    }

    it("accepting it keeps the new identity's card taken while the acceptance is being written", async () => {
      await settledWithCard(newBob, new Uint8Array(32).fill(0xd2), () => alice.parts.book.acceptKey('bob'));
    });

    it("rejecting it keeps the contact's own card taken while the rejection is being written", async () => {
      await settledWithCard(oldBob, new Uint8Array(32).fill(0xd3), () => alice.parts.book.rejectKey('bob'));
    });
  });

  describe('a change while another change of the same contact is being written', () => {
    let alice: MemoryUser;
    let bob: MemoryUser;

    beforeEach(async () => {
      [alice, bob] = await aliceAndBob(clock, true);
    });
    afterEach(() => [alice, bob].forEach((u) => u.parts.inbox.stop()));

    it('marking a contact verified keeps a send and a card of theirs that came meanwhile', async () => {
      const d = new Uint8Array(32).fill(0xd1);
      const seq = alice.parts.contacts.require('bob').nextSeq;
      const verifyAndSend = () => Promise.all([alice.parts.book.markVerified('bob', true), alice.parts.outbox.send('bob', { kind: 'text', text: 'while verifying' })]);
      for (const c of await cardDuring(alice, bob, d, 'bob', verifyAndSend)) {
        assert.equal(c?.verified, true);
        assert.equal(c?.nextSeq, seq + 1n, 'the send took a sequence number');
        assert.equal(c?.deliveryId, toHex(d), "the card's delivery id");
      }
    });

    it('removing a contact is not undone by a card of theirs that came meanwhile', async () => {
      const records = await cardDuring(alice, bob, new Uint8Array(32).fill(0xd4), 'bob', () => alice.parts.book.remove('bob'));
      assert.deepEqual(records, [undefined, undefined], 'gone from memory and from the store');
    });
  });
});

// The outbox over in-memory stores: a message is stored with its fragments
// in one unit of work, moves queued → sent → delivered with the ARQ's
// callbacks, fails whole, and is re-queued in order after a restart; each
// fragment is queued with its place in the send order.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../protocol/bytes.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { aliceAndBob, deliver, memoryUser, shownTexts, type MemoryUser } from './memory-user.js';

const states = (u: MemoryUser): string[] => u.events.flatMap((e) => (e.type === 'state' ? [e.message.state] : []));

describe('client/messenger/outbox', () => {
  const clock = new ManualClock(1_800_000_000_000);
  let alice: MemoryUser;
  let bob: MemoryUser;

  // Alice's card to Bob, queued with the contact, is sent out of the way.
  beforeEach(async () => ([alice, bob] = await aliceAndBob(clock, false)));
  afterEach(() => [alice, bob].forEach((u) => u.parts.inbox.stop()));

  it('stores a message with every fragment before it is queued, and follows it to delivered', async () => {
    const record = await alice.parts.outbox.send('bob', { kind: 'file', name: 'f.bin', data: new Uint8Array(5000).fill(7) });
    const entries = await alice.stores.outbox.list();
    assert.equal(entries.length, record.fragments);
    assert.ok(record.fragments > 1);
    assert.deepEqual(
      alice.queue.map((q) => q.key),
      entries.map(([key]) => key).sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1])),
    );
    assert.equal((await alice.stores.files.get(record.id))?.length, 5000);
    assert.equal((await alice.stores.contacts.get('bob'))?.nextSeq, 1n, 'the next sequence number is in the same unit of work');

    const prepared = [];
    for (let p = await alice.parts.outbox.prepareNext(); p; p = await alice.parts.outbox.prepareNext()) prepared.push(p);
    assert.equal((await alice.stores.sessions.list()).length, 1, 'the session state is stored before the envelope leaves');
    for (const p of prepared) alice.parts.outbox.fragmentSent(p.key, 1);
    await Promise.resolve();
    for (const p of prepared) await alice.parts.outbox.fragmentAcked(p.key);
    assert.deepEqual(states(alice), ['sent', 'delivered']);
    assert.equal(alice.parts.outbox.size, 0);
    assert.deepEqual(await alice.stores.outbox.list(), []);
    assert.equal((await alice.stores.messages.get(record.id))?.record.state, 'delivered');
  });

  it('seals up to n queued fragments with one synced write, in queue order; the recipient opens them all', async () => {
    const [alice, bob] = await aliceAndBob(clock, true);
    try {
      for (const text of ['one', 'two', 'three', 'four', 'five', 'six']) await alice.parts.outbox.send('bob', { kind: 'text', text });
      const commits: Array<{ length: number; sync: boolean }> = [];
      const begin = alice.stores.begin;
      alice.stores.begin = () => {
        const work = begin();
        const commit = work.commit.bind(work);
        work.commit = (opts) => (commits.push({ length: work.length, sync: opts?.sync ?? false }), commit(opts));
        return work;
      };
      const queued = alice.queue.map((q) => q.key);
      const first = await alice.parts.outbox.prepareUpTo(4);
      assert.deepEqual(
        first.map((p) => p.key),
        queued.slice(0, 4),
      );
      assert.equal(commits.length, 1, 'one write for four envelopes');
      assert.equal(commits[0].sync, true);
      const rest = await alice.parts.outbox.prepareUpTo(4);
      assert.deepEqual(
        rest.map((p) => p.key),
        queued.slice(4),
      );
      assert.deepEqual(await alice.parts.outbox.prepareUpTo(4), [], 'nothing queued: nothing sealed, nothing written');
      assert.equal(commits.length, 2);
      await assert.rejects(alice.parts.outbox.prepareUpTo(0), RangeError);
      // Calls that cross take turns: each fragment is sealed once.
      await alice.parts.outbox.send('bob', { kind: 'text', text: 'seven' });
      await alice.parts.outbox.send('bob', { kind: 'text', text: 'eight' });
      const crossing = await Promise.all([alice.parts.outbox.prepareUpTo(1), alice.parts.outbox.prepareNext()]);
      assert.notEqual(crossing[0][0].key, crossing[1]!.key);
      await deliver(
        [...first, ...rest, crossing[0][0], crossing[1]!].map((p) => p.envelope),
        bob,
      );
      assert.deepEqual(shownTexts(bob), ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);
    } finally {
      [alice, bob].forEach((u) => u.parts.inbox.stop());
    }
  });

  it('fails a whole message when one fragment is given up, and takes its other fragments out of the queue', async () => {
    const record = await alice.parts.outbox.send('bob', { kind: 'file', name: 'f.bin', data: new Uint8Array(5000) });
    const first = alice.queue[0].key;
    await alice.parts.outbox.fragmentFailed(first, 3);
    assert.deepEqual(alice.queue, []);
    assert.deepEqual(await alice.stores.outbox.list(), []);
    const row = await alice.stores.messages.get(record.id);
    assert.equal(row?.record.state, 'failed');
    assert.match(row?.record.error ?? '', /not acknowledged after 3 transmissions/);
    assert.equal(alice.parts.messages.failedCount(), 1);
  });

  it('re-queues what is undelivered after a restart, oldest message first, with the transmissions it had', async () => {
    await alice.parts.outbox.send('bob', { kind: 'text', text: 'one' });
    clock.advance(1000);
    await alice.parts.outbox.send('bob', { kind: 'text', text: 'two' });
    const p = (await alice.parts.outbox.prepareNext())!;
    alice.parts.outbox.fragmentSent(p.key, 2);
    await Promise.resolve();
    const restarted = await memoryUser(clock, 0x10, alice);
    assert.equal(restarted.parts.outbox.size, 2);
    assert.deepEqual(
      restarted.queue.map((q) => q.attempts),
      [2, 0],
      'the first message first, with its transmission count',
    );
    restarted.parts.inbox.stop();
  });

  it('queues each fragment with its place in the send order: the recipient as the flow, its message and how many fragments that has', async () => {
    const bobFlow = toHex(bob.ownAddress.identityKey);
    const file = await alice.parts.outbox.send('bob', { kind: 'file', name: 'f.bin', data: new Uint8Array(5000) });
    const text = await alice.parts.outbox.send('bob', { kind: 'text', text: 'hi' });
    // To bob by his address (a group's member): his flow too, one peer as his receiver counts them.
    const group = alice.parts.outbox.groupEntries(bob.address, [new Uint8Array(10), new Uint8Array(10)]);
    alice.parts.outbox.queue(group);
    // Receipts for many messages take several frames, each whole on its own.
    const receipts = alice.parts.outbox.receiptEntries(
      'bob',
      Array.from({ length: 300 }, () => toHex(randomBytes(16))),
    );
    assert.ok(receipts.length > 1, `${receipts.length} receipt frames`);
    alice.parts.outbox.queue(receipts);
    const placed = (id: string) => alice.queue.filter((q) => q.key.startsWith(`${id}:`)).map((q) => q.fragment);
    const groupId = group[0][1].messageId;
    const receiptId = receipts[0][1].messageId;
    assert.deepEqual(placed(file.id), Array(file.fragments).fill({ flow: bobFlow, message: file.id, fragments: file.fragments }));
    assert.deepEqual(placed(text.id), [{ flow: bobFlow, message: text.id, fragments: 1 }]);
    assert.deepEqual(placed(groupId), Array(2).fill({ flow: bobFlow, message: groupId, fragments: 2 }));
    assert.deepEqual(placed(receiptId), Array(receipts.length).fill({ flow: bobFlow, message: receiptId, fragments: 1 }));

    // After a restart: the fragments still to be acknowledged.
    for (const key of alice.queue
      .filter((q) => q.key.startsWith(`${file.id}:`))
      .slice(0, 3)
      .map((q) => q.key)) {
      alice.parts.outbox.fragmentSent(key, 1);
      await alice.parts.outbox.fragmentAcked(key);
    }
    const restarted = await memoryUser(clock, 0x10, alice);
    const rest = restarted.queue.filter((q) => q.key.startsWith(`${file.id}:`)).map((q) => q.fragment);
    assert.deepEqual(rest, Array(file.fragments - 3).fill({ flow: bobFlow, message: file.id, fragments: file.fragments - 3 }));
    restarted.parts.inbox.stop();
  });
});

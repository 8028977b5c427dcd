// The inbox over in-memory stores: messages shown once and in their
// conversation's order, a gap given up after the hold time on a manual
// clock, and reading a conversation queuing read receipts back.

import assert from 'node:assert/strict';
import { ManualClock } from '../../helpers/manual-clock.js';
import { aliceAndBob, deliver, drain, HOLD_MS, shownTexts, type MemoryUser } from './memory-user.js';

describe('client/messenger/inbox', () => {
  const clock = new ManualClock(1_800_000_000_000);
  let alice: MemoryUser;
  let bob: MemoryUser;

  beforeEach(async () => ([alice, bob] = await aliceAndBob(clock, true)));
  afterEach(() => [alice, bob].forEach((u) => u.parts.inbox.stop()));

  it('shows messages in order whatever order they arrive in, and a duplicate once', async () => {
    for (const text of ['one', 'two', 'three']) await alice.parts.outbox.send('bob', { kind: 'text', text });
    const [one, two, three] = await drain(alice);
    await deliver([three, two], bob);
    assert.deepEqual(shownTexts(bob), [], 'waiting for the first');
    await deliver([one, one], bob);
    assert.deepEqual(shownTexts(bob), ['one', 'two', 'three']);
    assert.equal(bob.parts.counters.rejected.replay, 1);
    assert.deepEqual(
      bob.parts.messages.history('alice', 10).map((m) => m.content.text),
      ['one', 'two', 'three'],
    );
  });

  it('stages the next envelope while the one before is being written, and shows each only once its write is done', async () => {
    for (const text of ['one', 'two', 'three']) await alice.parts.outbox.send('bob', { kind: 'text', text });
    const envelopes = await drain(alice);
    const held: Array<() => void> = [];
    const begin = bob.stores.begin;
    bob.stores.begin = () => {
      const work = begin();
      const commit = work.commit.bind(work);
      // A slow disk: each write waits until the test lets it through.
      work.commit = (opts) => new Promise<void>((resolve) => held.push(resolve)).then(() => commit(opts));
      return work;
    };
    const received = envelopes.map((e) => bob.parts.inbox.receive(e));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(held.length, 3, 'the three writes were issued while none had finished');
    assert.deepEqual(shownTexts(bob), [], 'nothing shown before it is stored');
    held.shift()!();
    await received[0];
    assert.deepEqual(shownTexts(bob), ['one']);
    for (const release of held) release();
    await Promise.all(received);
    assert.deepEqual(shownTexts(bob), ['one', 'two', 'three']);
    assert.deepEqual(
      (await bob.stores.messages.list())
        .filter(([, m]) => m.record.direction === 'in')
        .map(([, m]) => m.record.content.text)
        .sort(),
      ['one', 'three', 'two'],
    );
  });

  it('gives up on a gap after the hold time and shows what waited behind it', async () => {
    for (const text of ['lost', 'late']) await alice.parts.outbox.send('bob', { kind: 'text', text });
    const [, late] = await drain(alice);
    await deliver([late], bob);
    assert.deepEqual(shownTexts(bob), []);
    // The release timer re-arms once a release is written: step the clock, letting each one finish.
    for (let waited = 0; waited <= HOLD_MS + 10_000; waited += 5_000) {
      clock.advance(5_000);
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(shownTexts(bob), ['late']);
    assert.equal((await bob.stores.messages.list()).find(([, r]) => r.record.content.text === 'late')?.[1].hidden, false, 'shown is stored');
  });

  it('marks a conversation read and sends read receipts that mark the sender’s message read', async () => {
    await alice.parts.outbox.send('bob', { kind: 'text', text: 'hello' });
    await deliver(await drain(alice), bob);
    assert.equal(await bob.parts.inbox.markRead('alice'), 1);
    assert.equal(bob.parts.outbox.size, 1, 'one receipt queued');
    alice.events.length = 0;
    await deliver(await drain(bob), alice);
    assert.deepEqual(
      alice.events.flatMap((e) => (e.type === 'state' ? [e.message.state] : [])),
      ['read'],
    );
  });
});

// The inbox over in-memory stores: a complete message shown at once whatever
// its place in the conversation, the history in the conversation's order, a
// duplicate shown once, a gap reported after the hold time on a manual
// clock, a profile written by the version that held messages back, and
// reading a conversation queuing read receipts back.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { aliceAndBob, deliver, drain, HOLD_MS, memoryUser, shownTexts, type MemoryUser } from './memory-user.js';

describe('client/messenger/inbox', () => {
  const clock = new ManualClock(1_800_000_000_000);
  let alice: MemoryUser;
  let bob: MemoryUser;

  beforeEach(async () => ([alice, bob] = await aliceAndBob(clock, true)));
  afterEach(() => [alice, bob].forEach((u) => u.parts.inbox.stop()));

  const history = (u: MemoryUser) => u.parts.messages.history('alice', 10).map((m) => m.content.text ?? m.content.file?.name);
  /** Runs the release timer past `ms`; it re-arms once a release is written, so each step lets one finish. */
  async function wait(ms: number): Promise<void> {
    for (let waited = 0; waited < ms; waited += 5_000) {
      clock.advance(5_000);
      await new Promise((r) => setImmediate(r));
    }
  }

  it('shows each message at once whatever order they arrive in, the history in the order sent, and a duplicate once', async () => {
    for (const text of ['one', 'two', 'three']) await alice.parts.outbox.send('bob', { kind: 'text', text });
    const [one, two, three] = await drain(alice);
    await deliver([three], bob);
    assert.deepEqual(shownTexts(bob), ['three'], 'shown past the gap');
    assert.deepEqual(history(bob), ['three']);
    await deliver([two], bob);
    assert.deepEqual(shownTexts(bob), ['three', 'two']);
    assert.deepEqual(history(bob), ['two', 'three'], 'the late one takes its place by seq');
    await deliver([one, one], bob);
    assert.deepEqual(shownTexts(bob), ['three', 'two', 'one']);
    assert.equal(bob.parts.counters.rejected.replay, 1);
    assert.deepEqual(history(bob), ['one', 'two', 'three']);
    assert.equal((await bob.stores.messages.list()).filter(([, r]) => r.record.direction === 'in' && !r.hidden).length, 3, 'shown is stored');
    assert.deepEqual(
      bob.logs.filter((l) => l.level === 'warn'),
      [],
      'no gap reported',
    );
  });

  it('a text sent after a file is shown before the file has arrived; the history keeps the order sent', async () => {
    await alice.parts.outbox.send('bob', { kind: 'file', name: 'photo.bin', data: new Uint8Array(6_000).fill(7) });
    await alice.parts.outbox.send('bob', { kind: 'text', text: 'see the photo' });
    const envelopes = await drain(alice);
    assert.ok(envelopes.length >= 4, `the file takes several packets (${envelopes.length - 1})`);
    const text = envelopes.pop()!;
    await deliver([envelopes[0], text], bob);
    assert.deepEqual(shownTexts(bob), ['see the photo'], 'not held behind the file');
    assert.deepEqual(history(bob), ['see the photo']);
    await deliver(envelopes.slice(1), bob);
    assert.equal(bob.events.filter((e) => e.type === 'message').length, 2);
    assert.deepEqual(history(bob), ['photo.bin', 'see the photo']);
    const id = bob.parts.messages.history('alice', 10)[0].id;
    assert.deepEqual((await bob.parts.messages.fileData(id)).data, new Uint8Array(6_000).fill(7));
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

  it('reports a gap as never arrived once it has been open the hold time; a message of it that comes after all is still shown', async () => {
    for (const text of ['lost', 'later']) await alice.parts.outbox.send('bob', { kind: 'text', text });
    const [lost, later] = await drain(alice);
    await deliver([later], bob);
    assert.deepEqual(shownTexts(bob), ['later'], 'shown at once');
    const never = () => bob.logs.filter((l) => l.level === 'warn' && /never arrived/.test(l.msg));
    await wait(HOLD_MS - 5_000);
    assert.deepEqual(never(), [], 'not before the hold time');
    await wait(10_000);
    assert.deepEqual(
      never().map((l) => l.fields),
      [{ from: '0', to: '0' }],
    );
    const [[, stored]] = await bob.stores.inbound.list();
    assert.deepEqual(stored.order, { version: 2, next: '2', ahead: [], skipped: [['0', '0']] }, 'the gap given up is stored');
    await deliver([lost], bob);
    assert.deepEqual(shownTexts(bob), ['later', 'lost']);
    assert.deepEqual(history(bob), ['lost', 'later']);
    assert.equal(never().length, 1);
  });

  it('shows, when it loads, a message that a version 1 order state held back', async () => {
    for (const text of ['one', 'two', 'three']) await alice.parts.outbox.send('bob', { kind: 'text', text });
    const [one, two, three] = await drain(alice);
    await deliver([two, three], bob);
    // Make bob's profile what the version that held messages back wrote: two and three hidden, waiting for one in a version 1 state.
    const peer = toHex(alice.ownAddress.identityKey);
    const rows = new Map((await bob.stores.messages.list()).filter(([, r]) => r.record.direction === 'in').map(([id, r]) => [r.record.content.text, { id, row: r }]));
    const [[, inbound]] = await bob.stores.inbound.list();
    const arrived = clock.now() - 1_000;
    const work = bob.stores.begin();
    bob.stores.messages.put(work, rows.get('two')!.id, { ...rows.get('two')!.row, hidden: true });
    // Three is also held (as after a key change): it stays hidden until the user accepts.
    bob.stores.messages.put(work, rows.get('three')!.id, { ...rows.get('three')!.row, hidden: true, held: true });
    const waiting = [
      ['1', arrived, rows.get('two')!.id],
      ['2', arrived, rows.get('three')!.id],
    ];
    bob.stores.inbound.put(work, peer, { ...inbound, order: { version: 1, next: '0', waiting, skipped: [] } });
    await work.commit();

    bob = await memoryUser(clock, 0x20, bob);
    assert.deepEqual(history(bob), ['two'], 'shown on load; the held one stays hidden');
    const stored = new Map((await bob.stores.messages.list()).map(([, r]) => [r.record.content.text, r]));
    assert.equal(stored.get('two')?.hidden, false, 'shown is stored');
    assert.equal(stored.get('three')?.hidden, true);
    const [[, upgraded]] = await bob.stores.inbound.list();
    assert.deepEqual(
      upgraded.order,
      {
        version: 2,
        next: '0',
        ahead: [
          ['1', arrived],
          ['2', arrived],
        ],
        skipped: [],
      },
      'the state is stored as version 2',
    );
    await deliver([one], bob);
    assert.deepEqual(shownTexts(bob), ['one']);
    assert.deepEqual(history(bob), ['one', 'two']);
    // Loading again shows nothing twice and writes nothing.
    bob = await memoryUser(clock, 0x20, bob);
    assert.deepEqual(history(bob), ['one', 'two']);
    assert.deepEqual(
      bob.logs.map((l) => l.msg),
      [],
    );
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

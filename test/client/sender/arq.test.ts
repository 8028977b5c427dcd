import assert from 'node:assert/strict';
import { Arq } from '../../../client/sender/arq.js';
import type { QueuedFragment } from '../../../client/sender/send-order.js';
import { ManualClock } from '../../helpers/manual-clock.js';

function setup(maxAttempts = 3) {
  const clock = new ManualClock(0);
  const events: string[] = [];
  const arq = new Arq(
    { clock },
    {
      maxAttempts,
      onAcked: (k, i) => events.push(`acked ${k} after ${i.attempts} in ${i.rttMs}`),
      onGaveUp: (k, n) => events.push(`gave up ${k} after ${n}`),
      onTimeout: (k, n) => events.push(`timeout ${k} ${n}`),
    },
  );
  return { clock, arq, events };
}

const id = (n: number) => new Uint8Array(16).fill(n);
/** A one-fragment message of its own to `flow`. */
const single = (key: string, flow = 'bob'): QueuedFragment => ({ flow, message: key, fragments: 1 });

/** Queues a file of `n` fragments to `flow`; returns its keys. */
function queueFile(arq: Arq, message: string, n: number, flow = 'bob'): string[] {
  const keys = Array.from({ length: n }, (_, i) => `${message}:${i}`);
  for (const key of keys) arq.enqueue(key, { flow, message, fragments: n });
  return keys;
}

describe('client/sender/arq', () => {
  it('sends in order, confirms an ACK once, and reports the round trip', () => {
    const { clock, arq, events } = setup();
    arq.enqueue('a', single('a'));
    arq.enqueue('b', single('b'));
    arq.enqueue('a', single('a'));
    assert.equal(arq.next(), 'a');
    arq.sent('a', id(1), new Uint8Array(8).fill(9), 1000);
    clock.advanceTo(400);
    const found = arq.lookup(id(1))!;
    assert.equal(found.key, 'a');
    assert.deepEqual(found.surbKeys, new Uint8Array(8).fill(9));
    arq.confirm('a', id(1));
    assert.deepEqual(events, ['acked a after 1 in 400']);
    assert.equal(
      found.surbKeys.every((b) => b === 0),
      true,
      'SURB keys wiped once used',
    );
    assert.equal(arq.lookup(id(1)), undefined, 'a second ACK is unknown');
    assert.equal(arq.stats().unknownAcks, 1);
    clock.advanceTo(5000);
    assert.equal(arq.next(), 'b', 'no retransmission of an acknowledged fragment');
    assert.equal(arq.next(), undefined);
  });

  it('retransmits after the timeout, at the front, and gives up after maxAttempts', () => {
    const { clock, arq, events } = setup(2);
    arq.enqueue('a', single('a'));
    arq.enqueue('b', single('b'));
    arq.sent(arq.next()!, id(1), new Uint8Array(4), 1000);
    clock.advanceTo(1000);
    assert.deepEqual(events, ['timeout a 1']);
    assert.equal(arq.next(), 'a', 'the retransmission goes before newer fragments');
    arq.sent('a', id(2), new Uint8Array(4), 1000);
    clock.advanceTo(2000);
    assert.deepEqual(events, ['timeout a 1', 'gave up a after 2']);
    assert.equal(arq.has('a'), false);
    assert.equal(arq.next(), 'b');
    assert.deepEqual({ t: arq.stats().transmissions, r: arq.stats().retransmissions, g: arq.stats().gaveUp }, { t: 2, r: 1, g: 1 });
  });

  it('with a retry window, keeps retransmitting past maxAttempts until the window since the first transmission closes', () => {
    const clock = new ManualClock(0);
    const gaveUp: number[] = [];
    const arq = new Arq({ clock }, { maxAttempts: 2, minRetryWindowMs: 10_000, onGaveUp: (_, n) => gaveUp.push(n) });
    arq.enqueue('a', single('a'), 5);
    for (let i = 0; i < 20 && arq.has('a'); i++) {
      assert.equal(arq.next(), 'a');
      arq.sent('a', id(i), new Uint8Array(4), 3000);
      clock.advanceTo(clock.now() + 3000);
    }
    assert.deepEqual(gaveUp, [9], 'attempts carried over (5) + four transmissions in the 10 s window (0, 3, 6, 9 s)');
  });

  it('a late ACK of an earlier transmission still confirms delivery', () => {
    const { clock, arq, events } = setup(5);
    arq.enqueue('a', single('a'));
    arq.sent(arq.next()!, id(1), new Uint8Array(4), 1000);
    clock.advanceTo(1500);
    arq.sent(arq.next()!, id(2), new Uint8Array(4), 1000);
    const late = arq.lookup(id(1))!;
    arq.confirm(late.key, id(1));
    assert.equal(events.at(-1), 'acked a after 2 in 1500');
    clock.advanceTo(10_000);
    assert.equal(arq.next(), undefined, 'no further retransmission');
    assert.equal(arq.lookup(id(2)), undefined);
  });

  it('a fragment the link could not take goes back to the front without using an attempt', () => {
    const { arq } = setup(1);
    arq.enqueue('a', single('a'));
    arq.enqueue('b', single('b'));
    const k = arq.next()!;
    arq.unsent(k);
    assert.equal(arq.next(), 'a');
    arq.sent('a', id(1), new Uint8Array(4), 1000);
    assert.equal(arq.stats().transmissions, 1);
  });

  it('stop() cancels every timeout, and a transmission after it arms none', async () => {
    const { clock, arq, events } = setup(1);
    arq.enqueue('a', single('a'));
    arq.enqueue('b', single('b'));
    arq.sent(arq.next()!, id(1), new Uint8Array(4), 1000);
    await arq.stop();
    arq.sent(arq.next()!, id(2), new Uint8Array(4), 1000);
    assert.equal(clock.pending, 0, 'no timer left on the clock');
    clock.advanceTo(10_000);
    assert.deepEqual(events, [], 'no timeout, no give-up');
    assert.deepEqual([arq.has('a'), arq.has('b')], [true, true], 'still to be delivered (the store keeps them)');
  });

  it('a text queued after a 100-fragment file to the same contact is the next fragment; one to another contact within a turn', () => {
    const { arq } = setup();
    const file = queueFile(arq, 'file', 100);
    assert.deepEqual([arq.next(), arq.next()], [file[0], file[1]]);
    arq.enqueue('text', single('text'));
    assert.equal(arq.next(), 'text');
    arq.enqueue('to carol', single('to carol', 'carol'));
    assert.deepEqual([arq.next(), arq.next()], [file[2], 'to carol']);
    assert.equal(arq.stats().queued, 97);
  });

  it('a timed-out fragment goes before everything else waiting, and delays only its own message', () => {
    const { clock, arq } = setup();
    const file = queueFile(arq, 'file', 100);
    arq.sent(arq.next()!, id(1), new Uint8Array(4), 1000);
    arq.enqueue('text', single('text'));
    arq.enqueue('to carol', single('to carol', 'carol'));
    clock.advanceTo(1000);
    assert.equal(arq.stats().queued, 102, 'the timed-out fragment waits again, counted once');
    assert.equal(arq.next(), file[0], 'the retransmission before the text and carol');
    assert.deepEqual([arq.next(), arq.next(), arq.next()], ['text', 'to carol', file[1]]);
  });

  it('removes a fragment from the middle of the queue, and counts what waits', () => {
    const { arq } = setup();
    const file = queueFile(arq, 'file', 10);
    for (const key of file.slice(3, 8)) arq.remove(key);
    assert.equal(arq.stats().queued, 5);
    const sent = [];
    for (let key = arq.next(); key !== undefined; key = arq.next()) sent.push(key);
    assert.deepEqual(sent, [...file.slice(0, 3), ...file.slice(8)]);
  });
});

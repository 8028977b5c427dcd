import assert from 'node:assert/strict';
import { KeyQueue } from '../../../client/sender/key-queue.js';

/** Empties the queue front to back. */
function drain<K>(q: KeyQueue<K>): K[] {
  const out: K[] = [];
  for (let k = q.shift(); k !== undefined; k = q.shift()) out.push(k);
  return out;
}

describe('client/sender/key-queue', () => {
  it('pushes at the back, unshifts at the front, shifts from the front; a queued key is not added twice', () => {
    const q = new KeyQueue<string>();
    assert.equal(q.first(), undefined);
    assert.equal(q.shift(), undefined);
    assert.equal(q.push('b'), true);
    assert.equal(q.push('c'), true);
    assert.equal(q.unshift('a'), true);
    assert.equal(q.push('a'), false);
    assert.equal(q.unshift('c'), false);
    assert.deepEqual([q.size, q.first(), q.has('b'), q.has('z')], [3, 'a', true, false]);
    assert.deepEqual(drain(q), ['a', 'b', 'c']);
    assert.equal(q.size, 0);
  });

  it('deletes from the front, the middle and the back, and stays linked', () => {
    const q = new KeyQueue<number>();
    for (let i = 0; i < 6; i++) q.push(i);
    assert.equal(q.delete(0), true);
    assert.equal(q.delete(3), true);
    assert.equal(q.delete(5), true);
    assert.equal(q.delete(5), false);
    q.push(6);
    q.unshift(7);
    assert.deepEqual(drain(q), [7, 1, 2, 4, 6]);
    q.push(1);
    assert.equal(q.delete(1), true, 'the only key');
    assert.deepEqual([q.size, q.first()], [0, undefined]);
    q.push(2);
    assert.deepEqual(drain(q), [2], 'usable again once emptied');
  });
});

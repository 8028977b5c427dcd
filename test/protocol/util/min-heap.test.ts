import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MinHeap } from '../../../protocol/util/min-heap.js';

describe('MinHeap', function () {
  it('pops in key order, ties first-in first-out (against a stable sort)', function () {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 300 }), (keys) => {
        const heap = new MinHeap<number>();
        keys.forEach((k, i) => heap.push(k, i));
        const expected = keys
          .map((k, i) => ({ k, i }))
          .sort((a, b) => a.k - b.k || a.i - b.i)
          .map((e) => e.i);
        const got: number[] = [];
        while (heap.size > 0) got.push(heap.pop()!);
        assert.deepEqual(got, expected);
        assert.equal(heap.pop(), undefined);
      }),
    );
  });

  it('interleaves pushes and pops', function () {
    const heap = new MinHeap<string>();
    heap.push(5, 'e');
    heap.push(1, 'a');
    assert.equal(heap.peekKey(), 1);
    assert.equal(heap.pop(), 'a');
    heap.push(3, 'c');
    heap.push(3, 'c2');
    assert.deepEqual([heap.pop(), heap.pop(), heap.pop()], ['c', 'c2', 'e']);
    assert.throws(() => heap.push(Number.NaN, 'x'), RangeError);
  });

  it('clear empties it and returns what was held', function () {
    const heap = new MinHeap<number>();
    [3, 1, 2].forEach((k) => heap.push(k, k));
    assert.deepEqual(heap.clear().sort(), [1, 2, 3]);
    assert.equal(heap.size, 0);
  });
});

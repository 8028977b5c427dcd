// The one quantile definition (Hyndman & Fan type 7), against values R's
// quantile(x, type = 7) and NumPy's quantile(x, method="linear") give.

import assert from 'node:assert/strict';
import { median, quantile, sortedQuantile } from '../../../protocol/stats/quantile.js';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('quantile (Hyndman & Fan type 7)', function () {
  it('matches R and NumPy on 1 … 10', function () {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    // R: quantile(1:10, c(0, .1, .25, .5, .9, .99, 1)) = 1, 1.9, 3.25, 5.5, 9.1, 9.91, 10
    const expected: Array<[number, number]> = [
      [0, 1],
      [0.1, 1.9],
      [0.25, 3.25],
      [0.5, 5.5],
      [0.9, 9.1],
      [0.99, 9.91],
      [1, 10],
    ];
    for (const [q, v] of expected) close(sortedQuantile(x, q), v);
  });

  it('matches R on an unsorted sample with ties', function () {
    const x = [15, 20, 35, 40, 50, 20, 7];
    // R: quantile(c(15, 20, 35, 40, 50, 20, 7), c(.1, .5, .9)) = 11.8, 20, 44
    close(quantile(x, 0.1), 11.8);
    close(quantile(x, 0.5), 20);
    close(quantile(x, 0.9), 44);
    assert.deepEqual(x, [15, 20, 35, 40, 50, 20, 7], 'the input is not sorted in place');
  });

  it('one value is every quantile; no values give NaN', function () {
    for (const q of [0, 0.5, 1]) assert.equal(quantile([42], q), 42);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it('the median averages the two middle values of an even count', function () {
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([3, 1, 2]), 2);
  });

  it('sorts numerically, not as strings', function () {
    assert.equal(quantile([10, 9, 100], 0), 9);
  });

  it('refuses q outside [0, 1]', function () {
    for (const q of [-0.1, 1.1, Number.NaN]) assert.throws(() => quantile([1, 2], q), RangeError);
  });
});

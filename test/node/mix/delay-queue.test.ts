import assert from 'node:assert/strict';
import { systemClock } from '../../../runtime/clock.js';
import { DelayQueue } from '../../../node/mix/delay-queue.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('mix delay queue', function () {
  it('releases each item when its delay has passed, in release order', function () {
    const clock = new ManualClock(1000);
    const out: Array<[string, number]> = [];
    const q = new DelayQueue<string>(10, clock, (item) => out.push([item, clock.now()]));
    q.push('slow', 500);
    q.push('fast', 100);
    q.push('now', 0);
    q.push('mid', 300);
    clock.advanceTo(1099);
    assert.deepEqual(out, [['now', 1000]]);
    clock.advanceTo(2000);
    assert.deepEqual(out, [
      ['now', 1000],
      ['fast', 1100],
      ['mid', 1300],
      ['slow', 1500],
    ]);
    assert.equal(q.size, 0);
  });

  it('is bounded: a full queue refuses and counts, then accepts again once items leave', function () {
    const clock = new ManualClock();
    const released: number[] = [];
    const q = new DelayQueue<number>(3, clock, (i) => released.push(i));
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((i) => q.push(i, 10 * i)),
      ['held', 'held', 'held', 'full', 'full'],
    );
    assert.equal(q.refused, 2);
    assert.equal(q.size, 3);
    clock.advanceTo(10);
    assert.equal(q.push(6, 5), 'held');
    clock.advanceTo(100);
    assert.deepEqual(released, [1, 6, 2, 3]);
  });

  it('stop() cancels the timer and hands back what was held; later pushes are refused as stopped, not counted as full', function () {
    const clock = new ManualClock();
    const released: number[] = [];
    const q = new DelayQueue<number>(10, clock, (i) => released.push(i));
    q.push(1, 10);
    q.push(2, 20);
    assert.deepEqual(q.stop().sort(), [1, 2]);
    clock.advanceTo(100);
    assert.deepEqual(released, []);
    assert.equal(q.push(3, 0), 'stopped');
    assert.equal(q.refused, 0);
  });

  it('works on the wall clock', async function () {
    const released: string[] = [];
    const q = new DelayQueue<string>(10, systemClock, (i) => released.push(i));
    q.push('b', 40);
    q.push('a', 10);
    q.push('c', 70);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(released, ['a', 'b', 'c']);
  });
});

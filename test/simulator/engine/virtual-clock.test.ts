import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DelayQueue } from '../../../node/mix/delay-queue.js';
import { PoissonSchedule } from '../../../protocol/traffic/exponential.js';
import { EventQueue } from '../../../simulator/engine/event-queue.js';
import { VirtualClock, VirtualClockError } from '../../../simulator/engine/virtual-clock.js';
import { seededUniform } from '../../../simulator/random.js';

describe('simulator engine: event queue', function () {
  it('pops in time order, ties first-in first-out (against a stable sort), skipping cancelled events', function () {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.boolean()), { maxLength: 400 }), (spec) => {
        const q = new EventQueue();
        const ran: number[] = [];
        const events = spec.map(([t], i) => q.push(t, () => ran.push(i)));
        spec.forEach(([, cancel], i) => cancel && events[i].cancel());
        const expected = spec
          .map(([t, cancel], i) => ({ t, cancel, i }))
          .filter((e) => !e.cancel)
          .sort((a, b) => a.t - b.t || a.i - b.i)
          .map((e) => e.i);
        assert.equal(q.size, expected.length);
        for (let e = q.pop(); e; e = q.pop()) e.take()!();
        assert.deepEqual(ran, expected);
        assert.equal(q.size, 0);
      }),
    );
  });

  it('compacts when most queued events are cancelled, keeping order and the live count', function () {
    const q = new EventQueue();
    const ran: number[] = [];
    const events = Array.from({ length: 10_000 }, (_, i) => q.push(i % 97, () => ran.push(i)));
    // Cancel 90 %: past the compaction threshold several times over.
    events.forEach((e, i) => i % 10 !== 0 && e.cancel());
    events[5].cancel(); // already cancelled: no double count
    assert.equal(q.size, 1000);
    assert.ok(q.storedEntries < 5000, `compacted: ${q.storedEntries} entries stored`);
    for (let e = q.pop(); e; e = q.pop()) e.take()!();
    const expected = events
      .map((_, i) => i)
      .filter((i) => i % 10 === 0)
      .sort((a, b) => (a % 97) - (b % 97) || a - b);
    assert.deepEqual(ran, expected);
  });

  it('refuses a NaN time', function () {
    assert.throws(() => new EventQueue().push(Number.NaN, () => undefined), RangeError);
  });
});

describe('simulator engine: virtual clock', function () {
  it('runs events in time order and leaves the clock at untilMs', function () {
    const clock = new VirtualClock(1000);
    const log: Array<[string, number]> = [];
    const note = (name: string) => () => log.push([name, clock.now()]);
    clock.at(1300, note('c'));
    clock.at(1100, note('a'));
    clock.after(200, note('b'));
    clock.at(2500, note('late'));
    assert.equal(clock.pending, 4);
    assert.equal(clock.nextEventTime(), 1100);
    assert.equal(clock.run(2000), 3);
    assert.deepEqual(log, [
      ['a', 1100],
      ['b', 1200],
      ['c', 1300],
    ]);
    assert.equal(clock.now(), 2000);
    assert.equal(clock.pending, 1);
    assert.equal(clock.eventsProcessed, 3);
  });

  it('runs same-time events in the order they were scheduled, and past events at now after them', function () {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.run(50);
    clock.at(50, () => order.push('at-now-1'));
    clock.at(10, () => order.push('past'));
    clock.at(50, () => order.push('at-now-2'));
    clock.at(-Infinity, () => order.push('far-past'));
    clock.run(50);
    assert.deepEqual(order, ['at-now-1', 'past', 'at-now-2', 'far-past']);
    assert.equal(clock.now(), 50);
  });

  it('cancelled events do not run; cancelling twice or after running is harmless', function () {
    const clock = new VirtualClock();
    const ran: string[] = [];
    const a = clock.at(10, () => ran.push('a'));
    const b = clock.at(20, () => ran.push('b'));
    a.cancel();
    a.cancel();
    assert.equal(clock.pending, 1);
    clock.run(100);
    b.cancel();
    assert.deepEqual(ran, ['b']);
    assert.equal(clock.eventsProcessed, 1);
  });

  it('is reentrant: events schedule and cancel events, which run in the same run() when due', function () {
    const clock = new VirtualClock();
    const log: string[] = [];
    let victim = clock.at(35, () => log.push('victim'));
    clock.at(10, () => {
      log.push(`outer@${clock.now()}`);
      clock.after(5, () => {
        log.push(`inner@${clock.now()}`);
        clock.after(0, () => log.push(`same-time@${clock.now()}`));
      });
      clock.at(0, () => log.push(`past@${clock.now()}`));
      victim.cancel();
      victim = clock.at(200, () => log.push('beyond'));
    });
    assert.equal(clock.run(100), 4);
    assert.deepEqual(log, ['outer@10', 'past@10', 'inner@15', 'same-time@15']);
    assert.equal(clock.pending, 1);
  });

  it('step() runs one event at a time; run() with maxEvents stops early', function () {
    const clock = new VirtualClock();
    for (let i = 1; i <= 5; i++) clock.at(i * 10, () => undefined);
    assert.equal(clock.step(), true);
    assert.equal(clock.now(), 10);
    assert.equal(clock.run(1000, 2), 2);
    assert.equal(clock.now(), 30, 'stopped early: the clock stays at the last event');
    assert.equal(clock.run(45, 1), 1);
    assert.equal(clock.now(), 45, 'nothing else was due by 45: the clock moves on to it');
    assert.equal(clock.run(Infinity), 1);
    assert.equal(clock.now(), 50, 'run(Infinity) ends at the last event');
    assert.equal(clock.step(), false);
    assert.equal(clock.eventsProcessed, 5);
  });

  it('a self-rescheduling process is bounded by untilMs', function () {
    const clock = new VirtualClock();
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      clock.after(100, tick);
    };
    clock.at(0, tick);
    clock.run(1000);
    assert.equal(ticks, 11); // t = 0, 100, …, 1000
    assert.equal(clock.now(), 1000);
  });

  it('refuses bad input and a run() from inside an event with clear errors', function () {
    const clock = new VirtualClock();
    assert.throws(() => clock.at(Number.NaN, () => undefined), RangeError);
    assert.throws(() => clock.at(Infinity, () => undefined), RangeError);
    assert.throws(() => clock.at(1, 'x' as unknown as () => void), TypeError);
    assert.throws(() => clock.run(Number.NaN), RangeError);
    assert.throws(() => new VirtualClock(Number.NaN), RangeError);
    let inner: unknown;
    clock.at(1, () => {
      try {
        clock.run(10);
      } catch (err) {
        inner = err;
      }
    });
    clock.run(5);
    assert.ok(inner instanceof VirtualClockError);
    // An event that throws propagates, and the clock stays usable.
    clock.at(6, () => {
      throw new Error('boom');
    });
    clock.at(7, () => undefined);
    assert.throws(() => clock.run(10), /boom/);
    assert.equal(clock.now(), 6);
    assert.equal(clock.run(10), 1);
  });

  it('is deterministic: the same seed gives the same event trace, another seed another', function () {
    const trace = (seed: number): string => {
      const uniform = seededUniform(seed);
      const clock = new VirtualClock();
      const out: string[] = [];
      for (let user = 0; user < 20; user++) {
        const schedule = new PoissonSchedule(2, uniform);
        const send = (): void => {
          out.push(`${user}@${clock.now().toFixed(6)}`);
          const handle = clock.at(schedule.next(clock.now()), send);
          if (uniform() < 0.05) handle.cancel(); // some users stop
        };
        clock.at(schedule.next(0), send);
      }
      clock.run(10_000);
      return out.join(',');
    };
    assert.equal(trace(4), trace(4));
    assert.notEqual(trace(4), trace(5));
  });

  it('drives the shipped mix delay queue in virtual time', function () {
    const clock = new VirtualClock(1_700_000_000_000);
    const released: Array<[number, number]> = [];
    const queue = new DelayQueue<number>(100, clock, (item) => released.push([item, clock.now() - 1_700_000_000_000]));
    const delays = [500, 100, 300, 100, 0];
    delays.forEach((d, i) => queue.push(i, d));
    clock.run(clock.now() + 1000);
    assert.deepEqual(released, [
      [4, 0],
      [1, 100],
      [3, 100],
      [2, 300],
      [0, 500],
    ]);
  });

  it('schedule(): handler events run in (time, order) with callback events, and cancel by id', function () {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean(), fc.boolean()), { maxLength: 300 }), (spec) => {
        const clock = new VirtualClock();
        const ran: number[] = [];
        const handler = { fire: (arg: number) => ran.push(arg) };
        const cancels = spec.map(([t, useHandler], i) => {
          if (useHandler) {
            const id = clock.schedule(t, handler, i);
            return () => clock.cancel(id);
          }
          const h = clock.at(t, () => ran.push(i));
          return () => h.cancel();
        });
        spec.forEach(([, , cancel], i) => cancel && cancels[i]());
        const expected = spec
          .map(([t, , cancel], i) => ({ t, cancel, i }))
          .filter((e) => !e.cancel)
          .sort((a, b) => a.t - b.t || a.i - b.i)
          .map((e) => e.i);
        assert.equal(clock.pending, expected.length);
        clock.run(Infinity);
        assert.deepEqual(ran, expected);
      }),
    );
  });

  it('a stale id never cancels the later event that reuses its record', function () {
    const clock = new VirtualClock();
    const ran: string[] = [];
    const handler = { fire: (arg: number) => ran.push(`h${arg}`) };
    const first = clock.schedule(1, handler, 1);
    clock.run(1);
    // The record of `first` is free again: the next event takes it.
    clock.schedule(2, handler, 2);
    const handle = clock.at(3, () => ran.push('c3'));
    clock.cancel(first);
    clock.cancel(first);
    clock.run(2);
    handle.cancel();
    clock.schedule(4, handler, 4);
    handle.cancel();
    clock.run(10);
    assert.deepEqual(ran, ['h1', 'h2', 'h4']);
    assert.equal(clock.pending, 0);
    assert.throws(() => clock.schedule(Number.NaN, handler, 0), RangeError);
    assert.throws(() => clock.schedule(Infinity, handler, 0), RangeError);
  });

  it('a handler event may schedule itself again at once (its record is recycled first)', function () {
    const clock = new VirtualClock();
    let fired = 0;
    const handler = {
      fire(arg: number): void {
        fired++;
        if (arg < 1000) clock.schedule(clock.now() + 1, handler, arg + 1);
      },
    };
    clock.schedule(0, handler, 0);
    assert.equal(clock.run(Infinity), 1001);
    assert.equal(fired, 1001);
    assert.equal(clock.now(), 1000);
  });

  it('smoke: one million events through the queue, in time order', function () {
    this.timeout(60_000);
    const clock = new VirtualClock();
    const uniform = seededUniform(1);
    let last = -1;
    let outOfOrder = 0;
    const fn = (): void => {
      const t = clock.now();
      if (t < last) outOfOrder++;
      last = t;
    };
    // Half scheduled up front, half by the events themselves.
    for (let i = 0; i < 500_000; i++) {
      clock.at(uniform() * 1e6, () => {
        fn();
        clock.after(uniform() * 1000, fn);
      });
    }
    const cancelled = clock.at(5e5, fn);
    cancelled.cancel();
    assert.equal(clock.run(Infinity), 1_000_000);
    assert.equal(outOfOrder, 0);
    assert.equal(clock.pending, 0);
  });
});

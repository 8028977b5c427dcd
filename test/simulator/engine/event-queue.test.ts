// The event queue at the sizes the simulator runs it (its levels, their
// overflow, the bottom heap's spill and compaction only come into play past
// a thousand or so queued events): every order must be (time, then
// insertion), checked against a plain binary heap on (time, sequence).

import assert from 'node:assert/strict';
import { EventQueue } from '../../../simulator/engine/event-queue.js';
import { seededUniform } from '../../../simulator/random.js';

/** The reference: a binary min-heap of [time, sequence]. */
class ReferenceHeap {
  readonly #a: Array<[number, number]> = [];

  get size(): number {
    return this.#a.length;
  }

  push(e: [number, number]): void {
    const a = this.#a;
    a.push(e);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): [number, number] {
    const a = this.#a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (l + 1 < a.length && before(a[l + 1], a[m])) m = l + 1;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

const before = (x: [number, number], y: [number, number]): boolean => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);

/** Time distributions, given the last time taken and a uniform: each stresses the levels another way. */
const DISTRIBUTIONS: Record<string, (now: number, u: () => number) => number> = {
  // The hold workload: exponential increments after now.
  exponential: (now, u) => now - Math.log(1 - u()) * 1000,
  // Few distinct times, most of them already past: ties everywhere, inserts before the current bucket.
  'few times, past and future': (now, u) => Math.floor(u() * 20),
  // A third at now exactly, the rest on a coarse grid: runs of equal times that no level can split.
  'ties at now': (now, u) => (u() < 0.3 ? now : now + Math.floor(u() * 5)),
  // Outliers far out and infinities on a narrow band: a level sized by the outliers, then finer ones inside.
  'outliers and infinities': (now, u) => {
    const x = u();
    return x < 0.01 ? 1e12 : x < 0.02 ? Infinity : x < 0.03 ? -Infinity : now + u() * 10;
  },
  // Times a few ulps apart beside a heavy tail: spans too narrow to divide.
  'subnormal spreads': (now, u) => (u() < 0.5 ? now + u() * 1e-300 : now + u() * u() * u() * 1e6),
  // Half on one time, the rest an ulp later or at +Infinity.
  'two adjacent times': (now, u) => {
    const x = u();
    return x < 0.5 ? 7 : x < 0.6 ? Infinity : 7 + 1e-12;
  },
  // A heavy tail, with some events scheduled before the last one taken.
  'heavy tail and the past': (now, u) => (u() < 0.1 ? now - u() * 100 : now + (-Math.log(1 - u())) ** 3 * 50),
};

describe('simulator engine: event queue at scale', function () {
  this.timeout(60_000);

  /** Three phases of n operations each, as the shares of [schedule, cancel] (the rest take the next event). */
  type Phases = Array<[number, number]>;
  // Grow the queue, hold it, then drain it.
  const GROW_HOLD_DRAIN: Phases = [
    [0.77, 0.13],
    [0.43, 0.07],
    [0.09, 0.01],
  ];
  // Grow, then cancel more than is scheduled or taken (as timers re-armed per packet): cancelled entries
  // come to outnumber live ones, so the queue compacts every level; then drain.
  const CANCEL_HEAVY: Phases = [
    [0.9, 0],
    [0.3, 0.65],
    [0.09, 0.01],
  ];
  const cases: Array<[string, (now: number, u: () => number) => number, Phases]> = [
    ...Object.entries(DISTRIBUTIONS).map(([name, time]): [string, (now: number, u: () => number) => number, Phases] => [name, time, GROW_HOLD_DRAIN]),
    ['exponential, mostly cancelled', DISTRIBUTIONS.exponential, CANCEL_HEAVY],
    ['few times, mostly cancelled', DISTRIBUTIONS['few times, past and future'], CANCEL_HEAVY],
  ];
  for (const [name, time, phases] of cases) {
    it(`runs events in (time, insertion) order with scheduling and cancelling between takes: ${name}`, function () {
      const u = seededUniform(name.length);
      const q = new EventQueue();
      const reference = new ReferenceHeap();
      const ids = new Map<number, number>();
      const cancelled = new Set<number>();
      /** The sequence numbers of the events queued and not cancelled or taken, and where each is in that list. */
      const pending: number[] = [];
      const where = new Map<number, number>();
      const unlist = (s: number): void => {
        const i = where.get(s)!;
        const last = pending.pop()!;
        if (last !== s) {
          pending[i] = last;
          where.set(last, i);
        }
        where.delete(s);
      };
      const fired: number[] = [];
      const handler = { fire: (seq: number): void => void fired.push(seq) };
      let seq = 0;
      let now = 0;
      let live = 0;
      let taken = 0;
      let maxStored = 0;
      let cancels = 0;
      let compactions = 0;
      const n = 20_000;
      for (let op = 0; op < 3 * n; op++) {
        const [schedule, cancel] = phases[Math.floor(op / n)];
        const x = u();
        if (live === 0 || x < schedule) {
          const t = time(now, u);
          ids.set(seq, q.schedule(t, handler, seq));
          reference.push([t, seq]);
          where.set(seq, pending.length);
          pending.push(seq);
          seq++;
          live++;
        } else if (x < schedule + cancel) {
          const s = pending[Math.floor(u() * pending.length)];
          const held = q.storedEntries;
          q.cancel(ids.get(s)!);
          // A cancel alone removes nothing, unless it sets off a compaction.
          if (q.storedEntries < held) compactions++;
          cancelled.add(s);
          unlist(s);
          cancels++;
          live--;
        } else {
          let want = reference.pop();
          while (cancelled.has(want[1])) want = reference.pop();
          const t = q.takeNext();
          q.fireTaken();
          const got = fired.pop();
          assert.equal(got, want[1], `take ${taken}: event ${got} at ${t}, expected event ${want[1]} at ${want[0]}`);
          assert.ok(Object.is(t, want[0]), `take ${taken}: time ${t}, expected ${want[0]}`);
          ids.delete(want[1]);
          unlist(want[1]);
          live--;
          taken++;
          if (Number.isFinite(t)) now = t;
        }
        assert.equal(q.size, live);
        maxStored = Math.max(maxStored, q.storedEntries - live);
      }
      for (let want = reference.size > 0 ? reference.pop() : undefined; want; want = reference.size > 0 ? reference.pop() : undefined) {
        if (cancelled.has(want[1])) continue;
        assert.ok(Object.is(q.takeNext(), want[0]));
        q.fireTaken();
        assert.equal(fired.pop(), want[1]);
      }
      assert.ok(Number.isNaN(q.takeNext()), 'empty at the end');
      assert.equal(q.size, 0);
      assert.ok(taken > n / 2 && cancels > 1024, `took ${taken}, cancelled ${cancels}`);
      if (phases === CANCEL_HEAVY) assert.ok(compactions > 0, 'compacted');
      // Cancelled entries are compacted away once they outnumber live ones (and pass 1024).
      assert.ok(maxStored <= 1024 + n, `at most ${maxStored} cancelled entries held`);
    });
  }

  it('a queue emptied and filled again keeps its order (levels are rebuilt from scratch)', function () {
    const q = new EventQueue();
    const fired: number[] = [];
    const handler = { fire: (i: number): void => void fired.push(i) };
    for (const [count, spread] of [
      [5000, 1e6],
      [3, 0],
      [5000, 1e-3],
      [2000, 0],
    ]) {
      fired.length = 0;
      const times = Array.from({ length: count }, (_, i) => 1e9 + ((i * 7919) % 1000) * spread);
      times.forEach((t, i) => q.schedule(t, handler, i));
      for (let t = q.takeNext(); !Number.isNaN(t); t = q.takeNext()) q.fireTaken();
      const expected = times
        .map((t, i) => ({ t, i }))
        .sort((a, b) => a.t - b.t || a.i - b.i)
        .map((e) => e.i);
      assert.deepEqual(fired, expected);
    }
  });
});

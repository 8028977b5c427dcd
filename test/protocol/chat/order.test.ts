import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChatStateError } from '../../../protocol/chat/errors.js';
import { OrderBuffer, type PushResult, type SeqRange } from '../../../protocol/chat/order.js';

const HOLD = 10_000;
const shown = (late = false): PushResult => ({ deliver: true, late, skipped: [] });
const duplicate: PushResult = { deliver: false, late: false, skipped: [] };
const restore = (state: unknown, holdMs = HOLD) => OrderBuffer.deserialize(JSON.parse(JSON.stringify(state)), { holdMs });

describe('chat: order buffer', function () {
  it('delivers in order at once, none late', function () {
    const b = new OrderBuffer({ holdMs: HOLD });
    for (let i = 0n; i < 5n; i++) assert.deepEqual(b.push(i, 0), shown());
    assert.equal(b.nextSeq, 5n);
    assert.equal(b.aheadCount, 0);
    assert.equal(b.nextDeadline(), null);
  });

  it('delivers a message past a gap at once; one that comes after a later one is late', function () {
    const b = new OrderBuffer({ holdMs: HOLD });
    assert.deepEqual(b.push(2n, 0), shown(), '2 past the gap 0 … 1: shown, nothing higher came before it');
    assert.deepEqual(b.push(1n, 1), shown(true), '1 after 2');
    assert.equal(b.nextSeq, 0n);
    assert.equal(b.aheadCount, 2);
    assert.deepEqual(b.push(0n, 2), shown(true), 'the lowest, after 1 and 2');
    assert.equal(b.nextSeq, 3n, 'next moves past 1 and 2');
    assert.equal(b.aheadCount, 0);
    assert.deepEqual(b.push(6n, 3), shown());
    assert.deepEqual(b.push(4n, 4), shown(true));
    assert.deepEqual(b.push(7n, 5), shown(), 'above everything delivered: not late, though a gap is open');
    assert.deepEqual(b.push(5n, 6), shown(true));
    assert.deepEqual(b.push(3n, 7), shown(true));
    assert.equal(b.nextSeq, 8n);
    assert.deepEqual(b.push(8n, 8), shown());
  });

  it('drops duplicates: below next, ahead of a gap, and in a skipped range once forgotten', function () {
    const b = new OrderBuffer({ holdMs: HOLD, rememberedSkips: 1 });
    b.push(0n, 0);
    b.push(2n, 0);
    const before = JSON.stringify(b.serialize());
    assert.deepEqual(b.push(0n, 1), duplicate, 'below next');
    assert.deepEqual(b.push(2n, 1), duplicate, 'ahead of the gap at 1');
    assert.equal(JSON.stringify(b.serialize()), before, 'a duplicate changes nothing');
    assert.deepEqual(b.push(1n, 2), shown(true));
    assert.deepEqual(b.push(1n, 3), duplicate, 'filled gap');
    assert.deepEqual(b.push(2n, 3), duplicate);
    // Two skipped ranges, only the newest remembered.
    b.push(4n, 10);
    assert.deepEqual(b.release(10 + HOLD).skipped, [{ from: 3n, to: 3n }]);
    b.push(6n, 20);
    assert.deepEqual(b.release(20 + HOLD).skipped, [{ from: 5n, to: 5n }]);
    assert.deepEqual(b.push(3n, 30 + HOLD), duplicate, 'skipped, then forgotten: counts as delivered');
    assert.deepEqual(b.push(5n, 30 + HOLD), shown(true), 'skipped and remembered: delivered, late');
    assert.deepEqual(b.push(5n, 31 + HOLD), duplicate, 'and only once');
  });

  it('gives up a gap holdMs after the first message above it arrived, and not before', function () {
    const b = new OrderBuffer({ holdMs: HOLD });
    b.push(0n, 0);
    b.push(3n, 1000);
    b.push(4n, 5000);
    b.push(7n, 6000);
    assert.equal(b.nextDeadline(), 1000 + HOLD, 'the gap 1 … 2 opened when 3 came');
    assert.deepEqual(b.release(1000 + HOLD - 1), { skipped: [] });
    assert.equal(b.nextSeq, 1n);
    assert.deepEqual(b.release(1000 + HOLD), { skipped: [{ from: 1n, to: 2n }] });
    assert.equal(b.nextSeq, 5n, 'past the gap and the delivered 3, 4');
    assert.equal(b.nextDeadline(), 6000 + HOLD, 'the gap 5 … 6 opened when 7 came');
    // A push also gives up what is due at its time.
    assert.deepEqual(b.push(9n, 6000 + HOLD), { deliver: true, late: false, skipped: [{ from: 5n, to: 6n }] });
    assert.equal(b.nextSeq, 8n);
    // One release may give up several gaps.
    b.push(12n, 7000 + HOLD);
    assert.deepEqual(b.release(7000 + 2 * HOLD), {
      skipped: [
        { from: 8n, to: 8n },
        { from: 10n, to: 11n },
      ],
    });
    assert.equal(b.nextSeq, 13n);
    assert.equal(b.nextDeadline(), null);
  });

  it('a gap counts from the first message above it, not from the lowest one', function () {
    const b = new OrderBuffer({ holdMs: HOLD });
    b.push(5n, 0); // opens 0 … 4
    b.push(2n, HOLD - 1); // splits it into 0 … 1 and 3 … 4, both open since 0
    assert.equal(b.nextDeadline(), HOLD);
    assert.deepEqual(b.release(HOLD).skipped, [
      { from: 0n, to: 1n },
      { from: 3n, to: 4n },
    ]);
    assert.equal(b.nextSeq, 6n);

    const c = new OrderBuffer({ holdMs: HOLD });
    c.push(1n, 0); // opens 0
    c.push(4n, HOLD - 1); // opens 2 … 3, later
    assert.deepEqual(c.release(HOLD).skipped, [{ from: 0n, to: 0n }]);
    assert.equal(c.nextSeq, 2n);
    assert.equal(c.nextDeadline(), 2 * HOLD - 1, 'the gap 2 … 3 waits its own hold');
    assert.deepEqual(c.release(2 * HOLD - 2).skipped, []);
    assert.deepEqual(c.release(2 * HOLD - 1).skipped, [{ from: 2n, to: 3n }]);
  });

  it('a message that arrives when its gap is due is delivered, and only the rest of the gap is given up', function () {
    const b = new OrderBuffer({ holdMs: HOLD });
    b.push(3n, 0);
    assert.deepEqual(b.push(0n, HOLD), { deliver: true, late: true, skipped: [{ from: 1n, to: 2n }] });
    assert.equal(b.nextSeq, 4n);
    assert.deepEqual(b.push(1n, HOLD + 1), shown(true));
    assert.deepEqual(b.push(2n, HOLD + 2), shown(true));
    assert.deepEqual(b.push(3n, HOLD + 3), duplicate);
  });

  it('bounds the seqs remembered above a gap by giving up the oldest gap at once', function () {
    const b = new OrderBuffer({ holdMs: HOLD, maxAhead: 3 });
    for (const seq of [2n, 3n, 6n]) assert.deepEqual(b.push(seq, 0), shown());
    assert.deepEqual(b.push(8n, 0), { deliver: true, late: false, skipped: [{ from: 0n, to: 1n }] });
    assert.equal(b.nextSeq, 4n);
    assert.equal(b.aheadCount, 2);
    assert.deepEqual(b.push(0n, 1), shown(true), 'given up, and remembered');
  });

  it('a jump of 2^62 costs one range', function () {
    const far = 1n << 62n;
    const b = new OrderBuffer({ holdMs: 0 });
    assert.deepEqual(b.push(far, 0), { deliver: true, late: false, skipped: [{ from: 0n, to: far - 1n }] });
    assert.equal(b.nextSeq, far + 1n);
    assert.deepEqual(b.push(far - 7n, 1), shown(true));
    assert.deepEqual(b.serialize(), {
      version: 2,
      next: (far + 1n).toString(),
      ahead: [],
      skipped: [
        ['0', (far - 8n).toString()],
        [(far - 6n).toString(), (far - 1n).toString()],
      ],
    });
    const c = new OrderBuffer({ holdMs: HOLD });
    const started = performance.now();
    for (let i = 1n; i <= 200n; i++) c.push(i << 55n, Number(i)); // gaps of 2^55 − 1 seqs
    assert.ok(performance.now() - started < 1000, 'no work per missing seq');
    assert.equal(c.aheadCount, 200);
    assert.ok(JSON.stringify(c.serialize()).length < 10_000);
    // The last u64 seq: next becomes 2^64, and the state still round-trips.
    const d = new OrderBuffer({ holdMs: HOLD, firstSeq: (1n << 64n) - 1n });
    assert.deepEqual(d.push((1n << 64n) - 1n, 0), shown());
    assert.equal(restore(d.serialize()).buffer.nextSeq, 1n << 64n);
  });

  it('any arrival order, with duplicates, delivers each seq exactly once, late exactly when a higher one came first', function () {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) =>
          fc.array(fc.nat({ max: n - 1 }), { maxLength: 2 * n }).chain((dups) => {
            const all = [...Array(n).keys(), ...dups];
            return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map((order) => ({ n, order }));
          }),
        ),
        ({ n, order }) => {
          const b = new OrderBuffer({ holdMs: HOLD });
          const delivered: number[] = [];
          order.forEach((seq, t) => {
            const r = b.push(BigInt(seq), t); // t < HOLD: no gap is given up
            assert.deepEqual(r.skipped, []);
            assert.equal(r.deliver, !delivered.includes(seq));
            if (r.deliver) {
              assert.equal(
                r.late,
                delivered.some((d) => d > seq),
              );
              delivered.push(seq);
            }
          });
          assert.deepEqual(
            [...delivered].sort((x, y) => x - y),
            [...Array(n).keys()],
          );
          assert.equal(b.nextSeq, BigInt(n));
          assert.equal(b.aheadCount, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with losses and restarts: every arrival once, every missing seq reported once, the same as never restarting', function () {
    fc.assert(
      fc.property(
        fc.array(fc.record({ seq: fc.nat({ max: 30 }), wait: fc.nat({ max: HOLD / 2 }), restart: fc.boolean(), release: fc.boolean() }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        (steps, maxAhead) => {
          const options = { holdMs: HOLD, maxAhead };
          const fresh = new OrderBuffer(options);
          let restarted = new OrderBuffer(options);
          const delivered = new Set<number>();
          const skipped: number[] = [];
          const note = (ranges: SeqRange[]) => ranges.forEach((r) => skipped.push(...Array.from({ length: Number(r.to - r.from) + 1 }, (_, i) => Number(r.from) + i)));
          let now = 0;
          for (const step of steps) {
            now += step.wait;
            if (step.restart) restarted = OrderBuffer.deserialize(JSON.parse(JSON.stringify(restarted.serialize())), options).buffer;
            if (step.release) {
              const released = fresh.release(now);
              assert.deepEqual(restarted.release(now), released);
              note(released.skipped);
            }
            const r = fresh.push(BigInt(step.seq), now);
            assert.deepEqual(restarted.push(BigInt(step.seq), now), r);
            note(r.skipped);
            if (r.deliver) {
              assert.ok(!delivered.has(step.seq), `seq ${step.seq} delivered twice`);
              delivered.add(step.seq);
            }
          }
          const last = fresh.release(now + HOLD);
          assert.deepEqual(restarted.release(now + HOLD), last);
          note(last.skipped);
          assert.deepEqual(restarted.serialize(), fresh.serialize());
          const arrived = new Set(steps.map((s) => s.seq));
          const highest = Math.max(...arrived);
          assert.deepEqual(delivered, arrived, 'every seq that came was delivered (at most 31 ranges: all remembered)');
          assert.equal(new Set(skipped).size, skipped.length, 'no seq reported twice');
          for (let seq = 0; seq <= highest; seq++) if (!arrived.has(seq)) assert.ok(skipped.includes(seq), `missing seq ${seq} never reported`);
          assert.equal(fresh.nextSeq, BigInt(highest + 1));
          assert.equal(fresh.aheadCount, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips a version 2 state mid-way and continues the same', function () {
    const fresh = new OrderBuffer({ holdMs: HOLD });
    let restored = new OrderBuffer({ holdMs: HOLD });
    const steps: Array<[bigint | null, number]> = [
      [0n, 0],
      [3n, 10],
      [5n, 20],
      [3n, 30],
      [null, HOLD + 10],
      [1n, HOLD + 11],
      [4n, HOLD + 12],
      [7n, HOLD + 13],
      [6n, HOLD + 14],
      [null, 3 * HOLD],
    ];
    for (const [seq, now] of steps) {
      const r = restore(restored.serialize());
      assert.deepEqual(r.released, []);
      restored = r.buffer;
      assert.deepEqual(seq === null ? restored.release(now) : restored.push(seq, now), seq === null ? fresh.release(now) : fresh.push(seq, now));
    }
    assert.deepEqual(restored.serialize(), fresh.serialize());
    assert.deepEqual(fresh.serialize(), { version: 2, next: '8', ahead: [], skipped: [['2', '2']] });
  });

  it('pins the bytes of a version 2 state', function () {
    const b = new OrderBuffer({ holdMs: HOLD });
    b.push(1n, 5);
    b.push(7n, HOLD + 5); // gives up 0 (open since 5)
    b.push(3n, HOLD + 6); // 3 and 7 ahead of the gaps 2 and 4 … 6
    assert.equal(JSON.stringify(b.serialize()), '{"version":2,"next":"2","ahead":[["3",10006],["7",10005]],"skipped":[["0","0"]]}');
  });

  it('refuses a malformed version 2 state with ChatStateError', function () {
    const good = {
      version: 2,
      next: '5',
      ahead: [
        ['7', 1],
        ['9', 2],
      ],
      skipped: [
        ['1', '2'],
        ['4', '4'],
      ],
    };
    const { buffer } = OrderBuffer.deserialize(good, { holdMs: 1 });
    assert.equal(buffer.aheadCount, 2);
    assert.equal(buffer.nextDeadline(), 2);
    assert.deepEqual(buffer.serialize(), good);
    const bad: unknown[] = [
      null,
      'state',
      [],
      { ...good, version: 3 },
      { ...good, version: '2' },
      { ...good, extra: 1 },
      (({ skipped: _, ...rest }) => rest)(good),
      { ...good, next: 5 },
      { ...good, next: '05' },
      { ...good, next: '-1' },
      { ...good, next: (1n << 64n) + 1n },
      { ...good, next: ((1n << 64n) + 1n).toString() },
      { ...good, ahead: {} },
      { ...good, ahead: [['5', 1]] }, // not above next
      { ...good, ahead: [['4', 1]] }, // below next
      {
        ...good,
        ahead: [
          ['9', 1],
          ['7', 2],
        ],
      }, // not sorted
      {
        ...good,
        ahead: [
          ['7', 1],
          ['7', 2],
        ],
      }, // repeated
      { ...good, ahead: [['7', '1']] },
      { ...good, ahead: [['7', null]] },
      { ...good, ahead: [['7', 1, 'item']] },
      { ...good, ahead: [['7']] },
      { ...good, ahead: [[7, 1]] },
      { ...good, ahead: [[(1n << 64n).toString(), 1]] }, // not a u64
      {
        ...good,
        skipped: [
          ['4', '4'],
          ['1', '2'],
        ],
      }, // not sorted
      {
        ...good,
        skipped: [
          ['1', '3'],
          ['3', '4'],
        ],
      }, // overlapping
      { ...good, skipped: [['2', '1']] },
      { ...good, skipped: [['5', '5']] }, // not below next
      { ...good, skipped: [['1', '2', '3']] },
    ];
    for (const state of bad) {
      assert.throws(
        () => OrderBuffer.deserialize(state, { holdMs: 1 }),
        (e: unknown) => e instanceof ChatStateError && e.code === 'bad-state',
        JSON.stringify(state, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
      );
    }
    // Infinity does not survive JSON, but a state built in memory may hold it.
    assert.throws(() => OrderBuffer.deserialize({ ...good, ahead: [['7', Number.POSITIVE_INFINITY]] }, { holdMs: 1 }), ChatStateError);
  });

  it('brings a state over the running bounds within them at the next release', function () {
    const state = {
      version: 2,
      next: '0',
      ahead: [
        ['2', 0],
        ['4', 0],
        ['6', 0],
      ],
      skipped: [],
    };
    const { buffer } = OrderBuffer.deserialize(state, { holdMs: HOLD, maxAhead: 2 });
    assert.deepEqual(buffer.release(1).skipped, [{ from: 0n, to: 1n }]);
    assert.equal(buffer.aheadCount, 2);
  });

  it('reads a version 1 state: its waiting messages count as delivered and are returned, in seq order, to be shown', function () {
    const v1 = {
      version: 1,
      next: '2',
      waiting: [
        ['5', 100, 'id-5'],
        ['3', 50, 'id-3'],
      ],
      skipped: [['0', '0']],
    };
    const { buffer, released } = OrderBuffer.deserialize(v1, { holdMs: HOLD });
    assert.deepEqual(released, ['id-3', 'id-5']);
    assert.equal(buffer.nextSeq, 2n);
    assert.equal(buffer.aheadCount, 2);
    assert.equal(buffer.nextDeadline(), 50 + HOLD, 'the gap at 2 opened when 3 came');
    assert.deepEqual(buffer.serialize(), {
      version: 2,
      next: '2',
      ahead: [
        ['3', 50],
        ['5', 100],
      ],
      skipped: [['0', '0']],
    });
    assert.deepEqual(buffer.push(3n, 200), duplicate, 'a released message is delivered');
    assert.deepEqual(buffer.push(0n, 200), shown(true), 'a remembered skipped seq still comes late');
    assert.deepEqual(buffer.push(2n, 200), shown(true));
    assert.equal(buffer.nextSeq, 4n);
    assert.deepEqual(buffer.release(100 + HOLD).skipped, [{ from: 4n, to: 4n }]);
    assert.equal(buffer.nextSeq, 6n);

    // Items are the caller's JSON, returned as they were.
    assert.deepEqual(OrderBuffer.deserialize({ version: 1, next: '0', waiting: [['1', 0, { id: 'x' }]], skipped: [] }, { holdMs: HOLD }).released, [{ id: 'x' }]);
    // A waiting message at next (version 1 never left one there) is delivered: next moves past it.
    assert.equal(
      OrderBuffer.deserialize(
        {
          version: 1,
          next: '4',
          waiting: [
            ['4', 0, 'a'],
            ['5', 0, 'b'],
            ['7', 0, 'c'],
          ],
          skipped: [],
        },
        { holdMs: HOLD },
      ).buffer.nextSeq,
      6n,
    );
    for (const state of [
      { ...v1, waiting: [['1', 0, 'x']] }, // below next
      {
        ...v1,
        waiting: [
          ['3', 0, 'x'],
          ['3', 1, 'y'],
        ],
      },
      { ...v1, waiting: [['3', 'soon', 'x']] },
      { ...v1, waiting: [['3', 0]] },
      { ...v1, waiting: {} },
      { ...v1, next: 2 },
      { ...v1, skipped: [['2', '2']] },
    ]) {
      assert.throws(() => OrderBuffer.deserialize(state, { holdMs: HOLD }), ChatStateError, JSON.stringify(state));
    }
  });

  it('refuses bad arguments with ChatStateError', function () {
    const b = new OrderBuffer({ holdMs: 1 });
    const badArgument = (e: unknown) => e instanceof ChatStateError && e.code === 'bad-argument';
    assert.throws(() => b.push(-1n, 0), badArgument);
    assert.throws(() => b.push(1n << 64n, 0), badArgument);
    assert.throws(() => b.push(1 as unknown as bigint, 0), badArgument);
    assert.throws(() => b.push(0n, Number.NaN), badArgument);
    assert.throws(() => b.push(0n, '1' as unknown as number), badArgument);
    assert.throws(() => b.release(Number.POSITIVE_INFINITY), badArgument);
    for (const options of [
      { holdMs: -1 },
      { holdMs: Number.NaN },
      { holdMs: 1, maxAhead: 0 },
      { holdMs: 1, maxAhead: 1.5 },
      { holdMs: 1, rememberedSkips: -1 },
      { holdMs: 1, firstSeq: -1n },
      { holdMs: 1, firstSeq: 1n << 64n },
    ]) {
      assert.throws(
        () => new OrderBuffer(options),
        badArgument,
        JSON.stringify(options, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
      );
    }
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChatStateError } from '../../../protocol/chat/errors.js';
import { OrderBuffer, type OrderResult } from '../../../protocol/chat/order.js';

const HOLD = 10_000;
const seqs = (r: OrderResult<string>) => r.delivered.map((d) => Number(d.seq));
const items = (r: OrderResult<string>) => r.delivered.map((d) => d.item);
const identity = (x: unknown) => x as string;

describe('chat: order buffer', function () {
  it('delivers in order at once', function () {
    const b = new OrderBuffer<string>({ holdMs: HOLD });
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(b.push(BigInt(i), `m${i}`, 0), { delivered: [{ seq: BigInt(i), item: `m${i}`, late: false }], skipped: [], duplicate: false });
    }
    assert.equal(b.nextSeq, 5n);
    assert.equal(b.nextDeadline(), null);
  });

  it('restores order', function () {
    const b = new OrderBuffer<string>({ holdMs: HOLD });
    assert.deepEqual(seqs(b.push(2n, 'c', 0)), []);
    assert.deepEqual(seqs(b.push(1n, 'b', 1)), []);
    assert.equal(b.waitingCount, 2);
    assert.deepEqual(items(b.push(0n, 'a', 2)), ['a', 'b', 'c']);
    assert.deepEqual(seqs(b.push(4n, 'e', 3)), []);
    assert.deepEqual(items(b.push(3n, 'd', 4)), ['d', 'e']);
    assert.equal(b.waitingCount, 0);
  });

  it('drops duplicates of delivered and of waiting messages', function () {
    const b = new OrderBuffer<string>({ holdMs: HOLD });
    b.push(0n, 'a', 0);
    b.push(2n, 'c', 0);
    assert.deepEqual(b.push(0n, 'a again', 1), { delivered: [], skipped: [], duplicate: true });
    assert.deepEqual(b.push(2n, 'c again', 1), { delivered: [], skipped: [], duplicate: true });
    assert.deepEqual(items(b.push(1n, 'b', 2)), ['b', 'c']);
    assert.equal(b.push(2n, 'c again', 3).duplicate, true);
  });

  it('any arrival order with duplicates delivers each message once, in order', function () {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) =>
          fc.array(fc.nat({ max: n - 1 }), { maxLength: 2 * n }).chain((dups) => {
            const all = [...Array(n).keys(), ...dups];
            return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map((order) => ({ n, order }));
          }),
        ),
        ({ n, order }) => {
          const b = new OrderBuffer<number>({ holdMs: HOLD });
          const out: number[] = [];
          let duplicates = 0;
          order.forEach((seq, t) => {
            const r = b.push(BigInt(seq), seq, t); // t < HOLD: nothing is released early
            out.push(...r.delivered.map((d) => d.item));
            if (r.duplicate) duplicates++;
            assert.deepEqual(r.skipped, []);
          });
          assert.deepEqual(out, [...Array(n).keys()]);
          assert.equal(duplicates, order.length - n);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('releases past a gap after holdMs and reports the skipped seqs', function () {
    const b = new OrderBuffer<string>({ holdMs: HOLD });
    b.push(0n, 'a', 0);
    b.push(3n, 'd', 1000);
    b.push(4n, 'e', 5000);
    b.push(7n, 'h', 6000);
    assert.equal(b.nextDeadline(), 1000 + HOLD);
    assert.deepEqual(b.release(1000 + HOLD - 1), { delivered: [], skipped: [], duplicate: false });
    // d has waited holdMs: 1 and 2 are given up; d and e follow; h waits for 5 and 6.
    const r = b.release(1000 + HOLD);
    assert.deepEqual(items(r), ['d', 'e']);
    assert.deepEqual(r.skipped, [{ from: 1n, to: 2n }]);
    assert.equal(b.nextSeq, 5n);
    assert.equal(b.nextDeadline(), 6000 + HOLD);
    // A push also releases what is due.
    const p = b.push(9n, 'j', 6000 + HOLD);
    assert.deepEqual(items(p), ['h']);
    assert.deepEqual(p.skipped, [{ from: 5n, to: 6n }]);
    // One release may skip several gaps.
    b.push(12n, 'm', 7000 + HOLD);
    const q = b.release(7000 + 2 * HOLD);
    assert.deepEqual(items(q), ['j', 'm']);
    assert.deepEqual(q.skipped, [
      { from: 8n, to: 8n },
      { from: 10n, to: 11n },
    ]);
    assert.equal(b.nextSeq, 13n);
  });

  it('a due message releases the earlier ones waiting behind the same gap, not later ones', function () {
    const b = new OrderBuffer<string>({ holdMs: HOLD });
    b.push(5n, 'f', 100); // due first
    b.push(2n, 'c', 200);
    b.push(9n, 'j', 300);
    const r = b.release(100 + HOLD);
    assert.deepEqual(items(r), ['c', 'f']);
    assert.deepEqual(r.skipped, [
      { from: 0n, to: 1n },
      { from: 3n, to: 4n },
    ]);
    assert.equal(b.waitingCount, 1);
  });

  it('delivers a skipped message that arrives late once, marked late', function () {
    const b = new OrderBuffer<string>({ holdMs: HOLD });
    b.push(3n, 'd', 0);
    b.release(HOLD); // skips 0 … 2
    assert.deepEqual(b.push(1n, 'b', HOLD + 1), { delivered: [{ seq: 1n, item: 'b', late: true }], skipped: [], duplicate: false });
    assert.equal(b.push(1n, 'b', HOLD + 2).duplicate, true);
    assert.equal(b.push(0n, 'a', HOLD + 3).delivered[0].late, true);
    assert.equal(b.push(2n, 'c', HOLD + 4).delivered[0].late, true);
    assert.equal(b.push(2n, 'c', HOLD + 5).duplicate, true);
    assert.equal(b.push(3n, 'd', HOLD + 6).duplicate, true);
  });

  it('forgets the oldest skipped ranges beyond rememberedSkips', function () {
    const b = new OrderBuffer<string>({ holdMs: 0, rememberedSkips: 2 });
    for (const seq of [1n, 3n, 5n]) b.push(seq, 'x', 0); // holdMs 0: each skips at once
    assert.equal(b.nextSeq, 6n);
    assert.equal(b.push(0n, 'late', 1).duplicate, true); // forgotten: counted as delivered
    assert.equal(b.push(2n, 'late', 1).delivered[0].late, true);
    assert.equal(b.push(4n, 'late', 1).delivered[0].late, true);
  });

  it('bounds the waiting messages by skipping the oldest gap', function () {
    const b = new OrderBuffer<string>({ holdMs: HOLD, maxWaiting: 3 });
    for (const seq of [2n, 3n, 6n]) assert.deepEqual(seqs(b.push(seq, `m${seq}`, 0)), []);
    const r = b.push(8n, 'm8', 0);
    assert.deepEqual(seqs(r), [2, 3]);
    assert.deepEqual(r.skipped, [{ from: 0n, to: 1n }]);
    assert.equal(b.waitingCount, 2);
  });

  it('a huge jump skips one range, not every seq', function () {
    const b = new OrderBuffer<string>({ holdMs: 0 });
    const r = b.push(1n << 62n, 'far', 0);
    assert.deepEqual(r.skipped, [{ from: 0n, to: (1n << 62n) - 1n }]);
    assert.equal(b.nextSeq, (1n << 62n) + 1n);
  });

  it('serialises mid-way and continues', function () {
    const fresh = new OrderBuffer<string>({ holdMs: HOLD });
    let restored = new OrderBuffer<string>({ holdMs: HOLD });
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
      restored = OrderBuffer.deserialize(JSON.parse(JSON.stringify(restored.serialize((x) => x))), identity, { holdMs: HOLD });
      const a = seq === null ? fresh.release(now) : fresh.push(seq, `m${seq}`, now);
      const b = seq === null ? restored.release(now) : restored.push(seq, `m${seq}`, now);
      assert.deepEqual(b, a);
    }
    assert.deepEqual(
      restored.serialize((x) => x),
      fresh.serialize((x) => x),
    );
    assert.deepEqual(
      fresh.serialize((x) => x),
      { version: 1, next: '8', waiting: [], skipped: [['2', '2']] },
    );
  });

  it('pins the persisted form', function () {
    const b = new OrderBuffer<{ text: string }>({ holdMs: HOLD });
    b.push(1n, { text: 'b' }, 5);
    b.push(3n, { text: 'd' }, HOLD + 5);
    b.release(HOLD + 5); // skips 0; 1 delivered; 3 waits (its hold runs from HOLD + 5)
    assert.deepEqual(
      b.serialize((x) => x.text),
      { version: 1, next: '2', waiting: [['3', HOLD + 5, 'd']], skipped: [['0', '0']] },
    );
  });

  it('refuses malformed state and arguments with ChatStateError', function () {
    const good = {
      version: 1,
      next: '5',
      waiting: [['7', 1, 'x']],
      skipped: [
        ['1', '2'],
        ['4', '4'],
      ],
    };
    assert.equal(OrderBuffer.deserialize(good, identity, { holdMs: 1 }).waitingCount, 1);
    const bad: unknown[] = [
      null,
      { ...good, version: 2 },
      { ...good, next: 5 },
      { ...good, next: '05' },
      { ...good, waiting: [['4', 1, 'x']] }, // below next
      {
        ...good,
        waiting: [
          ['7', 1, 'x'],
          ['7', 2, 'y'],
        ],
      },
      { ...good, waiting: [['7', 'soon', 'x']] },
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
      { ...good, next: (1n << 65n).toString() },
    ];
    for (const state of bad) assert.throws(() => OrderBuffer.deserialize(state, identity, { holdMs: 1 }), ChatStateError, JSON.stringify(state));
    const failing = () => {
      throw new Error('cannot decode');
    };
    assert.throws(
      () => OrderBuffer.deserialize(good, failing, { holdMs: 1 }),
      (e: unknown) => e instanceof ChatStateError && /cannot decode/.test(e.message),
    );
    const b = new OrderBuffer<string>({ holdMs: 1 });
    assert.throws(() => b.push(-1n, 'x', 0), ChatStateError);
    assert.throws(() => b.push(1n << 64n, 'x', 0), ChatStateError);
    assert.throws(() => b.push(1 as unknown as bigint, 'x', 0), ChatStateError);
    assert.throws(() => b.push(0n, 'x', Number.NaN), ChatStateError);
    assert.throws(() => b.release(Number.POSITIVE_INFINITY), ChatStateError);
    for (const options of [{ holdMs: -1 }, { holdMs: Number.NaN }, { holdMs: 1, maxWaiting: 0 }, { holdMs: 1, rememberedSkips: -1 }, { holdMs: 1, firstSeq: -1n }]) {
      assert.throws(() => new OrderBuffer(options), ChatStateError);
    }
  });
});

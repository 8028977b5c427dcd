import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { ChatFrameError, ChatStateError } from '../../../protocol/chat/errors.js';
import { type DataFragment, decodeFrame } from '../../../protocol/chat/frames.js';
import { fragment } from '../../../protocol/chat/fragmenter.js';
import { type AcceptResult, Reassembler } from '../../../protocol/chat/reassembly.js';

const L = 100; // a small maxFrameLength: 53 content bytes per fragment
const idOf = (n: number) => new Uint8Array(16).fill(n);
const contentOf = (n: number, length: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + n) & 0xff);
function fragmentsOf(n: number, length: number, seq = BigInt(n), sentMs = 1000 + n): DataFragment[] {
  return fragment(idOf(n), seq, sentMs, contentOf(n, length), L).map((f) => decodeFrame(f) as DataFragment);
}
const roundTrip = (r: Reassembler, limits = r.limits) => Reassembler.fromJSON(JSON.parse(JSON.stringify(r)), limits);

describe('chat: reassembly', function () {
  it('reassembles in order, reporting progress', function () {
    const r = new Reassembler();
    const fragments = fragmentsOf(1, 150); // 3 fragments
    assert.equal(fragments.length, 3);
    assert.deepEqual(r.accept(fragments[0]), { status: 'partial', messageId: idOf(1), received: 1, count: 3, evicted: [] });
    assert.deepEqual(r.progress(idOf(1)), { received: 1, count: 3 });
    assert.equal(r.accept(fragments[1]).status, 'partial');
    assert.equal(r.partialBytes, 106);
    const done = r.accept(fragments[2]);
    assert.deepEqual(done, { status: 'complete', message: { messageId: idOf(1), seq: 1n, sentMs: 1001, count: 3, content: contentOf(1, 150) }, evicted: [] });
    assert.equal(r.partialCount, 0);
    assert.equal(r.partialBytes, 0);
    assert.equal(r.progress(idOf(1)), null);
  });

  it('any permutation with duplicates reassembles to the original exactly once', function () {
    const arbitrary = fc.record({ content: fc.uint8Array({ maxLength: 700 }), maxFrameLength: fc.integer({ min: 48, max: 160 }) }).chain(({ content, maxFrameLength }) => {
      const frames = fragment(idOf(9), 5n, 77, content, maxFrameLength);
      const extra = fc.array(fc.nat({ max: frames.length - 1 }), { maxLength: 2 * frames.length });
      return extra.chain((dups) => {
        const order = [...frames.keys(), ...dups];
        return fc.shuffledSubarray(order, { minLength: order.length, maxLength: order.length }).map((shuffled) => ({ content, frames, shuffled }));
      });
    });
    fc.assert(
      fc.property(arbitrary, ({ content, frames, shuffled }) => {
        const r = new Reassembler();
        const results = shuffled.map((i) => r.accept(decodeFrame(frames[i]) as DataFragment));
        const complete = results.filter((x) => x.status === 'complete');
        assert.equal(complete.length, 1);
        assert.deepEqual(complete[0].status === 'complete' && complete[0].message.content, content);
        assert.equal(results.filter((x) => x.status === 'rejected').length, 0);
        assert.equal(results.filter((x) => x.status === 'duplicate').length, shuffled.length - frames.length);
        assert.equal(r.partialCount, 0);
        assert.equal(r.partialBytes, 0);
      }),
      { numRuns: 200 },
    );
  });

  it('recognises a duplicate of a fragment held and of a completed message', function () {
    const r = new Reassembler();
    const [a, b] = fragmentsOf(2, 100);
    r.accept(a);
    assert.deepEqual(r.accept(a), { status: 'duplicate', messageId: idOf(2), index: 0, of: 'fragment', evicted: [] });
    assert.equal(r.accept(b).status, 'complete');
    assert.deepEqual(r.accept(a), { status: 'duplicate', messageId: idOf(2), index: 0, of: 'message', evicted: [] });
    assert.deepEqual(r.accept(b), { status: 'duplicate', messageId: idOf(2), index: 1, of: 'message', evicted: [] });
  });

  it('rejects an inconsistent fragment without merging it', function () {
    const r = new Reassembler();
    const fragments = fragmentsOf(3, 150);
    r.accept(fragments[0]);
    const reject = (f: DataFragment, detail: RegExp) => {
      const result = r.accept(f);
      assert.equal(result.status, 'rejected');
      assert.equal(result.status === 'rejected' && result.reason, 'inconsistent');
      assert.match(result.status === 'rejected' ? result.detail : '', detail);
    };
    reject({ ...fragments[1], seq: 4n }, /sequence number/);
    reject({ ...fragments[1], sentMs: 1 }, /sent time/);
    // Another count and length, still a valid layout on its own (2 × 53 ≥ 100 > 53).
    reject({ ...fragments[0], count: 2, contentLength: 100 }, /fragment count/);
    reject({ ...fragments[1], contentLength: 140 }, /content length/);
    // Same count and length, but a last chunk implying a stride of 60, not 53.
    reject({ ...fragments[2], chunk: new Uint8Array(30) }, /stride/);
    reject({ ...fragments[0], chunk: new Uint8Array(53) }, /different chunk/);
    assert.deepEqual(r.progress(idOf(3)), { received: 1, count: 3 });
    assert.equal(r.accept(fragments[1]).status, 'partial');
    const done = r.accept(fragments[2]);
    assert.deepEqual(done.status === 'complete' && done.message.content, contentOf(3, 150));
  });

  it('refuses a message longer than the byte bound', function () {
    const r = new Reassembler({ maxPartialBytes: 120 });
    const result = r.accept(fragmentsOf(4, 121)[0]);
    assert.equal(result.status === 'rejected' && result.reason, 'too-large');
    assert.equal(r.partialCount, 0);
    // 120 bytes fit.
    const ok = fragmentsOf(5, 120).map((f) => r.accept(f).status);
    assert.deepEqual(ok, ['partial', 'partial', 'complete']);
  });

  it('evicts the oldest incomplete message beyond maxPartialMessages and reports it', function () {
    const r = new Reassembler({ maxPartialMessages: 2 });
    const m = [10, 11, 12].map((n) => fragmentsOf(n, 100));
    assert.deepEqual(r.accept(m[0][0]).evicted, []);
    r.accept(m[1][0]);
    r.accept(m[0][0]); // a duplicate does not make a message younger
    const third = r.accept(m[2][0]);
    assert.deepEqual(third.evicted, [{ messageId: idOf(10), seq: 10n, sentMs: 1010, received: 1, count: 2, indexes: [0], reason: 'too-many-partials' }]);
    assert.equal(r.partialCount, 2);
    assert.equal(r.progress(idOf(10)), null);
    // The rest of an evicted message cannot complete it: it is refused, not started again.
    const late = r.accept(m[0][1]);
    assert.equal(late.status === 'rejected' && late.reason, 'evicted');
    assert.equal(r.partialCount, 2);
    // Completing a message never evicts.
    const done = r.accept(m[1][1]);
    assert.deepEqual([done.status, done.evicted], ['complete', []]);
    assert.equal(r.partialCount, 1);
  });

  it('evicts the oldest incomplete messages beyond maxPartialBytes, never the one growing', function () {
    const r = new Reassembler({ maxPartialBytes: 200 });
    const a = fragmentsOf(20, 200); // 4 fragments: 53 53 53 41
    const b = fragmentsOf(21, 120); // 3 fragments: 53 53 14
    r.accept(a[0]);
    r.accept(a[1]);
    r.accept(b[0]); // 159 bytes held
    const c = r.accept(b[1]); // 212 > 200: a (the oldest) goes
    assert.deepEqual(
      c.evicted.map((e) => [toHex(e.messageId), e.reason, e.received]),
      [[toHex(idOf(20)), 'too-many-bytes', 2]],
    );
    assert.equal(r.partialBytes, 106);
    assert.equal(r.accept(b[2]).status, 'complete');
    // A message alone can grow to the whole bound.
    assert.deepEqual(
      a.map((f) => r.accept({ ...f, messageId: idOf(22) }).status),
      ['partial', 'partial', 'partial', 'complete'],
    );
    // Many small incomplete messages stay within the bound.
    const many = new Reassembler({ maxPartialBytes: 500, maxPartialMessages: 1000 });
    for (let n = 0; n < 40; n++) {
      many.accept(fragmentsOf(n, 100)[0]);
      assert.ok(many.partialBytes <= 500);
    }
    assert.equal(many.partialCount, 9);
  });

  it('remembers a bounded window of finished ids', function () {
    const r = new Reassembler({ rememberedMessages: 2 });
    const single = [30, 31, 32].map((n) => fragmentsOf(n, 10)[0]);
    for (const f of single) assert.equal(r.accept(f).status, 'complete');
    assert.equal(r.accept(single[2]).status, 'duplicate');
    assert.equal(r.accept(single[1]).status, 'duplicate');
    // Past the window a one-fragment message completes again; the order buffer drops it by seq.
    assert.equal(r.accept(single[0]).status, 'complete');
  });

  it('serialises mid-way and continues after a restart as if nothing happened', function () {
    const messages = [40, 41, 42].map((n) => fragmentsOf(n, 100 + n)); // 3 fragments each
    const fresh = new Reassembler();
    let restored = new Reassembler();
    const feed = [messages[0][0], messages[1][2], messages[0][1], messages[2][0], messages[1][0], messages[0][2], messages[1][1], messages[0][0], messages[2][1], messages[2][2], messages[2][1]];
    const a: AcceptResult[] = [];
    const b: AcceptResult[] = [];
    for (const f of feed) {
      a.push(fresh.accept(f));
      restored = roundTrip(restored); // persist and reload before every fragment
      b.push(restored.accept(f));
    }
    assert.deepEqual(b, a);
    assert.deepEqual(
      a.filter((x) => x.status === 'complete').map((x) => x.status === 'complete' && toHex(x.message.messageId)),
      [toHex(idOf(40)), toHex(idOf(41)), toHex(idOf(42))],
    );
    assert.deepEqual(restored.toJSON(), fresh.toJSON());
    assert.deepEqual(restored.evictedOnLoad, []);
  });

  it('pins the persisted form', function () {
    const r = new Reassembler();
    r.accept(fragmentsOf(1, 60)[1]);
    r.accept(fragmentsOf(2, 5)[0]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), {
      version: 1,
      partials: [{ id: '01'.repeat(16), seq: '1', sentMs: 1001, count: 2, contentLength: 60, chunks: [[1, Buffer.from(contentOf(1, 60).subarray(53)).toString('base64')]] }],
      remembered: [['02'.repeat(16), 'completed']],
    });
  });

  it('applies lower limits on load and reports the evictions', function () {
    const r = new Reassembler();
    for (const n of [50, 51, 52]) r.accept(fragmentsOf(n, 100)[0]);
    const smaller = roundTrip(r, { ...r.limits, maxPartialMessages: 1 });
    assert.deepEqual(
      smaller.evictedOnLoad.map((e) => e.messageId[0]),
      [50, 51],
    );
    assert.equal(smaller.partialCount, 1);
    assert.equal(smaller.accept(fragmentsOf(50, 100)[1]).status, 'rejected');
    const tiny = roundTrip(r, { ...r.limits, maxPartialBytes: 60 });
    assert.deepEqual(
      tiny.evictedOnLoad.map((e) => e.messageId[0]),
      [50, 51, 52],
    );
    assert.equal(tiny.partialBytes, 0);
  });

  it('refuses malformed state and bad limits with ChatStateError', function () {
    const r = new Reassembler();
    r.accept(fragmentsOf(60, 150)[0]);
    r.accept(fragmentsOf(61, 10)[0]);
    const good = JSON.parse(JSON.stringify(r));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- damages serialized state of any shape
    const mutate = (f: (s: any) => void) => {
      const s = structuredClone(good);
      f(s);
      return s;
    };
    const bad = [
      null,
      42,
      mutate((s) => (s.version = 2)),
      mutate((s) => (s.partials = {})),
      mutate((s) => (s.partials[0].id = 'zz')),
      mutate((s) => (s.partials[0].seq = '-1')),
      mutate((s) => (s.partials[0].seq = 1)),
      mutate((s) => (s.partials[0].sentMs = 'now')),
      mutate((s) => (s.partials[0].count = 0)),
      mutate((s) => (s.partials[0].contentLength = 200)),
      mutate((s) => (s.partials[0].chunks[0][0] = 3)),
      mutate((s) => (s.partials[0].chunks[0][1] = '!!')),
      mutate((s) => (s.partials[0].chunks[0][1] = s.partials[0].chunks[0][1].slice(0, 32))),
      mutate((s) => s.partials[0].chunks.push(s.partials[0].chunks[0])),
      mutate((s) => (s.partials[0].chunks = [])),
      mutate((s) => s.partials.push(s.partials[0])),
      mutate((s) => (s.remembered[0][0] = s.partials[0].id)),
      mutate((s) => (s.remembered[0][1] = 'lost')),
      mutate((s) => s.remembered.push(s.remembered[0])),
    ];
    for (const state of bad) assert.throws(() => Reassembler.fromJSON(state), ChatStateError, JSON.stringify(state)?.slice(0, 80));
    assert.doesNotThrow(() => Reassembler.fromJSON(good));
    for (const limits of [{ maxPartialMessages: 0 }, { maxPartialBytes: 0.5 }, { rememberedMessages: -1 }]) {
      assert.throws(() => new Reassembler(limits), ChatStateError);
    }
  });

  it('throws ChatFrameError for a malformed fragment object', function () {
    const r = new Reassembler();
    const [f] = fragmentsOf(70, 100);
    assert.throws(() => r.accept({ ...f, index: 2 }), ChatFrameError);
    assert.throws(() => r.accept({ ...f, messageId: fromHex('00') }), ChatFrameError);
    assert.throws(() => r.accept(null as unknown as DataFragment), ChatFrameError);
  });
});

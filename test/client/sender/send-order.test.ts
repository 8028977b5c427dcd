// The send order (client/sender/send-order.ts, docs/client.md §Sending
// order): retransmissions first, round-robin across flows, and within a flow
// one-fragment messages before the rest of longer messages, those one after
// another. Checked case by case, then against a plain reference model over
// many random operations.

import assert from 'node:assert/strict';
import { SendOrder, type QueuedFragment } from '../../../client/sender/send-order.js';
import { seededUniform } from '../../helpers/seeded-uniform.js';

/** Queues a message of `n` fragments to `flow`; returns its keys (`${message}:${index}`). */
function queue(order: SendOrder, flow: string, message: string, n: number): string[] {
  const keys = Array.from({ length: n }, (_, i) => `${message}:${i}`);
  for (const key of keys) order.add(key, { flow, message, fragments: n });
  return keys;
}

/** Takes up to `n` keys (all when omitted). */
function take(order: SendOrder, n = Infinity): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const key = order.next();
    if (key === undefined) break;
    out.push(key);
  }
  return out;
}

describe('client/sender/send-order', () => {
  it('sends retransmissions before any first transmission, in the order they became due; one handed back goes first', () => {
    const order = new SendOrder();
    const file = queue(order, 'bob', 'file', 5);
    queue(order, 'carol', 'text', 1);
    const [a, b] = take(order, 2);
    assert.deepEqual([a, b], ['file:0', 'text:0']);
    order.retransmit(b);
    order.retransmit(a);
    const c = order.next()!;
    assert.equal(c, 'text:0', 'the first due first');
    order.putBack(c);
    assert.deepEqual(take(order, 3), ['text:0', 'file:0', 'file:1'], 'handed back: first; then the other retransmission; then the file');
    assert.deepEqual(take(order), file.slice(2));
    assert.equal(order.size, 0);
  });

  it('takes turns across flows: a file to bob and a file to carol share the stream, fragment by fragment', () => {
    const order = new SendOrder();
    queue(order, 'bob', 'b', 3);
    queue(order, 'carol', 'c', 5);
    assert.deepEqual(take(order), ['b:0', 'c:0', 'b:1', 'c:1', 'b:2', 'c:2', 'c:3', 'c:4']);
  });

  it('a flow that starts waiting joins the rotation at its end: within one turn of each other flow', () => {
    const order = new SendOrder();
    queue(order, 'bob', 'b', 100);
    queue(order, 'carol', 'c', 100);
    take(order, 11);
    queue(order, 'dave', 'text', 1);
    assert.deepEqual(take(order, 3), ['c:5', 'b:6', 'text:0'], 'after the turns of the two flows already waiting');
  });

  it('a one-fragment message overtakes the rest of a file in its own flow; one-fragment messages keep their order', () => {
    const order = new SendOrder();
    queue(order, 'bob', 'file', 100);
    assert.deepEqual(take(order, 3), ['file:0', 'file:1', 'file:2']);
    queue(order, 'bob', 'text1', 1);
    queue(order, 'bob', 'receipt', 1);
    queue(order, 'bob', 'text2', 1);
    assert.deepEqual(take(order, 4), ['text1:0', 'receipt:0', 'text2:0', 'file:3']);
  });

  it('does not interleave two files to one flow: the one queued first goes whole first', () => {
    const order = new SendOrder();
    const first = queue(order, 'bob', 'first', 4);
    take(order, 1);
    const second = queue(order, 'bob', 'second', 3);
    assert.deepEqual(take(order), [...first.slice(1), ...second]);
  });

  it('removes a fragment from anywhere: the middle of a file, a waiting text, a retransmission; an emptied flow leaves the rotation', () => {
    const order = new SendOrder();
    queue(order, 'bob', 'file', 6);
    queue(order, 'bob', 'text', 1);
    queue(order, 'carol', 'c', 2);
    assert.equal(order.size, 9);
    assert.equal(order.next(), 'text:0');
    order.retransmit('text:0');
    order.remove('file:2');
    order.remove('file:3');
    order.remove('text:0');
    order.remove('c:0');
    order.remove('c:1');
    order.remove('nothing');
    assert.equal(order.size, 4);
    assert.deepEqual([order.has('file:2'), order.has('text:0'), order.has('c:1'), order.has('file:4')], [false, false, false, true]);
    assert.deepEqual(take(order), ['file:0', 'file:1', 'file:4', 'file:5'], 'carol has nothing left: no turn is lost to her');
    queue(order, 'carol', 'again', 1);
    assert.deepEqual(take(order), ['again:0'], 'an emptied flow that waits again gets turns again');
  });

  it('ignores a key that waits already, and refuses a message of no fragments', () => {
    const order = new SendOrder();
    queue(order, 'bob', 'm', 2);
    order.add('m:0', { flow: 'carol', message: 'x', fragments: 1 });
    order.retransmit('m:1');
    order.putBack('m:1');
    assert.equal(order.size, 2);
    assert.deepEqual(take(order), ['m:0', 'm:1']);
    assert.throws(() => order.add('z', { flow: 'bob', message: 'z', fragments: 0 }), RangeError);
    assert.equal(order.size, 0);
  });

  it('agrees with a plain reference model over 20,000 random operations', () => {
    const uniform = seededUniform(20_260_501);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(uniform() * xs.length)];
    const order = new SendOrder();
    const model = new ReferenceOrder();
    const created: string[] = [];
    const taken = new Set<string>();
    let messages = 0;
    const counts = { next: 0, taken: 0, retransmit: 0, putBack: 0, remove: 0 };
    for (let step = 0; step < 20_000; step++) {
      const r = uniform();
      if (r < 0.2) {
        const flow = pick(['bob', 'carol', 'dave', 'erin']);
        const message = `m${messages++}`;
        const n = uniform() < 0.5 ? 1 : 2 + Math.floor(uniform() * 6);
        for (let i = 0; i < n; i++) {
          const key = `${message}:${i}`;
          created.push(key);
          order.add(key, { flow, message, fragments: n });
          model.add(key, { flow, message, fragments: n });
        }
      } else if (r < 0.7) {
        const key = order.next();
        assert.equal(key, model.next(), `step ${step}: next`);
        counts.next++;
        if (key !== undefined) {
          taken.add(key);
          counts.taken++;
        }
      } else if (r < 0.82 && taken.size > 0) {
        const key = pick([...taken]);
        taken.delete(key);
        if (uniform() < 0.7) {
          order.retransmit(key);
          model.retransmit(key);
          counts.retransmit++;
        } else {
          order.putBack(key);
          model.putBack(key);
          counts.putBack++;
        }
      } else if (created.length > 0) {
        const key = pick(created);
        taken.delete(key);
        order.remove(key);
        model.remove(key);
        counts.remove++;
      }
      assert.equal(order.size, model.size, `step ${step}: size`);
    }
    for (let key = model.next(); key !== undefined; key = model.next()) assert.equal(order.next(), key, 'the rest');
    assert.equal(order.next(), undefined);
    assert.ok(
      Object.values(counts).every((n) => n > 300),
      `every operation exercised: ${JSON.stringify(counts)}`,
    );
  });
});

/**
 * The rule written the plain way, with arrays and scans (O(n) per step):
 * what the send order must do, without its data structures.
 */
class ReferenceOrder {
  readonly #retransmissions: string[] = [];
  /** First transmissions waiting, in the order they were added. */
  readonly #waiting: Array<{ key: string; flow: string; message: string | null }> = [];
  /** Flows with a fragment waiting, next turn first. */
  readonly #turns: string[] = [];
  /** Per flow, its longer messages with fragments waiting, in the order they started waiting. */
  readonly #messages = new Map<string, string[]>();

  get size(): number {
    return this.#retransmissions.length + this.#waiting.length;
  }

  #has(key: string): boolean {
    return this.#retransmissions.includes(key) || this.#waiting.some((w) => w.key === key);
  }

  add(key: string, f: QueuedFragment): void {
    if (this.#has(key)) return;
    const message = f.fragments === 1 ? null : f.message;
    if (!this.#waiting.some((w) => w.flow === f.flow)) this.#turns.push(f.flow);
    if (message !== null && !this.#waiting.some((w) => w.flow === f.flow && w.message === message)) {
      this.#messages.set(f.flow, [...(this.#messages.get(f.flow) ?? []), message]);
    }
    this.#waiting.push({ key, flow: f.flow, message });
  }

  retransmit(key: string): void {
    if (!this.#has(key)) this.#retransmissions.push(key);
  }

  putBack(key: string): void {
    if (!this.#has(key)) this.#retransmissions.unshift(key);
  }

  next(): string | undefined {
    if (this.#retransmissions.length > 0) return this.#retransmissions.shift();
    const flow = this.#turns.shift();
    if (flow === undefined) return undefined;
    const mine = this.#waiting.filter((w) => w.flow === flow);
    const chosen = mine.find((w) => w.message === null) ?? mine.find((w) => w.message === this.#messages.get(flow)![0])!;
    this.#drop(chosen.key);
    if (this.#waiting.some((w) => w.flow === flow)) this.#turns.push(flow);
    return chosen.key;
  }

  remove(key: string): void {
    const i = this.#retransmissions.indexOf(key);
    if (i >= 0) this.#retransmissions.splice(i, 1);
    else if (this.#waiting.some((w) => w.key === key)) {
      const { flow } = this.#drop(key);
      if (!this.#waiting.some((w) => w.flow === flow)) this.#turns.splice(this.#turns.indexOf(flow), 1);
    }
  }

  /** Takes a waiting first transmission out, and its message out of its flow's list once none of it waits. */
  #drop(key: string): { flow: string } {
    const [w] = this.#waiting.splice(
      this.#waiting.findIndex((x) => x.key === key),
      1,
    );
    if (w.message !== null && !this.#waiting.some((x) => x.flow === w.flow && x.message === w.message)) {
      this.#messages.set(
        w.flow,
        this.#messages.get(w.flow)!.filter((m) => m !== w.message),
      );
    }
    return { flow: w.flow };
  }
}

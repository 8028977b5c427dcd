import assert from 'node:assert/strict';
import { PoolMixAnonymity, degreeOfAnonymity, effectiveAnonymitySetSize, shannonEntropy, unlinkabilityEpsilon } from '../../../simulator/metrics/anonymity.js';
import { seededUniform } from '../../../simulator/random.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

describe('simulator metrics: anonymity', function () {
  it('entropy: one sender 0 bits, uniform over k log2 k, a known skewed case', function () {
    assert.equal(shannonEntropy([0, 1, 0]), 0);
    for (const k of [1, 2, 5, 64]) close(shannonEntropy(new Array(k).fill(1 / k)), Math.log2(k));
    // ½, ¼, ¼: ½·1 + 2·¼·2 = 1.5 bits
    close(shannonEntropy([0.5, 0.25, 0.25]), 1.5);
    close(shannonEntropy([2, 1, 1]), 1.5, 1e-12); // weights are normalised
    close(effectiveAnonymitySetSize([0.25, 0.25, 0.25, 0.25, 0]), 4);
  });

  it('degree of anonymity is H / log2 N: 1 for uniform, 0 for certain, 0 with a single possible sender', function () {
    close(degreeOfAnonymity([0.25, 0.25, 0.25, 0.25]), 1);
    assert.equal(degreeOfAnonymity([0, 0, 1, 0]), 0);
    close(degreeOfAnonymity([0.5, 0.5, 0, 0]), 0.5);
    close(degreeOfAnonymity([0.5, 0.5], 16), 0.25);
    assert.equal(degreeOfAnonymity([1]), 0);
  });

  it("Loopix's ε = |ln(p0/p1)|", function () {
    assert.equal(unlinkabilityEpsilon(0.3, 0.3), 0);
    close(unlinkabilityEpsilon(0.2, 0.1), Math.LN2);
    close(unlinkabilityEpsilon(0.1, 0.2), Math.LN2);
    assert.equal(unlinkabilityEpsilon(0.5, 0), Infinity);
    assert.throws(() => unlinkabilityEpsilon(0, 0), RangeError);
    assert.throws(() => unlinkabilityEpsilon(-0.1, 0.5), RangeError);
  });

  it('refuses bad distributions', function () {
    assert.throws(() => shannonEntropy([]), RangeError);
    assert.throws(() => shannonEntropy([0, 0]), /empty/);
    assert.throws(() => shannonEntropy([0.5, -0.1]), RangeError);
    assert.throws(() => shannonEntropy([0.5, Number.NaN]), RangeError);
    assert.throws(() => degreeOfAnonymity([1], 0), RangeError);
  });

  it('pool mix: a leaving packet is the average of the pool; what stays is the rest (memoryless)', function () {
    const mix = new PoolMixAnonymity(3);
    mix.enterFrom(0);
    assert.deepEqual(Array.from(mix.leave()), [1, 0, 0], 'alone in the pool: no anonymity');
    mix.enterFrom(0);
    mix.enterFrom(1);
    close(mix.currentEntropy(), 1);
    assert.deepEqual(Array.from(mix.leave()), [0.5, 0.5, 0]);
    // The one left might be either: {0: ½, 1: ½}. A packet from 2 joins.
    mix.enterFrom(2);
    assert.deepEqual(Array.from(mix.leave()), [0.25, 0.25, 0.5]);
    // Left: mass {0: ¼, 1: ¼, 2: ½} in one packet.
    assert.equal(mix.size, 1);
    close(mix.leaveEntropy(), 1.5);
    assert.equal(mix.size, 0);
    assert.throws(() => mix.leave(), RangeError);
  });

  it('pool mixes chain hop by hop', function () {
    const first = new PoolMixAnonymity(4);
    const second = new PoolMixAnonymity(4);
    first.enterFrom(0);
    first.enterFrom(1);
    second.enterFrom(2);
    second.enterFrom(3);
    second.enter(first.leave()); // {0: ½, 1: ½}
    const out = second.leave(); // average of {2}, {3}, {0: ½, 1: ½}
    for (const [i, p] of [1 / 6, 1 / 6, 1 / 3, 1 / 3].entries()) close(out[i], p);
    close(shannonEntropy(out), -(2 / 6) * Math.log2(1 / 6) - (2 / 3) * Math.log2(1 / 3));
  });

  it('matches a direct recomputation over a long random run (through many internal rescalings)', function () {
    const n = 50;
    const mix = new PoolMixAnonymity(n);
    // Reference: the pool's summed distribution as a plain vector; a departure takes sum/k and leaves sum·(k−1)/k.
    let sum = new Float64Array(n);
    let k = 0;
    const u = seededUniform(3);
    let checked = 0;
    let entropyTotal = 0;
    for (let step = 0; step < 80_000; step++) {
      // The pool hovers around 40 packets and never empties, so the scale factor decays far past 1e−200.
      if (mix.size < 5 || (mix.size < 40 && u() < 0.5)) {
        const sender = Math.floor(u() * n);
        mix.enterFrom(sender);
        sum[sender] += 1;
        k++;
        continue;
      }
      const expected = sum.map((x) => x / k);
      sum = sum.map((x, i) => x - expected[i]);
      k--;
      if (step % 997 === 0) {
        const got = mix.leave();
        for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-9, `step ${step} sender ${i}`);
        entropyTotal += shannonEntropy(got);
        checked++;
      } else {
        const h = mix.leaveEntropy();
        assert.ok(Math.abs(h - shannonEntropy(expected)) < 1e-9);
      }
    }
    assert.ok(checked > 20);
    const mean = entropyTotal / checked;
    assert.ok(mean > 4 && mean < Math.log2(n), `well-mixed: mean entropy ${mean} bits of at most ${Math.log2(n)}`);
  });

  it('sparse distributions (leaveSparse, enterSparse, enterLeft) give the dense ones bit for bit along a chain of pools', function () {
    // The loopix observer moved from dense to sparse per-packet distributions; this pins that nothing changed.
    const n = 40;
    const u = seededUniform(7);
    const dense = [new PoolMixAnonymity(n), new PoolMixAnonymity(n), new PoolMixAnonymity(n)];
    const sparse = [new PoolMixAnonymity(n), new PoolMixAnonymity(n), new PoolMixAnonymity(n)];
    let compared = 0;
    for (let step = 0; step < 8000; step++) {
      const hop = Math.floor(u() * 3);
      if (dense[hop].size < 3 || u() < 0.5) {
        // Fresh from a client (senders in a narrow band at first, so supports grow out of order).
        const sender = Math.floor(u() * (step < 200 ? 8 : n));
        dense[hop].enterFrom(sender);
        sparse[hop].enterFrom(sender);
        continue;
      }
      const d = dense[hop].leave();
      const s = sparse[hop].leaveSparse();
      assert.deepEqual(
        Array.from(s.ids),
        Array.from(d.keys()).filter((i) => d[i] > 0),
      );
      assert.deepEqual(
        Array.from(s.values),
        Array.from(d).filter((x) => x > 0),
      );
      compared++;
      if (hop < 2) {
        dense[hop + 1].enter(d);
        if (step % 2 === 0) sparse[hop + 1].enterSparse(s);
        else sparse[hop + 1].enterLeft(s); // the observer's unchecked path
      }
    }
    assert.ok(compared > 2000, `${compared} departures compared`);
    assert.throws(() => sparse[0].enterSparse({ ids: Int32Array.of(2, 1), values: Float64Array.of(0.5, 0.5) }), RangeError);
    assert.throws(() => sparse[0].enterSparse({ ids: Int32Array.of(n), values: Float64Array.of(1) }), RangeError);
    assert.throws(() => sparse[0].enterSparse({ ids: Int32Array.of(1), values: Float64Array.of(0) }), RangeError);
  });

  it('enter() takes distributions over the right number of senders and normalises them', function () {
    const mix = new PoolMixAnonymity(2);
    mix.enter([3, 1]);
    assert.deepEqual(Array.from(mix.leave()), [0.75, 0.25]);
    assert.throws(() => mix.enter([1, 0, 0]), RangeError);
    assert.throws(() => mix.enter([0, 0]), RangeError);
    assert.throws(() => mix.enterFrom(2), RangeError);
    assert.throws(() => new PoolMixAnonymity(0), RangeError);
  });
});

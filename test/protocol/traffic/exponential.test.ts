import assert from 'node:assert/strict';
import { seededUniform } from '../../helpers/seeded-uniform.js';
import { cryptoUniform, HOP_DELAY_TAIL_PROBABILITY, MAX_DELAY_MS, maxHopDelayMs, PoissonSchedule, sampleExponential, sampleHopDelaysMs } from '../../../protocol/traffic/index.js';

describe('traffic: exponential and Poisson sampling', function () {
  it('Exp(rate) has mean 1/rate and variance 1/rate² (100k samples)', function () {
    const u = seededUniform(1);
    const rate = 4;
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleExponential(rate, u);
      assert.ok(x >= 0 && Number.isFinite(x));
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    assert.ok(Math.abs(mean - 0.25) < 0.25 * 0.02, `mean ${mean}`);
    assert.ok(Math.abs(variance - 0.0625) < 0.0625 * 0.05, `variance ${variance}`);
  });

  it('matches the exponential CDF (Kolmogorov–Smirnov, 20k samples)', function () {
    const u = seededUniform(2);
    const n = 20_000;
    const xs = Array.from({ length: n }, () => sampleExponential(1, u)).sort((a, b) => a - b);
    let d = 0;
    xs.forEach((x, i) => {
      const cdf = 1 - Math.exp(-x);
      d = Math.max(d, Math.abs(cdf - i / n), Math.abs(cdf - (i + 1) / n));
    });
    assert.ok(d < 1.36 / Math.sqrt(n), `KS statistic ${d} exceeds the 95% critical value`);
  });

  it('a Poisson schedule gives Poisson counts per window (mean ≈ variance ≈ rate·window)', function () {
    const schedule = new PoissonSchedule(10, seededUniform(3));
    const windows = new Array<number>(2000).fill(0);
    for (let t = schedule.next(0); t < 2000 * 1000; t = schedule.next(t)) windows[Math.floor(t / 1000)]++;
    const mean = windows.reduce((a, b) => a + b, 0) / windows.length;
    const variance = windows.reduce((a, b) => a + (b - mean) ** 2, 0) / windows.length;
    assert.ok(Math.abs(mean - 10) < 0.3, `mean ${mean}`);
    assert.ok(Math.abs(variance - 10) < 1.2, `variance ${variance}`);
  });

  it('hop delays are whole milliseconds with the configured mean, capped to u32', function () {
    const delays = sampleHopDelaysMs(500, 20_000, seededUniform(4));
    assert.ok(delays.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_DELAY_MS));
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    assert.ok(Math.abs(mean - 500) < 15, `mean ${mean}`);
    assert.deepEqual(sampleHopDelaysMs(0, 3, seededUniform(5)), [0, 0, 0]);
    assert.deepEqual(
      sampleHopDelaysMs(1e12, 1, () => 0.999999999),
      [MAX_DELAY_MS],
    );
  });

  it('hop delays never exceed the bound every hop enforces, which honest draws pass but with probability 1e-9', function () {
    assert.equal(HOP_DELAY_TAIL_PROBABILITY, 1e-9);
    assert.equal(maxHopDelayMs(500), 10_362); // μ = 2/s
    assert.equal(maxHopDelayMs(50), 1037); // μ = 20/s (testnet)
    assert.equal(maxHopDelayMs(0), 0);
    assert.equal(maxHopDelayMs(1e12), MAX_DELAY_MS);
    for (const mean of [1, 50, 500, 12_345.6]) {
      const bound = maxHopDelayMs(mean);
      // P[Exp > bound] = exp(−bound/mean) ≤ p, and one ms less would exceed p.
      assert.ok(Math.exp(-bound / mean) <= HOP_DELAY_TAIL_PROBABILITY);
      assert.ok(Math.exp(-(bound - 1) / mean) > HOP_DELAY_TAIL_PROBABILITY);
      // The most extreme uniform draws are truncated at the bound, not beyond.
      assert.deepEqual(
        sampleHopDelaysMs(mean, 2, () => 1 - 2 ** -53),
        [bound, bound],
      );
    }
    assert.throws(() => maxHopDelayMs(-1), RangeError);
    assert.throws(() => maxHopDelayMs(Number.NaN), RangeError);
  });

  it('rejects rates and means that make no sense', function () {
    const u = seededUniform(6);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => sampleExponential(bad, u), RangeError);
      assert.throws(() => new PoissonSchedule(bad, u), RangeError);
    }
    assert.throws(() => sampleHopDelaysMs(-1, 1, u), RangeError);
    assert.throws(() => sampleHopDelaysMs(10, 1.5, u), RangeError);
  });

  it('the CSPRNG source is uniform in [0, 1) and never repeats a short prefix', function () {
    const u = cryptoUniform();
    const xs = Array.from({ length: 50_000 }, u);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    const other = cryptoUniform();
    assert.notDeepEqual(Array.from({ length: 8 }, other), xs.slice(0, 8));
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { averagePrecision, precisionAtDegree, recoveryScores, rocAuc, truthMatrix } from '../../../simulator/metrics/recovery.js';
import { seededUniform } from '../../../simulator/random.js';

/** A 1 × n "matrix": a plain list of scored pairs, self-pairs not applicable. */
const list = (scores: number[]) => ({ senders: 1, recipients: scores.length, scores });
const flat = { excludeSelf: false };
const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

describe('simulator metrics: social-graph recovery', function () {
  it('perfect ranking: AUC 1, AP 1, precision at degree 1; reversed: AUC 0, AP 5/12', function () {
    const truth = [1, 1, 0, 0];
    assert.equal(rocAuc(list([4, 3, 2, 1]), truth, flat), 1);
    assert.equal(averagePrecision(list([4, 3, 2, 1]), truth, flat), 1);
    assert.equal(precisionAtDegree(list([4, 3, 2, 1]), truth, flat), 1);
    assert.equal(rocAuc(list([1, 2, 3, 4]), truth, flat), 0);
    // Ranked: neg, neg, pos (precision 1/3), pos (precision 2/4): AP = ½·⅓ + ½·½.
    close(averagePrecision(list([1, 2, 3, 4]), truth, flat), 5 / 12);
    assert.equal(precisionAtDegree(list([1, 2, 3, 4]), truth, flat), 0);
  });

  it("matches scikit-learn's documented example (AP 0.8333, AUC 0.75)", function () {
    const p = list([0.1, 0.4, 0.35, 0.8]);
    const truth = [0, 0, 1, 1];
    close(averagePrecision(p, truth, flat), 5 / 6);
    close(rocAuc(p, truth, flat), 0.75);
  });

  it('ties count one half in AUC, enter together in AP, and in expectation at the top-d cut-off', function () {
    // True pair tied with one false pair, above another.
    const p = list([1, 1, 0]);
    const truth = [1, 0, 0];
    close(rocAuc(p, truth, flat), 0.75);
    close(averagePrecision(p, truth, flat), 0.5);
    close(precisionAtDegree(p, truth, flat), 0.5);
    // All scores equal: chance level for every score.
    const same = list(new Array(10).fill(7));
    const t3 = [1, 0, 0, 1, 0, 0, 1, 0, 0, 0];
    assert.equal(rocAuc(same, t3, flat), 0.5);
    close(averagePrecision(same, t3, flat), 0.3);
    close(precisionAtDegree(same, t3, flat), 0.3);
  });

  it('AUC equals the pairwise definition on random scores with many ties', function () {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { minLength: 2, maxLength: 60 }), (items) => {
        const scores = items.map(([s]) => s);
        const truth = items.map(([, t]) => (t ? 1 : 0));
        const pos = scores.filter((_, i) => truth[i]);
        const neg = scores.filter((_, i) => !truth[i]);
        const auc = rocAuc(list(scores), truth, flat);
        if (pos.length === 0 || neg.length === 0) return Number.isNaN(auc);
        let wins = 0;
        for (const x of pos) for (const y of neg) wins += x > y ? 1 : x === y ? 0.5 : 0;
        close(auc, wins / (pos.length * neg.length), 1e-9);
        return true;
      }),
    );
  });

  it('random scores give AUC ≈ 0.5 and AP ≈ the share of true pairs', function () {
    const u = seededUniform(5);
    const n = 120;
    const scores = Float64Array.from({ length: n * n }, () => u());
    const truth = Uint8Array.from({ length: n * n }, () => (u() < 0.05 ? 1 : 0));
    const r = recoveryScores({ senders: n, recipients: n, scores }, truth);
    assert.ok(Math.abs(r.auc - 0.5) < 0.03, `auc ${r.auc}`);
    const share = r.positives / (r.positives + r.negatives);
    assert.ok(Math.abs(r.averagePrecision - share) < 0.015, `AP ${r.averagePrecision} vs ${share}`);
    assert.ok(Math.abs(r.precisionAtDegree - share) < 0.03, `P@d ${r.precisionAtDegree}`);
    assert.equal(r.positives + r.negatives, n * n - n, 'self-pairs left out');
  });

  it('leaves out self-pairs by default, and averages precision at each sender’s own degree', function () {
    // 3 users. True edges 0–1 and 1–2 (symmetric). Self-pairs score highest and must not count.
    const truth = truthMatrix(3, 3, [
      { source: 0, target: 1 },
      { source: 1, target: 2 },
    ]);
    assert.deepEqual(Array.from(truth), [0, 1, 0, 1, 0, 1, 0, 1, 0]);
    const scores = [
      [9, 5, 1], // sender 0: top-1 = 1 ✓
      [2, 9, 1], // sender 1: top-2 = {0, 2} ✓✓
      [3, 2, 9], // sender 2: top-1 = 0 ✗
    ].flat();
    const p = { senders: 3, recipients: 3, scores };
    close(precisionAtDegree(p, truth), (1 + 1 + 0) / 3);
    // Pairs: positives 0→1 (5), 1→0 (2), 1→2 (1), 2→1 (2); negatives 0→2 (1), 2→0 (3).
    // Wins: 5 beats both; 2 beats 1 (×2 positives); 1 ties 1, loses to 3.
    close(rocAuc(p, truth), (2 + 1 + 0.5 + 1) / 8);
    assert.ok(rocAuc(p, truth, flat) < rocAuc(p, truth), 'the high self-scores would count as false positives');
  });

  it('refuses mismatched sizes and NaN scores; NaN when a class is empty', function () {
    assert.throws(() => rocAuc({ senders: 2, recipients: 2, scores: [1, 2, 3] }, [0, 1, 0, 1]), RangeError);
    assert.throws(() => rocAuc({ senders: 2, recipients: 2, scores: [1, 2, 3, 4] }, [0, 1, 0]), RangeError);
    assert.throws(() => averagePrecision(list([1, Number.NaN]), [1, 0], flat), /NaN/);
    assert.throws(() => precisionAtDegree(list([1, Number.NaN]), [1, 0], flat), /NaN/);
    assert.throws(() => truthMatrix(2, 2, [{ source: 0, target: 2 }]), RangeError);
    assert.ok(Number.isNaN(rocAuc(list([1, 2]), [0, 0], flat)));
    assert.ok(Number.isNaN(averagePrecision(list([1, 2]), [0, 0], flat)));
    assert.ok(Number.isNaN(precisionAtDegree(list([1, 2]), [0, 0], flat)));
  });
});

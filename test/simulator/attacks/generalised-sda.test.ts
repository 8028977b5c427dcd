import assert from 'node:assert/strict';
import type { Uniform } from '../../../protocol/crypto/random.js';
import { GeneralisedDisclosureAttack } from '../../../simulator/attacks/generalised-sda.js';
import { StatisticalDisclosureAttack } from '../../../simulator/attacks/sda.js';
import { barabasiAlbert } from '../../../simulator/graphs/barabasi-albert.js';
import type { SocialGraph } from '../../../simulator/graphs/social-graph.js';
import { wattsStrogatz } from '../../../simulator/graphs/watts-strogatz.js';
import { type RecoveryScores, recoveryScores, truthMatrix } from '../../../simulator/metrics/recovery.js';
import { randomIndex, sampleDistinct, seededUniform } from '../../../simulator/random.js';

interface Scenario {
  graph: (u: Uniform) => SocialGraph;
  users: number;
  /** Messages entering (and leaving) the mix per round. */
  batch: number;
  /** Messages a pool mix keeps back each round (0: a threshold mix). */
  pool: number;
  rounds: number;
  /** The attacker's delay window ends where P(delay > d) falls below this. */
  tail: number;
  seed: number;
}

/**
 * A population of users talking over a (pool) mix, round by round: each
 * round `batch` messages from uniformly chosen senders, each to a uniformly
 * chosen friend, enter; the mix flushes `batch` messages drawn uniformly
 * from the `pool + batch` it holds. A message therefore leaves d rounds
 * after entering with probability q(1 − q)^d, q = batch / (pool + batch).
 * The observer sees each round's senders and recipients.
 *
 * Both attacks see the same rounds: the plain SDA (one sda.ts instance per
 * sender) takes the outputs of the rounds in which the sender sent; the
 * generalised SDA weights each round's outputs by the delay distribution.
 */
function attackPopulation(s: Scenario): { gsda: RecoveryScores; sda: RecoveryScores } {
  const u = seededUniform(s.seed);
  const graph = s.graph(u);
  const U = s.users;
  const q = s.batch / (s.pool + s.batch);
  const delay: number[] = [];
  for (let d = 0; delay.length === 0 || (1 - q) ** d > s.tail; d++) delay.push(q * (1 - q) ** d);
  const message = (): number => {
    const sender = randomIndex(U, u);
    const friends = graph.neighbours(sender);
    return friends[randomIndex(friends.length, u)];
  };
  const held = Array.from({ length: s.pool }, message); // recipients of the messages in the pool
  const gsda = new GeneralisedDisclosureAttack(U, U);
  const sdas = Array.from({ length: U }, () => new StatisticalDisclosureAttack(U, s.batch));
  const sentPerRound: Array<Map<number, number>> = [];
  for (let round = 0; round < s.rounds; round++) {
    const sent = new Map<number, number>();
    for (let k = 0; k < s.batch; k++) {
      const sender = randomIndex(U, u);
      sent.set(sender, (sent.get(sender) ?? 0) + 1);
      const friends = graph.neighbours(sender);
      held.push(friends[randomIndex(friends.length, u)]);
    }
    const outputs = sampleDistinct(held.length, s.batch, u)
      .sort((a, b) => b - a)
      .map((i) => held.splice(i, 1)[0]);
    sentPerRound.unshift(sent);
    if (sentPerRound.length > delay.length) sentPerRound.pop();
    // W for each sender: its messages of d rounds ago × P(delay = d).
    const weights = new Map<number, number>();
    sentPerRound.forEach((m, d) => m.forEach((count, sender) => weights.set(sender, (weights.get(sender) ?? 0) + count * delay[d])));
    gsda.observe(outputs, [...weights.keys()], [...weights.values()]);
    for (const sender of sent.keys()) sdas[sender].observe(outputs);
  }
  const truth = truthMatrix(U, U, graph.edges);
  const sdaScores = new Float64Array(U * U);
  sdas.forEach((a, sender) => a.rounds > 0 && sdaScores.set(a.estimate(), sender * U));
  return {
    gsda: recoveryScores({ senders: U, recipients: U, scores: gsda.scores() }, truth),
    sda: recoveryScores({ senders: U, recipients: U, scores: sdaScores }, truth),
  };
}

const ring = (u: Uniform) => wattsStrogatz(100, 4, 0, u); // everyone receives equally: a uniform background, SDA's assumption
const scaleFree = (u: Uniform) => barabasiAlbert(100, 2, u); // a few very popular recipients

describe('simulator attacks: generalised statistical disclosure (Mathewson & Dingledine 2004)', function () {
  it("reduces to Danezis' SDA (sda.ts) for one target in a threshold mix with a uniform background", function () {
    const u = seededUniform(1);
    const N = 50;
    const b = 8;
    const friends = [3, 17, 41];
    const sda = new StatisticalDisclosureAttack(N, b);
    const gsda = new GeneralisedDisclosureAttack(1, N, { background: 'uniform' });
    for (let round = 0; round < 200; round++) {
      const outputs = [friends[randomIndex(3, u)], ...Array.from({ length: b - 1 }, () => randomIndex(N, u))];
      sda.observe(outputs);
      gsda.observe(outputs, [0]);
    }
    const expected = sda.estimate();
    const got = gsda.estimate(0);
    for (let r = 0; r < N; r++) assert.ok(Math.abs(got[r] - expected[r]) < 1e-12, `recipient ${r}: ${got[r]} vs ${expected[r]}`);
    assert.equal(gsda.observations, 200);
  });

  it('implements v̂ = (S − B·û)/A on a hand-worked example, with û from the rounds the sender did not send', function () {
    const a = new GeneralisedDisclosureAttack(2, 3);
    a.observe([0, 1], [0]); // sender 0 sends one of two: w = ½
    a.observe([0, 2], [0, 0]); // both outputs are sender 0's: w = 1
    a.observe([2, 2], [1]); // sender 0 absent: its background is {2: 1}
    // S = ½·(1, 1, 0) + 1·(1, 0, 1) = (1.5, 0.5, 1); A = 2·¼ + 2·1 = 2.5; B = 2·¼ + 0 = 0.5.
    const v = a.estimate(0);
    const expected = [1.5 / 2.5, 0.5 / 2.5, (1 - 0.5) / 2.5];
    expected.forEach((x, r) => assert.ok(Math.abs(v[r] - x) < 1e-12, `r=${r}`));
    // Sender 1 was in every round it had weight... and rounds 1–2 form its background {0: ½, 1: ¼, 2: ¼}.
    // S = ½·(0, 0, 2) = (0, 0, 1); A = B = 2·¼ = ½.
    const v1 = a.estimate(1);
    [(0 - 0.5 * 0.5) / 0.5, (0 - 0.5 * 0.25) / 0.5, (1 - 0.5 * 0.25) / 0.5].forEach((x, r) => assert.ok(Math.abs(v1[r] - x) < 1e-12));
    assert.deepEqual(Array.from(a.scores()), [...v, ...v1]);
  });

  it('in a threshold mix it recovers the friends as well as the plain SDA', function () {
    const { gsda, sda } = attackPopulation({ graph: ring, users: 100, batch: 10, pool: 0, rounds: 300, tail: 0.5, seed: 1 });
    assert.ok(gsda.auc > 0.95 && sda.auc > 0.95, `AUC ${gsda.auc}, ${sda.auc}`);
    assert.ok(Math.abs(gsda.auc - sda.auc) < 0.02, `AUC ${gsda.auc} vs SDA ${sda.auc}`);
    assert.ok(Math.abs(gsda.precisionAtDegree - sda.precisionAtDegree) < 0.08, `P@d ${gsda.precisionAtDegree} vs SDA ${sda.precisionAtDegree}`);
  });

  it('estimating the background beats assuming it uniform when some recipients are popular', function () {
    const { gsda, sda } = attackPopulation({ graph: scaleFree, users: 100, batch: 10, pool: 0, rounds: 300, tail: 0.5, seed: 2 });
    assert.ok(gsda.averagePrecision > sda.averagePrecision + 0.15, `AP ${gsda.averagePrecision} vs SDA ${sda.averagePrecision}`);
    assert.ok(gsda.precisionAtDegree > sda.precisionAtDegree + 0.2, `P@d ${gsda.precisionAtDegree} vs SDA ${sda.precisionAtDegree}`);
  });

  it('in a pool mix, weighting later rounds by the delay distribution beats the plain SDA', function () {
    for (const [graph, seed] of [
      [ring, 3],
      [scaleFree, 4],
    ] as const) {
      const { gsda, sda } = attackPopulation({ graph, users: 100, batch: 10, pool: 60, rounds: 3000, tail: 0.3, seed });
      assert.ok(gsda.auc > sda.auc + 0.05, `AUC ${gsda.auc} vs SDA ${sda.auc}`);
      assert.ok(gsda.precisionAtDegree > sda.precisionAtDegree + 0.2, `P@d ${gsda.precisionAtDegree} vs SDA ${sda.precisionAtDegree}`);
    }
  });

  it('refuses bad observations without recording any part of them', function () {
    const a = new GeneralisedDisclosureAttack(3, 4);
    assert.throws(() => a.observe([0, 4], [0]), /recipient 4/);
    assert.throws(() => a.observe([0, 1], [3]), /sender 3/);
    assert.throws(() => a.observe([0, 1], [0], [Number.NaN]), /weight/);
    assert.throws(() => a.observe([0, 1], [0, 1], [1]), /2 senders but 1 weights/);
    assert.throws(() => a.observe([0, 1], [0, 0, 0]), /weight 3 in a group of 2/);
    assert.throws(() => a.estimate(3), RangeError);
    assert.throws(() => new GeneralisedDisclosureAttack(0, 4), RangeError);
    assert.equal(a.observations, 0);
    assert.deepEqual(Array.from(a.scores()), new Array(12).fill(0), 'nothing was recorded');
    // A good observation after the failures counts exactly as on a fresh attack.
    const fresh = new GeneralisedDisclosureAttack(3, 4);
    for (const x of [a, fresh]) {
      x.observe([0, 1, 1, 3], [0, 2], [1, 0.5]);
      x.observe([2, 2, 0, 1], [1]);
    }
    assert.deepEqual(Array.from(a.scores()), Array.from(fresh.scores()));
    assert.ok(a.scores().some((x) => x !== 0));
  });

  it('smoke: 1000 senders × 1000 recipients over 100,000 observations', function () {
    this.timeout(60_000);
    const u = seededUniform(7);
    const a = new GeneralisedDisclosureAttack(1000, 1000);
    const outputs = new Int32Array(10);
    const senders = new Int32Array(10);
    for (let t = 0; t < 100_000; t++) {
      for (let k = 0; k < 10; k++) {
        senders[k] = randomIndex(1000, u);
        // Sender i mostly writes to i + 1.
        outputs[k] = u() < 0.5 ? (senders[k] + 1) % 1000 : randomIndex(1000, u);
      }
      a.observe(outputs, senders);
    }
    const scores = a.scores();
    assert.equal(scores.length, 1e6);
    let right = 0;
    for (let s = 0; s < 1000; s++) {
      let best = 0;
      for (let r = 1; r < 1000; r++) if (scores[s * 1000 + r] > scores[s * 1000 + best]) best = r;
      if (best === (s + 1) % 1000) right++;
    }
    assert.ok(right > 990, `top recipient right for ${right} of 1000 senders`);
  });
});

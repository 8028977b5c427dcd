import assert from 'node:assert/strict';
import { dayNightFactor, nextModulatedEvent } from '../../../simulator/behaviour/day-night.js';
import { drawUserRates, standardNormal } from '../../../simulator/behaviour/message-rates.js';
import { RecipientPicker } from '../../../simulator/behaviour/recipient-picker.js';
import { readBehaviourSpec, type BehaviourSpec } from '../../../simulator/behaviour/spec.js';
import { UserPopulation, type Message } from '../../../simulator/behaviour/users.js';
import { VirtualClock } from '../../../simulator/engine/virtual-clock.js';
import { SocialGraph } from '../../../simulator/graphs/social-graph.js';
import { simConfigReader, SimConfigError } from '../../../simulator/models/config-reader.js';
import { seededStream } from '../../../simulator/models/streams.js';

const mean = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

function spec(overrides: Partial<BehaviourSpec> = {}): BehaviourSpec {
  return { ...readBehaviourSpec(simConfigReader({}, 'behaviour')), ...overrides };
}

describe('simulator/behaviour: message rates', function () {
  it('every distribution has the configured mean; pareto and lognormal have heavy tails', function () {
    const u = seededStream(1, 0);
    const constant = drawUserRates(1000, 30, { distribution: 'constant', paretoShape: 2.5, lognormalSigma: 1 }, u);
    assert.ok(constant.every((r) => r === 30));
    for (const distribution of ['pareto', 'lognormal'] as const) {
      const rates = drawUserRates(200_000, 30, { distribution, paretoShape: 2.5, lognormalSigma: 1 }, u);
      assert.ok(Math.abs(mean(rates) - 30) < 0.6, `${distribution} mean ${mean(rates)}`);
      const sorted = Float64Array.from(rates).sort();
      const median = sorted[sorted.length / 2];
      // Heavy tail: the mean sits well above the median and the top 1 % write far more than the median user.
      assert.ok(median < 27, `${distribution} median ${median}`);
      assert.ok(sorted[Math.floor(0.99 * sorted.length)] > 3.5 * median, distribution);
    }
  });

  it('standard normal draws have mean 0 and variance 1', function () {
    const u = seededStream(2, 0);
    const xs = Array.from({ length: 100_000 }, () => standardNormal(u));
    const m = mean(xs);
    assert.ok(Math.abs(m) < 0.02);
    assert.ok(Math.abs(mean(xs.map((x) => (x - m) ** 2)) - 1) < 0.02);
  });

  it('refuses a Pareto shape without a finite mean', function () {
    assert.throws(() => drawUserRates(3, 1, { distribution: 'pareto', paretoShape: 1, lognormalSigma: 1 }, seededStream(1, 0)), RangeError);
  });
});

describe('simulator/behaviour: day/night cycle', function () {
  it('thinning gives the modulated rate: day (sin > 0) gets (1 + 2a/π)/(1 − 2a/π) times the night’s events', function () {
    const u = seededStream(3, 0);
    const cycle = { amplitude: 0.8, periodMs: 86_400_000 };
    let t = 0;
    let day = 0;
    let night = 0;
    const days = 200;
    for (;;) {
      t = nextModulatedEvent(t, 0.01, cycle, u);
      if (t >= days * cycle.periodMs) break;
      if (t % cycle.periodMs < cycle.periodMs / 2) day++;
      else night++;
    }
    const expectedTotal = 0.01 * days * 86_400;
    assert.ok(Math.abs(day + night - expectedTotal) < 4 * Math.sqrt(expectedTotal), `${day + night} events, expected ${expectedTotal}`);
    const k = (2 * 0.8) / Math.PI;
    assert.ok(Math.abs(day / night - (1 + k) / (1 - k)) < 0.25, `ratio ${day / night}`);
    assert.equal(dayNightFactor(cycle, cycle.periodMs / 4), 1.8);
  });

  it('amplitude 0 is a plain Poisson process; a zero rate never fires', function () {
    const u = seededStream(4, 0);
    let t = 0;
    let n = 0;
    while ((t = nextModulatedEvent(t, 2, { amplitude: 0, periodMs: 1000 }, u)) < 10_000_000) n++;
    assert.ok(Math.abs(n - 20_000) < 4 * Math.sqrt(20_000), `${n} events`);
    assert.equal(nextModulatedEvent(0, 0, { amplitude: 0.5, periodMs: 1000 }, u), Infinity);
    assert.throws(() => nextModulatedEvent(0, 1, { amplitude: 1, periodMs: 1000 }, u), RangeError);
  });
});

describe('simulator/behaviour: recipients and conversations', function () {
  it('picks neighbours in proportion to edge weight', function () {
    const g = new SocialGraph(4, [
      { source: 0, target: 1, weight: 1 },
      { source: 0, target: 2, weight: 3 },
      { source: 0, target: 3, weight: 6 },
    ]);
    const picker = new RecipientPicker(g);
    const u = seededStream(5, 0);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 100_000; i++) counts[picker.pick(0, u)]++;
    assert.equal(counts[0], 0);
    for (const [r, w] of [
      [1, 0.1],
      [2, 0.3],
      [3, 0.6],
    ] as const)
      assert.ok(Math.abs(counts[r] / 100_000 - w) < 0.01, `recipient ${r}: ${counts[r]}`);
    assert.equal(picker.pick(1, u), 0, 'a leaf writes to its only neighbour');
    const lonely = new RecipientPicker(new SocialGraph(2, []));
    assert.equal(lonely.canSend(0), false);
    assert.throws(() => lonely.pick(0, u), RangeError);
  });

  it('users write along edges at their rates and reply with the configured probability', function () {
    const g = new SocialGraph(5, [
      { source: 0, target: 1 },
      { source: 1, target: 2 },
      { source: 2, target: 3 },
    ]); // user 4 has nobody to write to
    const clock = new VirtualClock();
    const sent: Message[] = [];
    const hours = 200;
    const users: UserPopulation = new UserPopulation({
      graph: g,
      spec: spec({ ratePerHour: 10, rateDistribution: 'constant', replyProbability: 0.4, replyDelayS: 60 }),
      clock,
      startsUniform: seededStream(6, 1),
      repliesUniform: seededStream(6, 3),
      untilMs: hours * 3_600_000,
      // Read at once: a reply follows one minute later on average.
      send: (m) => {
        sent.push(m);
        users.read(m, clock.now());
      },
    });
    users.start();
    clock.run(Infinity);
    assert.equal(users.rates[4], 0);
    assert.ok(sent.every((m) => g.hasEdge(m.from, m.to) && m.createdMs < hours * 3_600_000));
    const starts = sent.filter((m) => !m.reply).length;
    assert.ok(Math.abs(starts - 4 * 10 * hours) < 4 * Math.sqrt(4 * 10 * hours), `${starts} conversation starts`);
    // Each message is answered with probability 0.4: replies = 0.4 · all messages.
    const replies = sent.length - starts;
    assert.equal(users.replies, replies);
    assert.ok(Math.abs(replies / sent.length - 0.4) < 0.02, `reply share ${replies / sent.length}`);
    const reply = sent.find((m) => m.reply) as Message;
    assert.ok(
      sent.some((m) => m.from === reply.to && m.to === reply.from && m.createdMs < reply.createdMs),
      'a reply answers an earlier message',
    );
  });

  it('the same streams give the same messages', function () {
    const g = new SocialGraph(3, [
      { source: 0, target: 1 },
      { source: 1, target: 2 },
    ]);
    const run = (seed: number): string => {
      const clock = new VirtualClock();
      const out: string[] = [];
      const users: UserPopulation = new UserPopulation({
        graph: g,
        spec: spec({ ratePerHour: 60 }),
        clock,
        startsUniform: seededStream(seed, 1),
        repliesUniform: seededStream(seed, 3),
        untilMs: 3_600_000,
        send: (m) => {
          out.push(`${m.from}>${m.to}@${m.createdMs.toFixed(3)}`);
          users.read(m, clock.now() + 500);
        },
      });
      users.start();
      clock.run(Infinity);
      return out.join(' ');
    };
    assert.equal(run(9), run(9));
    assert.notEqual(run(9), run(10));
  });

  it('the [behaviour] table refuses bad values and unknown keys, naming the key', function () {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ rate: 0 }, 'behaviour.rate'],
      [{ rate_distribution: 'zipf' }, 'behaviour.rate_distribution'],
      [{ pareto_shape: 1 }, 'behaviour.pareto_shape'],
      [{ reply_probability: 1 }, 'behaviour.reply_probability'],
      [{ day_night: 1 }, 'behaviour.day_night'],
      [{ replies: 0.5 }, 'behaviour.replies'],
    ];
    for (const [table, key] of cases) {
      assert.throws(
        () => readBehaviourSpec(simConfigReader(table, 'behaviour')),
        (e: unknown) => e instanceof SimConfigError && e.key === key && /allowed|expected/.test(e.message),
        key,
      );
    }
  });
});

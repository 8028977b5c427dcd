import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTraceEvent, type TraceEvent } from '../../../protocol/trace/events.js';
import { truthMatrix } from '../../../simulator/metrics/recovery.js';
import { AttackSuite } from '../../../simulator/models/attack-suite.js';
import { seededUniform } from '../../../simulator/random.js';
import { attackTrace, TraceAttackError } from '../../../simulator/trace/attack.js';
import type { TraceFileRole, TraceSet } from '../../../simulator/trace/read.js';
import { chaffEntry } from '../../../testnet/chaff-entry.js';

const T0 = 1_700_000_000_000;

/** A TraceSet as readTraces builds it, from per-file event lists (each in time order). */
function traceSet(files: Array<{ name: string; events: TraceEvent[] }>): TraceSet {
  const roles = files.map((f): TraceFileRole => (f.events.length === 0 ? 'empty' : f.events[0].ev === 'message' ? 'truth' : 'observer'));
  return {
    files: files.map((f, i) => ({ path: `/traces/${f.name}.jsonl`, role: roles[i], events: f.events.length })),
    events: files.flatMap((f, file) => f.events.map((event) => ({ event, file }))).sort((a, b) => a.event.t - b.event.t),
  };
}

interface Scenario {
  users: number;
  durationS: number;
  /** Clients send at a constant Poisson rate (4/s) whatever their users do, and loop 1/s (real messages replace drops); else one packet per message and nothing more. */
  cover: boolean;
  /** With cover: every payload slot (4/s) is acknowledged, a real packet taking a decoy's place (Chaff), instead of only real packets and loops. */
  decoys?: boolean;
  seed: number;
}

/**
 * Users 2k and 2k + 1 write to each other (Poisson, one message per 20 s
 * each); user s is behind gateway s mod 2. A message is deposited in the
 * friend's mailbox after an Exp(mean 0.5 s) delay, and its SURB-ACK in the
 * sender's after another (loops too: they are ACKed like messages).
 */
function scenario(s: Scenario): { gateways: TraceEvent[][]; truth: TraceEvent[][] } {
  const uniform = seededUniform(s.seed);
  const exp = (ratePerS: number): number => (-Math.log(1 - uniform()) / ratePerS) * 1000;
  const id = (u: number): string => (0xa0 + u).toString(16);
  const end = s.durationS * 1000;
  const gateways: TraceEvent[][] = [[], []];
  const truth: TraceEvent[][] = Array.from({ length: s.users }, () => []);
  const ackFor = (sender: number, deposit: number): void => {
    const ack = deposit + exp(2);
    if (ack < end) gateways[sender % 2].push({ t: T0 + Math.round(ack), ev: 'deposit', user: id(sender), kind: 'surb-reply' });
  };
  const deliver = (sender: number, recipient: number, t: number): void => {
    const deposit = t + exp(2);
    if (deposit >= end) return;
    gateways[recipient % 2].push({ t: T0 + Math.round(deposit), ev: 'deposit', user: id(recipient), kind: 'message' });
    // With decoys a real packet's ACK is the ACK its payload slot sends anyway (below).
    if (!(s.cover && s.decoys) || recipient === sender) ackFor(sender, deposit);
  };
  for (let u = 0; u < s.users; u++) {
    for (let t = exp(0.05), n = 0; t < end; t += exp(0.05), n++) {
      truth[u].push({ t: T0 + Math.round(t), ev: 'message', from: id(u), to: id(u ^ 1), id: n.toString(16), fragments: 1 });
      if (!s.cover) gateways[u % 2].push({ t: T0 + Math.round(t), ev: 'send', user: id(u) });
      deliver(u, u ^ 1, t);
    }
    if (s.cover) {
      for (let t = exp(4); t < end; t += exp(4)) {
        gateways[u % 2].push({ t: T0 + Math.round(t), ev: 'send', user: id(u) });
        if (s.decoys) ackFor(u, t + exp(2));
      }
      for (let t = exp(1); t < end; t += exp(1)) deliver(u, u, t);
    }
  }
  for (const g of gateways) g.sort((a, b) => a.t - b.t);
  return { gateways, truth };
}

function scenarioSet(s: Scenario): TraceSet {
  const { gateways, truth } = scenario(s);
  return traceSet([...gateways.map((events, g) => ({ name: `observer-gateway-${g}`, events })), ...truth.map((events, u) => ({ name: `truth-${u}`, events }))]);
}

describe('simulator/trace/attack: the attack suite on a real network’s traces', function () {
  this.timeout(20_000);

  it('turns events into the loopix observer’s windows, gsda look-back and counts (a hand-checked trace)', () => {
    const [a, b, c] = ['a0', 'a1', 'a2'];
    const gw0: TraceEvent[] = [
      { t: T0, ev: 'send', user: a },
      { t: T0 + 1000, ev: 'send', user: a },
      { t: T0 + 5000, ev: 'send', user: c },
      { t: T0 + 13_000, ev: 'send', user: c },
      { t: T0 + 14_000, ev: 'deposit', user: a, kind: 'message' },
      { t: T0 + 25_000, ev: 'deposit', user: c, kind: 'surb-reply' },
      { t: T0 + 30_000, ev: 'send', user: a },
    ];
    const gw1: TraceEvent[] = [
      { t: T0 + 2000, ev: 'deposit', user: b, kind: 'message' },
      { t: T0 + 12_000, ev: 'send', user: b },
      { t: T0 + 15_000, ev: 'fetch', user: b },
    ];
    const msg = (t: number, from: string, to: string, fragments = 1): TraceEvent => ({ t: T0 + t, ev: 'message', from, to, id: 'ff', fragments });
    const set = traceSet([
      { name: 'observer-gw0', events: gw0 },
      { name: 'observer-gw1', events: gw1 },
      { name: 'truth-a', events: [msg(500, a, b), msg(600, a, b, 3)] },
      { name: 'truth-b', events: [msg(11_000, b, a)] },
      { name: 'truth-c', events: [msg(20_000, c, c), msg(40_000, c, a)] },
    ]);
    const r = attackTrace(set, { windowS: 10, curvePoints: 2 });

    // 30 s from the first to the last observer event: three windows, the event at 30 s in the last.
    assert.deepEqual(r.period, { startMs: T0, endMs: T0 + 30_000, durationS: 30, windows: 3 });
    const truth = truthMatrix(
      3,
      3,
      [
        { source: 0, target: 1 },
        { source: 1, target: 0 },
        { source: 2, target: 0 },
      ],
      { symmetric: false },
    );
    const suite = new AttackSuite(3, ['sda', 'gsda', 'lsda']);
    // Window 0: a sent 2, c 1; b's deposit, when only a had sent in the 10 s before it.
    suite.observeRound([2, 0, 1], [1]);
    suite.observeDelivery(1, [0], [1]);
    // Window 1: a's deposit at 14 s: in (4 s, 14 s] c sent 2 packets and b 1.
    suite.observeDelivery(0, [1, 2], [1 / 3, 2 / 3]);
    suite.observeRound([0, 1, 1], [0]);
    const atTwenty = suite.recovery(truth);
    suite.observeRound([1, 0, 0], []);
    const atEnd = suite.recovery(truth);
    assert.deepEqual(r.curves.recovery, [
      { timeS: 20, recovery: atTwenty },
      { timeS: 30, recovery: atEnd },
    ]);
    assert.deepEqual(r.metrics.recovery, atEnd);

    assert.deepEqual(r.metrics.counts, {
      users: 3,
      sendingUsers: 3,
      truthUsers: 3,
      gateways: 2,
      corruptGateways: 2,
      sends: 6,
      packetsPerUserPerSecond: 6 / 3 / 30,
      fetches: 1,
      messageDeposits: 2,
      surbReplyDeposits: 1,
      observedDeposits: 2,
      messages: 5,
      fragments: 7,
      truthEdges: 3,
      messagesInPeriod: 4,
    });
    assert.deepEqual(
      r.users.map((u) => [u.id, u.gateway, u.sends, u.fetches, u.messageDeposits, u.surbReplyDeposits, u.messagesSent, u.messagesReceived]),
      [
        [a, 'observer-gw0', 3, 0, 1, 0, 2, 2],
        [b, 'observer-gw1', 1, 1, 1, 0, 1, 2],
        [c, 'observer-gw0', 2, 0, 0, 1, 2, 1],
      ],
    );
    assert.equal(r.users[0].packetsPerSecond, 0.1);
    // Directed pairs; the note to oneself is no pair.
    assert.deepEqual(r.truthEdges, [
      { from: a, to: b, messages: 2 },
      { from: b, to: a, messages: 1 },
      { from: c, to: a, messages: 1 },
    ]);
    assert.deepEqual(r.parameters, { windowS: 10, curvePoints: 2, attacks: ['sda', 'gsda', 'lsda'], activity: 'sends', corruptGateways: ['observer-gw0', 'observer-gw1'] });
    assert.deepEqual(
      r.inputs.files.map((f) => f.corrupt),
      [true, true, false, false, false],
    );

    // Only gw1 corrupt: a's deposit at gw0 is not seen.
    const honest0 = attackTrace(set, { windowS: 10, curvePoints: 2, corruptFiles: [1] });
    const s1 = new AttackSuite(3, ['sda', 'gsda', 'lsda']);
    s1.observeRound([2, 0, 1], [1]);
    s1.observeDelivery(1, [0], [1]);
    s1.observeRound([0, 1, 1], []);
    s1.observeRound([1, 0, 0], []);
    assert.deepEqual(honest0.metrics.recovery, s1.recovery(truth));
    assert.equal(honest0.metrics.counts.observedDeposits, 1);
    assert.deepEqual(honest0.parameters.corruptGateways, ['observer-gw1']);

    // activity "acks": every user's entry gateway is corrupt, so their activity is the SURB-ACKs stored for them.
    const acks = attackTrace(set, { windowS: 10, curvePoints: 2, activity: 'acks' });
    const s2 = new AttackSuite(3, ['sda', 'gsda', 'lsda']);
    s2.observeRound([0, 0, 0], [1]);
    s2.observeDelivery(1, [0], [1]);
    s2.observeDelivery(0, [1, 2], [1 / 3, 2 / 3]);
    s2.observeRound([0, 0, 0], [0]);
    s2.observeRound([0, 0, 1], []);
    assert.deepEqual(acks.metrics.recovery, s2.recovery(truth));
  });

  it('links senders to recipients almost perfectly when packets rise exactly with messages (no cover)', () => {
    for (const users of [6, 24]) {
      const r = attackTrace(scenarioSet({ users, durationS: 2000, cover: false, seed: 1 }), { windowS: 10 });
      for (const attack of ['sda', 'gsda', 'lsda']) {
        assert.ok(r.metrics.recovery[attack].auc > 0.95, `${users} users, ${attack}: AUC ${r.metrics.recovery[attack].auc}`);
        assert.ok(r.metrics.recovery[attack].linkageAuc > 0.95, `${users} users, ${attack}: linkage AUC ${r.metrics.recovery[attack].linkageAuc}`);
      }
      assert.equal(r.metrics.recovery.popularity.linkageAuc, 0.5);
      assert.equal(r.metrics.counts.sends, r.metrics.counts.messages, 'one packet per message');
    }
  });

  // 24 users: with 6 the chance level of a linkage AUC (1 true sender against 4 per recipient) varies by ±0.15 between seeds.
  it('finds no link under constant-rate cover traffic: linkage AUC near 0.5', () => {
    let sum = 0;
    let n = 0;
    for (const seed of [1, 2, 3]) {
      const r = attackTrace(scenarioSet({ users: 24, durationS: 1000, cover: true, seed }), { windowS: 10 });
      for (const attack of ['sda', 'gsda', 'lsda']) {
        const x = r.metrics.recovery[attack].linkageAuc;
        assert.ok(Math.abs(x - 0.5) < 0.12, `seed ${seed}, ${attack}: linkage AUC ${x}`);
        sum += x;
        n++;
      }
      // Sanity: the same users do write to each other, and the deposits were seen.
      assert.equal(r.metrics.counts.truthEdges, 24);
      assert.ok(r.metrics.counts.observedDeposits > r.metrics.counts.messages);
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.05, `mean linkage AUC ${sum / n}`);
  });

  it('with activity "acks" the corrupt gateways’ SURB-ACKs give the messages away despite the cover', () => {
    const set = scenarioSet({ users: 24, durationS: 1000, cover: true, seed: 1 });
    const sends = attackTrace(set, { windowS: 10 });
    const acks = attackTrace(set, { windowS: 10, activity: 'acks' });
    assert.ok(acks.metrics.recovery.lsda.linkageAuc > 0.75, `lsda on ACKs: ${acks.metrics.recovery.lsda.linkageAuc}`);
    assert.ok(sends.metrics.recovery.lsda.linkageAuc < 0.62, `lsda on packets: ${sends.metrics.recovery.lsda.linkageAuc}`);
    // The ACKs tell the windows in which a user writes; the packets on the link do not.
    assert.ok(acks.metrics.activity.ackAuc > 0.56, `ack AUC ${acks.metrics.activity.ackAuc}`);
    assert.ok(Math.abs(acks.metrics.activity.sendAuc - 0.5) < 0.05, `send AUC ${acks.metrics.activity.sendAuc}`);
  });

  it('with decoys (every payload slot acknowledged) the SURB-ACKs give nothing away: activity "acks" links no better than chance', function () {
    this.timeout(60_000);
    const lsda: number[] = [];
    const ack: number[] = [];
    for (const seed of [1, 2, 3]) {
      const r = attackTrace(scenarioSet({ users: 24, durationS: 1000, cover: true, decoys: true, seed }), { windowS: 10, activity: 'acks' });
      lsda.push(r.metrics.recovery.lsda.linkageAuc);
      ack.push(r.metrics.activity.ackAuc);
      assert.ok(r.metrics.activity.ackUserWindows >= 24 * 99, `scored ${r.metrics.activity.ackUserWindows} user-windows`);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    this.test!.title += ` [lsda linkage ${lsda.map((x) => x.toFixed(3)).join(', ')}; ack AUC ${ack.map((x) => x.toFixed(3)).join(', ')}]`;
    // Without decoys lsda on the ACKs links above 0.75 (the test above); with them it is in the
    // noise band of 24 users over 100 windows (lsda on the packets gives 0.56, 0.50, 0.55 here).
    for (const x of lsda) assert.ok(Math.abs(x - 0.5) < 0.15, `lsda on ACKs: ${lsda}`);
    assert.ok(mean(lsda) < 0.6, `mean lsda linkage on ACKs: ${mean(lsda)}`);
    for (const x of ack) assert.ok(Math.abs(x - 0.5) < 0.05, `ack AUC ${ack}`);
  });

  it('refuses traces without observer events or without truth, and bad options, with a clear error', () => {
    const send: TraceEvent = { t: T0, ev: 'send', user: 'a0' };
    const message: TraceEvent = { t: T0, ev: 'message', from: 'a0', to: 'a1', id: '01', fragments: 1 };
    const both = traceSet([
      { name: 'observer-gw', events: [send] },
      { name: 'truth-a', events: [message] },
    ]);
    assert.throws(
      () => attackTrace(traceSet([{ name: 'truth-a', events: [message] }])),
      (e: unknown) => e instanceof TraceAttackError && /no observer events .* in the file read \(\/traces\/truth-a\.jsonl\)/.test(e.message),
    );
    assert.throws(
      () =>
        attackTrace(
          traceSet([
            { name: 'observer-gw', events: [send] },
            { name: 'x', events: [] },
          ]),
        ),
      /no truth: no message events in the 2 files read; pass the clients' truth-\*\.jsonl with --truth/,
    );
    assert.throws(() => attackTrace(both, { windowS: 0 }), /window 0: expected a number of seconds above 0/);
    assert.throws(() => attackTrace(both, { corruptFiles: [1] }), /truth-a\.jsonl is not a gateway's trace \(truth\)/);
    assert.throws(() => attackTrace(both, { curvePoints: 0 }), /curve points 0/);
    assert.throws(() => attackTrace(both, { activity: 'x' as 'acks' }), /activity "x"/);
    // A single instant observed: one window, no rate.
    const one = attackTrace(both);
    assert.equal(one.period.windows, 1);
    assert.ok(Number.isNaN(one.metrics.counts.packetsPerUserPerSecond));
  });
});

function chaff(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [chaffEntry(), 'sim', 'attack', ...args], { encoding: 'utf8' });
}

function writeScenario(dir: string, s: Scenario): void {
  const { gateways, truth } = scenario(s);
  const lines = (events: TraceEvent[]): string => events.map((e) => `${encodeTraceEvent(e)}\n`).join('');
  gateways.forEach((events, g) => writeFileSync(join(dir, `observer-gateway-${g}.jsonl`), lines(events)));
  truth.forEach((events, u) => writeFileSync(join(dir, `truth-${u}.jsonl`), lines(events)));
}

describe('chaff sim attack: the command line on synthetic trace files', function () {
  this.timeout(60_000);

  it('prints a summary and writes results.json, CSVs, plots and index.html', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-attack-'));
    writeScenario(dir, { users: 6, durationS: 600, cover: false, seed: 2 });
    const out = join(dir, 'out');
    const observers = [0, 1].map((g) => join(dir, `observer-gateway-${g}.jsonl`));
    // --trace with two files in a row (as a shell glob gives them), --truth a folder (its observer files are read once).
    const r = chaff(['--trace', ...observers, '--truth', dir, '--window', '10', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^trace: 6 users \(6 in the truth\), [\d.]+ s observed in 60 windows of 10 s; 2 gateways traced, 2 corrupt\n/);
    assert.match(
      r.stdout,
      /\nROC AUC at the end: sda [\d.]+, gsda [\d.]+, lsda [\d.]+, popularity [\d.]+\nlinkage AUC \(per recipient; 0\.5 = no link found\): sda [\d.]+, gsda [\d.]+, lsda [\d.]+, popularity 0\.5\n/,
    );
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(results.model, 'trace');
    assert.equal(results.inputs.files.length, 8);
    assert.equal(results.parameters.windowS, 10);
    assert.ok(results.metrics.recovery.lsda.linkageAuc > 0.9, `lsda linkage AUC ${results.metrics.recovery.lsda.linkageAuc}`);
    const users = readFileSync(join(out, 'users.csv'), 'utf8').trim().split('\n');
    assert.equal(users[0], 'id,gateway,sends,packetsPerSecond,fetches,messageDeposits,surbReplyDeposits,messagesSent,messagesReceived');
    assert.equal(users.length, 7);
    assert.match(users[1], /^a0,observer-gateway-0,\d+,[\d.]+,0,\d+,\d+,\d+,\d+$/);
    const edges = readFileSync(join(out, 'edges.csv'), 'utf8').trim().split('\n');
    assert.deepEqual(
      edges.slice(0, 3).map((l) => l.split(',').slice(0, 2).join(',')),
      ['from,to', 'a0,a1', 'a1,a0'],
    );
    const curves = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n');
    assert.equal(curves[0], 'timeS,attack,auc,averagePrecision,precisionAtDegree,linkageAuc');
    assert.equal(curves.length, 1 + 6 * 4, 'six points for three attacks and popularity');
    for (const f of ['recovery-auc.svg', 'recovery-linkageAuc.svg']) assert.match(readFileSync(join(out, f), 'utf8'), /^<svg/);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.ok(html.includes('Trace attack: 6 users') && html.includes('data:image/svg+xml;base64,') && html.includes('href="users.csv"'));
  });

  it('exits 2 with one line for a malformed line, missing files, no truth and bad options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-sim-attack-'));
    writeScenario(dir, { users: 2, durationS: 60, cover: false, seed: 1 });
    const observer = join(dir, 'observer-gateway-0.jsonl');
    const out = join(dir, 'out');
    const cases: Array<[string[], RegExp]> = [
      [
        ['--trace', observer, '--out', out],
        /^chaff sim attack: trace attack: no truth: no message events in the file read \(.*observer-gateway-0\.jsonl\); pass the clients' truth-\*\.jsonl with --truth\n$/,
      ],
      [['--trace', join(dir, 'nope.jsonl'), '--out', out], /^chaff sim attack: trace: cannot read .*nope\.jsonl \(ENOENT\)\n$/],
      [['--trace', dir, '--out', out, '--window', 'ten'], /^chaff sim attack: --window "ten": expected a number of seconds above 0\n$/],
      [['--trace', dir, '--out', out, '--corrupt', 'gateway-9'], /^chaff sim attack: --corrupt "gateway-9": no gateway trace of that name; traced gateways: observer-gateway-0, observer-gateway-1\n$/],
      [['--trace', dir], /^chaff sim attack: missing --out DIR \(usage: chaff sim --help\)\n$/],
    ];
    for (const [args, expected] of cases) {
      const r = chaff(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, expected);
    }
    writeFileSync(join(dir, 'truth-1.jsonl'), `${readFileSync(join(dir, 'truth-1.jsonl'), 'utf8')}{"t":5,"ev":"message"}\n`);
    const lines = readFileSync(join(dir, 'truth-1.jsonl'), 'utf8').trim().split('\n').length;
    const bad = chaff(['--trace', dir, '--out', out]);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, `chaff sim attack: trace: ${join(dir, 'truth-1.jsonl')} line ${lines}: fragments must be a whole number ≥ 1\n`);
    assert.ok(!existsSync(out), 'nothing written on an error');
  });
});

// The protocol fuzz, short: mutated frames of every protocol a node serves,
// over real libp2p streams into real `chaff node` processes on 127.0.0.1
// (test/fuzz/protocol-fuzzer.ts). No node may die, every frame must be
// accepted or refused with a counted reason, memory must not run away, and
// each node must still take honest traffic afterwards. The long run is
// `npm run fuzz` (docs/fuzzing.md); CHAFF_FUZZ_SEED / CHAFF_FUZZ_FRAMES
// reproduce a failure here.

import assert from 'node:assert/strict';
import { CASES, formatReport, ProtocolFuzzer, type FuzzReport } from './protocol-fuzzer.js';

const SEED = Number(process.env.CHAFF_FUZZ_SEED ?? 20_261_206);
const FRAMES = Number(process.env.CHAFF_FUZZ_FRAMES ?? 20_000);

describe('fuzzing every protocol a node serves with mutated frames', function () {
  this.timeout(600_000);
  let fuzzer: ProtocolFuzzer | undefined;
  let report: FuzzReport;

  before(async function () {
    // CHAFF_FUZZ_LOG=1 prints what the fuzzer does (dropped connections, missing documents) as it goes.
    fuzzer = await ProtocolFuzzer.start({ seed: SEED, ...(process.env.CHAFF_FUZZ_LOG ? { log: (line: string) => console.log(`[fuzz] ${line}`) } : {}) });
    report = await fuzzer.run({ seed: SEED, frames: FRAMES, rounds: 2, rssGrowthLimitBytes: 96 * 2 ** 20 });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && report) console.log(formatReport(report).join('\n'));
  });

  after(async () => {
    await fuzzer?.stop();
  });

  it(`sends ${FRAMES} mutated frames over all ${CASES.length} protocol targets, seed ${SEED}`, () => {
    assert.equal(report.frames, FRAMES);
    for (const c of CASES) assert.ok(report.cases[c]?.sent > 0, `${c} was fuzzed`);
  });

  it('accounts for every frame: accepted, or refused with a counted reason', () => {
    for (const c of CASES) {
      const t = report.cases[c];
      assert.ok(t.sent - t.accepted > 0, `${c}: most mutants are refused`);
      const refused = Object.values(t.refused).reduce((a, b) => a + b, 0);
      // Frames on a connection that dropped (missed pings on a loaded machine) are reported apart: what the node read of them is unknown.
      assert.ok(t.lost <= t.sent / 10, `${c}: ${t.lost} of ${t.sent} frames lost with dropped connections (${JSON.stringify(report.connectionsClosed)})`);
      assert.ok(t.accepted + refused + t.lost >= t.sent, `${c}: ${t.sent} sent, ${t.accepted} accepted, ${refused} refused with a reason, ${t.lost} lost with a connection`);
    }
    assert.deepEqual(
      report.problems.filter((p) => !/RSS|honest/.test(p)),
      [],
    );
  });

  it('takes the valid frames mixed into the fuzz', () => {
    for (const c of CASES) assert.ok(report.cases[c].accepted > 0, `${c}: nothing accepted`);
  });

  it('answers lookups at the exit, and refuses claims over the client’s budget as rate-limited, counted', () => {
    const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
    assert.ok(sum(report.cases['packet@gateway'].answers) > 0, 'the name service answered lookups');
    const handle = report.cases.handle;
    assert.ok((handle.answers.ok ?? 0) > 0, `a valid claim is taken (${JSON.stringify(handle.answers)})`);
    assert.ok((handle.refused['rate-limited'] ?? 0) > 0, `claims of names in turn run into the budget (${JSON.stringify(handle.refused)})`);
    for (const c of ['handle', 'reply-body'] as const) assert.ok(sum(report.cases[c].answers) >= report.cases[c].accepted, `${c}: every answer counted by outcome`);
  });

  it('keeps every node alive and its memory bounded', () => {
    assert.deepEqual(fuzzer!.net.unexpectedExits, []);
    assert.deepEqual(
      report.problems.filter((p) => /RSS/.test(p)),
      [],
    );
    const gateway = Object.entries(report.state).find(([, s]) => 'chaff_registered_clients' in s)?.[1];
    assert.ok(gateway, 'the gateway reports its state');
    assert.equal(gateway.chaff_delay_queue_size, 0, 'nothing left in the delay queue');
    assert.ok(gateway.chaff_registered_clients <= 1, `registrations stay with the one fuzz client (${gateway.chaff_registered_clients})`);
    assert.ok(gateway.chaff_gateway_handles <= 1, `one short handle per registered client (${gateway.chaff_gateway_handles})`);
  });

  it('serves honest traffic on every protocol afterwards', () => {
    assert.deepEqual(
      report.problems.filter((p) => /honest/.test(p)),
      [],
    );
    for (const [what, ok] of Object.entries(report.honest)) assert.ok(ok, what);
  });
});

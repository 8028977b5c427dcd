import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSimConfig, SimConfigError, type DirectConfig, type LoopixConfig } from '../../../simulator/config.js';
import { runSimulation } from '../../../simulator/run.js';
import { MessageTraceError, parseMessageTrace, parseTraceTime } from '../../../simulator/workload/message-trace.js';
import { traceGraph } from '../../../simulator/workload/trace-workload.js';

function refusedAt(text: string, line: number, problem: RegExp): void {
  assert.throws(
    () => parseMessageTrace(text),
    (e: unknown) => e instanceof MessageTraceError && e.line === line && e.message.startsWith(line > 0 ? `line ${line}: ` : '') && problem.test(e.message),
    `${JSON.stringify(text)} at line ${line}`,
  );
}

/** A trace of `users` users over `hours`: each writes to its two ring neighbours, every few minutes. */
function ringTrace(users: number, hours: number): string {
  const lines = ['sender,recipient,time'];
  const start = 1_700_000_000;
  let t = start;
  for (let i = 0; t < start + hours * 3600; i++) {
    const from = i % users;
    const to = (from + (Math.floor(i / users) % 2 === 0 ? 1 : users - 1)) % users;
    lines.push(`user ${from},user ${to},${t}`);
    t += 7 + (i % 13);
  }
  return `${lines.join('\n')}\n`;
}

describe('simulator/workload: a message trace as the workload', function () {
  it('reads Unix seconds and ISO 8601 times, any ids, columns in any order, sorted by time', function () {
    const trace = parseMessageTrace(
      '\uFEFFtime,Sender,recipient,size\n' +
        '# exported from the server log\n' +
        '1700000100.5,alice,"bob, the builder",10\n' +
        '\n' +
        '2023-11-14T22:13:20Z,"bob, the builder",alice,3\n' +
        '2023-11-14 23:13:20+01:00,carol,alice,7\n' +
        '2023-11-14T22:13:20.25Z,alice,carol,1\n',
    );
    assert.deepEqual(trace.names, ['alice', 'bob, the builder', 'carol']);
    assert.equal(trace.startUnixS, 1_700_000_000);
    // Same second: the file's order (stable); the +01:00 time is the same instant.
    assert.deepEqual([...trace.from], [1, 2, 0, 0]);
    assert.deepEqual([...trace.to], [0, 0, 2, 1]);
    assert.deepEqual([...trace.offsetS], [0, 0, 0.25, 100.5]);
    assert.equal(trace.spanS, 100.5);
    assert.equal(parseTraceTime('2024-02-29'), Date.UTC(2024, 1, 29) / 1000);
    assert.equal(parseTraceTime('2024-03-01T12:00'), Date.UTC(2024, 2, 1, 12) / 1000);
    for (const bad of ['2023-02-29', '2024-13-01', '2024-01-01T24:00:00Z', 'yesterday', '1e9', '', '2024-01-01T10:00:00+25:00']) assert.equal(parseTraceTime(bad), null, bad);
  });

  it('refuses bad files with the line and the problem', function () {
    refusedAt('', 0, /the trace is empty/);
    refusedAt('sender,recipient,time\n# nothing\n', 0, /header but no messages/);
    refusedAt('sender,receiver,time\na,b,1\n', 1, /no column "recipient"/);
    refusedAt('sender,recipient,time,time\na,b,1,2\n', 1, /"time" twice/);
    refusedAt('sender,recipient,time\na,b,1\na,b\n', 3, /expected 3 fields as the header has, got 2/);
    refusedAt('sender,recipient,time\na,b,1\n,b,2\n', 3, /the sender is empty/);
    refusedAt('sender,recipient,time\na,,2\n', 2, /the recipient is empty/);
    refusedAt('sender,recipient,time\na,a,2\n', 2, /"a" writes to itself/);
    refusedAt('sender,recipient,time\na,b,1\n\na,b,noon\n', 4, /time "noon" is neither Unix seconds nor an ISO 8601 date-time/);
    refusedAt('sender,recipient,time\na,b,2023-02-30T10:00:00Z\n', 2, /neither Unix seconds nor an ISO 8601/);
    refusedAt('sender,recipient,time\n"a,b,1\n', 2, /unterminated quoted field/);
  });

  it('its ground truth is the directed edges of the trace, weighted by messages', function () {
    const graph = traceGraph(parseMessageTrace('sender,recipient,time\na,b,1\na,b,2\nb,c,3\n'));
    assert.equal(graph.directed, true);
    assert.deepEqual(
      graph.edges.map((e) => [e.source, e.target, e.weight]),
      [
        [0, 1, 2],
        [1, 2, 1],
      ],
    );
  });

  it('a bad row in the configured trace is refused before anything runs, naming the file, line and problem', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-trace-'));
    writeFileSync(join(dir, 'log.csv'), 'sender,recipient,time\na,b,1\nb,c,soon\n');
    writeFileSync(join(dir, 'sim.toml'), 'model = "direct"\n[workload]\nkind = "trace"\npath = "log.csv"\n');
    assert.throws(
      () => loadSimConfig(join(dir, 'sim.toml')),
      (e: unknown) => e instanceof SimConfigError && e.key === 'workload.path' && e.message.includes(join(dir, 'log.csv')) && e.message.includes('line 3: time "soon"'),
    );
    writeFileSync(join(dir, 'sim.toml'), 'model = "direct"\n[workload]\nkind = "trace"\npath = "log.csv"\n[graph]\nkind = "karate-club"\n');
    assert.throws(
      () => loadSimConfig(join(dir, 'sim.toml')),
      (e: unknown) => e instanceof SimConfigError && e.key === 'graph' && /not used with workload.kind = "trace"/.test(e.message),
    );
  });

  it('runs through the direct and loopix models; duration defaults to the span, in whole windows; results keep recovery.<attack>.linkageAuc and .auc', function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'chaff-trace-'));
    writeFileSync(join(dir, 'log.csv'), ringTrace(12, 0.5));
    const toml = (model: string, extra = ''): string => {
      const path = join(dir, `${model}.toml`);
      writeFileSync(path, `model = "${model}"\nseeds = 1\nepoch = 60\n${extra}[workload]\nkind = "trace"\npath = "log.csv"\ntime_scale = 0.5\n`);
      return path;
    };
    const direct = loadSimConfig(toml('direct')) as DirectConfig;
    // The trace spans just under 1800 s; time_scale 0.5 makes it 900 s: 15 windows of 60 s hold every message.
    assert.equal(direct.durationS, 900);
    const d = runSimulation(direct);
    assert.equal(d.counts.users, 12);
    assert.equal(d.counts.edges, 24);
    assert.equal(d.counts.messages, parseMessageTrace(ringTrace(12, 0.5)).from.length);
    assert.equal(d.counts.replies, 0);
    assert.deepEqual(d.parameters.workload, {
      kind: 'trace',
      path: join(dir, 'log.csv'),
      timeScale: 0.5,
      users: 12,
      messages: d.counts.messages,
      spanS: d.parameters.workload.kind === 'trace' ? d.parameters.workload.spanS : 0,
    });
    assert.equal(d.parameters.graph, undefined);
    for (const attack of ['sda', 'gsda', 'lsda']) {
      assert.ok(d.metrics.recovery[attack].linkageAuc > 0.95, `direct ${attack} linkage ${d.metrics.recovery[attack].linkageAuc}`);
      assert.ok(d.metrics.recovery[attack].auc > 0.95, `direct ${attack} auc ${d.metrics.recovery[attack].auc}`);
    }
    const loopix = loadSimConfig(toml('loopix', 'duration = 600\nlambda_p = 1\nlambda_l = 0.2\nlambda_d = 0\nlambda_m = 0.2\n')) as LoopixConfig;
    const l = runSimulation(loopix);
    assert.equal(l.counts.users, 12);
    assert.ok(l.counts.messages > 0 && l.counts.messages < d.counts.messages, `${l.counts.messages} messages in the first 600 s`);
    for (const attack of ['sda', 'gsda', 'lsda']) {
      assert.ok(Number.isFinite(l.metrics.recovery[attack].linkageAuc) && Number.isFinite(l.metrics.recovery[attack].auc), attack);
      assert.ok(l.metrics.recovery[attack].linkageAuc < d.metrics.recovery[attack].linkageAuc, `loopix ${attack} links less than direct`);
    }

    // Presence derived from the trace: online only around one's own messages.
    const present = runSimulation(
      loadSimConfig(toml('loopix', 'duration = 600\nlambda_p = 1\nlambda_l = 0.2\nlambda_d = 0\nlambda_m = 0.2\n[presence]\nkind = "trace"\nbefore = 5\nafter = 20\n')) as LoopixConfig,
    );
    const share = present.metrics.presence?.onlineShare as number;
    assert.ok(share > 0.05 && share < 0.9, `online share ${share}`);
    assert.equal(present.metrics.presence?.partTimeUsers, 12);
    assert.ok(Number.isFinite(present.metrics.recovery['presence-disclosure'].linkageAuc));
    assert.ok(present.metrics.traffic.packetsPerUserPerSecond < 0.9 * l.metrics.traffic.packetsPerUserPerSecond, 'offline clients send nothing');
  });
});

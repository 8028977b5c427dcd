// What a hostile peer can make a node write (docs/operators.md §Logs): lines
// of one kind (level, component, message, reason) are rate-limited, and the
// drops and refusals counted by reason reach the log as one line per
// interval (node/ops/rate-limited-logger.ts, node/ops/drop-report.ts).

import assert from 'node:assert/strict';
import { DropReport } from '../../../node/ops/drop-report.js';
import { Metrics } from '../../../node/ops/metrics.js';
import { rateLimitedLogger } from '../../../node/ops/rate-limited-logger.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('log limits', () => {
  it('lets 20 lines of one kind through per minute, then says how many it held back', () => {
    const clock = new ManualClock(0);
    const inner = memoryLogger('node');
    const log = rateLimitedLogger(inner, clock).child('packet-link');
    for (let i = 0; i < 1000; i++) log.debug('frame dropped', { reason: 'wrong-size', peer: `p${i}` });
    for (let i = 0; i < 5; i++) log.debug('frame dropped', { reason: 'truncated' });
    log.warn('frame dropped', { reason: 'wrong-size' });
    assert.equal(inner.records.filter((r) => r.fields.reason === 'wrong-size' && r.level === 'debug').length, 20);
    assert.equal(inner.records.filter((r) => r.fields.reason === 'truncated').length, 5);
    assert.equal(inner.records.filter((r) => r.level === 'warn').length, 1);
    assert.ok(inner.records.every((r) => r.component === 'node/packet-link'));

    clock.advance(60_000);
    log.debug('frame dropped', { reason: 'wrong-size', peer: 'p' });
    assert.deepEqual(inner.records.at(-1)?.fields, { reason: 'wrong-size', peer: 'p', suppressed: 980 });
    log.debug('frame dropped', { reason: 'wrong-size', peer: 'q' });
    assert.deepEqual(inner.records.at(-1)?.fields, { reason: 'wrong-size', peer: 'q' });
  });

  it('tracks a bounded number of kinds: the rest share one budget', () => {
    const clock = new ManualClock(0);
    const inner = memoryLogger();
    const log = rateLimitedLogger(inner, clock, { perWindow: 2, maxKinds: 10 });
    for (let i = 0; i < 10_000; i++) log.info(`message ${i}`);
    // Ten kinds with a line each, then every other kind shares one budget of two.
    assert.equal(inner.records.length, 10 + 2);
  });

  it('logs each interval’s drops and refusals by reason, one line, from the counters labelled reason', async () => {
    const clock = new ManualClock(0);
    const log = memoryLogger();
    const metrics = new Metrics();
    const drops = { replay: 0, 'mac-failure': 0 };
    const rpc = { served: 0, oversize: 0 };
    metrics.counter('chaff_packets_dropped_total', 'Packets dropped by reason', () => drops);
    metrics.counter('chaff_rpc_fetch_requests_total', 'fetch requests by outcome', () => rpc, 'outcome', { successes: ['served'] });
    metrics.counter('chaff_mix_loops_total', 'loops', () => ({ sent: 5, failed: 1 }), 'outcome');
    metrics.counter('chaff_packets_in_total', 'in', () => 7);
    assert.deepEqual(
      metrics
        .refusals()
        .filter((s) => s.read() !== null)
        .map((s) => s.name),
      ['packets_dropped', 'rpc_fetch_requests'],
    );
    const report = new DropReport({ clock, logger: log, sources: () => metrics.refusals() }, { intervalMs: 60_000 });
    await report.start();
    drops.replay = 1000;
    rpc.served = 50;
    rpc.oversize = 2;
    clock.advance(60_000);
    drops.replay = 1003;
    clock.advance(60_000);
    clock.advance(60_000);
    await report.stop();
    assert.deepEqual(
      log.records.map((r) => r.fields),
      [
        { seconds: 60, total: 1002, packets_dropped: { replay: 1000 }, rpc_fetch_requests: { oversize: 2 } },
        { seconds: 60, total: 3, packets_dropped: { replay: 3 } },
      ],
    );
    assert.ok(log.records.every((r) => r.level === 'info' && r.msg === 'dropped or refused'));
  });
});

import assert from 'node:assert/strict';
import { Metrics } from '../../../node/ops/metrics.js';
import { createLogger } from '../../../runtime/log/logger.js';

describe('operator metrics and logs', function () {
  it('serves gauges and counters read from component totals', async function () {
    const m = new Metrics();
    const drops = { replay: 0, 'mac-failure': 0 };
    let depth = 3;
    m.counter('chaff_packets_dropped_total', 'Packets dropped by reason', () => drops);
    m.gauge('chaff_delay_queue_size', 'Packets held for their delay', () => depth);
    const port = await m.listen('127.0.0.1:0');
    try {
      drops.replay = 2;
      let text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(text, /chaff_packets_dropped_total\{reason="replay"\} 2/);
      assert.match(text, /chaff_delay_queue_size 3/);
      drops.replay = 5;
      depth = 7;
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(text, /chaff_packets_dropped_total\{reason="replay"\} 5/);
      assert.match(text, /chaff_delay_queue_size 7/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      await m.close();
    }
  });

  it('writes one JSON object per line, filtered by level', function () {
    const lines: string[] = [];
    const log = createLogger('info', 'mix', (l) => lines.push(l)).child('link');
    log.debug('hidden');
    log.info('started', { port: 1 });
    log.error('failed', { reason: 'x' });
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]);
    assert.equal(first.component, 'mix/link');
    assert.equal(first.msg, 'started');
    assert.equal(first.port, 1);
    assert.ok(lines.every((l) => l.endsWith('\n')));
  });
});

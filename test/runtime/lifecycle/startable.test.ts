import assert from 'node:assert/strict';
import { Lifecycle } from '../../../runtime/lifecycle/startable.js';
import { memoryLogger } from '../../../runtime/log/logger.js';

describe('runtime/lifecycle: Lifecycle', function () {
  const step = (name: string, events: string[], fail?: 'start' | 'stop') => ({
    name,
    async start() {
      if (fail === 'start') throw new Error(`${name} cannot start`);
      events.push(`start ${name}`);
    },
    async stop() {
      events.push(`stop ${name}`);
      if (fail === 'stop') throw new Error(`${name} cannot stop`);
    },
  });

  it('starts in order and stops in reverse, once', async function () {
    const events: string[] = [];
    const life = new Lifecycle(memoryLogger());
    await life.add(step('store', events));
    life.onStop('host', () => void events.push('stop host'));
    await life.add(step('service', events));
    assert.deepEqual(life.order, ['store', 'host', 'service']);
    await Promise.all([life.stop(), life.stop()]);
    assert.deepEqual(events, ['start store', 'start service', 'stop service', 'stop host', 'stop store']);
  });

  it('a failed start stops what started, in reverse, and rethrows', async function () {
    const events: string[] = [];
    const log = memoryLogger();
    const life = new Lifecycle(log);
    await life.add(step('a', events));
    await life.add(step('b', events));
    await assert.rejects(life.add(step('c', events, 'start')), /c cannot start/);
    assert.deepEqual(events, ['start a', 'start b', 'stop b', 'stop a']);
    assert.equal(log.records[0].fields.component, 'c');
    await assert.rejects(life.add(step('d', events)), /stopping/);
  });

  it('a failing stop is logged and the steps before it still stop', async function () {
    const events: string[] = [];
    const log = memoryLogger();
    const life = new Lifecycle(log);
    await life.add(step('store', events));
    await life.add(step('broken', events, 'stop'));
    await life.stop();
    assert.deepEqual(events, ['start store', 'start broken', 'stop broken', 'stop store']);
    assert.deepEqual(
      log.records.map((r) => [r.level, r.fields.component]),
      [['warn', 'broken']],
    );
  });
});

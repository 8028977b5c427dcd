import assert from 'node:assert/strict';
import { SendMeter } from '../../../client/traffic/send-meter.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('client/traffic/send-meter', () => {
  it('measures bytes per second since start, then over the last minute', () => {
    const clock = new ManualClock(1_000_000);
    const meter = new SendMeter(clock);
    assert.equal(meter.rateBps(), 0, 'nothing yet, and no time passed');
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      meter.sent(500);
    }
    assert.equal(meter.rateBps(), 500, '5000 bytes over 10 s');
    clock.advance(50_000);
    assert.equal(meter.rateBps(), 5000 / 60, 'the same bytes over the one-minute window');
    clock.advance(11_000);
    assert.equal(meter.rateBps(), 0, 'older than a minute: not counted');
  });
});

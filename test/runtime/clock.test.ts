// The skewed clock of chaos runs (runtime/clock.ts, docs/chaos.md §Clock skew):
// its time is the base clock's plus the offset, and its timers fire when the
// skewed time reaches them; $CHAFF_TESTNET_CLOCK_OFFSET_MS selects it.

import assert from 'node:assert/strict';
import { CLOCK_OFFSET_ENV, clockFromEnv, offsetClock, systemClock } from '../../runtime/clock.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('runtime: offset clock', () => {
  it('reads the base time plus the offset, and fires timers at the skewed time', () => {
    const base = new ManualClock(1_000_000);
    const ahead = offsetClock(30_000, base);
    const behind = offsetClock(-30_000, base);
    assert.equal(ahead.now(), 1_030_000);
    assert.equal(behind.now(), 970_000);
    const fired: string[] = [];
    ahead.at(1_030_500, () => fired.push(`ahead at ${ahead.now()}`));
    behind.at(970_500, () => fired.push(`behind at ${behind.now()}`));
    const cancelled = ahead.at(1_030_400, () => fired.push('cancelled'));
    cancelled.cancel();
    base.advance(499);
    assert.deepEqual(fired, []);
    base.advance(1);
    assert.deepEqual(fired, ['ahead at 1030500', 'behind at 970500']);
  });

  it('an offset of 0 is the base clock itself', () => {
    assert.equal(offsetClock(0), systemClock);
  });

  it(`${CLOCK_OFFSET_ENV}: unset or empty is the system clock, an integer skews it, anything else is refused`, () => {
    assert.deepEqual(clockFromEnv({}), { clock: systemClock, offsetMs: 0 });
    assert.deepEqual(clockFromEnv({ [CLOCK_OFFSET_ENV]: ' ' }), { clock: systemClock, offsetMs: 0 });
    const skewed = clockFromEnv({ [CLOCK_OFFSET_ENV]: '-30000' });
    assert.equal(skewed.offsetMs, -30_000);
    const t = Date.now();
    assert.ok(Math.abs(skewed.clock.now() - (t - 30_000)) < 1000);
    for (const bad of ['30s', '1.5', '99999999999', 'NaN']) assert.throws(() => clockFromEnv({ [CLOCK_OFFSET_ENV]: bad }), RangeError, bad);
  });
});

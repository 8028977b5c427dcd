import assert from 'node:assert/strict';
import { formatDuration } from '../../../protocol/util/format-duration.js';

describe('formatDuration', function () {
  it('words: ms below a second, tenths below a minute, then two units', function () {
    assert.deepEqual(
      [-5, 0, 850, 999.4, 1234, 59_900, 65_000, 3_599_000, 3_720_000, 90_000_000].map((ms) => formatDuration(ms)),
      ['0 ms', '0 ms', '850 ms', '999 ms', '1.2 s', '59.9 s', '1m 5s', '59m 59s', '1h 2m', '1d 1h'],
    );
    assert.equal(formatDuration(1234, 'words'), '1.2 s', 'words is the default');
  });

  it('stopwatch: m:ss, h:mm:ss from an hour, whole seconds rounded, --:-- when unknown', function () {
    assert.deepEqual(
      [0, 499, 500, 7_000, 59_400, 60_000, 754_000, 3_723_000, 36_000_000].map((ms) => formatDuration(ms, 'stopwatch')),
      ['0:00', '0:00', '0:01', '0:07', '0:59', '1:00', '12:34', '1:02:03', '10:00:00'],
    );
    for (const ms of [Number.NaN, -1, Number.POSITIVE_INFINITY]) assert.equal(formatDuration(ms, 'stopwatch'), '--:--');
  });
});

import assert from 'node:assert/strict';
import { estimateRemainingMs, formatDuration, formatProgress, ProgressReporter } from '../../../simulator/sweep/progress.js';

function fakeStream(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): void } {
  return {
    isTTY,
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

describe('simulator/sweep: progress and ETA', function () {
  it('formats durations', function () {
    assert.deepEqual([0, 499, 500, 7_000, 59_400, 60_000, 754_000, 3_723_000, 36_000_000].map(formatDuration), ['0:00', '0:00', '0:01', '0:07', '0:59', '1:00', '12:34', '1:02:03', '10:00:00']);
    assert.equal(formatDuration(Number.NaN), '--:--');
    assert.equal(formatDuration(-1), '--:--');
  });

  it('estimates the time left from the average so far', function () {
    assert.equal(estimateRemainingMs({ done: 4, total: 10, failed: 0, elapsedMs: 8000 }), 12000);
    assert.equal(estimateRemainingMs({ done: 10, total: 10, failed: 0, elapsedMs: 8000 }), 0);
    assert.ok(Number.isNaN(estimateRemainingMs({ done: 0, total: 10, failed: 0, elapsedMs: 8000 })));
  });

  it('pins the progress line', function () {
    assert.equal(formatProgress({ done: 12, total: 32, failed: 0, elapsedMs: 12_000 }), '[#########---------------] 12/32  37%  elapsed 0:12  ETA 0:20');
    assert.equal(formatProgress({ done: 0, total: 5, failed: 0, elapsedMs: 300 }, 10), '[----------] 0/5   0%  elapsed 0:00  ETA --:--');
    assert.equal(formatProgress({ done: 5, total: 5, failed: 2, elapsedMs: 61_000 }, 10), '[##########] 5/5 100%  elapsed 1:01  done  2 failed');
  });

  it('not a terminal: one line per tenth of the jobs, and one at the end', function () {
    let t = 0;
    const stream = fakeStream(false);
    const reporter = new ProgressReporter(stream, 20, () => t);
    for (let done = 0; done <= 20; done++) {
      t = done * 1000;
      reporter.update(done, done >= 15 ? 1 : 0);
    }
    const lines = stream.text.trimEnd().split('\n');
    assert.equal(lines.length, 10);
    assert.ok(lines.every((l) => !l.includes('\r')));
    assert.match(lines[0], /^\[##--.*\]  2\/20  10%  elapsed 0:02  ETA 0:18$/);
    assert.match(lines[9], /20\/20 100%  elapsed 0:20  done  1 failed$/);
    reporter.update(20, 1);
    assert.equal(stream.text.trimEnd().split('\n').length, 10, 'nothing after the end');
  });

  it('a terminal: the line is redrawn in place at most ten times a second, and ends with a newline', function () {
    let t = 0;
    const stream = fakeStream(true);
    const reporter = new ProgressReporter(stream, 3, () => t);
    reporter.update(0, 0);
    t = 50;
    reporter.update(1, 0); // within 100 ms of the last draw: skipped
    t = 200;
    reporter.update(2, 0);
    t = 210;
    reporter.update(3, 0); // the last one is always drawn
    const draws = stream.text.split('\r').filter(Boolean);
    assert.equal(draws.length, 3);
    assert.ok(draws.every((d) => d.includes('\x1b[K')));
    assert.match(draws[1], /2\/3/);
    assert.ok(stream.text.endsWith('done\x1b[K\n'));
    reporter.close();
    assert.ok(!stream.text.endsWith('\n\n'), 'close after the end adds nothing');
  });

  it('close() ends an unfinished terminal line (a sweep that stopped early)', function () {
    const stream = fakeStream(true);
    const reporter = new ProgressReporter(stream, 3, () => 0);
    reporter.update(1, 0);
    reporter.close();
    assert.ok(stream.text.endsWith('\x1b[K\n'));
    reporter.update(2, 0);
    assert.equal(stream.text.split('\r').length - 1, 1, 'nothing drawn after close');
  });
});

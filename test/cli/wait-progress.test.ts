// init's progress line while it waits for the network's document
// (cli/client/wait-progress.ts): updated in place on a terminal, a line
// every 15 s elsewhere.

import assert from 'node:assert/strict';
import { documentWaitLine, parseWait, waitProgressLine } from '../../cli/client/wait-progress.js';

function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, columns: 200, text: '', write: (chunk: string) => ((s.text += chunk), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const at = (waitedMs: number) => ({ epoch: 1, waitedMs, limitMs: 300_000, reason: 'not published yet' });

describe('cli/client/wait-progress', () => {
  it('says what it waits for, how long so far and the bound', () => {
    assert.equal(documentWaitLine(at(12_400)), "waiting for the network's document (epoch 1): not published yet… 12 s of at most 5m 0s (Ctrl-C stops)");
    assert.equal(
      documentWaitLine({ epoch: null, waitedMs: 0, limitMs: 60_000, reason: 'the network starts in 3 s' }),
      "waiting for the network's first epoch: the network starts in 3 s… 0 s of at most 1m 0s (Ctrl-C stops)",
    );
  });

  it('on a terminal, rewrites one line in place and clears it at the end', () => {
    const s = stream(true);
    const line = waitProgressLine(s);
    line.report(at(0));
    line.report(at(1000));
    line.done();
    assert.equal(s.text.split('\r\x1b[K').length, 4, 'two reports and the clearing, each from the line start');
    assert.ok(!s.text.includes('\n'));
    assert.ok(s.text.endsWith('\r\x1b[K'));
  });

  it('elsewhere, prints the first report and then one every 15 s', () => {
    const s = stream(false);
    const line = waitProgressLine(s);
    for (let ms = 0; ms <= 31_000; ms += 1000) line.report(at(ms));
    line.done();
    assert.deepEqual(
      s.text
        .trim()
        .split('\n')
        .map((l) => /… (\d+) s/.exec(l)![1]),
      ['0', '15', '30'],
    );
  });

  it('--wait takes a duration, or 0', () => {
    assert.equal(parseWait('90s'), 90_000);
    assert.equal(parseWait('10m'), 600_000);
    assert.equal(parseWait('0'), 0);
    assert.equal(parseWait('soon'), null);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTraceEvent, encodeTraceEvent, TraceFormatError, type TraceEvent } from '../../../protocol/trace/events.js';
import { TraceWriter } from '../../../runtime/trace-writer.js';

const u = 'ab'.repeat(32);
const v = 'cd'.repeat(32);
const events: TraceEvent[] = [
  { t: 1, ev: 'send', user: u },
  { t: 2, ev: 'fetch', user: u },
  { t: 3, ev: 'deposit', user: v, kind: 'message' },
  { t: 4, ev: 'deposit', user: u, kind: 'surb-reply' },
  { t: 5, ev: 'message', from: u, to: v, id: '00ff', fragments: 3 },
];

describe('protocol/trace/events', () => {
  it('round-trips every event kind, and pins one line', () => {
    for (const e of events) assert.deepEqual(decodeTraceEvent(encodeTraceEvent(e)), e);
    assert.equal(encodeTraceEvent(events[2]), `{"t":3,"ev":"deposit","user":"${v}","kind":"message"}`);
  });

  it('refuses malformed lines with a reason', () => {
    for (const [line, why] of [
      ['not json', /not JSON/],
      ['[1]', /not an object/],
      ['{"t":-1,"ev":"send","user":"ab"}', /time/],
      ['{"t":1,"ev":"jump","user":"ab"}', /unknown event/],
      ['{"t":1,"ev":"send","user":"XYZ"}', /hex/],
      ['{"t":1,"ev":"deposit","user":"ab","kind":"loop"}', /kind/],
      ['{"t":1,"ev":"message","from":"ab","to":"cd","id":"01","fragments":0}', /fragments/],
    ] as const) {
      assert.throws(
        () => decodeTraceEvent(line),
        (e: unknown) => e instanceof TraceFormatError && why.test((e as Error).message),
        line,
      );
    }
  });

  it('TraceWriter appends JSON lines and flushes on close', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'chaff-trace-')), 't.jsonl');
    const w = new TraceWriter(path);
    for (const e of events) w.write(e);
    await w.close();
    w.write(events[0]);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.deepEqual(lines.map(decodeTraceEvent), events, 'nothing written after close');
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTraceText, readTraces, traceFilePaths, TraceReadError } from '../../../simulator/trace/read.js';

const A = 'a0';
const B = 'b1';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'chaff-trace-read-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('simulator/trace/read: trace files into one time-ordered event list', () => {
  it('reads a folder: every *.jsonl, roles from the events, merged by time with ties in file and line order', () => {
    const dir = folder({
      'observer-gw.jsonl': [`{"t":100,"ev":"send","user":"${A}"}`, `{"t":300,"ev":"deposit","user":"${B}","kind":"message"}`, '', `{"t":200,"ev":"fetch","user":"${B}"}`, ''].join('\n'),
      'truth-a.jsonl': `{"t":100,"ev":"message","from":"${A}","to":"${B}","id":"01","fragments":2}\n`,
      'truth-empty.jsonl': '',
      'notes.txt': 'not a trace',
    });
    const set = readTraces([dir]);
    assert.deepEqual(
      set.files.map((f) => [f.path, f.role, f.events]),
      [
        [join(dir, 'observer-gw.jsonl'), 'observer', 3],
        [join(dir, 'truth-a.jsonl'), 'truth', 1],
        [join(dir, 'truth-empty.jsonl'), 'empty', 0],
      ],
    );
    assert.deepEqual(
      set.events.map((e) => [e.event.t, e.event.ev, e.file]),
      [
        [100, 'send', 0],
        [100, 'message', 1],
        [200, 'fetch', 0],
        [300, 'deposit', 0],
      ],
    );
    assert.deepEqual(set.events[1].event, { t: 100, ev: 'message', from: A, to: B, id: '01', fragments: 2 });
  });

  it('reads a file named twice (directly and through its folder) once', () => {
    const dir = folder({ 'x.jsonl': `{"t":1,"ev":"send","user":"${A}"}\n` });
    assert.deepEqual(traceFilePaths([join(dir, 'x.jsonl'), dir]), [join(dir, 'x.jsonl')]);
    assert.equal(readTraces([dir, join(dir, 'x.jsonl')]).events.length, 1);
  });

  it('names the file and the 1-based line of a malformed line', () => {
    const dir = folder({ 'observer-gw.jsonl': `{"t":1,"ev":"send","user":"${A}"}\n\n{"t":2,"ev":"send"\n` });
    assert.throws(
      () => readTraces([dir]),
      (err: unknown) => err instanceof TraceReadError && err.message === `trace: ${join(dir, 'observer-gw.jsonl')} line 3: not JSON`,
    );
    assert.throws(() => parseTraceText(`{"t":1,"ev":"send","user":"${A}"}\n{"t":2,"ev":"send","user":"XY"}`, 'f'), /^TraceReadError: trace: f line 2: user must be lowercase hex$/);
    assert.throws(() => parseTraceText('{"t":-1,"ev":"fetch","user":"ab"}', 'f'), /f line 1: t must be a time in ms/);
    assert.throws(() => parseTraceText('{"t":1,"ev":"loop","user":"ab"}', 'f'), /f line 1: unknown event "loop"/);
  });

  it('refuses a file that mixes a gateway’s events with a client’s truth', () => {
    const text = `{"t":1,"ev":"send","user":"${A}"}\n{"t":2,"ev":"fetch","user":"${A}"}\n{"t":3,"ev":"message","from":"${A}","to":"${B}","id":"01","fragments":1}\n`;
    assert.throws(() => parseTraceText(text, 'f'), /f line 3: the file mixes observer events \(line 1\) and truth events \(line 3\)/);
  });

  it('refuses missing paths, folders without traces and an empty list with a clear error', () => {
    const dir = folder({ 'a.txt': '' });
    assert.throws(
      () => readTraces([join(dir, 'missing.jsonl')]),
      (err: unknown) => err instanceof TraceReadError && /cannot read .*missing\.jsonl \(ENOENT\)/.test(err.message),
    );
    assert.throws(() => readTraces([dir]), /folder .* holds no \*\.jsonl files/);
    mkdirSync(join(dir, 'sub.jsonl'));
    assert.throws(() => readTraces([dir]), /holds no \*\.jsonl files/, 'a folder named *.jsonl is not a trace');
    assert.throws(() => readTraces([]), /no trace files given/);
  });
});

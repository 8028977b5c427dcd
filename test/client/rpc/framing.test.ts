import assert from 'node:assert/strict';
import { encodeLine, LineSplitter, MAX_REQUEST_LINE_BYTES, MAX_RESPONSE_LINE_BYTES } from '../../../client/rpc/framing.js';

function collect(max: number) {
  const lines: Array<string | null> = [];
  const overflows: number[] = [];
  const splitter = new LineSplitter(max, { onLine: (l) => lines.push(l), onOverflow: (n) => overflows.push(n) });
  return { lines, overflows, push: (s: string | Buffer) => splitter.push(typeof s === 'string' ? Buffer.from(s) : s) };
}

describe('client/rpc/framing', function () {
  it('pins the line bounds: 6 MiB + 64 KiB requests, 128 MiB responses', function () {
    assert.equal(MAX_REQUEST_LINE_BYTES, 6_356_992);
    assert.equal(MAX_RESPONSE_LINE_BYTES, 134_217_728);
    // The largest send.file (base64 of 1 MiB) fits well within the request bound.
    assert.ok(Buffer.alloc(1 << 20).toString('base64').length < MAX_REQUEST_LINE_BYTES);
  });

  it('splits lines, joins lines cut across chunks and drops a CR before the newline', function () {
    const c = collect(100);
    c.push('{"a":1}\n{"b"');
    c.push(':2}\r\n\n');
    c.push('{"c":3}');
    assert.deepEqual(c.lines, ['{"a":1}', '{"b":2}', '']);
    c.push('\n');
    assert.deepEqual(c.lines, ['{"a":1}', '{"b":2}', '', '{"c":3}']);
  });

  it('decodes a multi-byte character split across chunks, and reports invalid UTF-8 as null', function () {
    const c = collect(100);
    const bytes = Buffer.from('"héllo ✓"\n');
    c.push(bytes.subarray(0, 3));
    c.push(bytes.subarray(3, 12));
    c.push(bytes.subarray(12));
    c.push(Buffer.from([0x22, 0xc3, 0x28, 0x22, 0x0a]));
    assert.deepEqual(c.lines, ['"héllo ✓"', null]);
  });

  it('accepts a line of exactly the bound and reports overflow one byte beyond, then stops', function () {
    const c = collect(10);
    c.push('x'.repeat(10) + '\n');
    assert.deepEqual(c.lines, ['x'.repeat(10)]);
    c.push('y'.repeat(6));
    c.push('y'.repeat(5));
    assert.deepEqual(c.overflows, [11]);
    c.push('\n{}\n');
    assert.equal(c.lines.length, 1, 'nothing after an overflow');
  });

  it('encodeLine is compact JSON with one newline, escaping newlines inside strings', function () {
    assert.equal(encodeLine({ jsonrpc: '2.0', id: 1, params: { text: 'a\nb' } }), '{"jsonrpc":"2.0","id":1,"params":{"text":"a\\nb"}}\n');
  });
});

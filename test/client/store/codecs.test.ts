// Codecs: JSON with bytes and bigint, escaping of "$" keys, refusals, and
// the bytes codec's copies.

import assert from 'node:assert/strict';
import { bytesCodec, jsonCodec } from '../../../client/store/codecs.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

describe('client/store/codecs', () => {
  const codec = jsonCodec<unknown>();

  it('round-trips nested values with Uint8Array and bigint', () => {
    const value = {
      name: 'alice',
      n: 3.5,
      ok: true,
      none: null,
      key: new Uint8Array([0, 1, 254, 255]),
      empty: new Uint8Array(0),
      counter: 2n ** 70n,
      negative: -5n,
      list: [1, 'two', new Uint8Array([3]), [4n], { deep: { deeper: new Uint8Array([9, 9]) } }],
    };
    assert.deepEqual(codec.decode(codec.encode(value)), value);
  });

  it('pins the encoding', () => {
    assert.equal(text(codec.encode({ k: new Uint8Array([1, 2, 3]), n: 12n, $x: 1 })), '{"k":{"$bytes":"AQID"},"n":{"$bigint":"12"},"$$x":1}');
  });

  it('escapes user keys starting with "$" so data never reads back as a tag', () => {
    const tricky = { $bytes: 'AQID', $bigint: '5', $$already: 1, nested: [{ $bytes: 'x' }] };
    const back = codec.decode(codec.encode(tricky));
    assert.deepEqual(back, tricky);
    assert.equal(typeof (back as { $bytes: unknown }).$bytes, 'string');
  });

  it('reads Buffer values back as plain Uint8Array', () => {
    const back = codec.decode(codec.encode({ b: Buffer.from('hi') })) as { b: Uint8Array };
    assert.ok(back.b instanceof Uint8Array && !Buffer.isBuffer(back.b));
    assert.equal(text(back.b), 'hi');
  });

  it('follows JSON for undefined (omitted field, null in arrays) and Date (ISO string)', () => {
    assert.deepEqual(codec.decode(codec.encode({ a: undefined, b: [undefined, 1] })), { b: [null, 1] });
    assert.deepEqual(codec.decode(codec.encode({ d: new Date(0) })), { d: '1970-01-01T00:00:00.000Z' });
  });

  it('keeps a stored "__proto__" key as data', () => {
    const back = codec.decode(bytes('{"__proto__":{"polluted":1}}')) as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back), ['__proto__']);
  });

  it('refuses values JSON would silently change', () => {
    for (const bad of [{ x: NaN }, { x: Infinity }, { f: () => 1 }, { s: Symbol('s') }, { m: new Map() }, { s: new Set([1]) }, undefined]) {
      assert.throws(() => codec.encode(bad), TypeError);
    }
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => codec.encode(cycle), /nesting deeper/);
  });

  it('throws on malformed input instead of returning wrong data', () => {
    for (const bad of ['{', '{"a":{"$bytes":"!!"}}', '{"a":{"$bigint":"1.5"}}', '{"a":{"$bigint":5}}', '{"$unknown":1}']) {
      assert.throws(() => codec.decode(bytes(bad)), bad);
    }
    assert.throws(() => codec.decode(Uint8Array.of(0xff, 0xfe)), TypeError);
  });

  it('bytesCodec copies both ways and refuses non-bytes', () => {
    const v = Uint8Array.of(1, 2, 3);
    const enc = bytesCodec.encode(v);
    v[0] = 9;
    assert.deepEqual(enc, Uint8Array.of(1, 2, 3));
    const dec = bytesCodec.decode(enc);
    enc[1] = 9;
    assert.deepEqual(dec, Uint8Array.of(1, 2, 3));
    assert.throws(() => bytesCodec.encode('x' as unknown as Uint8Array), TypeError);
  });
});

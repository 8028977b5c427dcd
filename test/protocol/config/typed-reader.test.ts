// The one typed config reader: the checks, the field names in errors, and
// the error factory that lets `chaff sim` keep its own error class.

import assert from 'node:assert/strict';
import { ConfigError, TomlReader, type ConfigProblem } from '../../../protocol/config/typed-reader.js';

const reader = (table: Record<string, unknown>) => new TomlReader(table, '');

describe('TomlReader (protocol/config/typed-reader.ts)', function () {
  it('reads typed values with fallbacks: key, then fallback, then constraints', function () {
    const r = reader({ name: 'a', n: 3, x: 0.5, on: true, role: 'mix', list: ['p', 'q'], ids: [1, 2], t: '2s', sub: { k: 1 } });
    assert.equal(r.string('name'), 'a');
    assert.equal(r.integer('n', undefined, 1, 5), 3);
    assert.equal(r.number('x', 1, 0, 1, { above: true }), 0.5);
    assert.equal(r.number('missing', 7, 0, 10, true), 7);
    assert.equal(r.boolean('on', false), true);
    assert.equal(r.oneOf('role', ['mix', 'gateway'] as const), 'mix');
    assert.equal(r.oneOf('kind', ['a', 'b'] as const, 'b'), 'b');
    assert.deepEqual(r.strings('list'), ['p', 'q']);
    assert.deepEqual(r.subset('list', ['p', 'q', 'r'] as const, ['r']), ['p', 'q']);
    assert.deepEqual(r.integers('ids', undefined, 1, 9), [1, 2]);
    assert.equal(r.duration('t', '1s', 0, 10_000), 2000);
    assert.equal(r.sub('sub').integer('k', undefined, 0, 1), 1);
    assert.equal(r.sub('sub').field('k'), 'sub.k');
    assert.equal(r.value('n'), 3);
  });

  it('throws a ConfigError naming the field, the problem and the fix', function () {
    const r = new TomlReader({ hops: 40, role: 'relay', x: 1, gw: { batch: 'many' } }, '');
    assert.throws(() => r.number('hops', 5, 2, 16, true), { name: 'ConfigError', message: 'config: hops: 40 is out of range. Fix: use a whole number from 2 to 16' });
    assert.throws(() => r.oneOf('role', ['mix', 'gateway']), { message: 'config: role: "relay" is not allowed. Fix: use one of: "mix", "gateway"' });
    assert.throws(() => r.string('name'), { message: 'config: name: missing. Fix: set name = "…"' });
    assert.throws(
      () => r.only('hops', 'role', 'gw'),
      (e: unknown) => e instanceof ConfigError && e.field === 'x' && /unknown key/.test(e.message),
    );
    assert.throws(
      () => r.sub('gw').integer('batch', 1, 1, 10),
      (e: unknown) => e instanceof ConfigError && e.field === 'gw.batch',
    );
  });

  it("hands each problem to the caller's error factory", function () {
    const seen: ConfigProblem[] = [];
    const r = new TomlReader({ sub: { mu: -2 } }, '', (p) => (seen.push(p), new RangeError(p.expected)));
    assert.throws(() => r.sub('sub').number('mu', 2, 0, 1000, { above: true, unit: 'per second' }), { name: 'RangeError', message: 'expected a number above 0 and at most 1000 (per second)' });
    assert.equal(seen[0].field, 'sub.mu');
    assert.equal(seen[0].value, -2);
  });
});

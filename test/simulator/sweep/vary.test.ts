import assert from 'node:assert/strict';
import { formatVaryValue, parseVary, parseVaryOption, VaryError } from '../../../simulator/sweep/vary.js';

const refused = (key: string, pattern: RegExp) => (e: unknown) => e instanceof VaryError && e.key === key && pattern.test(e.message);

describe('simulator/sweep: --vary', function () {
  it('types values as TOML does: integers, floats, booleans, quoted strings, arrays; bare words stay strings', function () {
    assert.deepEqual(parseVaryOption('batch=10,20,1_000'), { key: 'batch', values: [10, 20, 1000] });
    assert.deepEqual(parseVaryOption('rate=0.5, 1e-3 ,2.0').values, [0.5, 0.001, 2]);
    assert.deepEqual(parseVaryOption('cover=true,false').values, [true, false]);
    assert.deepEqual(parseVaryOption('model=pool,loopix').values, ['pool', 'loopix']);
    assert.deepEqual(parseVaryOption('name="a,b","c"').values, ['a,b', 'c']);
    assert.deepEqual(parseVaryOption('checkpoints=[250, 500],[100,200,400]').values, [
      [250, 500],
      [100, 200, 400],
    ]);
    assert.deepEqual(parseVaryOption('client.rate=1,2'), { key: 'client.rate', values: [1, 2] });
    assert.deepEqual(parseVaryOption('x=10').values, [10]);
    const integer = parseVaryOption('n=3').values[0];
    assert.equal(typeof integer, 'number');
    assert.equal(typeof parseVaryOption('n="3"').values[0], 'string');
  });

  it('several options make separate axes in the order given', function () {
    const axes = parseVary(['batch=10,20', 'friends=2,4,8']);
    assert.deepEqual(
      axes.map((a) => a.key),
      ['batch', 'friends'],
    );
    assert.equal(axes[1].values.length, 3);
  });

  it('errors name the key and say what is wrong', function () {
    assert.throws(
      () => parseVaryOption('batch'),
      (e: unknown) => e instanceof VaryError && /no "="/.test(e.message),
    );
    assert.throws(
      () => parseVaryOption('=1,2'),
      (e: unknown) => e instanceof VaryError && /no key/.test(e.message),
    );
    assert.throws(() => parseVaryOption('batch='), refused('batch', /no values/));
    assert.throws(() => parseVaryOption('batch=1,,2'), refused('batch', /empty/));
    assert.throws(() => parseVaryOption('batch=1,2,'), refused('batch', /empty/));
    assert.throws(() => parseVaryOption('batch=1,1.0'), refused('batch', /listed twice/));
    assert.throws(() => parseVaryOption('bad key=1'), refused('bad key', /not a configuration key/));
    assert.throws(() => parseVaryOption('rate=inf'), refused('rate', /not a finite number/));
    assert.throws(() => parseVaryOption('rate=nan'), refused('rate', /not a finite number/));
    assert.throws(() => parseVaryOption('cp=[1,[2]]'), refused('cp', /only arrays of/));
    assert.throws(() => parseVaryOption('name="open'), refused('name', /unterminated quote/));
    assert.throws(() => parseVaryOption('cp=[1,2'), refused('cp', /unbalanced/));
    assert.throws(() => parseVaryOption('cp=1]'), refused('cp', /unbalanced/));
    assert.throws(() => parseVary(['batch=1,2', 'batch=3']), refused('batch', /varied twice/));
    assert.throws(() => parseVary(['client=1', 'client.rate=3']), refused('client.rate', /overlaps --vary client/));
    assert.throws(
      () => parseVary([]),
      (e: unknown) => e instanceof VaryError && /at least one/.test(e.message),
    );
    assert.match(new VaryError('batch', 'x').message, /^--vary batch: x$/);
  });

  it('formats values for labels', function () {
    assert.equal(formatVaryValue([250, 500]), '[250, 500]');
    assert.equal(formatVaryValue(true), 'true');
    assert.equal(formatVaryValue(0.5), '0.5');
  });
});

import assert from 'node:assert/strict';
import { csvField, toCsv } from '../../../simulator/report/csv.js';
import { ReportInputError } from '../../../simulator/report/errors.js';

describe('simulator/report: CSV', function () {
  it('quotes commas, quotes, CR and LF (RFC 4180) and leaves plain fields alone', function () {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvField(' spaced '), ' spaced ');
  });

  it('writes numbers exactly, booleans as words, and missing or non-finite values as empty fields', function () {
    assert.deepEqual([0.1, -3, 1e-7, true, false, null, undefined, Number.NaN, Infinity].map(csvField), ['0.1', '-3', '1e-7', 'true', 'false', '', '', '', '']);
  });

  it('pins a whole document: header, rows, "\\n" line ends, trailing newline', function () {
    const text = toCsv(
      ['key', 'value', 'note'],
      [
        ['batch', 20, 'plain'],
        ['mode', 'pool,loopix', 'he said "no"\nthen left'],
        ['empty', null, ''],
      ],
    );
    assert.equal(text, 'key,value,note\nbatch,20,plain\nmode,"pool,loopix","he said ""no""\nthen left"\nempty,,\n');
  });

  it('refuses a row whose width differs from the header, and an empty header', function () {
    assert.throws(
      () => toCsv(['a', 'b'], [[1, 2], [3]]),
      (e: unknown) => e instanceof ReportInputError && /row 1 has 1 fields, the header has 2/.test(e.message),
    );
    assert.throws(() => toCsv([], []), ReportInputError);
  });
});

// protocol/bytes.ts: the bytes assertion every protocol module uses for its arguments.

import assert from 'node:assert/strict';
import { abytes, isBytes } from '../../protocol/bytes.js';

class FormatError extends Error {}

describe('abytes and isBytes', function () {
  it('accept a Uint8Array (a Buffer too), of the asked length when one is given', function () {
    abytes(new Uint8Array(3));
    abytes(new Uint8Array(32), 32, 'key');
    abytes(Buffer.alloc(4), 4);
    assert.ok(isBytes(new Uint8Array(0)) && isBytes(new Uint8Array(2), 2));
    assert.ok(!isBytes(new Uint8Array(2), 3) && !isBytes('ab') && !isBytes([1, 2]) && !isBytes(null));
  });

  it('say what was expected and what came: a RangeError for a length, a TypeError for a type', function () {
    assert.throws(() => abytes(new Uint8Array(31), 32, 'key'), { name: 'RangeError', message: 'key must be 32 bytes, got 31 bytes' });
    assert.throws(() => abytes('nope', 32, 'packet'), { name: 'TypeError', message: 'packet must be 32 bytes, got a string' });
    assert.throws(() => abytes(null, undefined, 'chunk'), { name: 'TypeError', message: 'chunk must be a Uint8Array, got null' });
    assert.throws(() => abytes([1], undefined), { name: 'TypeError', message: 'value must be a Uint8Array, got an array' });
  });

  it("throw the caller's own error when given one", function () {
    assert.throws(
      () => abytes(new Uint8Array(1), 2, 'id', (m) => new FormatError(m)),
      (err: unknown) => err instanceof FormatError && err.message === 'id must be 2 bytes, got 1 byte',
    );
  });
});

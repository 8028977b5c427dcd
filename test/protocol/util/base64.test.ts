import assert from 'node:assert/strict';
import { fromBase64, toBase64 } from '../../../protocol/util/base64.js';

describe('protocol/util/base64: the one base64 helper', function () {
  it('round-trips bytes of every length, padded (RFC 4648 §4 vectors)', function () {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [text, b64] of vectors) {
      assert.equal(toBase64(new TextEncoder().encode(text)), b64);
      assert.equal(new TextDecoder().decode(fromBase64(b64)), text);
    }
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(fromBase64(toBase64(bytes.subarray(3, 200))), bytes.subarray(3, 200));
  });

  it('refuses what Node would silently repair: bad characters, missing padding, non-canonical bits, non-strings', function () {
    assert.throws(() => fromBase64('Zm9v!', 'chunk'), /chunk is not valid base64/);
    assert.throws(() => fromBase64('Zg', 'x'), /not valid base64/);
    assert.throws(() => fromBase64('Zm9v YmFy'), /not valid base64/);
    assert.throws(() => fromBase64('Zh=='), /not canonical base64/);
    assert.throws(() => fromBase64(42), /not valid base64/);
  });
});

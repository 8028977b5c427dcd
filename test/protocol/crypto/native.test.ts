// The native addon (native/sphinx-hop.c) against the pure TypeScript code it
// stands in for: the same bytes for every length and direction. Skipped, and
// said so, when the addon is not built (`npm run build:native`); the Sphinx
// vector tests run the unwrap both ways (test/protocol/sphinx/katzenpost-vectors.test.ts).

import assert from 'node:assert/strict';
import { aezInternals, sprpDecrypt, sprpEncrypt } from '../../../protocol/crypto/aez.js';
import { nativeSphinx } from '../../../protocol/crypto/native.js';
import { deterministicRandom } from '../../helpers/drbg.js';

const seededBytes = (n: number, seed: string): Uint8Array => deterministicRandom(seed)(n);

describe('native addon', function () {
  before(function () {
    if (!nativeSphinx) this.skip(); // not built here: the TypeScript path is what runs (and what the other tests test)
  });

  it('AEZ SPRP: native and TypeScript agree, both directions, 32 to 4096 bytes, in place or not', function () {
    const lengths = [32, 33, 47, 48, 49, 63, 64, 65, 80, 95, 96, 127, 128, 129, 255, 256, 257, 511, 1024, 2654, 4096];
    let seed = 0;
    for (const n of lengths) {
      for (let t = 0; t < 4; t++) {
        const key = seededBytes(48, `key-${seed}`);
        const nonce = seededBytes(16, `nonce-${seed}`);
        const src = seededBytes(n, `src-${seed++}`);
        for (const decipher of [false, true]) {
          const want = new Uint8Array(n);
          aezInternals.sprpTypeScript(key, nonce, src, want, decipher);
          const got = new Uint8Array(n);
          nativeSphinx!.aezSprp(key, nonce, src, got, decipher);
          assert.deepEqual(got, want, `${n} bytes, ${decipher ? 'decipher' : 'encipher'}`);
          const inPlace = Uint8Array.from(src);
          nativeSphinx!.aezSprp(key, nonce, inPlace, inPlace, decipher);
          assert.deepEqual(inPlace, want, `${n} bytes in place`);
        }
      }
    }
  });

  it('sprpEncrypt/sprpDecrypt (native for Sphinx shapes) round-trip and match TypeScript', function () {
    const key = seededBytes(48, 'k');
    const nonce = seededBytes(16, 'n');
    const data = seededBytes(2654, 'd');
    const c = new Uint8Array(data.length);
    sprpEncrypt(key, nonce, data, c);
    const want = new Uint8Array(data.length);
    aezInternals.sprpTypeScript(key, nonce, data, want, false);
    assert.deepEqual(c, want);
    sprpDecrypt(key, nonce, c, c);
    assert.deepEqual(c, data);
  });

  it('refuses arguments of the wrong shape with a RangeError', function () {
    const ok = new Uint8Array(64);
    assert.throws(() => nativeSphinx!.aezSprp(new Uint8Array(47), new Uint8Array(16), ok, ok, false), RangeError);
    assert.throws(() => nativeSphinx!.aezSprp(new Uint8Array(48), new Uint8Array(12), ok, ok, false), RangeError);
    assert.throws(() => nativeSphinx!.aezSprp(new Uint8Array(48), new Uint8Array(16), new Uint8Array(31), new Uint8Array(31), false), RangeError);
    assert.throws(() => nativeSphinx!.aezSprp(new Uint8Array(48), new Uint8Array(16), ok, new Uint8Array(63), false), RangeError);
  });
});

// protocol/crypto/random.ts: the system sources every protocol function defaults to.

import assert from 'node:assert/strict';
import { cryptoUniform, systemRandom } from '../../../protocol/crypto/random.js';

describe('protocol random sources', function () {
  it('systemRandom returns fresh plain Uint8Arrays of the asked length', function () {
    const a = systemRandom(32);
    const b = systemRandom(32);
    assert.equal(a.length, 32);
    assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype, 'not a Buffer');
    assert.notDeepEqual(a, b);
    assert.equal(systemRandom(0).length, 0);
  });

  it('cryptoUniform draws from [0, 1) across pool refills, with a mean near ½', function () {
    const u = cryptoUniform();
    let sum = 0;
    const n = 5000; // > 2 pool refills of 512 draws
    for (let i = 0; i < n; i++) {
      const x = u();
      assert.ok(x >= 0 && x < 1, `${x}`);
      sum += x;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.03, `mean ${sum / n}`);
  });
});

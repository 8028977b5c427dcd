import assert from 'node:assert/strict';
import { pad, unpad } from '../../../protocol/e2ee/padding.js';
import { codeOf } from './fixtures.js';

describe('e2ee: padding', () => {
  it('pads to exactly the capacity: u16 length ‖ plaintext ‖ zeros', () => {
    const padded = pad(Uint8Array.of(0xaa, 0xbb, 0xcc), 8);
    assert.deepEqual(padded, Uint8Array.of(0, 3, 0xaa, 0xbb, 0xcc, 0, 0, 0));
    assert.deepEqual(unpad(padded), Uint8Array.of(0xaa, 0xbb, 0xcc));
    assert.deepEqual(unpad(pad(new Uint8Array(0), 2)), new Uint8Array(0));
    const full = pad(new Uint8Array(300).fill(1), 302);
    assert.deepEqual([full[0], full[1]], [1, 44]);
    assert.deepEqual(unpad(full), new Uint8Array(300).fill(1));
  });

  it('refuses a plaintext that does not fit', () => {
    assert.throws(() => pad(new Uint8Array(7), 8), RangeError);
    assert.throws(() => pad(new Uint8Array(0), 1), RangeError);
    assert.throws(() => pad(new Uint8Array(0x10000), 0x10002), RangeError);
  });

  it('rejects non-zero padding and impossible lengths', () => {
    const padded = pad(Uint8Array.of(1, 2), 8);
    padded[7] = 1;
    assert.equal(
      codeOf(() => unpad(padded)),
      'malformed',
    );
    assert.equal(
      codeOf(() => unpad(Uint8Array.of(0, 7, 1, 2))),
      'malformed',
    );
    assert.equal(
      codeOf(() => unpad(Uint8Array.of(0))),
      'malformed',
    );
  });
});

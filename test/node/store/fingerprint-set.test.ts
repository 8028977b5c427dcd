import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FingerprintSet } from '../../../node/store/fingerprint-set.js';
import { seededUniform } from '../../../simulator/random.js';

/** A tag whose first 8 bytes are (hi, lo): the fingerprint; the rest random. */
function tag(hi: number, lo: number): Uint8Array {
  const t = randomBytes(32);
  new DataView(t.buffer, t.byteOffset).setUint32(0, hi);
  new DataView(t.buffer, t.byteOffset).setUint32(4, lo);
  return new Uint8Array(t);
}

describe('node/store/fingerprint-set', () => {
  it('matches a reference Set through random adds and deletes, with growth and colliding home slots', () => {
    const u = seededUniform(11);
    const set = new FingerprintSet();
    const ref = new Map<string, Uint8Array>();
    // Few distinct low words so many entries share a home slot and runs wrap around the table.
    const pool = Array.from({ length: 5000 }, () => tag((u() * 2 ** 32) >>> 0, (Math.floor(u() * 64) * 1024 + 1020) >>> 0));
    for (let step = 0; step < 40_000; step++) {
      const t = pool[Math.floor(u() * pool.length)];
      const key = Buffer.from(t.subarray(0, 8)).toString('hex');
      if (u() < 0.6) {
        assert.equal(set.add(t), !ref.has(key), `add at step ${step}`);
        ref.set(key, t);
      } else assert.equal(set.delete(t), ref.delete(key), `delete at step ${step}`);
      if (step % 997 === 0) for (const p of pool.slice(0, 200)) assert.equal(set.has(p), ref.has(Buffer.from(p.subarray(0, 8)).toString('hex')));
    }
    assert.equal(set.size, ref.size);
    for (const p of pool) assert.equal(set.has(p), ref.has(Buffer.from(p.subarray(0, 8)).toString('hex')));
  });

  it('treats tags with the same first 8 bytes as one, and the all-zero fingerprint as a value', () => {
    const set = new FingerprintSet();
    assert.equal(set.add(tag(5, 6)), true);
    assert.equal(set.add(tag(5, 6)), false, 'same fingerprint: seen');
    assert.equal(set.add(tag(0, 0)), true);
    assert.equal(set.has(tag(0, 0)), true);
    assert.equal(set.delete(tag(0, 0)), true);
    assert.equal(set.has(tag(0, 0)), false);
  });

  it('holds a million tags in at most 32 bytes each (a Set of tag strings takes about 80)', () => {
    const set = new FingerprintSet();
    const bytes = randomBytes(32 * 1_000_000);
    for (let i = 0; i < 1_000_000; i++) set.add(bytes.subarray(32 * i, 32 * i + 32));
    assert.ok(set.size > 999_990);
    assert.ok(set.bytes <= 1_000_000 * 32, `${set.bytes} bytes`);
  });
});

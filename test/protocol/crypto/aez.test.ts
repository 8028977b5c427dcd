import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { aezDecrypt, aezEncrypt, aezInternals, sprpDecrypt, sprpEncrypt } from '../../../protocol/crypto/aez.js';

// ---------------------------------------------------------------------------------------------
// Reference material: the npm `aez` package (CommonJS) and its vectors, which were generated
// from the AEZ authors' reference code (nmathewson/aez_test_vectors).
// ---------------------------------------------------------------------------------------------

const require = createRequire(import.meta.url);

interface NpmAez {
  encrypt(key: Buffer, nonce: Buffer, ad: Buffer[], tau: number, plaintext: Buffer): Buffer;
  decrypt(key: Buffer, nonce: Buffer, ad: Buffer[], tau: number, ciphertext: Buffer): Buffer | null;
}

const npmAez = require('aez') as NpmAez;
const vectorDir = join(dirname(require.resolve('aez/package.json')), 'test', 'test-vectors');

interface EncryptVector {
  key: string;
  nonce: string;
  ad: string[];
  tau: number;
  message: string;
  result: string;
}
/** `ad[0]` is the nonce, the rest the AD strings; `tau` is in bits. */
interface HashVector {
  key: string;
  tau: number;
  ad: string[];
  result: string;
}
interface PrfVector {
  key: string;
  delta: string;
  tau: number;
  result: string;
}
interface ExtractVector {
  key: string;
  result: string;
}

function loadVectors<T>(name: string): T[] {
  return JSON.parse(readFileSync(join(vectorDir, `${name}.json`), 'utf8')) as T[];
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** Flips one bit of a copy of `b`. */
function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[bit >> 3] ^= 0x80 >> (bit & 7);
  return c;
}

// ---------------------------------------------------------------------------------------------

describe('AEZv5 (protocol/crypto/aez)', () => {
  describe('reference vectors (aez/test/test-vectors)', () => {
    it('extract.json: Extract(K) (identity for 48-byte keys, BLAKE2b-384 otherwise)', () => {
      const vectors = loadVectors<ExtractVector>('extract');
      assert.equal(vectors.length, 109);
      for (const v of vectors) assert.equal(toHex(aezInternals.extract(hex(v.key))), v.result, `key ${v.key}`);
    });

    it('hash.json: AEZ-hash over (tau, nonce, AD...)', () => {
      const vectors = loadVectors<HashVector>('hash');
      assert.equal(vectors.length, 22);
      for (const [k, v] of vectors.entries()) {
        const [nonce, ...ad] = v.ad.map(hex);
        const got = aezInternals.hash(hex(v.key), nonce ?? new Uint8Array(0), ad, v.tau);
        assert.equal(toHex(got), v.result, `hash vector ${k}`);
      }
    });

    it('prf.json: AEZ-prf(delta, tau)', () => {
      const vectors = loadVectors<PrfVector>('prf');
      assert.equal(vectors.length, 16);
      for (const [k, v] of vectors.entries()) {
        assert.equal(toHex(aezInternals.prf(hex(v.key), hex(v.delta), v.tau)), v.result, `prf vector ${k}`);
      }
    });

    it('encrypt.json: encrypt, decrypt round-trip, and tamper rejection when tau > 0', () => {
      const vectors = loadVectors<EncryptVector>('encrypt');
      assert.equal(vectors.length, 1024);
      let tampered = 0;
      for (const [k, v] of vectors.entries()) {
        const key = hex(v.key);
        const nonce = hex(v.nonce);
        const ad = v.ad.map(hex);
        const ct = aezEncrypt(key, nonce, ad, v.tau, hex(v.message));
        assert.equal(toHex(ct), v.result, `encrypt vector ${k}`);

        const pt = aezDecrypt(key, nonce, ad, v.tau, hex(v.result));
        assert.ok(pt !== null, `decrypt vector ${k} rejected`);
        assert.equal(toHex(pt), v.message, `decrypt vector ${k}`);

        if (v.tau > 0) {
          const bits = ct.length * 8;
          for (const bit of [0, (k * 7919) % bits, bits - 1]) {
            assert.equal(aezDecrypt(key, nonce, ad, v.tau, flipBit(ct, bit)), null, `vector ${k} bit ${bit}`);
            tampered++;
          }
          assert.equal(aezDecrypt(key, flipBit(nonce, 3), ad, v.tau, ct), null, `vector ${k} nonce`);
        }
      }
      assert.ok(tampered > 1000);
    });
  });

  describe('differential against the npm aez package', () => {
    const lengths = [
      ...Array.from({ length: 101 }, (_, i) => i),
      127,
      128,
      129,
      255,
      256,
      257,
      511,
      512,
      513,
      2000,
      2015,
      2016,
      2017,
      2031,
      2032,
      2033,
      2047,
      2048,
      2049,
      2063,
      2064,
      2065,
      2079,
      2080,
      2100,
    ];

    it('matches on random keys / nonces / AD, tau in {0, 16}, many message lengths', () => {
      for (const [k, n] of lengths.entries()) {
        const key = rand(48);
        const nonce = rand(16);
        const ad = k % 3 === 0 ? [] : [rand(k % 40), rand(0), rand(17)].slice(0, 1 + (k % 3));
        const tau = k % 2 === 0 ? 0 : 16;
        const msg = rand(n);
        const theirs = npmAez.encrypt(
          Buffer.from(key),
          Buffer.from(nonce),
          ad.map((a) => Buffer.from(a)),
          tau,
          Buffer.from(msg),
        );
        const ours = aezEncrypt(key, nonce, ad, tau, msg);
        assert.equal(toHex(ours), theirs.toString('hex'), `length ${n} tau ${tau}`);
        const back = aezDecrypt(key, nonce, ad, tau, ours);
        assert.ok(back !== null);
        assert.equal(toHex(back), toHex(msg), `round trip length ${n}`);
      }
    });

    it('matches on a 100 KiB message (many 2^{⌈i/8⌉}I doublings) and round-trips beyond 1 MiB', () => {
      const key = rand(48);
      const nonce = rand(16);
      const big = rand(100 * 1024 + 19);
      const theirs = npmAez.encrypt(Buffer.from(key), Buffer.from(nonce), [], 16, Buffer.from(big));
      const ours = aezEncrypt(key, nonce, [], 16, big);
      assert.equal(toHex(ours), theirs.toString('hex'));

      const huge = rand((1 << 20) + 77);
      const ct = new Uint8Array(huge.length);
      sprpEncrypt(key, nonce, huge, ct);
      const back = new Uint8Array(huge.length);
      sprpDecrypt(key, nonce, ct, back);
      assert.ok(Buffer.from(back).equals(Buffer.from(huge)));
      // The shared work buffer shrinks back afterwards; small messages still agree with npm aez.
      const small = rand(2048);
      const again = npmAez.encrypt(Buffer.from(key), Buffer.from(nonce), [], 0, Buffer.from(small));
      const c2 = new Uint8Array(2048);
      sprpEncrypt(key, nonce, small, c2);
      assert.equal(toHex(c2), again.toString('hex'));
    });

    it('matches for odd key, nonce and tau sizes (Extract, multi-block / partial nonces)', () => {
      const cases: Array<[number, number, number, number]> = [
        // [key bytes, nonce bytes, tau, message bytes]
        [0, 16, 0, 32],
        [1, 0, 1, 0],
        [16, 1, 3, 5],
        [32, 15, 7, 31],
        [47, 17, 16, 33],
        [49, 31, 32, 48],
        [64, 32, 17, 64],
        [100, 33, 5, 2048],
        [48, 12, 16, 1],
        [48, 24, 0, 16],
        [48, 16, 16, 0],
        [48, 0, 0, 100],
      ];
      for (const [kb, nb, tau, mb] of cases) {
        const key = rand(kb);
        const nonce = rand(nb);
        const ad = [rand(5), rand(16), rand(33), rand(0), rand(129)];
        const msg = rand(mb);
        const theirs = npmAez.encrypt(
          Buffer.from(key),
          Buffer.from(nonce),
          ad.map((a) => Buffer.from(a)),
          tau,
          Buffer.from(msg),
        );
        const ours = aezEncrypt(key, nonce, ad, tau, msg);
        assert.equal(toHex(ours), theirs.toString('hex'), `key ${kb} nonce ${nb} tau ${tau} msg ${mb}`);
        const back = aezDecrypt(key, nonce, ad, tau, ours);
        assert.ok(back !== null);
        assert.equal(toHex(back), toHex(msg));
        const theirBack = npmAez.decrypt(
          Buffer.from(key),
          Buffer.from(nonce),
          ad.map((a) => Buffer.from(a)),
          tau,
          Buffer.from(ours),
        );
        assert.ok(theirBack !== null);
        assert.equal(theirBack.toString('hex'), toHex(msg));
      }
    });
  });

  describe('authenticated encryption edge cases', () => {
    const key = rand(48);
    const nonce = rand(16);

    it('rejects ciphertexts shorter than tau and forgeries of the empty message', () => {
      assert.equal(aezDecrypt(key, nonce, [], 16, rand(15)), null);
      const tag = aezEncrypt(key, nonce, [], 16, new Uint8Array(0));
      assert.equal(tag.length, 16);
      assert.deepEqual(aezDecrypt(key, nonce, [], 16, tag), new Uint8Array(0));
      assert.equal(aezDecrypt(key, nonce, [], 16, flipBit(tag, 127)), null);
      assert.equal(aezDecrypt(key, nonce, [rand(1)], 16, tag), null);
    });

    it('tau = 0 with an empty message gives an empty ciphertext', () => {
      assert.equal(aezEncrypt(key, nonce, [], 0, new Uint8Array(0)).length, 0);
      assert.deepEqual(aezDecrypt(key, nonce, [], 0, new Uint8Array(0)), new Uint8Array(0));
    });

    it('AD is a vector: splitting or reordering AD strings changes the ciphertext', () => {
      const m = rand(40);
      const a = aezEncrypt(key, nonce, [hex('0102'), hex('03')], 16, m);
      const b = aezEncrypt(key, nonce, [hex('01'), hex('0203')], 16, m);
      const c = aezEncrypt(key, nonce, [hex('03'), hex('0102')], 16, m);
      assert.notEqual(toHex(a), toHex(b));
      assert.notEqual(toHex(a), toHex(c));
      assert.equal(aezDecrypt(key, nonce, [hex('01'), hex('0203')], 16, a), null);
    });

    it('does not modify its inputs', () => {
      const m = rand(100);
      const mCopy = Uint8Array.from(m);
      const kCopy = Uint8Array.from(key);
      const c = aezEncrypt(key, nonce, [], 8, m);
      const cCopy = Uint8Array.from(c);
      aezDecrypt(key, nonce, [], 8, c);
      assert.deepEqual(m, mCopy);
      assert.deepEqual(c, cCopy);
      assert.deepEqual(key, kCopy);
    });

    it('rejects a negative or fractional tau', () => {
      assert.throws(() => aezEncrypt(key, nonce, [], -1, rand(4)), RangeError);
      assert.throws(() => aezEncrypt(key, nonce, [], 1.5, rand(4)), RangeError);
    });
  });

  describe('SPRP (Sphinx payload) API', () => {
    const sizes = [1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 2047, 2048, 2049, 4096 + 7];

    it('sprpEncrypt/sprpDecrypt equal aezEncrypt/aezDecrypt with tau = 0 and no AD', () => {
      for (const n of sizes) {
        const key = rand(48);
        const nonce = rand(16);
        const msg = rand(n);
        const ct = new Uint8Array(n);
        sprpEncrypt(key, nonce, msg, ct);
        assert.equal(toHex(ct), toHex(aezEncrypt(key, nonce, [], 0, msg)), `encrypt ${n}`);
        const pt = new Uint8Array(n);
        sprpDecrypt(key, nonce, ct, pt);
        assert.equal(toHex(pt), toHex(msg), `round trip ${n}`);
        const viaAez = aezDecrypt(key, nonce, [], 0, ct);
        assert.ok(viaAez !== null);
        assert.equal(toHex(viaAez), toHex(msg), `aezDecrypt ${n}`);
      }
    });

    it('works in place (src === dst), also on unaligned subarray views', () => {
      for (const n of [31, 32, 2048, 2051]) {
        const key = rand(48);
        const nonce = rand(16);
        const backing = rand(n + 3);
        const buf = backing.subarray(3, 3 + n); // byteOffset 3: not 4-byte aligned
        const original = Uint8Array.from(buf);
        const expected = aezEncrypt(key, nonce, [], 0, original);
        sprpEncrypt(key, nonce, buf, buf);
        assert.equal(toHex(buf), toHex(expected), `in-place encrypt ${n}`);
        sprpDecrypt(key, nonce, buf, buf);
        assert.equal(toHex(buf), toHex(original), `in-place decrypt ${n}`);
      }
    });

    it('rejects mismatched src/dst lengths', () => {
      assert.throws(() => sprpEncrypt(rand(48), rand(16), rand(64), new Uint8Array(63)), RangeError);
    });

    it('one flipped ciphertext bit garbles the whole decrypted payload (no tagging oracle)', () => {
      const n = 2048;
      const key = rand(48);
      const nonce = rand(16);
      const msg = rand(n);
      const ct = new Uint8Array(n);
      sprpEncrypt(key, nonce, msg, ct);
      const half = n / 2;
      for (const bit of [0, 7, 8 * 100 + 3, 8 * half, 8 * (n - 33) + 1, 8 * (n - 17), 8 * n - 1]) {
        const pt = new Uint8Array(n);
        sprpDecrypt(key, nonce, flipBit(ct, bit), pt);
        let diffFirst = 0;
        let diffSecond = 0;
        for (let k = 0; k < n; k++) {
          if (pt[k] !== msg[k]) {
            if (k < half) diffFirst++;
            else diffSecond++;
          }
        }
        // A random 1 KiB half differs from the original in ~1020 bytes (each byte equal w.p. 1/256).
        assert.ok(diffFirst > 0.95 * half, `bit ${bit}: only ${diffFirst} bytes of the first half changed`);
        assert.ok(diffSecond > 0.95 * half, `bit ${bit}: only ${diffSecond} bytes of the second half changed`);
      }
    });

    it('different nonces and keys give unrelated ciphertexts', () => {
      const key = rand(48);
      const msg = rand(2048);
      const a = new Uint8Array(2048);
      const b = new Uint8Array(2048);
      const nonce = rand(16);
      sprpEncrypt(key, nonce, msg, a);
      sprpEncrypt(key, flipBit(nonce, 0), msg, b);
      let same = 0;
      for (let k = 0; k < 2048; k++) if (a[k] === b[k]) same++;
      assert.ok(same < 40, `${same} equal bytes`);
      sprpEncrypt(flipBit(key, 200), nonce, msg, b);
      same = 0;
      for (let k = 0; k < 2048; k++) if (a[k] === b[k]) same++;
      assert.ok(same < 40, `${same} equal bytes`);
    });
  });
});

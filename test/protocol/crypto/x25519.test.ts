// X25519 back ends against each other, against @noble/curves (the portable
// reference) and against RFC 7748's vectors; low-order points are refused.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { x25519 as noble } from '@noble/curves/ed25519.js';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { LowOrderPointError, X25519PrivateKey, x25519, x25519NodeCrypto, x25519Sodium } from '../../../protocol/crypto/x25519.js';

const P = 2n ** 255n - 19n;

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b %= P;
  for (; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}
function leToBigInt(bytes: Uint8Array): bigint {
  return BigInt('0x' + toHex(Uint8Array.from(bytes).reverse()));
}
function bigIntToLe(n: bigint): Uint8Array {
  return fromHex(n.toString(16).padStart(64, '0')).reverse();
}

/** u-coordinates of the small-order points (Edwards torsion mapped by u = (1+y)/(1−y)), plus non-canonical encodings. */
function lowOrderPoints(): Uint8Array[] {
  const ys = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];
  const us = new Set<bigint>([0n, 1n]);
  for (const hex of ys) {
    const bytes = fromHex(hex);
    bytes[31] &= 0x7f;
    const y = leToBigInt(bytes);
    us.add(((1n + y) * modPow((1n - y + P) % P, P - 2n)) % P);
  }
  const points = [...us].map(bigIntToLe);
  // u = p − 1 lies on the twist, where its order is 2; u ≥ p are non-canonical encodings of 0 and 1.
  points.push(bigIntToLe(P - 1n), bigIntToLe(P), bigIntToLe(P + 1n));
  return points;
}

describe('X25519', function () {
  it('RFC 7748 §5.2 vector on every back end', function () {
    const k = fromHex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4');
    const u = fromHex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c');
    const want = 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552';
    assert.equal(toHex(x25519NodeCrypto(k, u)), want);
    if (x25519Sodium) assert.equal(toHex(x25519Sodium(k, u)), want);
    assert.equal(toHex(noble.scalarMult(k, u)), want);
    assert.equal(toHex(X25519PrivateKey.fromBytes(k).sharedSecret(u)), want);
  });

  it('RFC 7748 §6.1 key agreement', function () {
    const alice = X25519PrivateKey.fromBytes(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = X25519PrivateKey.fromBytes(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    assert.equal(toHex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(toHex(bob.publicKey), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const want = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    assert.equal(toHex(alice.sharedSecret(bob.publicKey)), want);
    assert.equal(toHex(bob.sharedSecret(alice.publicKey)), want);
  });

  it('node:crypto, libsodium and @noble/curves agree on random inputs', function () {
    for (let i = 0; i < 25; i++) {
      const scalar = new Uint8Array(randomBytes(32));
      const point = noble.getPublicKey(new Uint8Array(randomBytes(32)));
      const reference = toHex(noble.scalarMult(scalar, point));
      assert.equal(toHex(x25519NodeCrypto(scalar, point)), reference);
      if (x25519Sodium) assert.equal(toHex(x25519Sodium(scalar, point)), reference);
      assert.equal(toHex(X25519PrivateKey.fromBytes(scalar).sharedSecret(point)), reference);
      assert.equal(toHex(X25519PrivateKey.fromBytes(scalar).publicKey), toHex(noble.getPublicKey(scalar)));
    }
  });

  it('refuses every small-order point with LowOrderPointError on every back end', function () {
    const scalar = new Uint8Array(randomBytes(32));
    const key = X25519PrivateKey.fromBytes(scalar);
    const points = lowOrderPoints();
    assert.equal(points.length, 7);
    for (const point of points) {
      assert.throws(() => x25519NodeCrypto(scalar, point), LowOrderPointError, toHex(point));
      if (x25519Sodium) assert.throws(() => x25519Sodium!(scalar, point), LowOrderPointError, toHex(point));
      assert.throws(() => x25519(scalar, point), LowOrderPointError, toHex(point));
      assert.throws(() => key.sharedSecret(point), LowOrderPointError, toHex(point));
      assert.throws(() => noble.scalarMult(scalar, point), Error, 'the reference refuses it too');
    }
  });

  it('rejects keys of the wrong length', function () {
    assert.throws(() => x25519(new Uint8Array(31), new Uint8Array(32)), RangeError);
    assert.throws(() => x25519(new Uint8Array(32), new Uint8Array(33)), RangeError);
    assert.throws(() => X25519PrivateKey.fromBytes(new Uint8Array(16)), RangeError);
  });

  it('generates distinct keys, keeps the raw scalar and wipes it on destroy', function () {
    const a = X25519PrivateKey.generate();
    const b = X25519PrivateKey.generate();
    assert.notEqual(toHex(a.publicKey), toHex(b.publicKey));
    assert.equal(toHex(noble.getPublicKey(a.toBytes())), toHex(a.publicKey));
    a.destroy();
    assert.equal(toHex(a.toBytes()), '00'.repeat(32));
  });
});

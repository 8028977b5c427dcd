// The two ways of computing a header's hop secrets give the same bytes
// (protocol/sphinx/hop-secrets.ts): the scalar path against the ladder on
// honest keys, keys with a torsion part, twist keys and low-order keys; and
// the scalar helpers (protocol/crypto/x25519-scalars.ts) against @noble/curves.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ed25519, x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { blindingBackend, LowOrderPointError, X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { clampedFormOf, clampedModL, GROUP_ORDER, mulModL, onCurve } from '../../../protocol/crypto/x25519-scalars.js';
import { hopSecrets, hopSecretsByLadder, hopSecretsByScalars, type HopSecrets } from '../../../protocol/sphinx/hop-secrets.js';

const Point = ed25519.Point;
const random32 = (): Uint8Array => new Uint8Array(randomBytes(32));
const honestKey = (): Uint8Array => X25519PrivateKey.generate().publicKey;

/** A point of order 8 (libsodium's small-order list), added to an honest point: same prime-order part, different u. */
const ORDER_8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
function keyWithTorsion(): Uint8Array {
  const r = Point.Fn.create(bytesToNumberLE(random32()));
  return ed25519.utils.toMontgomery(Point.BASE.multiply(r).add(ORDER_8).toBytes());
}

/** Whether u is the u-coordinate of a point on the curve, decided through the Edwards form (y = (u − 1)/(u + 1)), independently of onCurve's formula (u = −1, which has no Edwards image, never comes up at random). */
function onCurveByEdwards(u: Uint8Array): boolean {
  const Fp = Point.Fp;
  const masked = Uint8Array.from(u);
  masked[31] &= 127;
  const x = Fp.create(bytesToNumberLE(masked));
  const y = Fp.div(Fp.sub(x, 1n), Fp.add(x, 1n));
  const bytes = Fp.toBytes(y);
  try {
    Point.fromBytes(bytes);
    return true;
  } catch {
    return false;
  }
}

function twistKey(): Uint8Array {
  for (;;) {
    const u = random32();
    u[31] &= 127;
    if (!onCurveByEdwards(u)) return u;
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const flatten = (s: HopSecrets): string[] => [...s.alphas.map(hex), ...s.keys.flatMap((k) => [k.headerMac, k.headerEncryption, k.headerEncryptionIV, k.payloadEncryption, k.blindingFactor].map(hex))];

describe('Sphinx hop secrets: by scalars and by the ladder', function () {
  before(function () {
    // The scalar path needs libsodium's raw scalar multiplications (CHAFF_NO_SODIUM=1 turns them off): without it only the ladder runs.
    if (blindingBackend !== 'libsodium') this.skip();
  });

  it('agree on 5-hop paths of honest keys, and the scalar path runs', function () {
    for (let n = 0; n < 60; n++) {
      const path = Array.from({ length: 5 }, () => ({ publicKey: honestKey() }));
      const x = random32();
      const fast = hopSecretsByScalars(path, x);
      assert.notEqual(fast, null, 'scalar path declined an honest path');
      assert.deepEqual(flatten(fast!), flatten(hopSecretsByLadder(path, x)));
    }
  });

  it('agree on 1- to 4-hop paths', function () {
    for (let hops = 1; hops <= 4; hops++) {
      const path = Array.from({ length: hops }, () => ({ publicKey: honestKey() }));
      const x = random32();
      assert.deepEqual(flatten(hopSecretsByScalars(path, x)!), flatten(hopSecretsByLadder(path, x)));
    }
  });

  it('agree when hop keys carry a torsion part (the clamped scalars clear it)', function () {
    for (let n = 0; n < 20; n++) {
      const path = Array.from({ length: 5 }, (_, i) => ({ publicKey: i % 2 === 0 ? keyWithTorsion() : honestKey() }));
      const x = random32();
      const fast = hopSecretsByScalars(path, x);
      assert.notEqual(fast, null);
      assert.deepEqual(flatten(fast!), flatten(hopSecretsByLadder(path, x)));
    }
  });

  it('decline a twist key after hop 0, and hopSecrets then gives the ladder’s bytes', function () {
    const path = [honestKey(), honestKey(), twistKey(), honestKey(), honestKey()].map((publicKey) => ({ publicKey }));
    const x = random32();
    assert.equal(hopSecretsByScalars(path, x), null);
    assert.deepEqual(flatten(hopSecrets(path, x)), flatten(hopSecretsByLadder(path, x)));
    // A twist key at hop 0 needs no arithmetic (hop 0 uses x itself): the scalar path takes it.
    const first = [twistKey(), honestKey(), honestKey()].map((publicKey) => ({ publicKey }));
    assert.deepEqual(flatten(hopSecretsByScalars(first, x)!), flatten(hopSecretsByLadder(first, x)));
  });

  it('both refuse a low-order key with LowOrderPointError, at any hop', function () {
    const lowOrder = ed25519.utils.toMontgomery(ORDER_8.toBytes());
    for (const at of [0, 2, 4]) {
      const path = Array.from({ length: 5 }, (_, i) => ({ publicKey: i === at ? lowOrder : honestKey() }));
      const x = random32();
      assert.throws(() => hopSecretsByScalars(path, x), LowOrderPointError, `scalars, hop ${at}`);
      assert.throws(() => hopSecretsByLadder(path, x), LowOrderPointError, `ladder, hop ${at}`);
    }
  });
});

describe('X25519 scalar helpers', function () {
  it('clampedModL is RFC 7748 clamping followed by reduction mod l', function () {
    const k = new Uint8Array(32).fill(0xff);
    // All ones, then bits 0–2 and 255 cleared (bit 254 is already set): 2^255 − 8.
    assert.equal(clampedModL(k), ((1n << 255n) - 8n) % GROUP_ORDER);
    const low = new Uint8Array(32); // all zeros: only bit 254 set
    assert.equal(clampedModL(low), (1n << 254n) % GROUP_ORDER);
  });

  it('clampedFormOf gives a scalar in clamped form congruent to ±c, which X25519 uses unchanged', function () {
    for (let n = 0; n < 200; n++) {
      const c = mulModL(clampedModL(random32()), clampedModL(random32()));
      const k = clampedFormOf(c);
      assert.notEqual(k, null);
      const v = bytesToNumberLE(k!);
      assert.equal(v & 7n, 0n);
      assert.equal(v >> 254n, 1n); // bit 254 set, bit 255 clear
      assert.ok([c, (GROUP_ORDER - c) % GROUP_ORDER].includes(v % GROUP_ORDER));
    }
    // Against the curve: X25519(k, G) is u(c·G), computed by noble on the Edwards form.
    const c = clampedModL(random32());
    const k = clampedFormOf(c)!;
    assert.equal(hex(nobleX25519.scalarMultBase(k)), hex(ed25519.utils.toMontgomery(Point.BASE.multiply(c).toBytes())));
  });

  it('clampedFormOf has none for 0 (the one residue that must never be a scalar)', function () {
    assert.equal(clampedFormOf(0n), null);
  });

  it('onCurve tells curve points from twist points, as the Edwards form does', function () {
    assert.equal(onCurve(Uint8Array.from([9, ...new Array(31).fill(0)])), true);
    for (let n = 0; n < 40; n++) {
      const u = random32();
      assert.equal(onCurve(u), onCurveByEdwards(u), hex(u));
    }
    for (let n = 0; n < 5; n++) assert.equal(onCurve(honestKey()), true);
    for (let n = 0; n < 5; n++) assert.equal(onCurve(keyWithTorsion()), true);
    assert.equal(onCurve(twistKey()), false);
  });
});

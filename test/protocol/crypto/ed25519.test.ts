import assert from 'node:assert/strict';
import { ed25519 as noble } from '@noble/curves/ed25519.js';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { Ed25519KeyError, Ed25519PrivateKey, publicKeyFromSeed, sign, verify } from '../../../protocol/crypto/ed25519.js';

describe('ed25519', () => {
  it('matches RFC 8032 §7.1 test 1', () => {
    const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const pub = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
    const sig = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155' + '5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
    assert.equal(toHex(publicKeyFromSeed(seed)), pub);
    assert.equal(toHex(sign(seed, new Uint8Array(0))), sig);
    assert.equal(verify(fromHex(pub), new Uint8Array(0), fromHex(sig)), true);
  });

  it('agrees with @noble/curves on random keys and messages', () => {
    for (let i = 0; i < 20; i++) {
      const key = Ed25519PrivateKey.generate();
      const seed = key.toSeed();
      const msg = new Uint8Array(i * 7).map((_, j) => (j * 31 + i) & 0xff);
      assert.deepEqual(key.publicKey, noble.getPublicKey(seed));
      const s = key.sign(msg);
      assert.deepEqual(s, noble.sign(msg, seed));
      assert.equal(noble.verify(s, msg, key.publicKey), true);
      const nobleSig = noble.sign(msg, seed);
      assert.equal(verify(key.publicKey, msg, nobleSig), true);
    }
  });

  it('round-trips the seed', () => {
    const a = Ed25519PrivateKey.generate();
    const b = Ed25519PrivateKey.fromSeed(a.toSeed());
    assert.deepEqual(b.publicKey, a.publicKey);
  });

  it('rejects a tampered message, signature or wrong key', () => {
    const key = Ed25519PrivateKey.generate();
    const other = Ed25519PrivateKey.generate();
    const msg = new TextEncoder().encode('chaff');
    const s = key.sign(msg);
    assert.equal(verify(key.publicKey, msg, s), true);
    assert.equal(verify(key.publicKey, new TextEncoder().encode('chafF'), s), false);
    const bad = Uint8Array.from(s);
    bad[10] ^= 1;
    assert.equal(verify(key.publicKey, msg, bad), false);
    assert.equal(verify(other.publicKey, msg, s), false);
    assert.equal(verify(key.publicKey, msg, s.subarray(0, 63)), false);
  });

  it('throws a typed error for bad key sizes', () => {
    assert.throws(() => Ed25519PrivateKey.fromSeed(new Uint8Array(31)), Ed25519KeyError);
    assert.throws(() => publicKeyFromSeed(new Uint8Array(33)), Ed25519KeyError);
    assert.throws(() => verify(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)), Ed25519KeyError);
    assert.throws(() => Ed25519PrivateKey.fromSeed('x' as unknown as Uint8Array), Ed25519KeyError);
  });

  it('does not leak the seed through JSON', () => {
    const key = Ed25519PrivateKey.generate();
    const json = JSON.stringify(key);
    assert.ok(!json.includes(toHex(key.toSeed())));
  });
});

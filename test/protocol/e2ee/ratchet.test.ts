import assert from 'node:assert/strict';
import { ctr } from '@noble/ciphers/aes.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { systemRandom, type RandomSource } from '../../../protocol/crypto/random.js';
import { DoubleRatchet, type RatchetLimits, type RatchetMessage } from '../../../protocol/e2ee/ratchet.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { codeOf } from './fixtures.js';

const AD = new TextEncoder().encode('associated data: both identities');
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function pair(options: { limits?: RatchetLimits; random?: RandomSource } = {}) {
  const random = options.random ?? systemRandom;
  const keys = { sharedKey: random(32), headerKeyA: random(32), nextHeaderKeyB: random(32) };
  const bobPrekey = X25519PrivateKey.fromBytes(random(32));
  const alice = DoubleRatchet.initInitiator(keys, bobPrekey.publicKey, { random, limits: options.limits });
  const bob = DoubleRatchet.initResponder(keys, bobPrekey, { random, limits: options.limits });
  return { alice, bob };
}

const send = (r: DoubleRatchet, s: string): RatchetMessage => r.encrypt(utf8(s), AD);
const recv = (r: DoubleRatchet, m: RatchetMessage): string => text(r.decrypt(m.header, m.body, AD));
const flip = (b: Uint8Array, i: number, bit = 1): Uint8Array => {
  const c = Uint8Array.from(b);
  c[i] ^= bit;
  return c;
};

describe('e2ee: Double Ratchet with header encryption', () => {
  it('follows §4 exactly for the first two messages (independent derivation with @noble)', () => {
    const seed = 'ratchet-spec';
    const { alice, bob } = pair({ random: deterministicRandom(seed) });
    // Replay the same random stream to know every secret.
    const r = deterministicRandom(seed);
    const [sk, hka] = [r(32), r(32), r(32)];
    const bobPrekey = r(32);
    const dhs = r(32);
    const bobPub = nobleX25519.getPublicKey(bobPrekey);

    const m0 = send(alice, 'first');
    const m1 = send(alice, 'second');
    assert.equal(m0.header.length, 80);
    assert.equal(m0.body.length, 'first'.length + 40);
    // Header nonce N = keystream bytes [24N, 24N + 24) of AES-256-CTR under HMAC(HK, "chaff-e2ee-header-nonce-v1"), counter 0.
    const stream = ctr(hmac(sha256, hka, utf8('chaff-e2ee-header-nonce-v1')), new Uint8Array(16)).encrypt(new Uint8Array(48));
    assert.deepEqual(m0.header.subarray(0, 24), stream.subarray(0, 24), 'header nonce of (HK, N = 0)');
    assert.deepEqual(m1.header.subarray(0, 24), stream.subarray(24, 48), 'header nonce of (HK, N = 1)');
    assert.deepEqual(m0.body.subarray(0, 24), r(24), 'random body nonce');

    // RatchetInitAliceHE: RK, CKs, NHKs = KDF_RK_HE(SK, DH(DHs, SPK_B)).
    const okm = hkdf(sha256, nobleX25519.getSharedSecret(dhs, bobPub), sk, utf8('chaff-e2ee-ratchet-root-v1'), 96);
    const cks = okm.subarray(32, 64);
    // HENCRYPT(HKs = shared_hka, HEADER(DHs, PN = 0, N = 0)).
    const h0 = xchacha20poly1305(hka, m0.header.subarray(0, 24)).decrypt(m0.header.subarray(24));
    assert.deepEqual(h0, concatBytes(nobleX25519.getPublicKey(dhs), new Uint8Array(8)));
    const h1 = xchacha20poly1305(hka, m1.header.subarray(0, 24)).decrypt(m1.header.subarray(24));
    assert.deepEqual(h1.subarray(32), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1));
    // KDF_CK: MK = HMAC(CK, 0x01), CK' = HMAC(CK, 0x02); body key = HKDF(MK); body = nonce ‖ AEAD.
    const open = (mk: Uint8Array, m: RatchetMessage) => {
      const key = hkdf(sha256, mk, new Uint8Array(32), utf8('chaff-e2ee-message-v1'), 32);
      return text(xchacha20poly1305(key, m.body.subarray(0, 24), concatBytes(AD, m.header)).decrypt(m.body.subarray(24)));
    };
    assert.equal(open(hmac(sha256, cks, Uint8Array.of(1)), m0), 'first');
    const ck1 = hmac(sha256, cks, Uint8Array.of(2));
    assert.equal(open(hmac(sha256, ck1, Uint8Array.of(1)), m1), 'second');

    // Forward secrecy: a message key is stored only while its message is missing, and wiped once used.
    const mk0 = toHex(hmac(sha256, cks, Uint8Array.of(1)));
    const mk1 = toHex(hmac(sha256, ck1, Uint8Array.of(1)));
    assert.equal(recv(bob, m1), 'second');
    assert.ok(toHex(bob.serialize()).includes(mk0), 'skipped key for m0 stored');
    assert.ok(!toHex(bob.serialize()).includes(mk1));
    assert.equal(recv(bob, m0), 'first');
    assert.ok(!toHex(bob.serialize()).includes(mk0), 'used key gone');
    assert.equal(toHex(sha256(concatBytes(m0.header, m0.body, m1.header, m1.body))), '1b3dd8ec83ef9e95f7fe1dad0f5993a1cb38d55760e11dec347fd88a3b93f6da');
  });

  it('exchanges messages in order, both ways, over many DH ratchet steps', () => {
    const { alice, bob } = pair();
    assert.equal(bob.canSend, false);
    assert.equal(
      codeOf(() => send(bob, 'too early')),
      'malformed',
    );
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++) assert.equal(recv(bob, send(alice, `a${round}.${i}`)), `a${round}.${i}`);
      for (let i = 0; i < 2; i++) assert.equal(recv(alice, send(bob, `b${round}.${i}`)), `b${round}.${i}`);
    }
    assert.equal(alice.skippedKeyCount + bob.skippedKeyCount, 0);
  });

  it('decrypts out-of-order messages with skipped keys, deleting each key once used', () => {
    const { alice, bob } = pair();
    const m = [0, 1, 2, 3, 4].map((i) => send(alice, `m${i}`));
    const order = [3, 0, 4, 2, 1];
    const counts = [3, 2, 2, 1, 0];
    order.forEach((i, k) => {
      assert.equal(recv(bob, m[i]), `m${i}`);
      assert.equal(bob.skippedKeyCount, counts[k]);
    });
  });

  it('survives lost messages and delivers late ones from an earlier chain (PN)', () => {
    const { alice, bob } = pair();
    const a = [0, 1, 2].map((i) => send(alice, `a${i}`));
    assert.equal(recv(bob, a[0]), 'a0'); // a1, a2 delayed
    assert.equal(recv(alice, send(bob, 'b0')), 'b0');
    const c0 = send(alice, 'c0'); // new chain, PN = 3
    assert.equal(recv(bob, c0), 'c0');
    assert.equal(bob.skippedKeyCount, 2, 'a1 and a2 skipped via PN');
    const lost = send(alice, 'c1 (lost)');
    assert.equal(recv(bob, send(alice, 'c2')), 'c2');
    assert.equal(recv(alice, send(bob, 'b1')), 'b1');
    assert.equal(recv(bob, send(alice, 'd0')), 'd0');
    assert.equal(recv(bob, a[2]), 'a2');
    assert.equal(recv(bob, a[1]), 'a1');
    assert.equal(bob.skippedKeyCount, 1, 'only the lost c1 is left');
    assert.equal(recv(bob, lost), 'c1 (lost)');
    assert.equal(bob.skippedKeyCount, 0);
  });

  it('rejects a message beyond MAX_SKIP without changing the state', () => {
    const { alice, bob } = pair({ limits: { maxSkip: 5, maxSkippedTotal: 100 } });
    const m = [0, 1, 2, 3, 4, 5, 6].map((i) => send(alice, `m${i}`));
    const before = bob.serialize();
    assert.equal(
      codeOf(() => recv(bob, m[6])),
      'too-many-skipped',
    );
    assert.deepEqual(bob.serialize(), before);
    assert.equal(recv(bob, m[5]), 'm5'); // exactly MAX_SKIP skipped: allowed
    assert.equal(bob.skippedKeyCount, 5);
    assert.equal(recv(bob, m[6]), 'm6');
  });

  it('bounds skipped keys per message across a ratchet step (PN beyond MAX_SKIP)', () => {
    const { alice, bob } = pair({ limits: { maxSkip: 3, maxSkippedTotal: 100 } });
    assert.equal(recv(bob, send(alice, 'a0')), 'a0');
    for (let i = 0; i < 4; i++) send(alice, 'undelivered'); // a1..a4
    assert.equal(recv(alice, send(bob, 'b0')), 'b0');
    const c0 = send(alice, 'c0'); // PN = 5: bob would skip a1..a4, 4 > 3
    const before = bob.serialize();
    assert.equal(
      codeOf(() => recv(bob, c0)),
      'too-many-skipped',
    );
    assert.deepEqual(bob.serialize(), before);
  });

  it('bounds the total of stored skipped keys, evicting the oldest', () => {
    const { alice, bob } = pair({ limits: { maxSkip: 10, maxSkippedTotal: 12 } });
    const a = Array.from({ length: 11 }, (_, i) => send(alice, `a${i}`));
    assert.equal(recv(bob, a[10]), 'a10');
    assert.equal(bob.skippedKeyCount, 10);
    assert.equal(recv(alice, send(bob, 'b0')), 'b0');
    const c = Array.from({ length: 6 }, (_, i) => send(alice, `c${i}`));
    assert.equal(recv(bob, c[5]), 'c5');
    assert.equal(bob.skippedKeyCount, 12, '10 + 5 skipped, 3 oldest evicted');
    for (const i of [0, 1, 2])
      assert.equal(
        codeOf(() => recv(bob, a[i])),
        'replay',
        `a${i} was evicted`,
      );
    assert.equal(recv(bob, a[3]), 'a3');
    assert.equal(recv(bob, c[0]), 'c0');
  });

  it('rejects replays and duplicates: a message key works once', () => {
    const { alice, bob } = pair();
    const m = [0, 1, 2].map((i) => send(alice, `m${i}`));
    assert.equal(recv(bob, m[0]), 'm0');
    assert.equal(
      codeOf(() => recv(bob, m[0])),
      'replay',
      'current chain',
    );
    assert.equal(recv(bob, m[2]), 'm2');
    assert.equal(
      codeOf(() => recv(bob, m[2])),
      'replay',
    );
    assert.equal(bob.skippedKeyCount, 1);
    assert.equal(recv(bob, m[1]), 'm1');
    assert.equal(bob.skippedKeyCount, 0);
    assert.equal(
      codeOf(() => recv(bob, m[1])),
      'replay',
      'skipped key already used',
    );
    // A replay from an earlier chain that still has a stored key is also seen as a replay.
    const n = [0, 1, 2].map((i) => send(alice, `n${i}`));
    assert.equal(recv(bob, n[0]), 'n0');
    assert.equal(recv(bob, n[2]), 'n2'); // n1 skipped, its key stored
    assert.equal(recv(alice, send(bob, 'b')), 'b');
    assert.equal(recv(bob, send(alice, 'next chain')), 'next chain');
    assert.equal(
      codeOf(() => recv(bob, n[2])),
      'replay',
    );
    assert.equal(recv(bob, n[1]), 'n1');
  });

  it('rejects a tampered header or body and keeps the state unchanged', () => {
    const { alice, bob } = pair();
    const first = send(alice, 'hello bob'); // bob's first message: takes the DH-ratchet path
    const before = bob.serialize();
    for (const i of [0, 23, 24, 50, 79]) {
      assert.equal(bob.tryDecrypt(flip(first.header, i), first.body, AD), null, `header byte ${i}`);
      assert.equal(
        codeOf(() => bob.decrypt(flip(first.header, i), first.body, AD)),
        'undecryptable',
      );
    }
    for (const i of [0, 4, first.body.length - 1]) {
      assert.equal(
        codeOf(() => bob.decrypt(first.header, flip(first.body, i, 0x80), AD)),
        'tampered',
        `body byte ${i}`,
      );
    }
    assert.equal(
      codeOf(() => bob.decrypt(first.header, first.body, flip(AD, 3))),
      'tampered',
      'other AD',
    );
    assert.equal(
      codeOf(() => bob.decrypt(first.header, first.body.subarray(0, 10), AD)),
      'tampered',
      'truncated body',
    );
    assert.deepEqual(bob.serialize(), before);
    assert.equal(recv(bob, first), 'hello bob');
    // Same in the middle of a chain, with skipped keys involved.
    const m = [0, 1, 2].map((i) => send(alice, `m${i}`));
    const mid = bob.serialize();
    assert.equal(
      codeOf(() => bob.decrypt(m[2].header, flip(m[2].body, 2), AD)),
      'tampered',
    );
    assert.deepEqual(bob.serialize(), mid);
    assert.equal(recv(bob, m[2]), 'm2');
    const skipped = bob.serialize();
    assert.equal(
      codeOf(() => bob.decrypt(m[0].header, flip(m[0].body, 2), AD)),
      'tampered',
    );
    assert.deepEqual(bob.serialize(), skipped);
    assert.equal(recv(bob, m[0]), 'm0');
    assert.equal(recv(bob, m[1]), 'm1');
  });

  it('commits nothing when the caller check rejects the plaintext', () => {
    const { alice, bob } = pair();
    const m = send(alice, 'x');
    const before = bob.serialize();
    assert.throws(
      () =>
        bob.decrypt(m.header, m.body, AD, () => {
          throw new Error('bad padding');
        }),
      /bad padding/,
    );
    assert.deepEqual(bob.serialize(), before);
    assert.equal(recv(bob, m), 'x');
  });

  it('continues after serialize/deserialize on both sides (with skipped keys stored)', () => {
    const { alice, bob } = pair();
    const a = [0, 1, 2, 3].map((i) => send(alice, `a${i}`));
    assert.equal(recv(bob, a[3]), 'a3');
    assert.equal(recv(alice, send(bob, 'b0')), 'b0');
    const pending = send(alice, 'pending');
    const aliceBytes = alice.serialize();
    const bobBytes = bob.serialize();
    assert.equal(bobBytes.length, 306 + 3 * 68);
    const alice2 = DoubleRatchet.deserialize(aliceBytes);
    const bob2 = DoubleRatchet.deserialize(bobBytes);
    assert.deepEqual(bob2.serialize(), bobBytes);
    assert.equal(bob2.skippedKeyCount, 3);
    assert.equal(recv(bob2, pending), 'pending');
    assert.equal(recv(bob2, a[1]), 'a1');
    assert.equal(recv(alice2, send(bob2, 'b1')), 'b1');
    assert.equal(recv(bob2, send(alice2, 'a-next')), 'a-next');
    assert.equal(recv(bob2, a[0]), 'a0');
    // The originals still hold the old state: the copies are independent.
    assert.equal(recv(bob, a[0]), 'a0');
  });

  it('rejects malformed stored states with E2eeError(malformed)', () => {
    const { alice, bob } = pair();
    recv(bob, send(alice, 'x'));
    send(alice, 'skipped');
    recv(bob, send(alice, 'y')); // one skipped key stored
    const bytes = bob.serialize();
    const malformed = (b: Uint8Array) => codeOf(() => DoubleRatchet.deserialize(b));
    assert.equal(malformed(bytes.subarray(0, 305)), 'malformed');
    assert.equal(malformed(bytes.subarray(0, bytes.length - 1)), 'malformed');
    assert.equal(malformed(flip(bytes, 0, 2)), 'malformed', 'version');
    assert.equal(malformed(flip(bytes, 1, 0x20)), 'malformed', 'unknown flag');
    const fresh = pair().bob.serialize(); // responder before any message: DHr, CKs, CKr, HKs, HKr absent
    assert.equal(malformed(flip(fresh, 40)), 'malformed', 'absent DHr not zero');
    assert.equal(malformed(flip(fresh, 1, 0x02)), 'malformed', 'CKs without HKs');
    const dup = concatBytes(bytes, bytes.subarray(306, 374));
    new DataView(dup.buffer).setUint32(302, 2);
    assert.equal(malformed(dup), 'malformed', 'duplicate skipped key');
  });
});

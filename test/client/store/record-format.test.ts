// The sealed store's byte formats: key derivation and record keys checked
// against node:crypto, a pinned sealed value opened independently, Padmé
// padding, and every way a value can fail to open.

import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import {
  InvalidRecordIdError,
  MAX_BODY_BYTES,
  MIN_PADDED_LENGTH,
  RecordOpenError,
  RecordTooLargeError,
  deriveStoreKeys,
  encodeRecordId,
  isCollectionName,
  metaRecordKey,
  openRecord,
  padme,
  paddedLength,
  recordKey,
  sealRecord,
} from '../../../client/store/record-format.js';

const MASTER = new Uint8Array(32).map((_, i) => i);
const NONCE = new Uint8Array(24).map((_, i) => 0xa0 + i);
const VALUE_KEY = 'cee7475fb90ccceb1d39156b9e8b125ed43ca511e61b06c906f680888b187022';
const INDEX_KEY = '88e2dfd0ecdbda8fadd5234c17c1d4a74b16295cd2b3cde346da968980970d9e';
// recordKey(indexKey, tag 3, "contacts", "alice")
const ALICE_KEY = '03ee5cba76f47a2f6bb3dfff3cc69fbd9a';
// sealRecord(valueKey, ALICE_KEY, "alice", "hello", NONCE)
const ALICE_VALUE =
  '01a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7da4e6d8d1d17928a016e17fa8b1f11d49cbeb1b7ab38c7e4e2aa793f0b24810427374b7c6ed83ca9' +
  '050ff79014285753c2aebc7196820e6b780a3580c9b82557fc3ca540587ed150a512cae39721308b';

const utf8 = (s: string) => new TextEncoder().encode(s);
const keys = deriveStoreKeys(MASTER);

describe('client/store/record-format', () => {
  it('derives the value and index keys with HKDF-SHA256 (checked against node:crypto)', () => {
    assert.equal(toHex(keys.valueKey), VALUE_KEY);
    assert.equal(toHex(keys.indexKey), INDEX_KEY);
    const expected = (info: string) => Buffer.from(hkdfSync('sha256', MASTER, new Uint8Array(0), info, 32)).toString('hex');
    assert.equal(VALUE_KEY, expected('chaff-client-store-v1 value-key'));
    assert.equal(INDEX_KEY, expected('chaff-client-store-v1 index-key'));
    assert.throws(() => deriveStoreKeys(new Uint8Array(31)), RangeError);
  });

  it('computes a record key as tag ‖ HMAC-SHA256(indexKey, collection ‖ 0 ‖ id)[0..16)', () => {
    const key = recordKey(keys.indexKey, 3, 'contacts', 'alice');
    assert.equal(toHex(key), ALICE_KEY);
    const mac = createHmac('sha256', keys.indexKey).update('contacts\u0000alice').digest('hex');
    assert.equal(ALICE_KEY, '03' + mac.slice(0, 32));
  });

  it('gives distinct keys for other tags, collections, ids and master keys (the 0 separator keeps collection|id splits apart)', () => {
    const all = [
      recordKey(keys.indexKey, 3, 'contacts', 'alice'),
      recordKey(keys.indexKey, 4, 'contacts', 'alice'),
      recordKey(keys.indexKey, 3, 'contact', 'salice'),
      recordKey(keys.indexKey, 3, 'contacts', 'alicf'),
      recordKey(deriveStoreKeys(new Uint8Array(32)).indexKey, 3, 'contacts', 'alice'),
    ].map(toHex);
    assert.equal(new Set(all).size, all.length);
    assert.equal(all[0].slice(2), all[1].slice(2), 'the tag is the only difference between collections of equal name');
  });

  it('keys metadata records by a hash of their name alone (the same under every master key)', () => {
    const expected = createHash('sha256').update('chaff-client-store-v1 meta\u0000registry').digest('hex').slice(0, 32);
    assert.equal(toHex(metaRecordKey('registry')), '00' + expected);
    assert.notEqual(toHex(metaRecordKey('registry')), toHex(metaRecordKey('clean-close')));
  });

  it('seals to the pinned value, which opens independently per the documented layout', () => {
    const key = fromHex(ALICE_KEY);
    const sealed = sealRecord(keys.valueKey, key, 'alice', utf8('hello'), NONCE);
    assert.equal(toHex(sealed), ALICE_VALUE);
    // format ‖ nonce ‖ ciphertext, AD = format ‖ key
    assert.equal(sealed[0], 0x01);
    assert.deepEqual(sealed.subarray(1, 25), NONCE);
    const plaintext = xchacha20poly1305(keys.valueKey, NONCE, Uint8Array.of(1, ...key)).decrypt(sealed.subarray(25));
    assert.equal(plaintext.length, MIN_PADDED_LENGTH);
    const view = new DataView(plaintext.buffer, plaintext.byteOffset);
    assert.equal(view.getUint16(0), 5);
    assert.equal(new TextDecoder().decode(plaintext.subarray(2, 7)), 'alice');
    assert.equal(view.getUint32(7), 5);
    assert.equal(new TextDecoder().decode(plaintext.subarray(11, 16)), 'hello');
    assert.ok(plaintext.subarray(16).every((b) => b === 0));
    assert.deepEqual(openRecord(keys.valueKey, key, sealed), { id: 'alice', body: utf8('hello') });
  });

  it('round-trips empty, unicode and large bodies', () => {
    const key = recordKey(keys.indexKey, 1, 'messages', 'ünïcødé ✉');
    for (const body of [new Uint8Array(0), utf8('x'.repeat(1000)), new Uint8Array(300_000).fill(7)]) {
      const sealed = sealRecord(keys.valueKey, key, 'ünïcødé ✉', body, NONCE);
      assert.deepEqual(openRecord(keys.valueKey, key, sealed), { id: 'ünïcødé ✉', body });
    }
  });

  it('pads plaintexts with Padmé (at least 64 bytes, at most 12% overhead)', () => {
    assert.deepEqual([1, 2, 3, 9, 100, 1000, 1025, 65_000].map(padme), [1, 2, 3, 10, 104, 1024, 1088, 65_536]);
    for (let n = 2; n < 20_000; n += 7) {
      const p = padme(n);
      assert.ok(p >= n && p <= n * 1.12 + 1, `padme(${n}) = ${p}`);
    }
    assert.equal(paddedLength(10), 64);
    assert.equal(paddedLength(64), 64);
    assert.equal(paddedLength(65), 72);
    // sizes on disk come in classes: ids and values of similar length seal to the same size
    const len = (id: string, body: string) => sealRecord(keys.valueKey, fromHex(ALICE_KEY), id, utf8(body), NONCE).length;
    assert.equal(len('a', 'hi'), len('bob-the-builder', 'a longer text here'));
  });

  const failures: Array<[string, () => [Uint8Array, Uint8Array, Uint8Array], RegExp]> = [
    ['the wrong value key', () => [deriveStoreKeys(new Uint8Array(32)).valueKey, fromHex(ALICE_KEY), fromHex(ALICE_VALUE)], /authentication/],
    ['another record key (moved value)', () => [keys.valueKey, recordKey(keys.indexKey, 3, 'contacts', 'bob'), fromHex(ALICE_VALUE)], /authentication/],
    ['another tag (moved collection)', () => [keys.valueKey, Uint8Array.of(4, ...fromHex(ALICE_KEY).subarray(1)), fromHex(ALICE_VALUE)], /authentication/],
    ['a flipped ciphertext bit', () => [keys.valueKey, fromHex(ALICE_KEY), flip(fromHex(ALICE_VALUE), 40)], /authentication/],
    ['a flipped tag bit', () => [keys.valueKey, fromHex(ALICE_KEY), flip(fromHex(ALICE_VALUE), fromHex(ALICE_VALUE).length - 1)], /authentication/],
    ['a flipped nonce bit', () => [keys.valueKey, fromHex(ALICE_KEY), flip(fromHex(ALICE_VALUE), 3)], /authentication/],
    ['another format byte', () => [keys.valueKey, fromHex(ALICE_KEY), flip(fromHex(ALICE_VALUE), 0)], /unknown record format/],
    ['a truncated value', () => [keys.valueKey, fromHex(ALICE_KEY), fromHex(ALICE_VALUE).subarray(0, 60)], /too short/],
    ['a key of the wrong length', () => [keys.valueKey, fromHex(ALICE_KEY).subarray(0, 16), fromHex(ALICE_VALUE)], /key of 16 bytes/],
  ];
  for (const [what, args, reason] of failures) {
    it(`refuses to open a value with ${what}`, () => {
      assert.throws(
        () => openRecord(...args()),
        (e: unknown) => e instanceof RecordOpenError && reason.test(e.reason),
      );
    });
  }

  it('refuses a well-authenticated plaintext with bad lengths or padding', () => {
    const key = fromHex(ALICE_KEY);
    const seal = (plaintext: Uint8Array) => Uint8Array.of(1, ...NONCE, ...xchacha20poly1305(keys.valueKey, NONCE, Uint8Array.of(1, ...key)).encrypt(plaintext));
    const good = xchacha20poly1305(keys.valueKey, NONCE, Uint8Array.of(1, ...key)).decrypt(fromHex(ALICE_VALUE).subarray(25));
    const nonZeroPadding = good.slice();
    nonZeroPadding[63] = 1;
    const longBody = good.slice();
    new DataView(longBody.buffer).setUint32(7, 1000);
    const zeroId = good.slice();
    zeroId[1] = 0;
    const extraPadding = new Uint8Array(128);
    extraPadding.set(good);
    for (const [plaintext, reason] of [
      [nonZeroPadding, /padding/],
      [longBody, /body length/],
      [zeroId, /id length/],
      [extraPadding, /padding/],
    ] as const) {
      assert.throws(
        () => openRecord(keys.valueKey, key, seal(plaintext)),
        (e: unknown) => e instanceof RecordOpenError && reason.test(e.reason),
      );
    }
  });

  it('refuses ids that are empty, too long, not strings, or not well-formed Unicode', () => {
    assert.throws(() => encodeRecordId(''), InvalidRecordIdError);
    assert.throws(() => encodeRecordId('x'.repeat(1025)), InvalidRecordIdError);
    encodeRecordId('x'.repeat(1024));
    assert.throws(() => encodeRecordId('\ud800'), /well-formed/);
    assert.throws(() => encodeRecordId(7 as unknown as string), InvalidRecordIdError);
    assert.throws(() => recordKey(keys.indexKey, 3, 'contacts', ''), InvalidRecordIdError);
  });

  it('refuses bodies over the size limit', () => {
    assert.throws(() => sealRecord(keys.valueKey, fromHex(ALICE_KEY), 'a', new Uint8Array(MAX_BODY_BYTES + 1), NONCE), RecordTooLargeError);
  });

  it('accepts only lower-case collection names without separators', () => {
    for (const ok of ['contacts', 'outbox', 'ack-state', 'a1']) assert.ok(isCollectionName(ok), ok);
    for (const bad of ['', 'Contacts', '1abc', 'a\u0000b', '$meta', 'a'.repeat(33), 'with space', 3]) assert.ok(!isCollectionName(bad), String(bad));
  });
});

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] ^= 0x01;
  return out;
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { PRODUCTION_GEOMETRY } from '../../../protocol/sphinx/index.js';
import {
  decodeFetchReply,
  decodeFetchRequest,
  encodeFetchReply,
  encodeFetchRequest,
  ENTRY_HEADER_LENGTH,
  FETCH_REQUEST_LENGTH,
  FetchFormatError,
  fetchEntryBodyLength,
  fetchReplyLength,
  mailboxIdOf,
  MAX_ACKS,
  type FetchReplyMessage,
} from '../../../protocol/wire/fetch.js';
import { deterministicRandom } from '../../helpers/drbg.js';

const client = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(7));
const zeros = (n: number) => new Uint8Array(n);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const message = (id: bigint, body: Uint8Array): FetchReplyMessage => ({ id, kind: 'message', surbId: null, via: 'delivery', body });
const surbReply = (id: bigint, surbId: Uint8Array, body: Uint8Array): FetchReplyMessage => ({ id, kind: 'surb-reply', surbId, via: 'address', body });

describe('wire: mailbox fetch', function () {
  it('pins the request layout', function () {
    const bytes = encodeFetchRequest({ counter: 0x0102030405060708n, acks: [5n, 0xffffffffffffffffn] }, client);
    assert.equal(bytes.length, FETCH_REQUEST_LENGTH);
    assert.equal(FETCH_REQUEST_LENGTH, 362);
    assert.equal(bytes[0], 3);
    assert.equal(toHex(bytes.subarray(1, 33)), toHex(client.publicKey));
    assert.equal(toHex(bytes.subarray(33, 41)), '0102030405060708');
    assert.equal(bytes[41], 2);
    assert.equal(toHex(bytes.subarray(42, 58)), '0000000000000005ffffffffffffffff');
    assert.ok(bytes.subarray(58, 298).every((b) => b === 0));
    // Ed25519 signatures are deterministic, so the whole request is pinned.
    assert.equal(sha(bytes), '978545fc791c1e4d5f27bc917a14113cc3378d7360a51c6835568b35be5c6417');
  });

  it('round-trips and verifies the client signature', function () {
    const req = decodeFetchRequest(encodeFetchRequest({ counter: 42n, acks: [1n, 2n, 3n] }, client));
    assert.deepEqual(req, { clientKey: client.publicKey, counter: 42n, acks: [1n, 2n, 3n] });
  });

  it('refuses any modified byte, wrong sizes and too many acks', function () {
    const good = encodeFetchRequest({ counter: 1n, acks: [9n] }, client);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(good);
        bad[bit >> 3] ^= 1 << (bit & 7);
        assert.throws(() => decodeFetchRequest(bad), FetchFormatError);
      }),
      { numRuns: 300 },
    );
    assert.throws(() => decodeFetchRequest(good.subarray(1)), FetchFormatError);
    assert.throws(() => encodeFetchRequest({ counter: 1n, acks: Array.from({ length: MAX_ACKS + 1 }, () => 1n) }, client), FetchFormatError);
    assert.throws(() => encodeFetchRequest({ counter: -1n, acks: [] }, client), FetchFormatError);
  });

  it('a reply always has the same size, however many messages it carries', function () {
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const empty = encodeFetchReply(7n, [], 4, 100, random);
    const full = encodeFetchReply(
      7n,
      [1, 2, 3, 4].map((i) => message(BigInt(i), new Uint8Array(100).fill(i))),
      4,
      100,
      random,
    );
    const one = encodeFetchReply(7n, [message(99n, new Uint8Array(3).fill(1))], 4, 100, random);
    assert.equal(empty.length, fetchReplyLength(4, 100));
    assert.equal(fetchReplyLength(4, 100), 11 + 4 * (30 + 100));
    assert.equal(full.length, empty.length);
    assert.equal(one.length, empty.length);
    assert.deepEqual(decodeFetchReply(empty, 7n, 100), []);
    assert.deepEqual(decodeFetchReply(one, 7n, 100), [{ kind: 'message', via: 'delivery', id: 99n, surbId: null, body: new Uint8Array(3).fill(1) }]);
    assert.equal(decodeFetchReply(full, 7n, 100).length, 4);
  });

  it('pins the reply layout: kind, via, id, SURB id, length, padded body', function () {
    const surbId = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
    const reply = encodeFetchReply(
      0x0a0b0c0d0e0f1011n,
      [message(5n, new Uint8Array([0xaa, 0xbb, 0xcc])), surbReply(0x0102030405060708n, surbId, new Uint8Array(8).fill(0x5e))],
      3,
      8,
      deterministicRandom('fetch-reply'),
    );
    const entry = 30 + 8;
    assert.equal(ENTRY_HEADER_LENGTH, 30);
    assert.equal(reply.length, 11 + 3 * entry);
    assert.equal(toHex(reply.subarray(0, 11)), '03' + '0a0b0c0d0e0f1011' + '0003');
    // Entry 0: a message through the delivery id (via 0). Its SURB id field and its padding are random.
    const m = reply.subarray(11, 11 + entry);
    assert.equal(toHex(m.subarray(0, 10)), '01' + '00' + '0000000000000005');
    assert.equal(toHex(m.subarray(26, 33)), '00000003' + 'aabbcc');
    const drbg = deterministicRandom('fetch-reply');
    const firstRandom = drbg(28 + 8); // what the encoder drew for entry 0 (everything after the kind and via bytes)
    assert.deepEqual(m.subarray(10, 26), firstRandom.subarray(8, 24), 'a message’s SURB id field is random');
    assert.deepEqual(m.subarray(33), firstRandom.subarray(31), 'padding is random');
    // Entry 1: a SURB reply through the public mailbox id (via 1), with its SURB id.
    const r = reply.subarray(11 + entry, 11 + 2 * entry);
    assert.equal(toHex(r), '02' + '01' + '0102030405060708' + toHex(surbId) + '00000008' + '5e'.repeat(8));
    // Entry 2: a dummy, via 0, length 0.
    const d = reply.subarray(11 + 2 * entry);
    assert.equal(d[0], 0);
    assert.equal(d[1], 0);
    assert.equal(toHex(d.subarray(26, 30)), '00000000');
    assert.equal(sha(reply), '6347ba8b5bc8779108ebbf9671e1cf5c84c6be46bdcbb372d12ce89010064e73');

    assert.deepEqual(decodeFetchReply(reply, 0x0a0b0c0d0e0f1011n, 8), [
      { kind: 'message', via: 'delivery', id: 5n, surbId: null, body: new Uint8Array([0xaa, 0xbb, 0xcc]) },
      { kind: 'surb-reply', via: 'address', id: 0x0102030405060708n, surbId, body: new Uint8Array(8).fill(0x5e) },
    ]);
  });

  it('the entry body length is the SURB reply’s: payload tag ‖ forward payload', function () {
    assert.equal(fetchEntryBodyLength(PRODUCTION_GEOMETRY), 32 + 2622);
  });

  it('refuses replies to another request, of the wrong size or with bad entries', function () {
    const reply = encodeFetchReply(7n, [message(1n, zeros(10))], 2, 16, zeros);
    assert.throws(() => decodeFetchReply(reply, 8n, 16), FetchFormatError);
    assert.throws(() => decodeFetchReply(reply.subarray(1), 7n, 16), FetchFormatError);
    for (const kind of [3, 9, 0xff]) {
      const bad = Uint8Array.from(reply);
      bad[11] = kind;
      assert.throws(() => decodeFetchReply(bad, 7n, 16), /unknown kind/);
    }
    for (const via of [2, 0x80]) {
      const bad = Uint8Array.from(reply);
      bad[12] = via;
      assert.throws(() => decodeFetchReply(bad, 7n, 16), /unknown via/);
    }
    const long = Uint8Array.from(reply);
    long[11 + 26 + 3] = 17; // body length 17 > 16
    assert.throws(() => decodeFetchReply(long, 7n, 16), /exceeds/);
    const oldVersion = Uint8Array.from(reply);
    oldVersion[0] = 1;
    assert.throws(() => decodeFetchReply(oldVersion, 7n, 16), /version/);
    assert.throws(() => encodeFetchReply(7n, [message(1n, zeros(17))], 2, 16, zeros), FetchFormatError);
    assert.throws(() => encodeFetchReply(7n, [message(1n, zeros(1)), message(2n, zeros(1))], 1, 16, zeros), FetchFormatError);
    assert.throws(() => encodeFetchReply(7n, [{ id: 1n, kind: 'surb-reply', surbId: null, via: 'delivery', body: zeros(1) }], 1, 16, zeros), /SURB id/);
    assert.throws(() => encodeFetchReply(7n, [surbReply(1n, zeros(15), zeros(1))], 1, 16, zeros), /SURB id/);
    assert.throws(() => encodeFetchReply(7n, [{ id: 1n, kind: 'message', surbId: zeros(16), via: 'delivery', body: zeros(1) }], 1, 16, zeros), /only a SURB reply/);
  });

  it('refuses a version-1 or version-2 request', function () {
    const request = encodeFetchRequest({ counter: 1n, acks: [] }, client);
    request[0] = 1;
    assert.throws(() => decodeFetchRequest(request), /unknown request version 1/);
    request[0] = 2;
    assert.throws(() => decodeFetchRequest(request), /unknown request version 2/);
  });

  it('the mailbox id is a domain-separated hash of the client key', function () {
    assert.equal(mailboxIdOf(client.publicKey).length, 32);
    assert.notEqual(toHex(mailboxIdOf(client.publicKey)), sha(client.publicKey));
    assert.throws(() => mailboxIdOf(zeros(31)), FetchFormatError);
  });
});

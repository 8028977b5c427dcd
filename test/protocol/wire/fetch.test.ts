import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import {
  decodeFetchReply,
  decodeFetchRequest,
  encodeFetchReply,
  encodeFetchRequest,
  FETCH_REQUEST_LENGTH,
  FetchFormatError,
  fetchReplyLength,
  mailboxIdOf,
  MAX_ACKS,
} from '../../../protocol/wire/fetch.js';

const client = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(7));
const zeros = (n: number) => new Uint8Array(n);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('wire: mailbox fetch', function () {
  it('pins the request layout', function () {
    const bytes = encodeFetchRequest({ counter: 0x0102030405060708n, acks: [5n, 0xffffffffffffffffn] }, client);
    assert.equal(bytes.length, FETCH_REQUEST_LENGTH);
    assert.equal(FETCH_REQUEST_LENGTH, 362);
    assert.equal(bytes[0], 1);
    assert.equal(toHex(bytes.subarray(1, 33)), toHex(client.publicKey));
    assert.equal(toHex(bytes.subarray(33, 41)), '0102030405060708');
    assert.equal(bytes[41], 2);
    assert.equal(toHex(bytes.subarray(42, 58)), '0000000000000005ffffffffffffffff');
    assert.ok(bytes.subarray(58, 298).every((b) => b === 0));
    // Ed25519 signatures are deterministic, so the whole request is pinned.
    assert.equal(sha(bytes), 'b83fc54132e87a02385394acd8fd1898ef35569243f57307c9689118db65e480');
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
    const full = encodeFetchReply(7n, [1, 2, 3, 4].map((i) => ({ id: BigInt(i), body: new Uint8Array(100).fill(i) })), 4, 100, random);
    const one = encodeFetchReply(7n, [{ id: 99n, body: new Uint8Array(3).fill(1) }], 4, 100, random);
    assert.equal(empty.length, fetchReplyLength(4, 100));
    assert.equal(full.length, empty.length);
    assert.equal(one.length, empty.length);
    assert.deepEqual(decodeFetchReply(empty, 7n, 100), []);
    assert.deepEqual(decodeFetchReply(one, 7n, 100), [{ id: 99n, body: new Uint8Array(3).fill(1) }]);
    assert.equal(decodeFetchReply(full, 7n, 100).length, 4);
  });

  it('refuses replies to another request, of the wrong size or with bad entries', function () {
    const reply = encodeFetchReply(7n, [{ id: 1n, body: zeros(10) }], 2, 16, zeros);
    assert.throws(() => decodeFetchReply(reply, 8n, 16), FetchFormatError);
    assert.throws(() => decodeFetchReply(reply.subarray(1), 7n, 16), FetchFormatError);
    const bad = Uint8Array.from(reply);
    bad[11] = 9;
    assert.throws(() => decodeFetchReply(bad, 7n, 16), FetchFormatError);
    assert.throws(() => encodeFetchReply(7n, [{ id: 1n, body: zeros(17) }], 2, 16, zeros), FetchFormatError);
    assert.throws(() => encodeFetchReply(7n, [{ id: 1n, body: zeros(1) }, { id: 2n, body: zeros(1) }], 1, 16, zeros), FetchFormatError);
  });

  it('the mailbox id is a domain-separated hash of the client key', function () {
    assert.equal(mailboxIdOf(client.publicKey).length, 32);
    assert.notEqual(toHex(mailboxIdOf(client.publicKey)), sha(client.publicKey));
    assert.throws(() => mailboxIdOf(zeros(31)), FetchFormatError);
  });
});

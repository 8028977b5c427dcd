import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { decryptSURBPayload, newSURB, PRODUCTION_GEOMETRY, surbAckPayload } from '../../../protocol/sphinx/index.js';
import {
  ACK_SLOT_LENGTH,
  decodeFetchReply,
  decodeFetchRequest,
  DEFAULT_FETCH_SLOTS,
  encodeFetchReply,
  encodeFetchRequest,
  FETCH_REQUEST_LENGTH,
  FetchFormatError,
  fetchEntryBodyLength,
  fetchMessageBodyLength,
  fetchReplyLength,
  mailboxIdOf,
  MAX_ACKS,
  MESSAGE_SLOT_HEADER_LENGTH,
  REPLY_HEADER_LENGTH,
  surbReplyDigest,
  surbReplyDigestMatches,
  type FetchReplyMessage,
} from '../../../protocol/wire/fetch.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { makeNodes, makePath } from '../../helpers/sphinx-fixtures.js';

const client = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(7));
const zeros = (n: number) => new Uint8Array(n);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const message = (id: bigint, body: Uint8Array): FetchReplyMessage => ({ id, kind: 'message', surbId: null, via: 'delivery', body });
const surbReply = (id: bigint, surbId: Uint8Array, body: Uint8Array): FetchReplyMessage => ({ id, kind: 'surb-reply', surbId, via: 'address', body });
const slots = (messages: number, acks: number) => ({ messages, acks });

describe('wire: mailbox fetch', function () {
  it('pins the request layout', function () {
    const bytes = encodeFetchRequest({ counter: 0x0102030405060708n, acks: [5n, 0xffffffffffffffffn] }, client);
    assert.equal(bytes.length, FETCH_REQUEST_LENGTH);
    assert.equal(FETCH_REQUEST_LENGTH, 362);
    assert.equal(bytes[0], 4);
    assert.equal(toHex(bytes.subarray(1, 33)), toHex(client.publicKey));
    assert.equal(toHex(bytes.subarray(33, 41)), '0102030405060708');
    assert.equal(bytes[41], 2);
    assert.equal(toHex(bytes.subarray(42, 58)), '0000000000000005ffffffffffffffff');
    assert.ok(bytes.subarray(58, 298).every((b) => b === 0));
    // Ed25519 signatures are deterministic, so the whole request is pinned.
    assert.equal(sha(bytes), '92298c3ab410867a212d6a754f979ee0f68a0b09080cd97e1bc25d065234515b');
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

  it('a reply always has the same size, however many messages and ACKs it carries', function () {
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const surbId = new Uint8Array(16).fill(3);
    const empty = encodeFetchReply(7n, [], slots(4, 2), 100, random);
    const full = encodeFetchReply(
      7n,
      [...[1, 2, 3, 4].map((i) => message(BigInt(i), new Uint8Array(100).fill(i))), surbReply(5n, surbId, zeros(300)), surbReply(6n, surbId, zeros(3))],
      slots(4, 2),
      100,
      random,
    );
    const one = encodeFetchReply(7n, [message(99n, new Uint8Array(3).fill(1))], slots(4, 2), 100, random);
    assert.equal(empty.length, fetchReplyLength(slots(4, 2), 100));
    assert.equal(fetchReplyLength(slots(4, 2), 100), 17 + 4 * (14 + 100) + 2 * 58);
    assert.equal(full.length, empty.length);
    assert.equal(one.length, empty.length);
    assert.deepEqual(decodeFetchReply(empty, 7n, 100), []);
    assert.deepEqual(decodeFetchReply(one, 7n, 100), [{ kind: 'message', via: 'delivery', id: 99n, surbId: null, body: new Uint8Array(3).fill(1) }]);
    assert.equal(decodeFetchReply(full, 7n, 100).length, 6);
  });

  it('pins the reply layout: header, message slots (kind, via, id, length, padded body), ACK slots (kind, via, id, SURB id, digest)', function () {
    const surbId = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
    const payload = new Uint8Array(40).fill(0x5e);
    const reply = encodeFetchReply(
      0x0a0b0c0d0e0f1011n,
      [message(5n, new Uint8Array([0xaa, 0xbb, 0xcc])), surbReply(0x0102030405060708n, surbId, payload)],
      slots(2, 2),
      8,
      deterministicRandom('fetch-reply'),
    );
    assert.equal(REPLY_HEADER_LENGTH, 17);
    assert.equal(MESSAGE_SLOT_HEADER_LENGTH, 14);
    assert.equal(ACK_SLOT_LENGTH, 58);
    const slot = 14 + 8;
    assert.equal(reply.length, 17 + 2 * slot + 2 * 58);
    assert.equal(toHex(reply.subarray(0, 17)), '04' + '0a0b0c0d0e0f1011' + '0002' + '0002' + '00000008');
    // Message slot 0: a message through the delivery id (via 0); its padding is random.
    const m = reply.subarray(17, 17 + slot);
    assert.equal(toHex(m.subarray(0, 17)), '01' + '00' + '0000000000000005' + '00000003' + 'aabbcc');
    const drbg = deterministicRandom('fetch-reply');
    const firstRandom = drbg(slot - 2); // what the encoder drew for slot 0 (everything after the kind and via bytes)
    assert.deepEqual(m.subarray(17), firstRandom.subarray(15), 'padding is random');
    // Message slot 1: a dummy, via 0, length 0.
    const d = reply.subarray(17 + slot, 17 + 2 * slot);
    assert.equal(toHex(d.subarray(0, 2)), '0000');
    assert.equal(toHex(d.subarray(10, 14)), '00000000');
    // ACK slot 0: a SURB reply through the public mailbox id (via 1): its SURB id and the SHA-256 of its payload.
    const a = reply.subarray(17 + 2 * slot, 17 + 2 * slot + 58);
    assert.equal(toHex(a), '02' + '01' + '0102030405060708' + toHex(surbId) + sha(payload));
    // ACK slot 1: a dummy.
    assert.equal(toHex(reply.subarray(17 + 2 * slot + 58, 17 + 2 * slot + 60)), '0000');
    assert.equal(sha(reply), '155d82cf66b5de03dfbf1747acb26817b11e13cfb641c6918231eb06fca65192');

    assert.deepEqual(decodeFetchReply(reply, 0x0a0b0c0d0e0f1011n, 8), [
      { kind: 'message', via: 'delivery', id: 5n, surbId: null, body: new Uint8Array([0xaa, 0xbb, 0xcc]) },
      { kind: 'surb-reply', via: 'address', id: 0x0102030405060708n, surbId, body: new Uint8Array(0), digest: surbReplyDigest(payload) },
    ]);
  });

  it('message slots hold the user payload; the largest stored body is a SURB reply’s payload', function () {
    assert.equal(fetchMessageBodyLength(PRODUCTION_GEOMETRY), 2048);
    assert.equal(fetchEntryBodyLength(PRODUCTION_GEOMETRY), 32 + 2622);
    // The production reply (docs/parameters.md §Mailbox pulls).
    assert.deepEqual(DEFAULT_FETCH_SLOTS, { messages: 4, acks: 12 });
    assert.equal(fetchReplyLength(DEFAULT_FETCH_SLOTS, fetchMessageBodyLength(PRODUCTION_GEOMETRY)), 17 + 4 * 2062 + 12 * 58);
  });

  it('a SURB-ACK’s digest is what its creator computes from the SURB keys alone', function () {
    const random = deterministicRandom('surb-ack');
    const g = PRODUCTION_GEOMETRY;
    const { surbKeys } = newSURB(g, makePath(makeNodes(5, random), random, random(16)), random);
    const stored = surbAckPayload(g, surbKeys);
    assert.equal(stored.length, fetchEntryBodyLength(g));
    // The all-zero ACK payload is what the gateway sends (node/gateway/mailbox-delivery.ts).
    assert.deepEqual(decryptSURBPayload(g, stored, surbKeys), zeros(g.forwardPayloadLength));
    assert.ok(surbReplyDigestMatches(surbReplyDigest(stored), stored));
    const otherKeys = newSURB(g, makePath(makeNodes(5, random), random, random(16)), random).surbKeys;
    assert.ok(!surbReplyDigestMatches(surbReplyDigest(stored), surbAckPayload(g, otherKeys)));
    assert.ok(!surbReplyDigestMatches(surbReplyDigest(stored).subarray(1), stored));
  });

  it('refuses replies to another request, of the wrong size or with bad slots', function () {
    const reply = encodeFetchReply(7n, [message(1n, zeros(10)), surbReply(2n, zeros(16), zeros(4))], slots(2, 1), 16, zeros);
    assert.equal(decodeFetchReply(reply, 7n, 16).length, 2);
    assert.throws(() => decodeFetchReply(reply, 8n, 16), FetchFormatError);
    assert.throws(() => decodeFetchReply(reply.subarray(1), 7n, 16), FetchFormatError);
    assert.throws(() => decodeFetchReply(reply, 7n, 15), /exceed 15/, 'message slots longer than the client allows');
    for (const kind of [2, 3, 9, 0xff]) {
      const bad = Uint8Array.from(reply);
      bad[17] = kind;
      assert.throws(() => decodeFetchReply(bad, 7n, 16), /message slot 0: unknown kind/);
    }
    const ackAt = 17 + 2 * 30;
    for (const kind of [1, 3]) {
      const bad = Uint8Array.from(reply);
      bad[ackAt] = kind;
      assert.throws(() => decodeFetchReply(bad, 7n, 16), /ACK slot 0: unknown kind/);
    }
    for (const [at, via] of [
      [18, 2],
      [ackAt + 1, 0x80],
    ]) {
      const bad = Uint8Array.from(reply);
      bad[at] = via;
      assert.throws(() => decodeFetchReply(bad, 7n, 16), /unknown via/);
    }
    const long = Uint8Array.from(reply);
    long[17 + 13] = 17; // body length 17 > 16
    assert.throws(() => decodeFetchReply(long, 7n, 16), /exceeds/);
    const noAcks = Uint8Array.from(reply);
    noAcks[12] = 0;
    assert.throws(() => decodeFetchReply(noAcks, 7n, 16), /at least one slot/);
    assert.throws(() => encodeFetchReply(7n, [message(1n, zeros(17))], slots(2, 1), 16, zeros), FetchFormatError);
    assert.throws(() => encodeFetchReply(7n, [message(1n, zeros(1)), message(2n, zeros(1))], slots(1, 1), 16, zeros), /message slots/);
    assert.throws(() => encodeFetchReply(7n, [surbReply(1n, zeros(16), zeros(1)), surbReply(2n, zeros(16), zeros(1))], slots(1, 1), 16, zeros), /ACK slots/);
    assert.throws(() => encodeFetchReply(7n, [], slots(1, 0), 16, zeros), /ACK slots must be/);
    assert.throws(() => encodeFetchReply(7n, [{ id: 1n, kind: 'surb-reply', surbId: null, via: 'delivery', body: zeros(1) }], slots(1, 1), 16, zeros), /SURB id/);
    assert.throws(() => encodeFetchReply(7n, [surbReply(1n, zeros(15), zeros(1))], slots(1, 1), 16, zeros), /SURB id/);
    assert.throws(() => encodeFetchReply(7n, [{ id: 1n, kind: 'message', surbId: zeros(16), via: 'delivery', body: zeros(1) }], slots(1, 1), 16, zeros), /only a SURB reply/);
  });

  it('refuses a request or reply of another version with a clear error', function () {
    const request = encodeFetchRequest({ counter: 1n, acks: [] }, client);
    for (const version of [1, 2, 3]) {
      request[0] = version;
      assert.throws(() => decodeFetchRequest(request), new RegExp(`request version ${version} is not supported .*upgrade the client`));
    }
    request[0] = 5;
    assert.throws(() => decodeFetchRequest(request), /request version 5 is not supported .*client is newer/);
    const reply = encodeFetchReply(7n, [], slots(1, 1), 16, zeros);
    reply[0] = 3;
    assert.throws(() => decodeFetchReply(reply, 7n, 16), /reply version 3 is not supported .*gateway is older/);
    // A version-3 reply (11-byte header, 30-byte entries) is refused by its version byte, whatever its length.
    assert.throws(() => decodeFetchReply(Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1), 7n, 16), /reply version 3/);
  });

  it('the mailbox id is a domain-separated hash of the client key', function () {
    assert.equal(mailboxIdOf(client.publicKey).length, 32);
    assert.notEqual(toHex(mailboxIdOf(client.publicKey)), sha(client.publicKey));
    assert.throws(() => mailboxIdOf(zeros(31)), FetchFormatError);
  });
});

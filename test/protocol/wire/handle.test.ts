import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { concatBytes, toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { addressOf, addressToBytes, type Address } from '../../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import {
  checkHandleName,
  decodeHandleClaimReply,
  decodeHandleClaimRequest,
  decodeHandleRecord,
  decodeLookupAnswer,
  decodeLookupRequest,
  decodeReplyBodyReply,
  decodeReplyBodyRequest,
  encodeHandleClaimReply,
  encodeHandleClaimRequest,
  encodeHandleRecord,
  encodeLookupAnswer,
  encodeLookupRequest,
  encodeReplyBodyReply,
  encodeReplyBodyRequest,
  formatHandle,
  HANDLE_RECORD_BASE_LENGTH,
  HandleError,
  isNameServiceRecipient,
  NAME_SERVICE_RECIPIENT,
  parseHandle,
  signHandleRecord,
  verifyHandleRecord,
  type HandleRecord,
} from '../../../protocol/wire/handle.js';
import { isDropRecipient } from '../../../protocol/wire/client-payload.js';
import { deterministicRandom } from '../../helpers/drbg.js';

const GATEWAY_B = new Uint8Array(32).fill(0xb0);
const GATEWAY_C = new Uint8Array(32).fill(0xc0);

interface Owner {
  identity: Identity;
  mailboxKey: Ed25519PrivateKey;
  address: Address;
}

/** A seeded user registered at `gateway` with mailbox key K (Ed25519 signatures are deterministic: RFC 8032 §5.1.6). */
function owner(seed: string, gateway = GATEWAY_B): Owner {
  const identity = generateIdentity(deterministicRandom(seed));
  const mailboxKey = Ed25519PrivateKey.fromSeed(createHash('sha256').update(`mailbox key ${seed}`).digest());
  return { identity, mailboxKey, address: addressOf(identity, gateway, mailboxIdOf(mailboxKey.publicKey)) };
}

function recordOf(o: Owner, name: string): HandleRecord {
  return signHandleRecord(name, o.identity, o.address, o.mailboxKey);
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HandleError) return err.code;
    throw err;
  }
  throw new Error('expected a HandleError, got none');
};

describe('wire: short handles (docs/handles.md)', function () {
  const bob = owner('bob');

  it('names: lower-cased, 1 to 32 of [a-z0-9._-] from a letter or digit; handles split at the last @', function () {
    assert.equal(checkHandleName('Bob.Smith_2'), 'bob.smith_2');
    for (const bad of ['', '-bob', '.bob', 'bo b', 'bob@x', 'ö', 'a'.repeat(33)])
      assert.equal(
        codeOf(() => checkHandleName(bad)),
        'bad-name',
        bad,
      );
    assert.equal(checkHandleName('a'.repeat(32)), 'a'.repeat(32));
    assert.deepEqual(parseHandle('Bob@gateway-b'), { name: 'bob', gateway: 'gateway-b' });
    assert.equal(parseHandle('chaff1qqqq'), null, 'no @: an address, not a handle');
    for (const bad of ['@gateway-b', 'bob@', 'bob@gate way', `bob@${'g'.repeat(65)}`])
      assert.equal(
        codeOf(() => parseHandle(bad)),
        'bad-handle',
        bad,
      );
    assert.equal(
      codeOf(() => parseHandle('b b@gateway-b')),
      'bad-name',
    );
    assert.equal(formatHandle({ name: 'bob', gateway: 'gateway-b' }), 'bob@gateway-b');
  });

  it('the name service recipient is 31 zero bytes then 1: neither the drop recipient nor a mailbox id', function () {
    assert.equal(toHex(NAME_SERVICE_RECIPIENT), '00'.repeat(31) + '01');
    assert.ok(isNameServiceRecipient(Uint8Array.from(NAME_SERVICE_RECIPIENT)));
    assert.ok(!isDropRecipient(NAME_SERVICE_RECIPIENT));
    assert.ok(!isNameServiceRecipient(new Uint8Array(32)));
    assert.ok(!isNameServiceRecipient(Uint8Array.of(...new Uint8Array(31), 1, 0)));
    assert.ok(!isNameServiceRecipient(mailboxIdOf(bob.mailboxKey.publicKey)));
  });

  it('pins the record: version ‖ n ‖ name ‖ address ‖ mailbox proof ‖ signature over "chaff-handle-v1\\0" and all before it', function () {
    const record = recordOf(bob, 'bob');
    const bytes = encodeHandleRecord(record);
    assert.equal(HANDLE_RECORD_BASE_LENGTH, 387);
    assert.equal(bytes.length, 387 + 3);
    const signed = concatBytes(Uint8Array.of(1, 3), new TextEncoder().encode('bob'), addressToBytes(bob.address), record.mailboxProof);
    assert.equal(toHex(bytes), toHex(concatBytes(signed, record.signature)));
    assert.equal(toHex(bytes.subarray(5 + 225, 5 + 225 + 32)), toHex(bob.mailboxKey.publicKey), 'the proof starts with K');
    // The signature is the identity's over the domain and the signed part; Ed25519 is deterministic, so the whole record is pinned.
    assert.equal(toHex(record.signature), toHex(bob.identity.signingKey.sign(concatBytes(new TextEncoder().encode('chaff-handle-v1\0'), signed))));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), '832a4e48eb0e575959a80095214e57ffef8e134b2bd95b7c3589b06416645a14');
    const back = decodeHandleRecord(bytes);
    assert.equal(back.name, 'bob');
    assert.equal(toHex(encodeHandleRecord(back)), toHex(bytes));
    verifyHandleRecord(back, { name: 'BOB', gateway: GATEWAY_B });
  });

  it('refuses a record for another name or gateway, and one whose signature, proof or address was tampered with', function () {
    const bytes = encodeHandleRecord(recordOf(bob, 'bob'));
    assert.equal(
      codeOf(() => verifyHandleRecord(decodeHandleRecord(bytes), { name: 'alice', gateway: GATEWAY_B })),
      'wrong-name',
    );
    assert.equal(
      codeOf(() => verifyHandleRecord(decodeHandleRecord(bytes), { name: 'bob', gateway: GATEWAY_C })),
      'wrong-gateway',
    );
    // The last byte of the record signature.
    const badSig = Uint8Array.from(bytes);
    badSig[badSig.length - 1] ^= 1;
    assert.equal(
      codeOf(() => verifyHandleRecord(decodeHandleRecord(badSig), { name: 'bob', gateway: GATEWAY_B })),
      'forged',
    );
    // The mailbox proof's signature (its last byte, just before the record signature).
    const badProof = Uint8Array.from(bytes);
    badProof[badProof.length - 65] ^= 1;
    assert.equal(
      codeOf(() => verifyHandleRecord(decodeHandleRecord(badProof), { name: 'bob', gateway: GATEWAY_B })),
      'forged',
    );
    // The address's signed prekey: the address's own signature fails when decoded.
    const badAddress = Uint8Array.from(bytes);
    badAddress[5 + 70] ^= 1;
    assert.equal(
      codeOf(() => decodeHandleRecord(badAddress)),
      'forged',
    );
    // Someone else's name re-signed by mallory over bob's address: the record signature is not bob's.
    const mallory = owner('mallory');
    const stolen: HandleRecord = { ...recordOf(bob, 'bob'), signature: mallory.identity.signingKey.sign(new Uint8Array(1)) };
    assert.equal(
      codeOf(() => verifyHandleRecord(stolen, { name: 'bob', gateway: GATEWAY_B })),
      'forged',
    );
    // mallory's own record with bob's mailbox proof: the proof is for another identity.
    const mixed = signHandleRecord('bob', mallory.identity, mallory.address, mallory.mailboxKey);
    assert.equal(
      codeOf(() => verifyHandleRecord({ ...mixed, mailboxProof: recordOf(bob, 'bob').mailboxProof }, { name: 'bob', gateway: GATEWAY_B })),
      'forged',
    );
    // Signing refuses an address of another identity and a mailbox key that does not own the mailbox.
    assert.throws(() => signHandleRecord('bob', mallory.identity, bob.address, bob.mailboxKey), RangeError);
    assert.throws(() => signHandleRecord('bob', bob.identity, bob.address, mallory.mailboxKey), RangeError);
  });

  it('refuses malformed records: length, version, name length, a name not in canonical form', function () {
    const bytes = encodeHandleRecord(recordOf(bob, 'bob'));
    assert.equal(
      codeOf(() => decodeHandleRecord(bytes.subarray(0, bytes.length - 1))),
      'malformed',
    );
    assert.equal(
      codeOf(() => decodeHandleRecord(concatBytes(bytes, Uint8Array.of(0)))),
      'malformed',
    );
    assert.equal(
      codeOf(() => decodeHandleRecord(Uint8Array.of(2, ...bytes.subarray(1)))),
      'malformed',
    );
    assert.equal(
      codeOf(() => decodeHandleRecord(Uint8Array.of(1, 0, ...bytes.subarray(2)))),
      'malformed',
    );
    const upper = Uint8Array.from(bytes);
    upper[2] = 'B'.charCodeAt(0);
    assert.equal(
      codeOf(() => decodeHandleRecord(upper)),
      'bad-name',
    );
    assert.equal(
      codeOf(() => decodeHandleRecord(new Uint8Array(0))),
      'malformed',
    );
  });

  it('pins the lookup request and answer; round-trips every status and refuses bad bytes', function () {
    const request = encodeLookupRequest('Bob', 64);
    assert.equal(toHex(request), '010103' + toHex(new TextEncoder().encode('bob')) + '00'.repeat(64 - 6));
    assert.deepEqual(decodeLookupRequest(request), { name: 'bob' });
    assert.throws(() => encodeLookupRequest('bob', 34), RangeError);
    assert.equal(
      codeOf(() => decodeLookupRequest(Uint8Array.of(1, 2, 3, 98, 111, 98))),
      'malformed',
      'unknown op',
    );
    assert.equal(
      codeOf(() => decodeLookupRequest(Uint8Array.of(1, 1, 40, ...new Uint8Array(40)))),
      'malformed',
      'name too long',
    );
    assert.equal(
      codeOf(() => decodeLookupRequest(Uint8Array.of(1, 1, 3, 66, 111, 98))),
      'bad-name',
      'not canonical',
    );

    const record = recordOf(bob, 'bob');
    const found = encodeLookupAnswer({ status: 'found', record }, 600);
    assert.equal(found.length, 600);
    assert.equal(toHex(found.subarray(0, 4)), '0100' + (390).toString(16).padStart(4, '0'));
    assert.equal(toHex(found.subarray(4, 394)), toHex(encodeHandleRecord(record)));
    const back = decodeLookupAnswer(found);
    assert.equal(back.status, 'found');
    if (back.status === 'found') verifyHandleRecord(back.record, { name: 'bob', gateway: GATEWAY_B });
    assert.equal(toHex(encodeLookupAnswer({ status: 'not-found', name: 'eve' }, 10)), '01010003' + toHex(new TextEncoder().encode('eve')) + '000000');
    assert.deepEqual(decodeLookupAnswer(encodeLookupAnswer({ status: 'not-found', name: 'eve' }, 10)), { status: 'not-found', name: 'eve' });
    assert.deepEqual(decodeLookupAnswer(encodeLookupAnswer({ status: 'bad-request' }, 8)), { status: 'bad-request' });
    assert.throws(() => encodeLookupAnswer({ status: 'found', record }, 100), RangeError);
    assert.equal(
      codeOf(() => decodeLookupAnswer(Uint8Array.of(1, 9, 0, 0))),
      'malformed',
      'unknown status',
    );
    assert.equal(
      codeOf(() => decodeLookupAnswer(Uint8Array.of(1, 0, 1, 0, 0))),
      'malformed',
      'body longer than the answer',
    );
    assert.equal(
      codeOf(() => decodeLookupAnswer(Uint8Array.of(1, 2, 0, 1, 0))),
      'malformed',
      'bad request with a body',
    );
  });

  it('pins the claim and reply-body RPCs and refuses bad bytes', function () {
    const record = recordOf(bob, 'bob');
    const claim = encodeHandleClaimRequest({ op: 'claim', record });
    assert.equal(toHex(claim), '0101' + toHex(encodeHandleRecord(record)));
    const decoded = decodeHandleClaimRequest(claim);
    assert.ok(decoded.op === 'claim' && toHex(encodeHandleRecord(decoded.record)) === toHex(encodeHandleRecord(record)));
    assert.equal(toHex(encodeHandleClaimRequest({ op: 'release' })), '0102');
    assert.deepEqual(decodeHandleClaimRequest(Uint8Array.of(1, 2)), { op: 'release' });
    assert.equal(
      codeOf(() => decodeHandleClaimRequest(Uint8Array.of(1, 2, 0))),
      'malformed',
    );
    assert.equal(
      codeOf(() => decodeHandleClaimRequest(Uint8Array.of(1, 3))),
      'malformed',
    );

    assert.equal(toHex(encodeHandleClaimReply({ status: 'taken', name: 'bob' })), '010103626f62');
    assert.equal(toHex(encodeHandleClaimReply({ status: 'ok', name: '' })), '010000');
    for (const r of [
      { status: 'ok', name: 'bob' },
      { status: 'taken', name: '' },
      { status: 'invalid', name: 'x' },
      { status: 'not-registered', name: '' },
    ] as const)
      assert.deepEqual(decodeHandleClaimReply(encodeHandleClaimReply(r)), r);
    assert.equal(
      codeOf(() => decodeHandleClaimReply(Uint8Array.of(1, 7, 0))),
      'malformed',
    );
    assert.equal(
      codeOf(() => decodeHandleClaimReply(Uint8Array.of(1, 0, 3, 98))),
      'malformed',
    );

    assert.equal(toHex(encodeReplyBodyRequest(0x0102030405060708n)), '01' + '0102030405060708');
    assert.equal(decodeReplyBodyRequest(encodeReplyBodyRequest((1n << 64n) - 1n)), (1n << 64n) - 1n);
    assert.throws(() => encodeReplyBodyRequest(-1n), RangeError);
    assert.equal(
      codeOf(() => decodeReplyBodyRequest(new Uint8Array(8))),
      'malformed',
    );
    assert.equal(toHex(encodeReplyBodyReply({ found: true, body: Uint8Array.of(7, 8) })), '01010708');
    assert.deepEqual(decodeReplyBodyReply(Uint8Array.of(1, 1, 7, 8)), { found: true, body: Uint8Array.of(7, 8) });
    assert.deepEqual(decodeReplyBodyReply(Uint8Array.of(1, 0)), { found: false });
    assert.equal(
      codeOf(() => decodeReplyBodyReply(Uint8Array.of(1, 0, 5))),
      'malformed',
    );
    assert.equal(
      codeOf(() => decodeReplyBodyReply(Uint8Array.of(1, 2))),
      'malformed',
    );
  });
});

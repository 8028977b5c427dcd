import assert from 'node:assert/strict';
import { ctr } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { addressOf } from '../../../protocol/e2ee/address.js';
import { headerHint, headerNonce, headerNonces } from '../../../protocol/e2ee/header-nonce.js';
import { generateIdentity } from '../../../protocol/e2ee/identity.js';
import { MAILBOX_PROOF_BYTES, signMailboxProof, verifyMailboxProof } from '../../../protocol/e2ee/mailbox-proof.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('e2ee: header nonces, the session lookup and the mailbox proof', () => {
  it('pins header nonces: AES-256-CTR keystream under HMAC(HK, info), 24 bytes per N', () => {
    const hk = new Uint8Array(32).fill(0x42);
    const stream = ctr(hmac(sha256, hk, utf8('chaff-e2ee-header-nonce-v1')), new Uint8Array(16)).encrypt(new Uint8Array(24 * 40));
    for (const n of [0, 1, 2, 5, 39]) assert.deepEqual(headerNonce(hk, n), stream.subarray(24 * n, 24 * n + 24), `N = ${n}`);
    assert.deepEqual(headerNonces(hk, 3, 7), stream.subarray(72, 240), 'a run starting mid-block');
    assert.equal(toHex(headerNonce(hk, 0)), toHex(stream.subarray(0, 24)));
    assert.equal(headerHint(Uint8Array.of(0, 0, 1, 0xff, 9)), (1 << 6) | 0x3f, 'the first 30 bits');
  });

  it('a later envelope is tried only against the session its nonce names', () => {
    const alice = generateIdentity();
    const bob = generateIdentity();
    const aliceAddress = addressOf(alice, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    const bobAddress = addressOf(bob, new Uint8Array(32).fill(3), new Uint8Array(32).fill(4));
    const a = Session.initiate(alice, aliceAddress, bobAddress);
    const first = openEnvelope(bob, [], a.seal(utf8('hi'), 2048));
    const b = first.session;
    openEnvelope(alice, [a], b.seal(utf8('hello back'), 2048));
    const later = a.seal(utf8('later'), 2048);
    // Bob's session accepts the nonce of Alice's next message.
    const accepted = b.acceptedHeaderNonces().flatMap((run) => Array.from({ length: run.length / 24 }, (_, i) => headerHint(run, 24 * i)));
    assert.ok(accepted.includes(headerHint(later)));
    let tried = -1;
    const lookup = { byHint: (h: number) => (accepted.includes(h) ? [b] : []), byId: () => undefined };
    assert.equal(new TextDecoder().decode(openEnvelope(bob, lookup, later, undefined, { onTried: (n) => (tried = n) }).plaintext), 'later');
    assert.equal(tried, 1);
  });

  it('a mailbox proof verifies only for the mailbox of its key', () => {
    const key = Ed25519PrivateKey.generate();
    const id = generateIdentity();
    const address = addressOf(id, new Uint8Array(32).fill(5), mailboxIdOf(key.publicKey));
    const proof = signMailboxProof(key, address);
    assert.equal(proof.length, MAILBOX_PROOF_BYTES);
    assert.equal(verifyMailboxProof(address, proof), true);
    // Another identity at the same mailbox: the proof names the identity.
    assert.equal(verifyMailboxProof(addressOf(generateIdentity(), address.gateway, address.mailbox), proof), false);
    // A key that does not hash to the mailbox, signing validly.
    const other = Ed25519PrivateKey.generate();
    const forged = concatBytes(other.publicKey, other.sign(concatBytes(utf8('chaff-mailbox-proof-v1\0'), address.identityKey, address.gateway, address.mailbox)));
    assert.equal(verifyMailboxProof(address, forged), false);
    assert.throws(() => signMailboxProof(other, address), RangeError);
  });
});

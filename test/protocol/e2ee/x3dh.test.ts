import assert from 'node:assert/strict';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex } from '../../../protocol/bytes.js';
import { AddressError, addressSignedBytes, type Address } from '../../../protocol/e2ee/address.js';
import { x3dhInitiate, x3dhRespond } from '../../../protocol/e2ee/x3dh.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { codeOf, seededUser } from './fixtures.js';

describe('e2ee: X3DH', () => {
  const alice = seededUser('x3dh-alice');
  const bob = seededUser('x3dh-bob');

  it('gives both sides the same SK, header keys and AD', () => {
    const init = x3dhInitiate(alice.identity, bob.address);
    const resp = x3dhRespond(bob.identity, alice.address, init.ephemeralKey);
    assert.deepEqual(resp.sharedKey, init.sharedKey);
    assert.deepEqual(resp.headerKeyA, init.headerKeyA);
    assert.deepEqual(resp.nextHeaderKeyB, init.nextHeaderKeyB);
    assert.deepEqual(resp.associatedData, init.associatedData);
    assert.notDeepEqual(init.headerKeyA, init.nextHeaderKeyB);
    assert.notDeepEqual(init.sharedKey, init.headerKeyA);
    // AD = A's identity keys ‖ B's identity keys (X3DH §3.3).
    assert.deepEqual(init.associatedData, concatBytes(alice.address.identityKey, alice.address.identityDhKey, bob.address.identityKey, bob.address.identityDhKey));
  });

  it('matches an independent derivation (@noble/curves X25519, @noble/hashes HKDF) of X3DH §2.2 and §3.3', () => {
    const random = deterministicRandom('x3dh-ek');
    const ekSecret = deterministicRandom('x3dh-ek')(32);
    const init = x3dhInitiate(alice.identity, bob.address, random);
    assert.deepEqual(init.ephemeralKey, nobleX25519.getPublicKey(ekSecret));
    const dh1 = nobleX25519.getSharedSecret(alice.identity.identityDhKey.toBytes(), bob.address.signedPrekey);
    const dh2 = nobleX25519.getSharedSecret(ekSecret, bob.address.identityDhKey);
    const dh3 = nobleX25519.getSharedSecret(ekSecret, bob.address.signedPrekey);
    const okm = hkdf(sha256, concatBytes(new Uint8Array(32).fill(0xff), dh1, dh2, dh3), new Uint8Array(32), new TextEncoder().encode('chaff-e2ee-x3dh-v1'), 96);
    assert.deepEqual(init.sharedKey, okm.subarray(0, 32));
    assert.deepEqual(init.headerKeyA, okm.subarray(32, 64));
    assert.deepEqual(init.nextHeaderKeyB, okm.subarray(64, 96));
    assert.equal(toHex(init.sharedKey), '8c95486be9b6c704c80bab7fc5f8727dceaa7b4405aed2f1307aa3300e957733');
  });

  it('disagrees with the wrong responder or a different ephemeral key', () => {
    const carol = seededUser('x3dh-carol');
    const init = x3dhInitiate(alice.identity, bob.address);
    assert.notDeepEqual(x3dhRespond(carol.identity, alice.address, init.ephemeralKey).sharedKey, init.sharedKey);
    const other = x3dhInitiate(alice.identity, bob.address);
    assert.notDeepEqual(x3dhRespond(bob.identity, alice.address, other.ephemeralKey).sharedKey, init.sharedKey);
    // Claiming to be carol (whose private keys we lack) gives a different key: DH1 authenticates the initiator.
    assert.notDeepEqual(x3dhRespond(bob.identity, carol.address, init.ephemeralKey).sharedKey, init.sharedKey);
  });

  it('refuses a peer whose address signature does not verify', () => {
    const sig = Uint8Array.from(bob.address.signature);
    sig[0] ^= 1;
    assert.throws(() => x3dhInitiate(alice.identity, { ...bob.address, signature: sig }), AddressError);
  });

  it('rejects all-zero DH outputs (small-order points) with a typed error', () => {
    const zero = new Uint8Array(32);
    // A prekey that is a small-order point, validly signed by its (malicious) owner.
    const unsigned = { ...bob.address, signedPrekey: zero };
    const evil: Address = { ...unsigned, signature: bob.identity.signingKey.sign(addressSignedBytes(unsigned)) };
    assert.equal(
      codeOf(() => x3dhInitiate(alice.identity, evil)),
      'malformed',
    );
    assert.equal(
      codeOf(() => x3dhRespond(bob.identity, alice.address, zero)),
      'malformed',
    );
    const one = new Uint8Array(32);
    one[0] = 1;
    assert.equal(
      codeOf(() => x3dhRespond(bob.identity, alice.address, one)),
      'malformed',
    );
    assert.equal(
      codeOf(() => x3dhRespond(bob.identity, alice.address, new Uint8Array(31))),
      'malformed',
    );
  });
});

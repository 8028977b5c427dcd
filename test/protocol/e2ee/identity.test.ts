import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { sign, verify } from '../../../protocol/crypto/ed25519.js';
import { E2eeError } from '../../../protocol/e2ee/errors.js';
import { deserializeIdentity, generateIdentity, IDENTITY_BYTES, prekeySignatureMessage, serializeIdentity, verifyPrekeySignature, zeroizeIdentity } from '../../../protocol/e2ee/identity.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { codeOf } from './fixtures.js';

describe('e2ee: identity', () => {
  it('derives the keys from 96 seeded bytes, in order: Ed25519 seed, identity DH key, prekey', () => {
    const random = deterministicRandom('identity-order');
    const seed = random(32);
    const dh = random(32);
    const prekey = random(32);
    const id = generateIdentity(deterministicRandom('identity-order'));
    assert.deepEqual(id.signingKey.toSeed(), seed);
    assert.deepEqual(id.identityDhKey.toBytes(), dh);
    assert.deepEqual(id.signedPrekey.toBytes(), prekey);
  });

  it('signs the prekey over a domain-separated message that also binds the identity DH key', () => {
    const id = generateIdentity();
    const ik = id.identityDhKey.publicKey;
    const spk = id.signedPrekey.publicKey;
    assert.equal(toHex(prekeySignatureMessage(ik, spk)), toHex(new TextEncoder().encode('chaff-e2ee-prekey-v1\0')) + toHex(ik) + toHex(spk));
    assert.equal(verifyPrekeySignature(id.signingKey.publicKey, ik, spk, id.prekeySignature), true);
    // A signature over the bare prekey (no domain, no IK) is not accepted.
    const bare = sign(id.signingKey.toSeed(), spk);
    assert.equal(verifyPrekeySignature(id.signingKey.publicKey, ik, spk, bare), false);
    // Nor does the real signature cover a different identity DH key.
    assert.equal(verifyPrekeySignature(id.signingKey.publicKey, spk, spk, id.prekeySignature), false);
    assert.equal(verify(id.signingKey.publicKey, prekeySignatureMessage(ik, spk), id.prekeySignature), true);
  });

  it('round-trips the 161-byte stored form', () => {
    const id = generateIdentity(deterministicRandom('identity-store'));
    const bytes = serializeIdentity(id);
    assert.equal(bytes.length, IDENTITY_BYTES);
    assert.equal(bytes.length, 161);
    assert.equal(bytes[0], 1);
    const back = deserializeIdentity(bytes);
    assert.deepEqual(back.signingKey.publicKey, id.signingKey.publicKey);
    assert.deepEqual(back.identityDhKey.publicKey, id.identityDhKey.publicKey);
    assert.deepEqual(back.signedPrekey.publicKey, id.signedPrekey.publicKey);
    assert.deepEqual(back.prekeySignature, id.prekeySignature);
    assert.deepEqual(serializeIdentity(back), bytes);
  });

  it('rejects a corrupted, truncated or unknown-version stored form with E2eeError(malformed)', () => {
    const bytes = serializeIdentity(generateIdentity());
    for (const offset of [1, 40, 70, 120]) {
      const bad = Uint8Array.from(bytes);
      bad[offset] ^= 0x01;
      assert.equal(
        codeOf(() => deserializeIdentity(bad)),
        'malformed',
        `byte ${offset}`,
      );
    }
    const v2 = Uint8Array.from(bytes);
    v2[0] = 2;
    assert.throws(
      () => deserializeIdentity(v2),
      (e: unknown) => e instanceof E2eeError && /version/.test(e.message),
    );
    assert.equal(
      codeOf(() => deserializeIdentity(bytes.subarray(0, 160))),
      'malformed',
    );
    assert.equal(
      codeOf(() => deserializeIdentity('x' as unknown as Uint8Array)),
      'malformed',
    );
  });

  it('zeroizeIdentity wipes the private keys', () => {
    const id = generateIdentity();
    zeroizeIdentity(id);
    assert.deepEqual(id.signingKey.toSeed(), new Uint8Array(32));
    assert.deepEqual(id.identityDhKey.toBytes(), new Uint8Array(32));
    assert.deepEqual(id.signedPrekey.toBytes(), new Uint8Array(32));
  });
});

// The libp2p identity key is the PKI key: same public key, signatures verify both ways.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys';
import { verify } from '../../../protocol/crypto/ed25519.js';
import { signDescriptor, verifyDescriptor } from '../../../protocol/pki/descriptor.js';
import { loadOrCreateIdentity } from '../../../runtime/net/identity.js';
import { authorityPeers, peerIdOfIdentityKey } from '../../../runtime/pki/authority-peers.js';
import { PkiKeyError, pkiSigningKey } from '../../../runtime/pki/signing-key.js';
import { descriptorFor } from '../../helpers/pki-fixtures.js';
import { toHex } from '../../../protocol/bytes.js';

describe('runtime/pki/signing-key', function () {
  it('derives the protocol key from the libp2p key: same public key, signatures verify both ways', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'chaff-pki-key-'));
    try {
      const id = await loadOrCreateIdentity(dir);
      const key = pkiSigningKey(id.privateKey);
      assert.deepEqual(key.publicKey, id.publicKey);
      const msg = new TextEncoder().encode('hello');
      assert.ok(verify(id.publicKey, msg, key.sign(msg)), 'protocol signature verifies');
      assert.ok(await publicKeyFromRaw(id.publicKey).verify(msg, key.sign(msg)), 'libp2p verifies the protocol signature');
      assert.ok(verify(id.publicKey, msg, await id.privateKey.sign(msg)), 'protocol verifies the libp2p signature');
      const d = { ...descriptorFor(1, 5), identityKey: id.publicKey };
      assert.deepEqual(verifyDescriptor(signDescriptor(d, key)).identityKey, id.publicKey);
      assert.ok(peerIdOfIdentityKey(id.publicKey).equals(id.peerId), 'the peer id follows from the identity key');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses other key types and bad identity keys', async function () {
    const secp = await generateKeyPair('secp256k1');
    assert.throws(() => pkiSigningKey(secp), PkiKeyError);
    assert.throws(() => peerIdOfIdentityKey(new Uint8Array(31)), PkiKeyError);
  });

  it('turns config entries into authority peers', async function () {
    const k = await generateKeyPair('Ed25519');
    const [peer] = authorityPeers([{ name: 'a1', identity: toHex(k.publicKey.raw).toUpperCase(), addresses: ['/ip4/127.0.0.1/tcp/1'] }]);
    assert.ok(peer.peerId.equals(peerIdOfIdentityKey(k.publicKey.raw)));
    assert.deepEqual(peer.identityKey, k.publicKey.raw);
  });
});

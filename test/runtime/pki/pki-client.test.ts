// The PKI client never takes one authority's word. On in-memory hosts
// (test/helpers/memory-host.ts): what is tested is the verification, not the network.

import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { buildDocument, encodeDocument } from '../../../protocol/pki/document.js';
import { encodeSignedDocument, signDocument, verifyDocument, type SignedDocument } from '../../../protocol/pki/signatures.js';
import { serveRpc } from '../../../runtime/net/rpc.js';
import { peerIdOfIdentityKey, type AuthorityPeer } from '../../../runtime/pki/authority-peers.js';
import { PkiClient, PkiFetchError } from '../../../runtime/pki/pki-client.js';
import { pkiSigningKey } from '../../../runtime/pki/signing-key.js';
import { PKI_PROTOCOLS } from '../../../runtime/pki/wire.js';
import { keyFor, PARAMS, signedFor } from '../../helpers/pki-fixtures.js';
import { MemoryNetwork } from '../../helpers/memory-host.js';

describe('runtime/pki/pki-client', function () {
  this.timeout(20_000);
  const network = new MemoryNetwork();

  it('refuses a document one authority serves with only its own (or forged) signatures', async function () {
    const rogueKey = await generateKeyPair('Ed25519');
    const rogue = await network.host(rogueKey);
    const me = await network.host();
    const others = [keyFor(201), keyFor(202)];
    const peer = (name: string, identityKey: Uint8Array, addresses: string[]): AuthorityPeer => ({ name, identityKey, peerId: peerIdOfIdentityKey(identityKey), addresses });
    const authorities = [peer('rogue', rogueKey.publicKey.raw, []), ...others.map((k, i) => peer(`down-${i}`, k.publicKey, ['/ip4/127.0.0.1/tcp/1']))];
    const document = encodeDocument(buildDocument(7, PARAMS, [signedFor(1, 7), signedFor(50, 7, 'gateway')]));
    const own = signDocument(document, pkiSigningKey(rogueKey));
    let serve: SignedDocument = { document, signatures: [own] };
    await serveRpc(rogue, PKI_PROTOCOLS.document, () => encodeSignedDocument(serve), { maxRequestBytes: 8 });
    const client = new PkiClient({ host: me }, { authorities, rpcTimeoutMs: 2000 });

    const check = async () =>
      assert.rejects(client.fetchDocument(7), (e: unknown) => e instanceof PkiFetchError && e.attempts.some((a) => a.authority === 'rogue' && /1 valid of 2 needed/.test(a.error)));
    await check();
    serve = { document, signatures: [own, ...others.map((k) => ({ identityKey: k.publicKey, signature: crypto.getRandomValues(new Uint8Array(64)) }))] };
    await check();
    assert.equal(client.stats().documentsRejected, 2);
    assert.equal(client.cached(7), undefined);

    // With a second genuine signature it is accepted (and cached).
    serve = { document, signatures: [own, signDocument(document, others[0])] };
    const got = await client.fetchDocument(7);
    assert.equal(got.document.epoch, 7);
    assert.equal(client.cached(7), got);
    assert.deepEqual(
      verifyDocument(
        got.signed,
        authorities.map((a) => a.identityKey),
      ).epoch,
      7,
    );
  });
});

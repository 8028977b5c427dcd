// Attack: a second gateway takes the name of an honest one (or the honest
// one's node id as its name) and grinds its identity key until its node id
// sorts first, so that `chaff client init --gateway NAME` registers the
// victim at the attacker's gateway.
//
// Real components: descriptors signed by the gateways' libp2p keys, the
// document built by buildDocument and signed by a majority of three
// authority keys, verified by the client's PkiClient (from its document
// cache, where a fetched document lands), and the real `initProfile`, which
// dials the chosen gateway over libp2p on 127.0.0.1. Each gateway is a real
// libp2p host that answers registration as a gateway does and records who
// registered.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey as Libp2pKey, PeerId } from '@libp2p/interface';
import { initProfile } from '../../client/init.js';
import { networkToml } from '../../client/config.js';
import { toHex } from '../../protocol/bytes.js';
import { signDescriptor, type SignedDescriptor } from '../../protocol/pki/descriptor.js';
import { buildDocument, encodeDocument } from '../../protocol/pki/document.js';
import { epochAt } from '../../protocol/pki/epoch.js';
import { nodeIdOf } from '../../protocol/pki/node-id.js';
import { signDocument } from '../../protocol/pki/signatures.js';
import { CLIENT_REGISTER_PROTOCOL } from '../../protocol/wire/client-protocols.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { createHost, type Host } from '../../runtime/net/host.js';
import { serveRpc } from '../../runtime/net/rpc.js';
import { DocumentStore } from '../../runtime/pki/document-store.js';
import { pkiSigningKey } from '../../runtime/pki/signing-key.js';
import { keyFor, PARAMS, signedFor } from '../helpers/pki-fixtures.js';

const AUTHORITIES = [201, 202, 203].map(keyFor);
const EPOCH_MS = 3_600_000;

interface FakeGatewayHost {
  key: Libp2pKey;
  host: Host;
  registered: string[];
}

/** A libp2p host on 127.0.0.1 answering registrations as a gateway does (the mailbox id of the caller), recording each caller. */
async function gatewayHost(key: Libp2pKey): Promise<FakeGatewayHost> {
  const host = await createHost({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'] });
  const registered: string[] = [];
  await serveRpc(
    host,
    CLIENT_REGISTER_PROTOCOL,
    (_req: Uint8Array, from: PeerId) => {
      registered.push(from.toString());
      return mailboxIdOf(from.publicKey!.raw);
    },
    { maxRequestBytes: 16 },
  );
  return { key, host, registered };
}

function descriptorOf(g: FakeGatewayHost, name: string, epoch: number): SignedDescriptor {
  const signing = pkiSigningKey(g.key);
  const address = g.host
    .getMultiaddrs()[0]
    .toString()
    .replace(/\/p2p\/.*$/, '');
  return signDescriptor(
    {
      identityKey: signing.publicKey,
      name,
      role: 'gateway',
      addresses: [address],
      epoch,
      sphinxKeys: new Map([
        [epoch, new Uint8Array(32).fill(7)],
        [epoch + 1, new Uint8Array(32).fill(8)],
      ]),
      version: 1,
    },
    signing,
  );
}

/** An attacker's key whose node id sorts before `victim`'s (a few tries on average). */
async function keySortingBefore(victim: Libp2pKey): Promise<Libp2pKey> {
  const target = nodeIdOf(victim.publicKey.raw);
  for (;;) {
    const key = await generateKeyPair('Ed25519');
    if (Buffer.compare(nodeIdOf(key.publicKey.raw), target) < 0) return key;
  }
}

describe("a gateway squatting an honest gateway's name, or naming itself after its node id, to capture `client init --gateway`", function () {
  let dir: string;
  let honest: FakeGatewayHost;
  let squatter: FakeGatewayHost;
  let networkFile: string;
  let epoch: number;
  const genesisMs = Date.now() - 60_000;

  /** Publishes (into a fresh profile's PKI cache) the majority-signed document listing the honest gateway and the squatter named `squatName`. */
  async function profileWithDocument(label: string, squatName: string): Promise<string> {
    const params = { ...PARAMS, genesisMs, epochDurationMs: EPOCH_MS };
    const descriptors = [descriptorOf(honest, 'gw-berlin', epoch), descriptorOf(squatter, squatName, epoch), ...[1, 2, 3, 4, 5, 6].map((n) => signedFor(n, epoch))];
    const bytes = encodeDocument(buildDocument(epoch, params, descriptors));
    const profileDir = join(dir, label);
    await new DocumentStore(join(profileDir, 'pki-cache')).save(epoch, { document: bytes, signatures: AUTHORITIES.slice(0, 2).map((a) => signDocument(bytes, a)) });
    return profileDir;
  }

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'chaff-adv-squat-'));
    honest = await gatewayHost(await generateKeyPair('Ed25519'));
    squatter = await gatewayHost(await keySortingBefore(honest.key));
    epoch = epochAt(Date.now(), { genesisMs, epochDurationMs: EPOCH_MS });
    networkFile = join(dir, 'network.toml');
    writeFileSync(
      networkFile,
      networkToml({
        genesisMs,
        epochDurationMs: EPOCH_MS,
        // Never contacted: the document is already in the profile's cache.
        authorities: AUTHORITIES.map((a, i) => ({ name: `auth-${i}`, identity: toHex(a.publicKey), addresses: ['/ip4/127.0.0.1/tcp/9'] })),
      }),
    );
  });

  after(async function () {
    await honest?.host.stop();
    await squatter?.host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const init = (profileDir: string, gateway: string) => initProfile({ profileDir, passphrase: 'correct horse', network: networkFile, gateway, scrypt: { N: 2 ** 10, r: 8, p: 1 } });

  it('refuses a name two gateways carry, listing both node ids, and registers at neither; the squatter pushed nobody out', async function () {
    const profileDir = await profileWithDocument('same-name', 'gw-berlin');
    await assert.rejects(init(profileDir, 'gw-berlin'), (err: Error) => {
      assert.match(err.message, /2 nodes of the current document are named "gw-berlin"/);
      assert.ok(err.message.includes(toHex(nodeIdOf(honest.key.publicKey.raw))), "the honest gateway's node id is listed");
      assert.ok(err.message.includes(toHex(nodeIdOf(squatter.key.publicKey.raw))), "the squatter's node id is listed");
      return true;
    });
    assert.deepEqual(squatter.registered, [], 'nobody registered at the squatter');
    assert.deepEqual(honest.registered, []);

    // The user passes the id from the list: init registers at the honest gateway.
    const created = await init(profileDir, toHex(nodeIdOf(honest.key.publicKey.raw)));
    assert.equal(created.gateway, 'gw-berlin');
    assert.equal(honest.registered.length, 1);
    assert.deepEqual(squatter.registered, []);
    assert.match(readFileSync(join(profileDir, 'client.toml'), 'utf8'), new RegExp(`gateway = "${toHex(nodeIdOf(honest.key.publicKey.raw))}"`));
    honest.registered.length = 0;
  });

  it("a gateway named after the honest gateway's node id does not capture that id", async function () {
    const honestId = toHex(nodeIdOf(honest.key.publicKey.raw));
    const profileDir = await profileWithDocument('id-as-name', honestId);
    const created = await init(profileDir, honestId);
    assert.equal(created.gateway, 'gw-berlin');
    assert.deepEqual(squatter.registered, [], 'the squatter got the registration');
    assert.equal(honest.registered.length, 1);
  });
});

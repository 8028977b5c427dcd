// The settings calls through the daemon's own composition (compose.ts: the
// messenger's read receipts, the document follower's raise, client.toml in
// the profile folder, the profile store for the passphrase change), on a
// manual clock with the in-memory network of fake-network.ts: a change
// applies at once, and a daemon started again from client.toml (as
// client/daemon.ts loads it) has it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { ClientError } from '../../../client/api.js';
import { CLIENT_CONFIG_FILE, clientToml, DEFAULT_CLIENT_SETTINGS, loadClientConfig, type ClientConfig } from '../../../client/config.js';
import type { RunningClient } from '../../../client/daemon/compose.js';
import { sealedMessengerStores } from '../../../client/messenger/stores.js';
import { COLLECTIONS } from '../../../client/state.js';
import { WrongPassphraseError } from '../../../client/store/profile-key.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';
import { toHex } from '../../../protocol/bytes.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import { Lifecycle } from '../../../runtime/lifecycle/startable.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { documentOf, EPOCHS, FakeDocuments, FakeGatewayLink, GATEWAY_A, startOf, type Rates, composeOnFakeNetwork } from './fake-network.js';

const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const RATES: Rates = { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 };
const EPOCH = 100;

describe('client/daemon: settings applied at once and kept across a restart', function () {
  this.timeout(30_000);
  let dir: string;
  let key: Ed25519PrivateKey;
  let identity: Identity;
  const running: RunningClient[] = [];

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'chaff-daemon-settings-'));
    key = await generateKeyPair('Ed25519');
    identity = generateIdentity();
    await (await createProfile(dir, 'pass', { collections: COLLECTIONS, scrypt: SCRYPT })).close();
    const config: ClientConfig = {
      network: { ...EPOCHS, authorities: [{ name: 'auth-1', identity: 'ab'.repeat(32), addresses: ['/ip4/127.0.0.1/tcp/1'] }] },
      client: { ...DEFAULT_CLIENT_SETTINGS, gateway: toHex(GATEWAY_A.nodeId), gatewayName: GATEWAY_A.name },
    };
    writeFileSync(join(dir, CLIENT_CONFIG_FILE), clientToml(config), { mode: 0o600 });
  });

  after(async function () {
    for (const r of running.splice(0)) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A daemon on the profile, its configuration read from client.toml as the entry point does. */
  async function start(passphrase: string): Promise<RunningClient> {
    const clock = new ManualClock(startOf(EPOCH) + 1000);
    const log = memoryLogger('client');
    const lifecycle = new Lifecycle(log);
    const store = await openProfile(dir, passphrase, { collections: COLLECTIONS });
    lifecycle.onStop('profile store', () => store.close());
    const documents = new FakeDocuments();
    documents.docs.set(EPOCH, documentOf(EPOCH, [GATEWAY_A], RATES));
    const link = new FakeGatewayLink(clock, mailboxIdOf(key.publicKey.raw));
    const r = await composeOnFakeNetwork(
      { profileDir: dir, config: loadClientConfig(join(dir, CLIENT_CONFIG_FILE)) },
      { clock, logger: log, lifecycle, stores: sealedMessengerStores(store), identity, key, documents, link, seed: 7, profileStore: store },
    );
    running.push(r);
    return r;
  }

  it("read receipts off and λP raised: the streams take the raise at once; the network's rates are the document's", async function () {
    const d = await start('pass');
    const before = await d.api.settings();
    assert.deepEqual([before.readReceipts, before.cover.network, before.cover.effective], [true, RATES, RATES]);
    assert.equal(before.cover.cost.packetBytes, 3130);
    const after = await d.api.setSettings({ readReceipts: false, lambdaP: 3 });
    assert.deepEqual(after.cover.effective, { ...RATES, lambdaP: 3 });
    assert.equal((await d.api.status()).rates.lambdaP, 3, 'the streams run at the raised rate now');
    await assert.rejects(d.api.setSettings({ lambdaD: 0.05 }), (err: unknown) => err instanceof ClientError && err.code === 'below-network');
    // The passphrase, through the profile store the entry point hands over.
    assert.deepEqual(await d.api.changePassphrase('pass', 'quiet otter lantern 1987'), { verdict: 'good' });
    await d.stop();
  });

  it('a daemon started again from client.toml has them, and opens with the new passphrase only', async function () {
    await assert.rejects(openProfile(dir, 'pass', { collections: COLLECTIONS }), WrongPassphraseError);
    const d = await start('quiet otter lantern 1987');
    const s = await d.api.settings();
    assert.equal(s.readReceipts, false, 'read receipts stay off');
    assert.deepEqual(s.cover.raise, { lambdaP: 3, lambdaL: null, lambdaD: null });
    assert.deepEqual(s.cover.effective, { ...RATES, lambdaP: 3 });
    assert.equal((await d.api.status()).rates.lambdaP, 3);
    await d.stop();
  });
});

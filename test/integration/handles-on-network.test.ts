// Short handles end to end (issue 12; docs/handles.md), on an in-process
// network of real relays and real client daemons: bob claims `bob` at his
// gateway; carol, a stranger at the other gateway, adds him by
// `bob@gateway` alone: her daemon looks the name up through the mixnet (a
// packet of her payload stream, answered through its SURB), checks the
// record and adds the address it names, and her message reaches bob. A
// second claim of the name at bob's gateway is refused; a name nobody holds
// is not found; and a record whose signature was tampered with in the
// gateway's store is refused as forged, with no contact added.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ClientError } from '../../client/api.js';
import { HandleRegistry } from '../../node/gateway/handle-registry.js';
import { FAST_CHAT_SHAPE } from '../helpers/chat.js';
import { InProcessChat, type TracedClient } from '../helpers/in-process-chat.js';
import { waitFor } from '../helpers/wait.js';

const isClientError = (code: string) => (err: unknown) => err instanceof ClientError && err.code === code;

describe('integration: short handles looked up through the mixnet', function () {
  this.timeout(300_000);
  let net: InProcessChat | undefined;
  let carol: TracedClient;
  let dave: TracedClient;

  before(async function () {
    net = await InProcessChat.start(FAST_CHAT_SHAPE, 200);
    carol = await net.addClient('carol', net.alice.gateway);
    dave = await net.addClient('dave', net.bob.gateway);
    // A claim goes to the gateway over the link: wait until both new daemons are online.
    for (const c of [carol, dave]) await waitFor(`${c.name} online`, async () => (await c.api.status()).gateway.connected, { timeoutMs: 60_000 });
  });

  after(async function () {
    await net?.stop();
  });

  it('a stranger adds bob by bob@gateway: the record is checked and his address added; the name is first come; an unknown name is not found', async function () {
    const { bob } = net!;
    const gateway = bob.gateway;
    assert.deepEqual(await bob.api.claimHandle('Bob'), { handle: `bob@${gateway}` });
    assert.equal((await bob.api.status()).handle, `bob@${gateway}`);
    await assert.rejects(dave.api.claimHandle('bob'), isClientError('handle-taken'));

    const started = Date.now();
    const contact = await carol.api.addContact('bob', `bob@${gateway}`);
    const lookupMs = Date.now() - started;
    assert.equal(contact.address, bob.address, 'the address bob signed, resolved from his handle');
    const { message: sent } = await carol.api.sendText('bob', 'found you by your handle');
    await waitFor("bob has carol's message (a contact request from an address he has not added)", async () => (await bob.api.inbox()).requests.some((r) => r.address === carol.address), {
      timeoutMs: 90_000,
    });
    await waitFor('carol sees it delivered', async () => (await carol.api.history('bob', 10)).find((m) => m.id === sent.id)?.state === 'delivered', { timeoutMs: 90_000 });

    await assert.rejects(carol.api.addContact('nobody', `nobody@${gateway}`), isClientError('not-found'));
    assert.equal((await carol.api.listContacts()).filter((c) => c.name === 'nobody').length, 0);
    this.test!.title += ` [lookup and add: ${lookupMs} ms]`;
  });

  it("refuses a record tampered with in the gateway's store as forged, and adds nothing", async function () {
    const gateway = dave.gateway;
    assert.deepEqual(await dave.api.claimHandle('dave'), { handle: `dave@${gateway}` });
    // The gateway turns against dave: the record it hosts for him gets another signature.
    await net!.net.stopNode(gateway);
    const registry = await HandleRegistry.open(join(net!.net.node(gateway).dataDir, 'handles'));
    try {
      const record = registry.recordOf('dave');
      assert.ok(record, "dave's record is in the gateway's store");
      const signature = Uint8Array.from(record.signature);
      signature[0] ^= 1;
      assert.equal((await registry.claim(record.mailboxProof.subarray(0, 32), { ...record, signature })).status, 'ok');
    } finally {
      await registry.close();
    }
    await net!.net.startNode(gateway);
    await assert.rejects(carol.api.addContact('dave', `dave@${gateway}`), isClientError('forged-handle'));
    assert.equal((await carol.api.listContacts()).filter((c) => c.name === 'dave').length, 0);
  });
});

// The reply-body RPC (node/gateway/reply-body-handler.ts, docs/gateway.md
// §Short handles): a client reads the full body of a SURB reply in its own
// mailbox by message id; never another client's entry, never a message.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { decodeReplyBodyReply, encodeReplyBodyRequest } from '../../../protocol/wire/handle.js';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import { ClientRegistry } from '../../../node/gateway/client-registry.js';
import { encodeMailboxEntry } from '../../../node/gateway/mailbox-entry.js';
import { requestLaneOf } from '../../../node/gateway/mailbox-lanes.js';
import { ReplyBodyHandler, ReplyBodyRefusedError, type ReplyBodyDropReason } from '../../../node/gateway/reply-body-handler.js';
import { MailboxStore } from '../../../node/store/mailbox-store.js';

const BODY = 300;
const T0 = 1_700_000_000_000;

describe('node/gateway/reply-body-handler (real LevelDB)', () => {
  let dir: string;
  let mailboxes: MailboxStore;
  let registry: ClientRegistry;
  let handler: ReplyBodyHandler;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-reply-body-'));
    mailboxes = await MailboxStore.open(join(dir, 'mailbox'));
    registry = await ClientRegistry.open(join(dir, 'clients'));
    handler = new ReplyBodyHandler({ mailboxes, registry, bodyLength: BODY });
  });
  afterEach(async () => {
    await mailboxes.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  const alice = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(1)).publicKey;
  const bob = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(2)).publicKey;
  const stranger = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(3)).publicKey;

  const surbReplyOf = (marker: number) => encodeMailboxEntry({ kind: 'surb-reply', surbId: new Uint8Array(16).fill(marker), via: 'delivery', body: new Uint8Array(BODY).fill(marker) });
  const messageOf = (marker: number) => encodeMailboxEntry({ kind: 'message', surbId: null, via: 'delivery', body: new Uint8Array(64).fill(marker) });

  async function ask(caller: Uint8Array | null, id: bigint) {
    return decodeReplyBodyReply(await handler.handle(encodeReplyBodyRequest(id), caller));
  }

  async function refusedAs(p: Promise<unknown>, reason: ReplyBodyDropReason): Promise<void> {
    await assert.rejects(p, (err: unknown) => err instanceof ReplyBodyRefusedError && err.reason === reason);
  }

  it('returns the body of a SURB reply in either of the caller’s lanes, until it is acknowledged', async () => {
    await registry.register(alice, T0);
    const main = await mailboxes.deposit(mailboxIdOf(alice), surbReplyOf(0xa1), T0);
    const request = await mailboxes.deposit(requestLaneOf(mailboxIdOf(alice)), surbReplyOf(0xa2), T0);
    assert.deepEqual(await ask(alice, BigInt(main)), { found: true, body: new Uint8Array(BODY).fill(0xa1) });
    assert.deepEqual(await ask(alice, BigInt(request)), { found: true, body: new Uint8Array(BODY).fill(0xa2) });
    assert.equal(mailboxes.stats().messages, 2, 'reading a body deletes nothing');
    await mailboxes.ack([mailboxIdOf(alice), requestLaneOf(mailboxIdOf(alice))], [main]);
    assert.deepEqual(await ask(alice, BigInt(main)), { found: false });
    assert.deepEqual(handler.stats(), { found: 2, notFound: 1, drops: { malformed: 0, unregistered: 0, 'store-error': 0 } });
  });

  it('never returns another client’s entry, a message, or an id it never issued', async () => {
    await registry.register(alice, T0);
    await registry.register(bob, T0);
    const bobs = await mailboxes.deposit(mailboxIdOf(bob), surbReplyOf(0xb1), T0);
    const bobsRequest = await mailboxes.deposit(requestLaneOf(mailboxIdOf(bob)), surbReplyOf(0xb2), T0);
    const message = await mailboxes.deposit(mailboxIdOf(alice), messageOf(0xa3), T0);
    assert.deepEqual(await ask(alice, BigInt(bobs)), { found: false }, 'bob’s SURB reply, asked by alice');
    assert.deepEqual(await ask(alice, BigInt(bobsRequest)), { found: false });
    assert.deepEqual(await ask(alice, BigInt(message)), { found: false }, 'a message is not a reply body');
    assert.deepEqual(await ask(alice, 999n), { found: false });
    assert.deepEqual(await ask(alice, (1n << 64n) - 1n), { found: false }, 'beyond what the store issues');
    assert.deepEqual(await ask(bob, BigInt(bobs)), { found: true, body: new Uint8Array(BODY).fill(0xb1) }, 'bob gets his own');
    assert.deepEqual(handler.stats().notFound, 5);
    assert.deepEqual(handler.stats().found, 1);
  });

  it('refuses a caller that is not registered, and a request that is not a reply-body request', async () => {
    await registry.register(alice, T0);
    const id = await mailboxes.deposit(mailboxIdOf(stranger), surbReplyOf(0xc1), T0);
    await refusedAs(ask(stranger, BigInt(id)), 'unregistered');
    await refusedAs(ask(null, BigInt(id)), 'unregistered');
    for (const body of [new Uint8Array(0), new Uint8Array(8), Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0), new Uint8Array(10)]) {
      await refusedAs(handler.handle(body, alice), 'malformed');
    }
    await mailboxes.close();
    await refusedAs(ask(alice, 1n), 'store-error');
    assert.deepEqual(handler.stats(), { found: 0, notFound: 0, drops: { malformed: 4, unregistered: 2, 'store-error': 1 } });
  });
});

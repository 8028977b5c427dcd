import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { decodeFetchReply, DEFAULT_FETCH_SLOTS, encodeFetchRequest, fetchReplyLength, surbReplyDigest } from '../../../protocol/wire/fetch.js';
import { ClientRegistry } from '../../../node/gateway/client-registry.js';
import { FetchHandler, shareReply } from '../../../node/gateway/fetch-handler.js';
import { requestLaneOf } from '../../../node/gateway/mailbox-lanes.js';
import { encodeMailboxEntry } from '../../../node/gateway/mailbox-entry.js';
import { MailboxStore } from '../../../node/store/mailbox-store.js';

const BODY = 64;
const BATCH = 3;

describe('node/gateway/fetch-handler: entries from the mailbox store', function () {
  let dir: string;
  let mailboxes: MailboxStore;
  let registry: ClientRegistry;
  const client = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(3));
  let mailboxId: Uint8Array;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-fetch-handler-'));
    mailboxes = await MailboxStore.open(join(dir, 'mailbox'));
    registry = await ClientRegistry.open(join(dir, 'clients'));
    mailboxId = (await registry.register(client.publicKey, 0)).mailboxId;
  });

  afterEach(async () => {
    await mailboxes.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves each stored entry with its kind and SURB id', async () => {
    const surbId = new Uint8Array(16).fill(0x5a);
    await mailboxes.deposit(mailboxId, encodeMailboxEntry({ kind: 'message', surbId: null, via: 'address', body: new Uint8Array(10).fill(1) }), 1);
    await mailboxes.deposit(mailboxId, encodeMailboxEntry({ kind: 'surb-reply', surbId, via: 'delivery', body: new Uint8Array(BODY).fill(2) }), 2);
    const handler = new FetchHandler({ mailboxes, registry, fetchBatch: BATCH, bodyLength: BODY });
    const reply = await handler.handle(encodeFetchRequest({ counter: 1n, acks: [] }, client), client.publicKey);
    assert.equal(reply.length, fetchReplyLength({ messages: BATCH, acks: DEFAULT_FETCH_SLOTS.acks }, BODY));
    assert.deepEqual(
      decodeFetchReply(reply, 1n, BODY).map((e) => ({ ...e, id: undefined })),
      [
        { kind: 'message', via: 'address', id: undefined, surbId: null, body: new Uint8Array(10).fill(1) },
        { kind: 'surb-reply', via: 'delivery', id: undefined, surbId, body: new Uint8Array(0), digest: surbReplyDigest(new Uint8Array(BODY).fill(2)) },
      ],
    );
  });

  it('deletes, unserved and counted, stored entries that do not decode, and serves the rest', async () => {
    await mailboxes.deposit(mailboxId, new Uint8Array([7, 1, 2, 3]), 1); // unknown kind
    await mailboxes.deposit(mailboxId, encodeMailboxEntry({ kind: 'message', surbId: null, via: 'address', body: new Uint8Array(BODY + 1) }), 2); // longer than an entry
    await mailboxes.deposit(mailboxId, encodeMailboxEntry({ kind: 'message', surbId: null, via: 'address', body: new Uint8Array([0x61]) }), 3);
    const handler = new FetchHandler({ mailboxes, registry, fetchBatch: BATCH, bodyLength: BODY });
    const first = decodeFetchReply(await handler.handle(encodeFetchRequest({ counter: 1n, acks: [] }, client), client.publicKey), 1n, BODY);
    assert.deepEqual(
      first.map((e) => e.body),
      [new Uint8Array([0x61])],
    );
    assert.equal(handler.stats().corruptDeleted, 2);
    assert.equal(handler.stats().messagesServed, 1);
    assert.equal(mailboxes.stats().messages, 1, 'the two undecodable entries are gone');
    const second = decodeFetchReply(await handler.handle(encodeFetchRequest({ counter: 2n, acks: [first[0].id!] }, client), client.publicKey), 2n, BODY);
    assert.deepEqual(second, []);
    assert.equal(handler.stats().corruptDeleted, 2);
  });

  it('serves both lanes of a client, acknowledges across them, and gives contact requests at most a quarter of a reply while main mail waits', async () => {
    const lane = requestLaneOf(mailboxId);
    const entry = (b: number, via: 'address' | 'delivery') => encodeMailboxEntry({ kind: 'message', surbId: null, via, body: new Uint8Array([b]) });
    // Requests first (older), then main-lane mail.
    for (let i = 0; i < 8; i++) await mailboxes.deposit(lane, entry(0x10 + i, 'address'), 1, { messages: 32, bytes: 1 << 20 });
    for (let i = 0; i < 8; i++) await mailboxes.deposit(mailboxId, entry(0x20 + i, 'delivery'), 2);
    const handler = new FetchHandler({ mailboxes, registry, fetchBatch: 4, bodyLength: BODY });
    const first = decodeFetchReply(await handler.handle(encodeFetchRequest({ counter: 1n, acks: [] }, client), client.publicKey), 1n, BODY);
    assert.deepEqual(
      first.map((e) => [e.via, e.body[0]]),
      [
        ['address', 0x10],
        ['delivery', 0x20],
        ['delivery', 0x21],
        ['delivery', 0x22],
      ],
    );
    const second = decodeFetchReply(await handler.handle(encodeFetchRequest({ counter: 2n, acks: first.map((e) => e.id!) }, client), client.publicKey), 2n, BODY);
    assert.equal(handler.stats().acked, 4, 'ids from both lanes acknowledged');
    assert.deepEqual(
      second.map((e) => e.body[0]),
      [0x11, 0x23, 0x24, 0x25],
    );
    assert.deepEqual(mailboxes.usageOf(lane).messages, 7);
  });

  it('shareReply: requests fill what the main lane leaves, and a quarter (rounded down) when it is full', function () {
    const m = (id: number) => ({ id, depositedMs: 0, message: new Uint8Array(0) });
    const ids = (xs: { id: number }[]) => xs.map((x) => x.id);
    assert.deepEqual(ids(shareReply([m(5), m(6)], [m(1), m(2), m(3)], 4)), [1, 2, 5, 6]);
    assert.deepEqual(ids(shareReply([m(5), m(6), m(7), m(8)], [m(1), m(2)], 4)), [1, 5, 6, 7]);
    assert.deepEqual(ids(shareReply([], [m(1), m(2)], 4)), [1, 2]);
    assert.deepEqual(ids(shareReply([m(5), m(6)], [m(1)], 1)), [5], 'a batch of 1 serves main mail first');
    assert.deepEqual(ids(shareReply([m(9)], [], 16)), [9]);
  });
});

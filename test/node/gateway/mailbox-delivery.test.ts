import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import {
  delay,
  geometryFromUserForwardPayloadLength,
  newPacket,
  newPacketFromSURB,
  newSURB,
  recipient,
  surbAckPayload,
  surbReply,
  surbReplyPayloadFor,
  unwrap,
  type LastHop,
  type RoutingCommand,
} from '../../../protocol/sphinx/index.js';
import { DROP_RECIPIENT, encodeClientPayload } from '../../../protocol/wire/client-payload.js';
import { decodeFetchReply, encodeFetchRequest, fetchEntryBodyLength, surbReplyDigestMatches, type FetchEntry } from '../../../protocol/wire/fetch.js';
import { ClientRegistry } from '../../../node/gateway/client-registry.js';
import { FetchHandler } from '../../../node/gateway/fetch-handler.js';
import { DELIVERY_DROP_REASONS, MailboxDelivery, type DeliveryDropReason } from '../../../node/gateway/mailbox-delivery.js';
import { MailboxStore, type MailboxStoreOptions } from '../../../node/store/mailbox-store.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { forwardedPacket, lastHop } from '../../helpers/sphinx-fixtures.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 3, userForwardPayloadLength: 64, withSURB: true });
const BODY = fetchEntryBodyLength(geometry);
const T0 = 1_700_000_000_000;

const mixId = new Uint8Array(32).fill(0x11);
const mixKey = X25519PrivateKey.fromBytes(new Uint8Array(32).fill(0x21));
const gwId = new Uint8Array(32).fill(0x12);
const gwKey = X25519PrivateKey.fromBytes(new Uint8Array(32).fill(0x22));

type ForwardOutcome = 'sent' | 'unknown' | 'queue-full' | 'throw';

interface Fixture {
  dir: string;
  mailboxes: MailboxStore;
  registry: ClientRegistry;
  delivery: MailboxDelivery;
  forwarded: Array<{ nodeId: Uint8Array; packet: Uint8Array }>;
  reported: DeliveryDropReason[];
  /** What forward() answers. */
  outcome: ForwardOutcome;
}

interface Client {
  signer: Ed25519PrivateKey;
  mailboxId: Uint8Array;
  counter: bigint;
}

function user(marker: number): Uint8Array {
  return new Uint8Array(geometry.userForwardPayloadLength).fill(marker);
}

function noDrops(): Record<DeliveryDropReason, number> {
  return Object.fromEntries(DELIVERY_DROP_REASONS.map((r) => [r, 0])) as Record<DeliveryDropReason, number>;
}

/** What the exit gateway's unwrap hands to onFinalHop for a 1-hop packet to `to` carrying `payload`. */
function atExit(to: Uint8Array, payload: Uint8Array, extra: RoutingCommand[] = []): LastHop {
  return lastHop(unwrap(geometry, gwKey, newPacket(geometry, [{ id: gwId, publicKey: gwKey.publicKey, commands: [recipient(to), ...extra] }], payload)));
}

/** A SURB-ACK for `owner`: mix (delay 0) → this gateway, as a SURB reply into owner's mailbox. */
function ackSurb(owner: Uint8Array, surbId: Uint8Array) {
  return newSURB(geometry, [
    { id: mixId, publicKey: mixKey.publicKey, commands: [delay(0)] },
    { id: gwId, publicKey: gwKey.publicKey, commands: [recipient(owner), surbReply(surbId)] },
  ]);
}

describe('node/gateway/mailbox-delivery (real LevelDB)', function () {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function openStores(dir: string, options: MailboxStoreOptions = {}) {
    const mailboxes = await MailboxStore.open(join(dir, 'mailbox'), options);
    const registry = await ClientRegistry.open(join(dir, 'clients'));
    return { mailboxes, registry };
  }

  async function setup(options: MailboxStoreOptions = {}): Promise<Fixture> {
    const dir = await mkdtemp(join(tmpdir(), 'chaff-delivery-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { mailboxes, registry } = await openStores(dir, options);
    cleanups.push(() => mailboxes.close());
    cleanups.push(() => registry.close());
    const f = { dir, mailboxes, registry, forwarded: [], reported: [], outcome: 'sent' } as unknown as Fixture;
    f.delivery = new MailboxDelivery({
      mailboxes,
      registry,
      clock: new ManualClock(T0),
      geometry,
      maxBodyLength: BODY,
      forward: (nodeId, packet) => {
        if (f.outcome === 'throw') throw new Error('link gone');
        if (f.outcome === 'sent') f.forwarded.push({ nodeId, packet });
        return f.outcome;
      },
      onDrop: (reason) => f.reported.push(reason),
    });
    return f;
  }

  async function client(f: Fixture, seed: number): Promise<Client> {
    const signer = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(seed));
    const { mailboxId } = await f.registry.register(signer.publicKey, T0);
    return { signer, mailboxId, counter: 0n };
  }

  async function fetch(handler: FetchHandler, c: Client): Promise<FetchEntry[]> {
    const counter = ++c.counter;
    return decodeFetchReply(await handler.handle(encodeFetchRequest({ counter, acks: [] }, c.signer), c.signer.publicKey), counter, BODY);
  }

  function handlerOf(f: { mailboxes: MailboxStore; registry: ClientRegistry }): FetchHandler {
    return new FetchHandler({ mailboxes: f.mailboxes, registry: f.registry, fetchBatch: 4, bodyLength: BODY });
  }

  it('stores only the user payload, then sends the SURB-ACK to the SURB’s first hop; the ACK comes back as a SURB reply the sender opens', async () => {
    const f = await setup();
    const alice = await client(f, 1);
    const bob = await client(f, 2);
    const surbId = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const { surb, surbKeys, firstHop } = ackSurb(alice.mailboxId, surbId);
    assert.deepEqual(firstHop, mixId);

    const exit = atExit(bob.mailboxId, encodeClientPayload(geometry, { surb, userPayload: user(0x42) }));
    assert.equal(await f.delivery.deliver(exit), true);
    const [bobEntry] = await fetch(handlerOf(f), bob);
    assert.equal(bobEntry.kind, 'message');
    assert.equal(bobEntry.surbId, null);
    assert.deepEqual(bobEntry.body, user(0x42), 'the mailbox holds the user payload, not the SURB');

    assert.equal(f.forwarded.length, 1);
    assert.deepEqual(f.forwarded[0].nodeId, mixId);
    assert.equal(f.forwarded[0].packet.length, geometry.packetLength);
    // The ACK crosses the mix, then reaches this gateway as a SURB reply for alice.
    const atMix = unwrap(geometry, mixKey, f.forwarded[0].packet);
    assert.deepEqual(atMix.commands.find((c) => c.type === 'next-hop')?.id, gwId);
    const back = lastHop(unwrap(geometry, gwKey, forwardedPacket(atMix)));
    assert.deepEqual(back.commands, [recipient(alice.mailboxId), surbReply(surbId)]);
    assert.equal(await f.delivery.deliver(back), true);
    const [ack] = await fetch(handlerOf(f), alice);
    assert.equal(ack.kind, 'surb-reply');
    assert.deepEqual(ack.surbId, surbId);
    assert.ok(surbReplyDigestMatches(ack.digest!, surbAckPayload(geometry, surbKeys)));

    const s = f.delivery.stats();
    assert.equal(s.deposits, 2);
    assert.equal(s.surbReplies, 1);
    assert.equal(s.acksSent, 1);
    assert.deepEqual(s.drops, noDrops());
  });

  it('a packet without a SURB is stored and sends nothing', async () => {
    const f = await setup();
    const bob = await client(f, 2);
    const exit = atExit(bob.mailboxId, encodeClientPayload(geometry, { surb: null, userPayload: user(7) }));
    assert.equal(await f.delivery.deliver(exit), true);
    assert.equal(f.forwarded.length, 0);
    assert.equal(f.delivery.stats().acksSent, 0);
    assert.deepEqual((await fetch(handlerOf(f), bob))[0].body, user(7));
  });

  it('sends no ACK when the deposit fails (quota, unknown recipient)', async () => {
    const f = await setup({ maxMessagesPerMailbox: 1 });
    const alice = await client(f, 1);
    const bob = await client(f, 2);
    const packet = (marker: number, to: Uint8Array) => {
      const { surb } = ackSurb(alice.mailboxId, new Uint8Array(16).fill(marker));
      return atExit(to, encodeClientPayload(geometry, { surb, userPayload: user(marker) }));
    };
    const first = packet(1, bob.mailboxId);
    const second = packet(2, bob.mailboxId);
    const stranger = packet(3, new Uint8Array(32).fill(0x77));
    assert.equal(await f.delivery.deliver(first), true);
    assert.equal(await f.delivery.deliver(second), false);
    assert.equal(await f.delivery.deliver(stranger), false);
    assert.equal(f.forwarded.length, 1, 'only the stored packet is acknowledged');
    const s = f.delivery.stats();
    assert.equal(s.acksSent, 1);
    assert.equal(s.drops['over-quota-messages'], 1);
    assert.equal(s.drops['unknown-recipient'], 1);
    assert.deepEqual(f.reported, ['over-quota-messages', 'unknown-recipient']);
  });

  it('discards drop cover as cover, not as a drop, and stores nothing; acknowledges a decoy (drop recipient with a SURB-ACK) like a message', async () => {
    const f = await setup();
    const alice = await client(f, 1);
    const { surb } = ackSurb(alice.mailboxId, new Uint8Array(16).fill(9));
    const cover = atExit(DROP_RECIPIENT, encodeClientPayload(geometry, { surb: null, userPayload: user(0) }));
    const decoy = atExit(DROP_RECIPIENT, encodeClientPayload(geometry, { surb, userPayload: user(0) }));
    const garbagePayload = crypto.getRandomValues(new Uint8Array(geometry.forwardPayloadLength));
    garbagePayload[0] = 0x03; // the SURB flag bit, with an unknown flag: malformed, not a decoy
    const garbage = atExit(DROP_RECIPIENT, garbagePayload);
    for (const p of [cover, decoy, garbage]) assert.equal(await f.delivery.deliver(p), true);
    const s = f.delivery.stats();
    assert.equal(s.coverDropped, 3);
    assert.equal(s.deposits, 0);
    assert.equal(s.acksSent, 1);
    assert.deepEqual(s.drops, noDrops());
    assert.equal(f.forwarded.length, 1, 'only the decoy is acknowledged; drop cover and malformed cover never are');
    assert.deepEqual(f.forwarded[0].nodeId, mixId, 'the ACK goes to the SURB’s first hop');
    assert.equal(f.mailboxes.stats().messages, 0);
  });

  it('counts a forward payload that is not a client payload, and stores nothing', async () => {
    const f = await setup();
    const bob = await client(f, 2);
    for (const [offset, value] of [
      [0, 0x02],
      [0, 0x81],
      [1, 0x01],
    ] as const) {
      const payload = encodeClientPayload(geometry, { surb: null, userPayload: user(5) });
      payload[offset] = value;
      const p = atExit(bob.mailboxId, payload);
      assert.equal(await f.delivery.deliver(p), false);
    }
    assert.equal(f.delivery.stats().drops['malformed-payload'], 3);
    assert.deepEqual(f.reported, ['malformed-payload', 'malformed-payload', 'malformed-payload']);
    assert.equal(f.mailboxes.stats().messages, 0);
  });

  it('counts an ACK that cannot be sent, by reason, but keeps the message (never throws)', async () => {
    const f = await setup();
    const alice = await client(f, 1);
    const bob = await client(f, 2);
    const expected: Record<Exclude<ForwardOutcome, 'sent'>, DeliveryDropReason> = { unknown: 'ack-unknown-hop', 'queue-full': 'ack-queue-full', throw: 'ack-send-error' };
    for (const [outcome, reason] of Object.entries(expected) as Array<[ForwardOutcome, DeliveryDropReason]>) {
      f.outcome = outcome;
      const { surb } = ackSurb(alice.mailboxId, new Uint8Array(16).fill(1));
      const p = atExit(bob.mailboxId, encodeClientPayload(geometry, { surb, userPayload: user(1) }));
      assert.equal(await f.delivery.deliver(p), true, outcome);
      assert.equal(f.delivery.stats().drops[reason], 1, reason);
    }
    assert.equal(f.delivery.stats().acksSent, 0);
    assert.equal(f.mailboxes.stats().messages, 3);
  });

  it('keeps SURB replies fetchable with their SURB ids across a gateway restart', async () => {
    const f = await setup();
    const alice = await client(f, 1);
    const ids = [new Uint8Array(16).fill(0xa1), new Uint8Array(16).fill(0xa2)];
    const keys: Uint8Array[] = [];
    for (const [i, surbId] of ids.entries()) {
      const { surb, surbKeys } = ackSurb(alice.mailboxId, surbId);
      keys.push(surbKeys);
      const reply = newPacketFromSURB(geometry, surb, new Uint8Array(geometry.forwardPayloadLength).fill(0x30 + i)).packet;
      const back = lastHop(unwrap(geometry, gwKey, forwardedPacket(unwrap(geometry, mixKey, reply))));
      assert.equal(await f.delivery.deliver(back), true);
    }
    const msg = atExit(alice.mailboxId, encodeClientPayload(geometry, { surb: null, userPayload: user(0x99) }));
    assert.equal(await f.delivery.deliver(msg), true);
    await f.mailboxes.close();
    await f.registry.close();

    const reopened = await openStores(f.dir);
    cleanups.push(() => reopened.mailboxes.close());
    cleanups.push(() => reopened.registry.close());
    const entries = await fetch(handlerOf(reopened), alice);
    assert.deepEqual(
      entries.map((e) => [e.kind, e.surbId && toHex(e.surbId)]),
      [
        ['surb-reply', toHex(ids[0])],
        ['surb-reply', toHex(ids[1])],
        ['message', null],
      ],
    );
    assert.ok(surbReplyDigestMatches(entries[0].digest!, surbReplyPayloadFor(geometry, keys[0], new Uint8Array(geometry.forwardPayloadLength).fill(0x30))));
    assert.ok(surbReplyDigestMatches(entries[1].digest!, surbReplyPayloadFor(geometry, keys[1], new Uint8Array(geometry.forwardPayloadLength).fill(0x31))));
    assert.deepEqual(entries[2].body, user(0x99));
  });

  it('with a delivery id: the public mailbox id reaches only the contact-request allowance (messages and SURB replies); the delivery id reaches the mailbox', async () => {
    const f = await setup({ maxTotalBytes: 1 << 20 });
    const bob = await client(f, 7);
    const deliveryId = new Uint8Array(32).fill(0xd1);
    await f.registry.register(Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(7)).publicKey, T0, deliveryId);
    const delivery = new MailboxDelivery({
      mailboxes: f.mailboxes,
      registry: f.registry,
      clock: new ManualClock(T0),
      geometry,
      maxBodyLength: BODY,
      requestAllowance: { messages: 2, bytes: 1 << 20 },
      forward: () => 'sent',
    });
    const toM = atExit(bob.mailboxId, encodeClientPayload(geometry, { surb: null, userPayload: user(0x4d) }));
    const toD = atExit(deliveryId, encodeClientPayload(geometry, { surb: null, userPayload: user(0xdd) }));
    const replyToM = atExit(bob.mailboxId, new Uint8Array(geometry.forwardPayloadLength), [surbReply(new Uint8Array(16).fill(1))]);
    assert.equal(await delivery.deliver(toM), true);
    assert.equal(await delivery.deliver(replyToM), true);
    assert.equal(await delivery.deliver(toM), false, 'the allowance (2) is full');
    assert.equal(await delivery.deliver(replyToM), false, 'a SURB reply to M is no way around it');
    for (let i = 0; i < 5; i++) assert.equal(await delivery.deliver(toD), true);
    assert.equal(delivery.stats().drops['request-allowance-full'], 2);
    const entries = await fetch(handlerOf(f), bob);
    // 4 message slots: a quarter for contact requests while main mail waits (the SURB reply takes an ACK slot).
    assert.deepEqual(
      entries.filter((e) => e.kind === 'message').map((e) => [e.via, e.kind]),
      [
        ['address', 'message'],
        ['delivery', 'message'],
        ['delivery', 'message'],
        ['delivery', 'message'],
      ],
    );
    assert.deepEqual(f.mailboxes.usageOf(bob.mailboxId).messages, 5, 'the main lane holds what came through D');
  });
});

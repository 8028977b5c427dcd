// The exit's name service (node/gateway/name-service.ts, docs/gateway.md
// §Short handles): a lookup addressed to NAME_SERVICE_RECIPIENT is answered
// through the SURB it carries and nothing is stored. Real SURBs on a small
// geometry: each answer crosses a mix back to the asker's gateway and is
// decrypted with the SURB's keys, as the asker's client would.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import {
  decryptSURBPayload,
  delay,
  geometryFromUserForwardPayloadLength,
  newPacket,
  newSURB,
  recipient,
  surbReply,
  unwrap,
  type LastHop,
  type RoutingCommand,
} from '../../../protocol/sphinx/index.js';
import { encodeClientPayload } from '../../../protocol/wire/client-payload.js';
import { fetchEntryBodyLength } from '../../../protocol/wire/fetch.js';
import { decodeLookupAnswer, encodeHandleRecord, encodeLookupRequest, NAME_SERVICE_RECIPIENT, verifyHandleRecord, type HandleRecord, type LookupAnswer } from '../../../protocol/wire/handle.js';
import { ClientRegistry } from '../../../node/gateway/client-registry.js';
import { HandleRegistry } from '../../../node/gateway/handle-registry.js';
import { DELIVERY_DROP_REASONS, MailboxDelivery, type DeliveryDropReason } from '../../../node/gateway/mailbox-delivery.js';
import { MailboxStore } from '../../../node/store/mailbox-store.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { handleOwner, handleRecordOf } from '../../helpers/handle-fixtures.js';
import { forwardedPacket, lastHop } from '../../helpers/sphinx-fixtures.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 3, userForwardPayloadLength: 64, withSURB: true });
const T0 = 1_700_000_000_000;

// This gateway (the name's host, the lookup's last hop), a mix, and the asker's gateway.
const gwId = new Uint8Array(32).fill(0x12);
const gwKey = X25519PrivateKey.fromBytes(new Uint8Array(32).fill(0x22));
const mixId = new Uint8Array(32).fill(0x11);
const mixKey = X25519PrivateKey.fromBytes(new Uint8Array(32).fill(0x21));
const askerGwId = new Uint8Array(32).fill(0x13);
const askerGwKey = X25519PrivateKey.fromBytes(new Uint8Array(32).fill(0x23));
const ASKER_MAILBOX = new Uint8Array(32).fill(0xaa);

type ForwardOutcome = 'sent' | 'unknown' | 'queue-full' | 'throw';

interface Fixture {
  mailboxes: MailboxStore;
  handles: HandleRegistry;
  delivery: MailboxDelivery;
  forwarded: Array<{ nodeId: Uint8Array; packet: Uint8Array }>;
  reported: DeliveryDropReason[];
  outcome: ForwardOutcome;
}

function noDrops(): Record<DeliveryDropReason, number> {
  return Object.fromEntries(DELIVERY_DROP_REASONS.map((r) => [r, 0])) as Record<DeliveryDropReason, number>;
}

/** A SURB back to the asker: the mix, then the asker's gateway, as a SURB reply into its mailbox. */
function askerSurb(surbId = crypto.getRandomValues(new Uint8Array(16))): { surb: Uint8Array; surbKeys: Uint8Array; surbId: Uint8Array } {
  const { surb, surbKeys } = newSURB(geometry, [
    { id: mixId, publicKey: mixKey.publicKey, commands: [delay(0)] },
    { id: askerGwId, publicKey: askerGwKey.publicKey, commands: [recipient(ASKER_MAILBOX), surbReply(surbId)] },
  ]);
  return { surb, surbKeys, surbId };
}

/** What this gateway's unwrap hands to onFinalHop for a packet to `to` carrying `payload`. */
function atExit(to: Uint8Array, payload: Uint8Array, extra: RoutingCommand[] = []): LastHop {
  return lastHop(unwrap(geometry, gwKey, newPacket(geometry, [{ id: gwId, publicKey: gwKey.publicKey, commands: [recipient(to), ...extra] }], payload)));
}

/** A lookup of `name` with `surb` (or none). */
function lookup(userPayload: Uint8Array, surb: Uint8Array | null): LastHop {
  return atExit(NAME_SERVICE_RECIPIENT, encodeClientPayload(geometry, { surb, userPayload }));
}

/** The answer that left through the SURB: across the mix to the asker's gateway, decrypted with the SURB's keys. */
function answerOf(f: Fixture, index: number, surbKeys: Uint8Array, surbId: Uint8Array): LookupAnswer {
  const sent = f.forwarded[index];
  assert.deepEqual(sent.nodeId, mixId, 'sent to the SURB’s first hop');
  assert.equal(sent.packet.length, geometry.packetLength);
  const back = lastHop(unwrap(geometry, askerGwKey, forwardedPacket(unwrap(geometry, mixKey, sent.packet))));
  assert.equal(back.kind, 'surb-reply');
  assert.deepEqual(back.commands, [recipient(ASKER_MAILBOX), surbReply(surbId)]);
  return decodeLookupAnswer(decryptSURBPayload(geometry, back.payload, surbKeys));
}

describe('node/gateway/name-service (through MailboxDelivery, real SURBs)', function () {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  const bob = handleOwner('bob', gwId);
  let bobRecord: HandleRecord;

  async function setup(withHandles = true): Promise<Fixture> {
    const dir = await mkdtemp(join(tmpdir(), 'chaff-names-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const mailboxes = await MailboxStore.open(join(dir, 'mailbox'));
    cleanups.push(() => mailboxes.close());
    const registry = await ClientRegistry.open(join(dir, 'clients'));
    cleanups.push(() => registry.close());
    const handles = await HandleRegistry.open(join(dir, 'handles'));
    cleanups.push(() => handles.close());
    await registry.register(bob.clientKey, T0);
    bobRecord = handleRecordOf(bob, 'bob');
    await handles.claim(bob.clientKey, bobRecord);
    const f = { mailboxes, handles, forwarded: [], reported: [], outcome: 'sent' } as unknown as Fixture;
    f.delivery = new MailboxDelivery({
      mailboxes,
      registry,
      clock: new ManualClock(T0),
      geometry,
      maxBodyLength: fetchEntryBodyLength(geometry),
      forward: (nodeId, packet) => {
        if (f.outcome === 'throw') throw new Error('link gone');
        if (f.outcome === 'sent') f.forwarded.push({ nodeId, packet });
        return f.outcome;
      },
      ...(withHandles ? { lookupHandle: (name: string) => handles.recordOf(name) } : {}),
      onDrop: (reason) => f.reported.push(reason),
    });
    return f;
  }

  it('answers a lookup of a hosted name with its record, through the SURB, and stores nothing', async () => {
    const f = await setup();
    const surbId = crypto.getRandomValues(new Uint8Array(16));
    const { surb, surbKeys } = askerSurb(surbId);
    assert.equal(await f.delivery.deliver(lookup(encodeLookupRequest('bob', geometry.userForwardPayloadLength), surb)), true);
    assert.equal(f.forwarded.length, 1);
    const answer = answerOf(f, 0, surbKeys, surbId);
    assert.equal(answer.status, 'found');
    assert.ok(answer.status === 'found');
    assert.deepEqual(encodeHandleRecord(answer.record), encodeHandleRecord(bobRecord));
    verifyHandleRecord(answer.record, { name: 'bob', gateway: gwId }); // what the asker's client checks
    const s = f.delivery.stats();
    assert.deepEqual(s.lookups, { lookups: 1, found: 1, notFound: 0, badRequest: 0, answersSent: 1 });
    assert.equal(s.deposits, 0);
    assert.equal(s.acksSent, 0, 'the answer is not counted as a SURB-ACK');
    assert.deepEqual(s.drops, noDrops(), 'in particular not unknown-recipient');
    assert.equal(f.mailboxes.stats().messages, 0);
  });

  it('answers not found with the name asked, and a request that does not decode with bad-request', async () => {
    const f = await setup();
    const first = askerSurb();
    assert.equal(await f.delivery.deliver(lookup(encodeLookupRequest('carol', geometry.userForwardPayloadLength), first.surb)), true);
    const garbage = new Uint8Array(geometry.userForwardPayloadLength).fill(0x7f);
    const second = askerSurb();
    assert.equal(await f.delivery.deliver(lookup(garbage, second.surb)), true);
    const upper = encodeLookupRequest('bob', geometry.userForwardPayloadLength);
    upper.set(new TextEncoder().encode('BOB'), 3); // names travel in canonical form
    const third = askerSurb();
    assert.equal(await f.delivery.deliver(lookup(upper, third.surb)), true);

    assert.deepEqual(answerOf(f, 0, first.surbKeys, first.surbId), { status: 'not-found', name: 'carol' });
    assert.deepEqual(answerOf(f, 1, second.surbKeys, second.surbId), { status: 'bad-request' });
    assert.deepEqual(answerOf(f, 2, third.surbKeys, third.surbId), { status: 'bad-request' });
    assert.deepEqual(f.delivery.stats().lookups, { lookups: 3, found: 0, notFound: 1, badRequest: 2, answersSent: 3 });
    assert.deepEqual(f.delivery.stats().drops, noDrops());
  });

  it('without a handle registry, answers every lookup not found', async () => {
    const f = await setup(false);
    const { surb, surbKeys, surbId } = askerSurb();
    assert.equal(await f.delivery.deliver(lookup(encodeLookupRequest('bob', geometry.userForwardPayloadLength), surb)), true);
    assert.deepEqual(answerOf(f, 0, surbKeys, surbId), { status: 'not-found', name: 'bob' });
  });

  it('drops and counts a lookup without a SURB, with a malformed client payload, or arriving as a SURB reply; sends nothing', async () => {
    const f = await setup();
    const request = encodeLookupRequest('bob', geometry.userForwardPayloadLength);
    assert.equal(await f.delivery.deliver(lookup(request, null)), false);
    const bad = encodeClientPayload(geometry, { surb: askerSurb().surb, userPayload: request });
    bad[1] = 1; // the reserved byte
    assert.equal(await f.delivery.deliver(atExit(NAME_SERVICE_RECIPIENT, bad)), false);
    const asReply = atExit(NAME_SERVICE_RECIPIENT, encodeClientPayload(geometry, { surb: askerSurb().surb, userPayload: request }), [surbReply(new Uint8Array(16))]);
    assert.equal(await f.delivery.deliver(asReply), false);
    assert.equal(f.forwarded.length, 0);
    const s = f.delivery.stats();
    assert.deepEqual(s.drops, { ...noDrops(), 'lookup-no-surb': 1, 'lookup-malformed-payload': 1, 'lookup-not-forward': 1 });
    assert.deepEqual(f.reported, ['lookup-no-surb', 'lookup-malformed-payload', 'lookup-not-forward']);
    assert.deepEqual(s.lookups, { lookups: 3, found: 0, notFound: 0, badRequest: 0, answersSent: 0 });
    assert.equal(f.mailboxes.stats().messages, 0);
  });

  it('counts an answer that cannot be sent, by reason, and still takes the lookup (never throws)', async () => {
    const f = await setup();
    const expected: Record<Exclude<ForwardOutcome, 'sent'>, DeliveryDropReason> = { unknown: 'answer-unknown-hop', 'queue-full': 'answer-queue-full', throw: 'answer-send-error' };
    for (const [outcome, reason] of Object.entries(expected) as Array<[ForwardOutcome, DeliveryDropReason]>) {
      f.outcome = outcome;
      assert.equal(await f.delivery.deliver(lookup(encodeLookupRequest('bob', geometry.userForwardPayloadLength), askerSurb().surb)), true, outcome);
      assert.equal(f.delivery.stats().drops[reason], 1, reason);
    }
    assert.deepEqual(f.delivery.stats().lookups, { lookups: 3, found: 3, notFound: 0, badRequest: 0, answersSent: 0 });
  });
});

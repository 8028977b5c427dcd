// The handle lookups (client/handles/handle-lookups.ts) with the packet
// scheduler that sends them: a queued lookup takes the next payload slot,
// ahead of prepared envelopes, and adds no packet; it is sent again after a
// timeout computed as a real fragment's and gives up after maxAttempts;
// an unknown gateway is refused at once; at most maxPending run. Real
// Sphinx packets on the in-memory network of lookup-rig.ts.

import assert from 'node:assert/strict';
import { ClientError } from '../../../client/api.js';
import { retransmitTimeoutMs } from '../../../client/sender/round-trip.js';
import { toHex } from '../../../protocol/bytes.js';
import { encodeAddress } from '../../../protocol/e2ee/address.js';
import { decodeLookupRequest, NAME_SERVICE_RECIPIENT } from '../../../protocol/wire/handle.js';
import { GATEWAY_B } from '../daemon/fake-network.js';
import { FETCH_INTERVAL_MS, handleOwner, LookupRig, outcome, settle, SLACK_MS } from './lookup-rig.js';

const BOB = handleOwner('bob', GATEWAY_B);
const bobAt = { name: 'bob', gateway: 'gateway-b' };

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

describe('client/handles/handle-lookups', function () {
  let rig: LookupRig;

  beforeEach(async () => {
    rig = await new LookupRig({ maxAttempts: 3 }).connect();
    rig.serve(GATEWAY_B, 'bob', BOB.record('bob'));
  });

  afterEach(async () => {
    await rig.lookups.stop();
  });

  it('a queued lookup takes the next payload slot, ahead of a prepared envelope, and adds no packet', async () => {
    rig.prepare('fragment-1');
    const looked = outcome(rig.lookups.resolve(bobAt));
    assert.equal(rig.link.routed.length, 0, 'queuing a lookup sends nothing by itself');

    rig.slot();
    assert.equal(rig.link.routed.length, 1, 'one payload event, one packet');
    const [lookup] = rig.link.routed;
    assert.equal(lookup.to, 'names');
    assert.equal(toHex(lookup.exit), toHex(GATEWAY_B.nodeId), 'to the named gateway');
    assert.equal(toHex(lookup.recipient), toHex(NAME_SERVICE_RECIPIENT));
    assert.deepEqual(decodeLookupRequest(lookup.userPayload), { name: 'bob' });
    assert.ok(lookup.ack, 'with a SURB for the answer');
    assert.equal(rig.prepared.length, 1, 'the envelope waits one slot');
    assert.equal(rig.touched.join(', '), '', 'the lookup touched neither the ARQ nor the messenger');

    rig.slot();
    assert.equal(rig.link.routed.length, 2);
    assert.equal(rig.link.routed[1].to, 'other', 'the next slot sends the envelope');
    assert.ok(rig.touched.includes('arq.sent fragment-1'));

    await rig.poll();
    await settle();
    assert.ok(looked.settled(), 'the answer came back');
    assert.equal(encodeAddress(looked.value()!), encodeAddress(BOB.address));
  });

  it('the answer resolves the lookup; its SURB keys are wiped', async () => {
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    assert.equal(rig.sentKeys.length, 1);
    assert.ok(!isZero(rig.sentKeys[0]), 'keys held while the lookup is pending');
    await rig.poll();
    assert.equal(encodeAddress(await looked.promise), encodeAddress(BOB.address));
    assert.ok(isZero(rig.sentKeys[0]), 'wiped once it ended');
    assert.deepEqual(rig.lookups.stats(), { pending: 0, sent: 1, timeouts: 0, resolved: 1, failed: 0, refused: 0, ignored: 0 });
    rig.slot();
    assert.equal(rig.link.routed.at(-1)!.to, 'drop', 'nothing pending: the next slot is a decoy');
  });

  it('without an answer in time it is sent again (timeout as a real fragment’s), then gives up after maxAttempts', async () => {
    rig.link.answerLookup = () => null; // the name service never answers
    const looked = outcome(rig.lookups.resolve(bobAt));
    for (let attempt = 1; attempt <= 3; attempt++) {
      rig.slot();
      const sent = rig.lookupsRouted();
      assert.equal(sent.length, attempt, `try ${attempt} went out`);
      const last = sent.at(-1)!;
      const expected = retransmitTimeoutMs({ layers: 3, fetchIntervalMs: FETCH_INTERVAL_MS, forwardDelayMs: last.forwardDelayMs, ackDelayMs: last.ack!.delayMs, slackMs: SLACK_MS, attempt });
      assert.equal(rig.timeouts.at(-1), expected, `try ${attempt}'s timeout is a real fragment's`);
      // Not before the timeout: the slot sends a decoy.
      rig.clock.advance(expected - 1);
      rig.slot();
      assert.equal(rig.lookupsRouted().length, attempt, 'not sent again before its timeout');
      assert.equal(rig.link.routed.at(-1)!.to, 'drop');
      rig.clock.advance(1);
      await settle();
    }
    assert.ok(looked.settled(), 'given up after the third try');
    const err = looked.error();
    assert.ok(err instanceof ClientError && err.code === 'unavailable', String(err));
    assert.equal((err as Error).message, 'no answer from gateway-b for bob after 3 tries');
    assert.ok(rig.sentKeys.every(isZero), "every try's SURB keys wiped");
    rig.slot();
    assert.equal(rig.lookupsRouted().length, 3, 'no fourth try');
    assert.deepEqual(rig.lookups.stats(), { pending: 0, sent: 3, timeouts: 3, resolved: 0, failed: 1, refused: 0, ignored: 0 });
  });

  it('a late answer to an earlier try still resolves the lookup', async () => {
    let answering = true;
    rig.link.answerLookup = (_gw, name) => (answering ? { status: 'found', record: BOB.record(name) } : null);
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot(); // try 1: answered, but the answer is not fetched before the timeout
    rig.clock.advance(rig.timeouts[0]);
    answering = false;
    rig.slot(); // try 2: no answer
    assert.equal(rig.lookupsRouted().length, 2);
    assert.ok(!looked.settled());
    await rig.poll(); // try 1's answer
    assert.equal(encodeAddress(await looked.promise), encodeAddress(BOB.address));
    assert.ok(rig.sentKeys.every(isZero), "both tries' keys wiped");
  });

  it('an unknown gateway is refused at once, naming the gateways the document lists', async () => {
    await assert.rejects(
      rig.lookups.resolve({ name: 'bob', gateway: 'gateway-z' }),
      (err: unknown) => err instanceof ClientError && err.code === 'bad-address' && /no gateway named "gateway-z".*it lists "gateway-a", "gateway-b"/.test(err.message),
    );
    rig.slot();
    assert.equal(rig.lookupsRouted().length, 0, 'nothing was queued');
  });

  it('a link that refuses the packet keeps the lookup for the next slot, its tries untouched', async () => {
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.link.up = false;
    rig.slot();
    assert.equal(rig.lookupsRouted().length, 0);
    rig.link.up = true;
    rig.slot();
    assert.equal(rig.lookupsRouted().length, 1);
    await rig.poll();
    assert.equal(encodeAddress(await looked.promise), encodeAddress(BOB.address));
    assert.equal(rig.lookups.stats().sent, 1);
  });

  it('is bounded: at most maxPending lookups; the same handle twice is one lookup', async () => {
    const small = await new LookupRig({ maxPending: 2 }).connect();
    try {
      const a = outcome(small.lookups.resolve(bobAt));
      const again = outcome(small.lookups.resolve({ ...bobAt }));
      const c = outcome(small.lookups.resolve({ name: 'carol', gateway: 'gateway-b' }));
      await assert.rejects(
        small.lookups.resolve({ name: 'dave', gateway: 'gateway-b' }),
        (err: unknown) => err instanceof ClientError && err.code === 'unavailable' && /2 handle lookups are under way already/.test(err.message),
      );
      assert.equal(small.lookups.stats().pending, 2);
      small.slot();
      small.slot();
      small.slot();
      assert.equal(small.lookupsRouted().length, 2, 'bob once, carol once');
      await small.poll();
      await settle();
      assert.ok(a.settled() && again.settled() && c.settled());
      assert.equal(a.promise, again.promise, 'the second ask joined the first');
      assert.ok(c.error() instanceof ClientError && (c.error() as ClientError).code === 'not-found');
      assert.equal(small.lookups.stats().pending, 0);
      // A slot freed: another lookup is taken.
      const d = outcome(small.lookups.resolve({ name: 'dave', gateway: 'gateway-b' }));
      assert.equal(small.lookups.stats().pending, 1);
      await small.lookups.stop();
      await settle();
      assert.ok(d.error() instanceof ClientError && /stopping/.test((d.error() as Error).message));
    } finally {
      await small.lookups.stop();
    }
  });

  it('stop() rejects what is pending and wipes its keys', async () => {
    rig.link.answerLookup = () => null;
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.lookups.stop();
    await settle();
    assert.ok(looked.error() instanceof ClientError && (looked.error() as ClientError).code === 'unavailable');
    assert.ok(rig.sentKeys.every(isZero));
    await assert.rejects(rig.lookups.resolve(bobAt), /stopping/);
  });
});

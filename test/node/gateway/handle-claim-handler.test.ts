// The claim RPC's checks (node/gateway/handle-claim-handler.ts, docs/gateway.md
// §Short handles): decodes, registered, the record verifies for this gateway
// and is the caller's, the caller's budget of claims has a token left, the
// name is free. Real client and handle registries; the budget on a
// ManualClock.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHandleClaimReply, encodeHandleClaimRequest, encodeHandleRecord, type HandleClaimReply, type HandleRecord } from '../../../protocol/wire/handle.js';
import { ClientRegistry } from '../../../node/gateway/client-registry.js';
import { HandleClaimHandler, HandleClaimRefusedError, HANDLE_CLAIM_OUTCOMES, type HandleClaimOutcome } from '../../../node/gateway/handle-claim-handler.js';
import { HandleClaimBudget } from '../../../node/gateway/handle-claim-budget.js';
import { HandleRegistry } from '../../../node/gateway/handle-registry.js';
import { handleOwner, handleRecordOf, type HandleOwner } from '../../helpers/handle-fixtures.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const GATEWAY = new Uint8Array(32).fill(0xb0);
const OTHER_GATEWAY = new Uint8Array(32).fill(0xc0);

interface Fixture {
  handler: HandleClaimHandler;
  handles: HandleRegistry;
  registry: ClientRegistry;
  refused: HandleClaimOutcome[];
}

function outcomes(counts: Partial<Record<HandleClaimOutcome, number>>): Record<HandleClaimOutcome, number> {
  return { ...(Object.fromEntries(HANDLE_CLAIM_OUTCOMES.map((o) => [o, 0])) as Record<HandleClaimOutcome, number>), ...counts };
}

describe('node/gateway/handle-claim-handler (real LevelDB)', () => {
  let dir: string;
  let f: Fixture;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-claims-'));
    const handles = await HandleRegistry.open(join(dir, 'handles'));
    const registry = await ClientRegistry.open(join(dir, 'clients'));
    const refused: HandleClaimOutcome[] = [];
    const handler = new HandleClaimHandler({ handles, registry, gatewayId: () => GATEWAY, onRefuse: (o) => refused.push(o) });
    f = { handler, handles, registry, refused };
  });
  afterEach(async () => {
    await f.handles.close();
    await f.registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  const alice = handleOwner('alice', GATEWAY);
  const mallory = handleOwner('mallory', GATEWAY);

  async function registered(...owners: HandleOwner[]): Promise<void> {
    for (const o of owners) await f.registry.register(o.clientKey, 0);
  }

  async function claim(caller: HandleOwner | null, record: HandleRecord): Promise<HandleClaimReply> {
    return decodeHandleClaimReply(await f.handler.handle(encodeHandleClaimRequest({ op: 'claim', record }), caller?.clientKey ?? null));
  }

  it('gives a registered client its name, and a new name in place of the old', async () => {
    await registered(alice);
    assert.deepEqual(await claim(alice, handleRecordOf(alice, 'bob')), { status: 'ok', name: 'bob' });
    assert.deepEqual(f.handles.lookup('bob'), encodeHandleRecord(handleRecordOf(alice, 'bob')));
    assert.deepEqual(await claim(alice, handleRecordOf(alice, 'alice')), { status: 'ok', name: 'alice' });
    assert.equal(f.handles.lookup('bob'), null);
    assert.deepEqual(decodeHandleClaimReply(await f.handler.handle(encodeHandleClaimRequest({ op: 'release' }), alice.clientKey)), { status: 'ok', name: '' });
    assert.equal(f.handles.size, 0);
    assert.deepEqual(f.handler.stats(), { held: 0, corruptEntries: 0, outcomes: outcomes({ ok: 2, released: 1 }) });
    assert.deepEqual(f.refused, []);
  });

  it('tells a caller that is not a registered client so, before looking at its record', async () => {
    assert.deepEqual(await claim(alice, handleRecordOf(alice, 'bob')), { status: 'not-registered', name: '' });
    assert.deepEqual(await claim(null, handleRecordOf(alice, 'bob')), { status: 'not-registered', name: '' }, 'a peer without an Ed25519 key');
    const forged = encodeHandleClaimRequest({ op: 'claim', record: handleRecordOf(alice, 'bob') });
    forged[2 + 2 + 3 + 40] ^= 1; // inside the address: its signature fails
    assert.deepEqual(decodeHandleClaimReply(await f.handler.handle(forged, alice.clientKey)), { status: 'not-registered', name: '' });
    assert.deepEqual(decodeHandleClaimReply(await f.handler.handle(encodeHandleClaimRequest({ op: 'release' }), alice.clientKey)), { status: 'not-registered', name: '' });
    assert.equal(f.handles.size, 0);
    assert.deepEqual(f.handler.stats().outcomes, outcomes({ 'not-registered': 4 }));
    assert.deepEqual(f.refused, ['not-registered', 'not-registered', 'not-registered', 'not-registered']);
  });

  it('refuses as invalid a record for another gateway, for another client’s mailbox, or with a forged signature', async () => {
    await registered(alice, mallory);
    await claim(mallory, handleRecordOf(mallory, 'mallory'));
    const elsewhere = handleOwner('mallory', OTHER_GATEWAY);
    assert.deepEqual(await claim(mallory, handleRecordOf(elsewhere, 'm')), { status: 'invalid', name: 'mallory' }, 'another gateway');
    // Alice's own, valid record, presented by mallory: its mailbox proof's key is not the caller's.
    assert.deepEqual(await claim(mallory, handleRecordOf(alice, 'bob')), { status: 'invalid', name: 'mallory' }, 'another client’s record');
    const badSignature = handleRecordOf(mallory, 'bob');
    badSignature.signature = Uint8Array.from(badSignature.signature);
    badSignature.signature[5] ^= 1;
    assert.deepEqual(await claim(mallory, badSignature), { status: 'invalid', name: 'mallory' }, 'the record’s signature');
    const badProof = handleRecordOf(mallory, 'bob');
    badProof.mailboxProof = Uint8Array.from(badProof.mailboxProof);
    badProof.mailboxProof[40] ^= 1;
    assert.deepEqual(await claim(mallory, badProof), { status: 'invalid', name: 'mallory' }, 'the mailbox proof');
    const badAddress = encodeHandleClaimRequest({ op: 'claim', record: handleRecordOf(mallory, 'bob') });
    badAddress[2 + 2 + 3 + 40] ^= 1;
    assert.deepEqual(decodeHandleClaimReply(await f.handler.handle(badAddress, mallory.clientKey)), { status: 'invalid', name: 'mallory' }, 'the address’s signature');
    assert.equal(f.handles.lookup('bob'), null);
    assert.equal(f.handles.nameOf(mallory.clientKey), 'mallory', 'a refused claim leaves the caller’s name alone');
    assert.deepEqual(f.handler.stats().outcomes, outcomes({ ok: 1, invalid: 5 }));
    assert.deepEqual(f.refused, ['invalid', 'invalid', 'invalid', 'invalid', 'invalid']);
  });

  it('tells the second client that a name is taken', async () => {
    await registered(alice, mallory);
    assert.equal((await claim(alice, handleRecordOf(alice, 'bob'))).status, 'ok');
    assert.deepEqual(await claim(mallory, handleRecordOf(mallory, 'bob')), { status: 'taken', name: '' });
    assert.deepEqual(f.handles.recordOf('bob')?.address.mailbox, alice.mailboxId);
    assert.deepEqual(f.handler.stats().outcomes, outcomes({ ok: 1, taken: 1 }));
    assert.deepEqual(f.refused, ['taken']);
  });

  it('refuses a request that is not a claim request, and a registry that cannot write', async () => {
    await registered(alice);
    for (const body of [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(2, 2), Uint8Array.of(1, 9), Uint8Array.of(1, 2, 0), Uint8Array.of(1, 1, 1, 2, 3)]) {
      await assert.rejects(f.handler.handle(body, alice.clientKey), (err: unknown) => err instanceof HandleClaimRefusedError && err.reason === 'malformed');
    }
    await f.handles.close();
    await assert.rejects(
      f.handler.handle(encodeHandleClaimRequest({ op: 'claim', record: handleRecordOf(alice, 'bob') }), alice.clientKey),
      (err: unknown) => err instanceof HandleClaimRefusedError && err.reason === 'store-error' && !/handles/.test(err.message),
    );
    assert.deepEqual(f.handler.stats().outcomes, outcomes({ malformed: 6, 'store-error': 1 }));
  });

  it('refuses claims and releases over the caller’s budget as rate-limited (counted, its first refusal marked), and takes one again once the bucket refills', async () => {
    await registered(alice, mallory);
    const clock = new ManualClock(1_700_000_000_000);
    const budget = new HandleClaimBudget({ perHour: 3, clock });
    const refused: HandleClaimOutcome[] = [];
    const handler = new HandleClaimHandler({ handles: f.handles, registry: f.registry, gatewayId: () => GATEWAY, budget, onRefuse: (o) => refused.push(o) });
    const send = async (caller: HandleOwner, request: Parameters<typeof encodeHandleClaimRequest>[0]) =>
      decodeHandleClaimReply(await handler.handle(encodeHandleClaimRequest(request), caller.clientKey));
    const rateLimited = (first: boolean) => (err: unknown) =>
      err instanceof HandleClaimRefusedError && err.reason === 'rate-limited' && err.firstInWindow === first && /too many handle claims/.test(err.message) && !/alice|bob/.test(err.message);

    // Alice alternates names: each claim would be a synced write. Three go through, the burst.
    assert.deepEqual(await send(alice, { op: 'claim', record: handleRecordOf(alice, 'bob') }), { status: 'ok', name: 'bob' });
    assert.deepEqual(await send(alice, { op: 'claim', record: handleRecordOf(alice, 'alice') }), { status: 'ok', name: 'alice' });
    assert.deepEqual(await send(alice, { op: 'release' }), { status: 'ok', name: '' });
    await assert.rejects(send(alice, { op: 'claim', record: handleRecordOf(alice, 'bob') }), rateLimited(true));
    await assert.rejects(send(alice, { op: 'claim', record: handleRecordOf(alice, 'alice') }), rateLimited(false));
    await assert.rejects(send(alice, { op: 'release' }), rateLimited(false), 'a release is charged too');
    assert.equal(f.handles.nameOf(alice.clientKey), null, 'nothing written over the budget');

    // What costs no write is not charged: a record that does not verify, a caller not registered here (who gets no bucket).
    const stranger = handleOwner('stranger', GATEWAY);
    assert.deepEqual(await send(alice, { op: 'claim', record: handleRecordOf(mallory, 'm') }), { status: 'invalid', name: '' });
    assert.deepEqual(await send(stranger, { op: 'claim', record: handleRecordOf(stranger, 's') }), { status: 'not-registered', name: '' });
    assert.deepEqual(await send(mallory, { op: 'claim', record: handleRecordOf(mallory, 'bob') }), { status: 'ok', name: 'bob' }, 'another client has its own budget');
    assert.equal(budget.size, 2, 'buckets for the two registered callers only');

    assert.deepEqual(handler.stats().outcomes, outcomes({ ok: 3, released: 1, 'rate-limited': 3, invalid: 1, 'not-registered': 1 }));
    assert.deepEqual(refused, ['rate-limited', 'rate-limited', 'rate-limited', 'invalid', 'not-registered']);

    // A third of an hour later one token is back (perHour = 3): one claim, then refused again, not reported again within the hour.
    clock.advance(20 * 60_000 + 1000);
    assert.deepEqual(await send(alice, { op: 'claim', record: handleRecordOf(alice, 'alice') }), { status: 'ok', name: 'alice' });
    await assert.rejects(send(alice, { op: 'claim', record: handleRecordOf(alice, 'carol') }), rateLimited(false));
    assert.equal(f.handles.nameOf(alice.clientKey), 'alice');
    assert.equal(handler.stats().outcomes['rate-limited'], 4);
  });
});

// The entry router's path for a handle lookup's answer
// (client/daemon/entry-router.ts → client/handles/handle-lookups.ts): a SURB
// reply whose SURB id is a pending lookup's has its body fetched from our
// gateway by message id, checked against the fetch's digest, opened with the
// SURB keys, decoded and verified; an answer that does not verify rejects
// the lookup; a SURB reply of anything else goes on as before. Real Sphinx
// replies on the in-memory network (test/client/handles/lookup-rig.ts).

import assert from 'node:assert/strict';
import { ClientError } from '../../../client/api.js';
import { toHex } from '../../../protocol/bytes.js';
import { encodeAddress } from '../../../protocol/e2ee/address.js';
import { HandleError, type HandleErrorCode } from '../../../protocol/wire/handle.js';
import { handleOwner, LookupRig, outcome, settle } from '../handles/lookup-rig.js';
import { GATEWAY_A, GATEWAY_B } from './fake-network.js';

const BOB = handleOwner('bob', GATEWAY_B);
const ALICE_AT_B = handleOwner('alice', GATEWAY_B);
const CAROL_AT_A = handleOwner('carol', GATEWAY_A);
const bobAt = { name: 'bob', gateway: 'gateway-b' };

const handleError = (code: HandleErrorCode) => (err: unknown) => err instanceof HandleError && err.code === code;

describe('client/daemon/entry-router: handle lookup answers', function () {
  let rig: LookupRig;

  beforeEach(async () => {
    rig = await new LookupRig().connect();
  });

  afterEach(async () => {
    await rig.lookups.stop();
  });

  it("a lookup's SURB reply: its body is fetched by message id, checked, opened and the record verified; then the entry is acknowledged", async () => {
    rig.serve(GATEWAY_B, 'bob', BOB.record('bob'));
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.poll();
    assert.equal(encodeAddress(await looked.promise), encodeAddress(BOB.address));
    assert.equal(rig.handled.length, 1, 'the answer was handled');
    const [entry] = rig.handled;
    assert.equal(entry.kind, 'surb-reply');
    assert.deepEqual(rig.link.bodyRequests, [entry.id], 'its body asked for by its message id');
    assert.equal(rig.touched.join(', '), '', 'neither the ARQ nor the messenger saw it');
    await rig.poll();
    assert.deepEqual(rig.link.fetches.at(-1)!.acks, [entry.id], 'acknowledged with the next fetch');
  });

  it('a body that does not match the digest is ignored: the lookup waits, and the next answer is taken', async () => {
    rig.serve(GATEWAY_B, 'bob', BOB.record('bob'));
    rig.link.tamperBody = (body) => {
      body[body.length - 1] ^= 1;
      return body;
    };
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.poll();
    await settle();
    assert.ok(!looked.settled(), 'not resolved from a body that does not match');
    assert.equal(rig.handled.length, 1, 'the entry is acknowledged all the same');
    assert.equal(rig.lookups.stats().ignored, 1);
    assert.ok(rig.log.records.some((r) => r.level === 'warn' && r.msg === 'the body of a handle lookup answer does not match its digest; ignored'));
    rig.link.tamperBody = (body) => body;
    rig.clock.advance(rig.timeouts[0]);
    rig.slot();
    await rig.poll();
    assert.equal(encodeAddress(await looked.promise), encodeAddress(BOB.address), 'the second try’s answer');
  });

  it('a body the gateway cannot fetch leaves the entry unacknowledged; it comes again and is then taken', async () => {
    rig.serve(GATEWAY_B, 'bob', BOB.record('bob'));
    rig.link.bodyFails = true;
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.poll();
    assert.equal(rig.refused.length, 1, 'the router rejected: the poller keeps the entry at the gateway');
    assert.equal(rig.handled.length, 0);
    assert.ok(!looked.settled());
    rig.link.bodyFails = false;
    await rig.poll();
    assert.equal(encodeAddress(await looked.promise), encodeAddress(BOB.address));
    assert.equal(rig.handled[0].id, rig.refused[0].entry.id, 'the same entry');
  });

  it("a forged record (a signature that does not verify) rejects the lookup with HandleError('forged'), logged", async () => {
    const real = BOB.record('bob');
    const signature = Uint8Array.from(real.signature);
    signature[0] ^= 1;
    rig.serve(GATEWAY_B, 'bob', { ...real, signature });
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.poll();
    await assert.rejects(looked.promise, handleError('forged'));
    assert.equal(rig.handled.length, 1, 'the entry is acknowledged: its answer was read');
    assert.ok(rig.log.records.some((r) => r.level === 'warn' && r.msg.startsWith('a handle lookup answer was refused') && r.fields.code === 'forged'));
    assert.ok(!JSON.stringify(rig.log.records).includes('bob'), 'the log names no handle');
  });

  it("a record for another name is refused: HandleError('wrong-name')", async () => {
    rig.serve(GATEWAY_B, 'bob', ALICE_AT_B.record('alice'));
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.poll();
    await assert.rejects(looked.promise, handleError('wrong-name'));
  });

  it("a record naming another gateway is refused: HandleError('wrong-gateway')", async () => {
    rig.serve(GATEWAY_B, 'bob', CAROL_AT_A.record('bob'));
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.poll();
    await assert.rejects(looked.promise, handleError('wrong-gateway'));
  });

  it('not found: "no handle bob@gateway-b"', async () => {
    const looked = outcome(rig.lookups.resolve(bobAt));
    rig.slot();
    await rig.poll();
    await assert.rejects(looked.promise, (err: unknown) => err instanceof ClientError && err.code === 'not-found' && err.message.startsWith('no handle bob@gateway-b'));
  });

  it("a SURB reply that is not a lookup's goes to the ARQ as before; no body is fetched for it", async () => {
    rig.prepare('fragment-1');
    rig.slot();
    assert.equal(rig.link.routed[0].to, 'other');
    await rig.poll();
    assert.ok(rig.touched.includes('arq.lookup'), 'the ACK went to the ARQ');
    assert.deepEqual(rig.link.bodyRequests, []);
    assert.equal(toHex(rig.link.routed[0].exit), toHex(GATEWAY_B.nodeId));
  });
});

// The handle admin (client/daemon/handle-admin.ts) on a scripted gateway
// link and in-memory profile stores: what a claim sends, how each claim
// status becomes the API's error, that the profile follows the name the
// gateway says we hold, and how a handle given where an address goes is
// turned into that address.

import assert from 'node:assert/strict';
import { ClientError, type ClientErrorCode } from '../../../client/api.js';
import { HANDLE_RECORD, HandleAdmin } from '../../../client/daemon/handle-admin.js';
import { memoryMessengerStores, type MessengerStores } from '../../../client/messenger/stores.js';
import { encodeAddress, type Address } from '../../../protocol/e2ee/address.js';
import { HandleError, verifyHandleRecord, type HandleClaimReply, type HandleClaimRequest, type HandleRecord, type HandleText } from '../../../protocol/wire/handle.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { RpcError } from '../../../runtime/net/rpc.js';
import { handleOwner } from '../handles/lookup-rig.js';
import { GATEWAY_A, GATEWAY_B } from './fake-network.js';

const ALICE = handleOwner('alice', GATEWAY_A);
const BOB = handleOwner('bob', GATEWAY_B);

const clientError = (code: ClientErrorCode, message?: RegExp) => (err: unknown) => err instanceof ClientError && err.code === code && (message === undefined || message.test(err.message));

/** A link whose gateway answers what the test scripts. */
class ScriptedLink {
  readonly gateway = GATEWAY_A;
  connected = true;
  readonly calls: HandleClaimRequest[] = [];
  answer: (request: HandleClaimRequest) => HandleClaimReply | Error = (r) => ({ status: 'ok', name: r.op === 'claim' ? r.record.name : '' });

  async claimHandle(record: HandleRecord): Promise<HandleClaimReply> {
    return this.#reply({ op: 'claim', record });
  }

  async releaseHandle(): Promise<HandleClaimReply> {
    return this.#reply({ op: 'release' });
  }

  #reply(request: HandleClaimRequest): HandleClaimReply {
    this.calls.push(request);
    const a = this.answer(request);
    if (a instanceof Error) throw a;
    return a;
  }
}

describe('client/daemon/handle-admin', function () {
  let stores: MessengerStores;
  let link: ScriptedLink;
  let resolved: HandleText[];
  let resolve: (h: HandleText) => Promise<Address>;
  const log = memoryLogger('client');

  const admin = () => HandleAdmin.load({ logger: log, stores, link, lookups: { resolve: (h) => (resolved.push(h), resolve(h)) }, signRecord: (name) => ALICE.record(name) });
  const stored = async () => {
    const v = await stores.profile.get(HANDLE_RECORD);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  };

  beforeEach(() => {
    stores = memoryMessengerStores();
    link = new ScriptedLink();
    resolved = [];
    resolve = async () => BOB.address;
  });

  it('claims the canonical name with a record our gateway can verify, and keeps it in the profile', async () => {
    const a = await admin();
    assert.equal(a.handle(), null);
    assert.deepEqual(await a.claim('Alice'), { handle: 'alice@gateway-a' });
    assert.equal(link.calls.length, 1);
    const sent = link.calls[0];
    assert.ok(sent.op === 'claim');
    assert.equal(sent.record.name, 'alice', 'lower-cased');
    assert.doesNotThrow(() => verifyHandleRecord(sent.record, { name: 'alice', gateway: GATEWAY_A.nodeId }));
    assert.equal(await stored(), 'alice');
    assert.equal((await admin()).handle(), 'alice@gateway-a', 'a restarted daemon shows it');
    assert.ok(!JSON.stringify(log.records).includes('alice'), 'the log names no handle');
  });

  it("'taken' is handle-taken, saying so; the name we held before stays", async () => {
    const a = await admin();
    await a.claim('alice');
    link.answer = () => ({ status: 'taken', name: 'alice' });
    await assert.rejects(a.claim('bob'), clientError('handle-taken', /^bob@gateway-a is taken: another client of gateway-a claimed it first\. Choose another name \(you keep alice@gateway-a\)$/));
    assert.equal(a.handle(), 'alice@gateway-a');
    assert.equal(await stored(), 'alice');
  });

  it("'invalid' is bad-request; 'not-registered' is unavailable, and the profile follows the gateway (no name held)", async () => {
    const a = await admin();
    await a.claim('alice');
    link.answer = () => ({ status: 'invalid', name: 'alice' });
    await assert.rejects(a.claim('alice'), clientError('bad-request', /gateway-a refused the handle record as invalid/));
    link.answer = () => ({ status: 'not-registered', name: '' });
    await assert.rejects(a.claim('alice'), clientError('unavailable', /gateway-a holds no registration for this client/));
    assert.equal(a.handle(), null, 'the gateway says we hold none');
    assert.equal(await stored(), undefined);
  });

  it('a bad name, an unreachable gateway, a failing call: clear errors, nothing kept', async () => {
    const a = await admin();
    await assert.rejects(a.claim('no spaces!'), clientError('bad-name', /a name is 1 to 32 characters/));
    assert.equal(link.calls.length, 0, 'nothing sent for a bad name');
    link.connected = false;
    await assert.rejects(a.claim('alice'), clientError('unavailable', /the gateway is not reachable now/));
    assert.equal(link.calls.length, 0);
    link.connected = true;
    link.answer = () => new RpcError('protocol', 'protocol selection failed');
    await assert.rejects(a.claim('alice'), clientError('unavailable', /^gateway-a did not take the handle call: protocol selection failed$/));
    assert.equal(a.handle(), null);
  });

  it('release gives the name up and forgets it', async () => {
    const a = await admin();
    assert.deepEqual(await a.release(), { released: null });
    await a.claim('alice');
    assert.deepEqual(await a.release(), { released: 'alice@gateway-a' });
    assert.deepEqual(
      link.calls.map((c) => c.op),
      ['release', 'claim', 'release'],
    );
    assert.equal(a.handle(), null);
    assert.equal(await stored(), undefined);
  });

  it('addressOf: an address passes unchanged; a handle is looked up; its failures become ClientErrors', async () => {
    const a = await admin();
    const text = encodeAddress(BOB.address);
    assert.equal(await a.addressOf(text), text);
    assert.deepEqual(resolved, [], 'no lookup for an address');
    assert.equal(await a.addressOf(' Bob@gateway-b '), text);
    assert.deepEqual(resolved, [{ name: 'bob', gateway: 'gateway-b' }]);
    link.connected = false;
    assert.equal(await a.addressOf(text), text, 'an address needs no gateway');
    await assert.rejects(a.addressOf('bob@gateway-b'), clientError('unavailable', /the gateway is not reachable now: add a contact by handle once the daemon is online/));
    assert.equal(resolved.length, 1, 'no lookup queued while offline');
    link.connected = true;
    await assert.rejects(a.addressOf('@gateway-b'), clientError('bad-address'));
    await assert.rejects(a.addressOf('bob@'), clientError('bad-address'));
    resolve = async () => {
      throw new HandleError('forged', 'the record for bob is not signed by the identity it names');
    };
    await assert.rejects(a.addressOf('bob@gateway-b'), clientError('forged-handle', /gateway-b answered for bob@gateway-b with a record that does not verify .*nothing was added/));
    resolve = async () => {
      throw new HandleError('wrong-gateway', 'another gateway');
    };
    await assert.rejects(a.addressOf('bob@gateway-b'), clientError('forged-handle'));
    resolve = async () => {
      throw new ClientError('not-found', 'no handle bob@gateway-b: gateway-b holds no name bob');
    };
    await assert.rejects(a.addressOf('bob@gateway-b'), clientError('not-found', /^no handle bob@gateway-b/));
  });
});

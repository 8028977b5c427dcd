// Attack: a flood of strangers. Anyone with an address can write to it, and
// every first envelope from a new identity opened a session and a contact
// request that were kept forever; every later mailbox entry was then tried
// against every session (1,000 strangers: 20.7 ms per envelope instead of
// 1.0), and one first envelope could make the client park 1,000 skipped
// message keys. Now requests are bounded in count, age and rate
// (client/stranger-policy.ts), an envelope is looked up by its header nonce
// and tried against one session (client/receiver/session-index.ts), and a
// session's first envelope may skip at most 64 keys.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeContent } from '../../protocol/chat/content.js';
import { fragment } from '../../protocol/chat/fragmenter.js';
import { addressOf, decodeAddress } from '../../protocol/e2ee/address.js';
import { maxPlaintextLength } from '../../protocol/e2ee/envelope.js';
import { generateIdentity } from '../../protocol/e2ee/identity.js';
import { Session } from '../../protocol/e2ee/session.js';
import { collectionsOf } from '../../client/state.js';
import { DEFAULT_STRANGER_LIMITS } from '../../client/stranger-policy.js';
import { drain, ENVELOPE, texts, Users } from '../helpers/messenger-users.js';

const frameOf = (text: string, nowMs: number): Uint8Array => fragment(new Uint8Array(randomBytes(16)), 0n, nowMs, encodeContent({ kind: 'text', text }), maxPlaintextLength(ENVELOPE))[0];

describe("a flood of strangers' first envelopes growing a client's sessions, requests and per-envelope work", function () {
  this.timeout(60_000);
  const users = new Users();
  after(() => users.closeAll());

  it("1,000 strangers: sessions and requests stay bounded, and a contact's envelope is still tried against one session", async () => {
    const alice = await users.create('alice');
    const bob = await users.create('bob');
    await alice.messenger.addContact('bob', bob.address);
    await bob.messenger.addContact('alice', alice.address);
    for (const e of await drain(alice)) await bob.messenger.receive(e);
    for (const e of await drain(bob)) await alice.messenger.receive(e);
    const aliceAddress = decodeAddress(alice.address);

    const triedFor = async (text: string): Promise<number> => {
      await bob.messenger.send('alice', { kind: 'text', text });
      const [envelope] = await drain(bob);
      const before = alice.messenger.stats().received.sessionsTried;
      await alice.messenger.receive(envelope);
      assert.equal(texts(alice).at(-1), text);
      return alice.messenger.stats().received.sessionsTried - before;
    };
    const triedBefore = await triedFor('before the flood');

    // 1,000 strangers over five hours, each one first envelope.
    const start = users.clock.now();
    for (let i = 0; i < 1000; i++) {
      users.clock.advanceTo(start + Math.floor((i * 5 * 3600_000) / 1000));
      const stranger = generateIdentity();
      const session = Session.initiate(stranger, addressOf(stranger, new Uint8Array(32).fill(7), new Uint8Array(randomBytes(32))), aliceAddress);
      await alice.messenger.receive(session.seal(frameOf(`hello ${i}`, users.clock.now()), ENVELOPE));
    }
    const requests = alice.messenger.inbox().requests.length;
    assert.ok(requests <= DEFAULT_STRANGER_LIMITS.maxRequests, `${requests} contact requests held`);
    const stored = await collectionsOf(alice.store).sessions.count();
    assert.ok(stored <= DEFAULT_STRANGER_LIMITS.maxRequests + 1, `${stored} sessions stored (one per request, and Bob's)`);
    const stats = alice.messenger.stats();
    assert.ok(stats.held.sessions <= DEFAULT_STRANGER_LIMITS.maxRequests + 1, `${stats.held.sessions} sessions held in memory`);
    assert.ok((stats.rejected['request-rate'] ?? 0) > 800, `strangers beyond the rate are refused and counted: ${JSON.stringify(stats.rejected)}`);

    // The work for a contact's envelope does not grow with the sessions held.
    const triedAfter = await triedFor('after the flood');
    assert.equal(triedBefore, 1);
    assert.equal(triedAfter, 1, 'one session tried, not one per stranger');
  });

  it("a stranger's first envelope cannot park more than 64 skipped message keys", async () => {
    const alice = await users.create('alice2');
    const mallory = generateIdentity();
    const session = Session.initiate(mallory, addressOf(mallory, new Uint8Array(32).fill(7), new Uint8Array(32).fill(8)), decodeAddress(alice.address));
    const envelopes = Array.from({ length: 1000 }, (_, i) => session.seal(frameOf(`m${i}`, users.clock.now()), ENVELOPE));
    // Message 999 first: it would make the new session skip 999 keys.
    await alice.messenger.receive(envelopes[999]);
    assert.equal(alice.messenger.stats().rejected['too-many-skipped'], 1);
    assert.equal(alice.messenger.stats().held.sessions, 0, 'no session kept');
    // Within the bound it opens.
    await alice.messenger.receive(envelopes[60]);
    assert.equal(alice.messenger.stats().held.sessions, 1);
    assert.equal(alice.messenger.inbox().requests.length, 1);
  });
});

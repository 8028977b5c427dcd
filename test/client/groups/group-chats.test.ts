// The client's group chats (client/groups/, docs/groups.md §11) over three
// and four in-memory messengers wired to each other, on a manual clock:
// create, invite, accept and decline, posts with per-member delivery and
// read state, rename, leave, remove, a member offline and back, a restart
// that reloads everything from the store, and bad input dropped and counted.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { encodeGroupFrames } from '../../../protocol/groups/index.js';
import { ClientError } from '../../../client/api.js';
import { MAX_STRANGER_REASSEMBLIES, STRANGER_REASSEMBLY_MS } from '../../../client/groups/group-chats.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import type { MemoryUser } from '../messenger/memory-user.js';
import { befriend, eventsOf, groupOf, MemoryNetwork, postTexts } from './group-network.js';

describe('client/groups: group chats between messengers', function () {
  let net: MemoryNetwork;
  let alice: MemoryUser;
  let bob: MemoryUser;
  let carol: MemoryUser;
  let id: string;

  const key = (u: MemoryUser): string => toHex(u.identity.signingKey.publicKey);
  const statuses = (u: MemoryUser): Record<string, string> => Object.fromEntries(groupOf(u, id).members.map((m) => [m.key, m.status]));

  /** Alice (friends with Bob and Carol, who do not know each other) makes "friends" and both accept. */
  beforeEach(async function () {
    net = new MemoryNetwork(new ManualClock(1_800_000_000_000));
    [alice, bob, carol] = [await net.add(1), await net.add(2), await net.add(3)];
    await befriend(net, alice, 'bob', bob, 'alice');
    await befriend(net, alice, 'carol', carol, 'alice');
    id = (await alice.parts.groups.create('friends')).id;
    await alice.parts.groups.invite(id, 'bob');
    await alice.parts.groups.invite('friends', 'carol');
    await net.settle();
    for (const u of [bob, carol]) {
      const invitation = eventsOf(u, 'group').find((e) => e.group.id === id);
      assert.equal(invitation?.group.status, 'invited');
      assert.equal(invitation?.group.name, 'friends');
      await u.parts.groups.accept(id);
    }
    await net.settle();
    for (const u of net.users) u.events.length = 0;
  });

  afterEach(() => net.users.forEach((u) => u.parts.inbox.stop()));

  it('all three converge on one membership, and members who are not contacts swap cards instead of contact requests', function () {
    const expected = { [key(alice)]: 'joined', [key(bob)]: 'joined', [key(carol)]: 'joined' };
    for (const u of [alice, bob, carol]) assert.deepEqual(statuses(u), expected);
    assert.equal(groupOf(bob, id).members.find((m) => m.key === key(alice))?.contact, 'alice');
    assert.equal(groupOf(bob, id).members.find((m) => m.key === key(carol))?.contact, null, 'carol is no contact of bob');
    assert.equal(groupOf(alice, id).admin, true);
    assert.equal(groupOf(bob, id).admin, false);
    // Bob and Carol write to each other's delivery ids, not to the public mailboxes' request allowance.
    assert.equal(bob.parts.requests.size, 0);
    assert.equal(carol.parts.requests.size, 0);
    assert.notEqual(bob.parts.groupPeers.deliveryIdOf(key(carol)), undefined);
    assert.equal(bob.parts.groupPeers.cardSent(key(carol)) || carol.parts.groupPeers.cardSent(key(bob)), true);
  });

  it('a post reaches every member once, in one display order, with delivery then read state per member', async function () {
    const post = await alice.parts.groups.post(id, { kind: 'text', text: 'hello all' });
    assert.deepEqual(post.delivery, { [key(bob)]: 'sent', [key(carol)]: 'sent' });
    net.clock.advance(1000);
    await carol.parts.groups.post(id, { kind: 'text', text: 'hi from carol' });
    await net.settle();
    for (const u of [alice, bob, carol]) assert.deepEqual(postTexts(u, id), ['hello all', 'hi from carol']);
    assert.deepEqual(
      eventsOf(bob, 'group-post').map((e) => e.post.content.text),
      ['hello all', 'hi from carol'],
    );
    assert.deepEqual(alice.parts.groups.history(id)[0].delivery, { [key(bob)]: 'delivered', [key(carol)]: 'delivered' });
    assert.equal(groupOf(bob, id).unread, 2);
    assert.equal(await bob.parts.groups.markRead(id), 2);
    assert.equal(groupOf(bob, id).unread, 0);
    await net.settle();
    assert.deepEqual(alice.parts.groups.history(id)[0].delivery, { [key(bob)]: 'read', [key(carol)]: 'delivered' });
    assert.deepEqual(
      eventsOf(alice, 'group-delivery').map((e) => [e.member, e.state]),
      [
        [key(bob), 'delivered'],
        [key(carol), 'delivered'],
        [key(bob), 'read'],
      ],
    );
    // Carol's post: Bob (no contact of hers) read it too.
    assert.equal(carol.parts.groups.history(id)[1].delivery?.[key(bob)], 'read');
  });

  it('a file post is stored with its bytes at every member', async function () {
    const data = new Uint8Array(5000).map((_, i) => i % 251);
    const post = await bob.parts.groups.post(id, { kind: 'file', name: 'notes.bin', data });
    await net.settle();
    const got = await carol.parts.groups.fileData(post.id);
    assert.equal(got?.name, 'notes.bin');
    assert.deepEqual(got?.data, data);
    assert.deepEqual(carol.parts.groups.history(id)[0].content, { file: { name: 'notes.bin', size: 5000 } });
  });

  it('a rename reaches everyone; only an admin renames, invites or removes', async function () {
    await alice.parts.groups.rename(id, 'best friends');
    await net.settle();
    for (const u of [alice, bob, carol]) assert.equal(groupOf(u, id).name, 'best friends');
    assert.deepEqual(eventsOf(carol, 'group').at(-1)?.changes, [{ type: 'renamed', name: 'best friends' }]);
    await assert.rejects(bob.parts.groups.rename(id, 'mine'), (e: ClientError) => e instanceof ClientError && e.code === 'bad-request' && /admin/.test(e.message));
    await assert.rejects(bob.parts.groups.remove(id, 'alice'), (e: ClientError) => e.code === 'bad-request');
    await assert.rejects(alice.parts.groups.post('no such group', { kind: 'text', text: 'x' }), (e: ClientError) => e.code === 'not-found');
  });

  it('a removed member is told, and gets nothing the others post afterwards', async function () {
    await alice.parts.groups.remove(id, 'carol');
    await net.settle();
    assert.equal(groupOf(carol, id).status, 'removed');
    assert.deepEqual(Object.keys(statuses(bob)).sort(), [key(alice), key(bob)].sort());
    const changes = eventsOf(bob, 'group').flatMap((e) => e.changes);
    assert.deepEqual(changes, [{ type: 'removed', member: key(carol), contact: null }]);
    const before = carol.parts.counters.received.envelopes;
    await alice.parts.groups.post(id, { kind: 'text', text: 'after carol' });
    net.clock.advance(1000);
    await bob.parts.groups.post(id, { kind: 'text', text: 'bob too' });
    await net.settle();
    assert.equal(carol.parts.counters.received.envelopes, before, 'not one envelope more to carol');
    assert.deepEqual(postTexts(bob, id), ['after carol', 'bob too']);
    await assert.rejects(carol.parts.groups.post(id, { kind: 'text', text: 'still here?' }), (e: ClientError) => e.code === 'bad-request');
  });

  it('a member who leaves is gone for the others and keeps the history', async function () {
    await alice.parts.groups.post(id, { kind: 'text', text: 'before' });
    await net.settle();
    await bob.parts.groups.leave(id);
    await net.settle();
    assert.equal(groupOf(bob, id).status, 'left');
    assert.deepEqual(postTexts(bob, id), ['before']);
    for (const u of [alice, carol]) assert.deepEqual(eventsOf(u, 'group').at(-1)?.changes, [{ type: 'left', member: key(bob), contact: u === alice ? 'bob' : null }]);
  });

  it('an invitation can be declined: the group is forgotten there and the members see it', async function () {
    const dave = await net.add(4);
    await befriend(net, alice, 'dave', dave, 'alice');
    await alice.parts.groups.invite(id, 'dave');
    await net.settle();
    assert.equal(groupOf(dave, id).status, 'invited');
    await dave.parts.groups.decline(id);
    await net.settle();
    assert.deepEqual(dave.parts.groups.list(), []);
    assert.equal(statuses(alice)[key(dave)], undefined);
    assert.deepEqual(eventsOf(carol, 'group').at(-1)?.changes, [{ type: 'declined', member: key(dave), contact: null }]);
    dave.parts.inbox.stop();
  });

  it('a member offline while others post catches up from its mailbox, in any order', async function () {
    net.offline(carol);
    for (let i = 0; i < 5; i++) {
      net.clock.advance(1000);
      await (i % 2 ? bob : alice).parts.groups.post(id, { kind: 'text', text: `p${i}` });
    }
    await alice.parts.groups.rename(id, 'while away');
    await net.settle();
    await net.bringOnline(carol);
    await net.settle();
    assert.deepEqual(postTexts(carol, id), ['p0', 'p1', 'p2', 'p3', 'p4']);
    assert.equal(groupOf(carol, id).name, 'while away');
  });

  it('a restart reloads groups, posts and delivery state from the store, and asks a member for what it missed', async function () {
    await alice.parts.groups.post(id, { kind: 'text', text: 'kept' });
    await net.settle();
    net.offline(bob);
    net.clock.advance(1000);
    await carol.parts.groups.post(id, { kind: 'text', text: 'while bob restarts' });
    await net.settle();
    const before = { groups: alice.parts.groups.list(), history: alice.parts.groups.history(id) };
    assert.equal(before.history[0].delivery?.[key(carol)], 'delivered');
    alice = await net.restart(alice);
    bob = await net.restart(bob);
    assert.deepEqual(alice.parts.groups.list(), before.groups);
    assert.deepEqual(alice.parts.groups.history(id), before.history);
    await net.bringOnline(bob);
    await net.settle();
    assert.deepEqual(postTexts(bob, id), ['kept', 'while bob restarts']);
    net.clock.advance(1000);
    await bob.parts.groups.post(id, { kind: 'text', text: 'back' });
    await net.settle();
    assert.deepEqual(postTexts(alice, id), ['kept', 'while bob restarts', 'back']);
  });

  it('an invitation from someone who is not a contact shows, and accepting it joins', async function () {
    const dave = await net.add(4);
    // Alice has Dave's address; Dave does not have hers (her card makes her a contact request there).
    await alice.parts.book.add('dave', dave.address);
    await alice.parts.groups.invite(id, 'dave');
    await net.settle();
    assert.equal(groupOf(dave, id).status, 'invited');
    await dave.parts.groups.accept(id);
    await net.settle();
    for (const u of [alice, bob, carol, dave]) assert.equal(groupOf(u, id).members.filter((m) => m.status === 'joined').length, 4);
    net.clock.advance(1000);
    await bob.parts.groups.post(id, { kind: 'text', text: 'welcome dave' });
    await net.settle();
    assert.deepEqual(postTexts(dave, id), ['welcome dave']);
    dave.parts.inbox.stop();
  });

  it('a stranger’s group frame that is no invitation leaves no session behind', async function () {
    const mallory = await net.add(5);
    const sessions = bob.parts.sessions.size;
    for (let i = 0; i < 3; i++) {
      const rubbish = encodeGroupFrames(new Uint8Array(16).fill(9 + i), new Uint8Array(16).fill(i), 0n, 0, Uint8Array.of(3, 0, 0), 1000);
      const entries = mallory.parts.outbox.groupEntries(bob.address, rubbish);
      const work = mallory.parts.stores.begin();
      mallory.parts.outbox.stage(work, entries);
      await work.commit();
      mallory.parts.outbox.queue(entries);
      await net.settle();
      // Each envelope started a session at Bob (Mallory forgets none of hers): each is dropped with its message.
      mallory.parts.sessions.forgetPeer(mallory.parts.stores.begin(), toHex(bob.identity.signingKey.publicKey));
    }
    assert.equal(bob.parts.sessions.size, sessions);
    assert.equal(bob.parts.counters.rejected['group-unknown'], 3);
    assert.equal(bob.parts.requests.size, 0);
    mallory.parts.inbox.stop();
  });

  it('strangers’ unfinished messages hold at most 16 places, each for an hour', async function () {
    const mallory = await net.add(6);
    const bobKey = toHex(bob.identity.signingKey.publicKey);
    /** The first of two frames of a message for a group that does not exist. */
    const firstHalf = async (n: number): Promise<void> => {
      const [first] = encodeGroupFrames(new Uint8Array(16).fill(n), new Uint8Array(16).fill(n), 0n, 0, new Uint8Array(1500), 1000);
      const entries = mallory.parts.outbox.groupEntries(bob.address, [first]);
      const work = mallory.parts.stores.begin();
      mallory.parts.outbox.stage(work, entries);
      await work.commit();
      mallory.parts.outbox.queue(entries);
      await net.settle();
    };
    for (let n = 1; n <= MAX_STRANGER_REASSEMBLIES + 1; n++) await firstHalf(n);
    assert.equal(bob.parts.counters.rejected['group-strangers-full'], 1);
    // Refused, Mallory's session was forgotten at Bob: she starts another.
    mallory.parts.sessions.forgetPeer(mallory.parts.stores.begin(), bobKey);
    // A restart keeps the places taken (the unfinished messages are stored).
    bob = await net.restart(bob);
    mallory.parts.sessions.forgetPeer(mallory.parts.stores.begin(), bobKey);
    await firstHalf(99);
    assert.equal(bob.parts.counters.rejected['group-strangers-full'], 1);
    mallory.parts.sessions.forgetPeer(mallory.parts.stores.begin(), bobKey);
    net.clock.advance(STRANGER_REASSEMBLY_MS);
    await firstHalf(100);
    assert.equal(bob.parts.counters.rejected['group-stranger-expired'], 1);
    mallory.parts.inbox.stop();
  });

  it('drops bad group frames by reason, without a crash or a contact request', async function () {
    // A contact's frame for a group nobody holds, that is no invitation.
    const rubbish = encodeGroupFrames(new Uint8Array(16).fill(7), new Uint8Array(16).fill(1), 0n, 0, Uint8Array.of(3, 0, 0), 1000);
    const entries = alice.parts.outbox.groupEntries(bob.address, rubbish);
    const work = alice.parts.stores.begin();
    alice.parts.outbox.stage(work, entries);
    await work.commit();
    alice.parts.outbox.queue(entries);
    // A frame of a known group whose message does not parse.
    const broken = encodeGroupFrames(new Uint8Array(Buffer.from(id, 'hex')), new Uint8Array(16).fill(2), 0n, 0, Uint8Array.of(99), 1000);
    const more = alice.parts.outbox.groupEntries(bob.address, broken);
    const work2 = alice.parts.stores.begin();
    alice.parts.outbox.stage(work2, more);
    await work2.commit();
    alice.parts.outbox.queue(more);
    await net.settle();
    assert.equal(bob.parts.counters.rejected['group-unknown'], 1);
    assert.ok((bob.parts.counters.rejected['group-unsupported'] ?? 0) + (bob.parts.counters.rejected['group-malformed'] ?? 0) >= 1, JSON.stringify(bob.parts.counters.rejected));
    assert.equal(bob.parts.requests.size, 0);
    assert.deepEqual(
      bob.parts.groups.list().map((g) => g.id),
      [id],
    );
  });
});

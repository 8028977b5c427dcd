import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { GroupError } from '../../../protocol/groups/errors.js';
import { Group } from '../../../protocol/groups/group.js';
import { decodeGroupMessage } from '../../../protocol/groups/messages.js';
import { MAX_OPS } from '../../../protocol/groups/op-log.js';
import { compareBytes, type ParsedOp } from '../../../protocol/groups/op.js';
import { GroupNet, member } from './fixtures.js';

const keysOf = (g: Group) => g.members().map((m) => `${toHex(m.key).slice(0, 8)}:${m.status}:${m.admin ? 'admin' : 'member'}`);

describe('groups: the state machine', () => {
  const [alice, bob, carol, dave] = [member(1), member(2), member(3), member(4)];

  it('creates, invites, accepts, renames, posts with delivery and read state per member', () => {
    const net = new GroupNet([alice, bob, carol]);
    const a = net.create(alice, 'book club', 1000);
    assert.equal(a.status, 'joined');
    assert.ok(a.isAdmin);
    net.queue(alice, a.invite(bob.address, 1001));
    net.queue(alice, a.invite(carol.address, 1002));
    net.flush();
    const b = net.group(bob)!;
    const c = net.group(carol)!;
    assert.equal(b.status, 'invited');
    assert.equal(b.name, 'book club');
    net.queue(bob, b.accept(1003));
    net.queue(carol, c.accept(1004));
    net.flush();
    net.queue(alice, a.rename('Book Club', 1005));
    net.flush();
    for (const g of [a, b, c]) {
      assert.equal(g.name, 'Book Club');
      assert.deepEqual(keysOf(g), keysOf(a));
      assert.deepEqual(g.heads(), a.heads());
    }
    const post = net.post(bob, 'hello all', 1006);
    net.flush();
    assert.deepEqual([...b.deliveryOf(post.id)!.values()].sort(), ['delivered', 'delivered']);
    net.queue(carol, c.markRead([post]));
    net.flush();
    assert.equal(b.deliveryOf(post.id)!.get(carol.hex), 'read');
    assert.equal(b.deliveryOf(post.id)!.get(alice.hex), 'delivered');
    assert.equal(net.received.get(alice.hex)!.length, 1);
    assert.equal(net.received.get(carol.hex)![0].content.kind, 'text');
  });

  it('decline, leave and remove; only admins remove, rename or invite', () => {
    const net = new GroupNet([alice, bob, carol, dave]);
    const a = net.create(alice, 'g');
    for (const m of [bob, carol, dave]) net.queue(alice, a.invite(m.address, 1));
    net.flush();
    net.queue(bob, net.group(bob)!.accept(2));
    net.queue(carol, net.group(carol)!.accept(2));
    net.queue(dave, net.group(dave)!.decline(2));
    net.flush();
    const b = net.group(bob)!;
    assert.equal(net.group(dave)!.status, 'declined');
    assert.equal(b.members().length, 3);
    assert.throws(
      () => b.remove(carol.key, 3),
      (e: GroupError) => e.code === 'not-allowed',
    );
    assert.throws(
      () => b.rename('x', 3),
      (e: GroupError) => e.code === 'not-allowed',
    );
    assert.throws(
      () => b.invite(dave.address, 3),
      (e: GroupError) => e.code === 'not-allowed',
    );
    net.queue(alice, a.remove(carol.key, 4));
    net.flush();
    assert.equal(net.group(carol)!.status, 'removed', 'the removed member is told');
    assert.throws(
      () => net.group(carol)!.post({ kind: 'text', text: 'x' }, 5),
      (e: GroupError) => e.code === 'not-allowed',
    );
    net.queue(bob, b.leave(6));
    net.flush();
    assert.equal(a.members().length, 1);
    assert.equal(b.status, 'left');
  });

  it('when the last admin leaves, the member who joined first becomes admin', () => {
    const net = new GroupNet([alice, bob, carol]);
    const a = net.create(alice, 'g');
    net.queue(alice, a.invite(carol.address, 1));
    net.flush();
    net.queue(carol, net.group(carol)!.accept(2));
    net.flush();
    net.queue(alice, a.invite(bob.address, 3));
    net.flush();
    net.queue(bob, net.group(bob)!.accept(4));
    net.flush();
    net.queue(alice, a.leave(5));
    net.flush();
    assert.ok(net.group(carol)!.isAdmin);
    assert.ok(!net.group(bob)!.isAdmin);
    assert.deepEqual(keysOf(net.group(bob)!), keysOf(net.group(carol)!));
  });

  it('a member who joins late is sent the ops it missed while invited', () => {
    const net = new GroupNet([alice, bob, carol]);
    const a = net.create(alice, 'g');
    net.queue(alice, a.invite(bob.address, 1));
    net.flush();
    net.queue(alice, a.rename('renamed while bob was invited', 2));
    net.queue(alice, a.invite(carol.address, 2));
    net.flush();
    const b = net.group(bob)!;
    assert.equal(b.name, 'g');
    net.queue(bob, b.accept(3));
    net.flush();
    assert.equal(b.name, 'renamed while bob was invited');
    assert.deepEqual(b.heads(), a.heads());
  });

  it('two admins who remove each other at once: one order wins, the same for everyone', () => {
    const net = GroupNet.joined([alice, bob, carol]);
    const a = net.group(alice)!;
    net.queue(alice, a.promote(bob.key, 3));
    net.flush();
    // Concurrent: neither has seen the other's op.
    net.queue(alice, a.remove(bob.key, 4));
    net.queue(bob, net.group(bob)!.remove(alice.key, 4));
    net.flush();
    const c = net.group(carol)!;
    const remaining = c.members().map((m) => toHex(m.key));
    assert.equal(remaining.length, 2, 'exactly one of the two admins is removed');
    assert.ok(remaining.includes(carol.hex));
    const winner = remaining.find((k) => k !== carol.hex)!;
    const w = net.group(winner === alice.hex ? alice : bob)!;
    assert.deepEqual(keysOf(w), keysOf(c));
    assert.deepEqual(w.heads(), c.heads());
  });

  it('a removed admin cannot undo its removal with an op it dates before it', () => {
    const net = GroupNet.joined([alice, bob, carol]);
    const a = net.group(alice)!;
    net.queue(alice, a.promote(bob.key, 3));
    net.flush();
    const bobState = net.group(bob)!.serialize();
    const removal = a.remove(bob.key, 4);
    const removalOp = decodeGroupMessage(removal[0].message) as { ops: readonly ParsedOp[] };
    net.queue(alice, removal);
    net.flush();
    // Bob, from the state he kept before his removal, removes carol: an op concurrent with
    // his removal, with the same Lamport time, and (by the choice of its time) ordered before it.
    let backdated;
    for (let t = 5; ; t++) {
      const out = Group.deserialize(bob.keys, bobState).remove(carol.key, t);
      const op = (decodeGroupMessage(out[0].message) as { ops: readonly ParsedOp[] }).ops[0];
      assert.equal(op.lamport, removalOp.ops[0].lamport);
      if (compareBytes(op.id, removalOp.ops[0].id) < 0) {
        backdated = out;
        break;
      }
    }
    net.queue(bob, backdated);
    net.flush();
    assert.equal(a.name, 'g');
    assert.deepEqual(
      a
        .members()
        .map((m) => toHex(m.key))
        .sort(),
      [alice.hex, carol.hex].sort(),
    );
    assert.deepEqual(keysOf(net.group(carol)!), keysOf(a));
  });

  it('an invitee whose inviter was removed at the same moment learns it when it first posts', () => {
    const net = GroupNet.joined([alice, bob, carol, dave]);
    net.queue(alice, net.group(alice)!.remove(dave.key, 3));
    net.flush();
    net.queue(alice, net.group(alice)!.promote(bob.key, 4));
    net.flush();
    // Concurrently: alice removes bob, and bob invites dave back.
    net.queue(alice, net.group(alice)!.remove(bob.key, 5));
    net.queue(bob, net.group(bob)!.invite(dave.address, 5));
    net.flush();
    const d = net.group(dave)!;
    assert.equal(d.status, 'invited');
    net.queue(dave, d.accept(6));
    net.flush();
    assert.equal(d.status, 'joined', 'dave does not know yet');
    assert.ok(
      !net
        .group(carol)!
        .members()
        .some((m) => toHex(m.key) === dave.hex),
      'for the others, bob’s add was cancelled',
    );
    net.post(dave, 'am I in?', 7);
    net.flush();
    assert.equal(d.status, 'removed', 'the ops that cancelled the invitation reached dave');
  });

  it('refuses an invitation larger than a group can be before parsing an op', () => {
    const huge = new Uint8Array(3 + 2 * (MAX_OPS + 1));
    huge.set([2, (MAX_OPS + 1) >> 8, (MAX_OPS + 1) & 0xff]);
    assert.throws(
      () => Group.fromInvitation(carol.keys, alice.key, huge),
      (e: GroupError) => e.code === 'limit',
    );
  });

  it('restores from its stored form, which holds no key', () => {
    const net = new GroupNet([alice, bob]);
    const a = net.create(alice, 'g');
    net.queue(alice, a.invite(bob.address, 1));
    net.flush();
    net.queue(bob, net.group(bob)!.accept(2));
    net.flush();
    const post = net.post(alice, 'x', 3);
    net.flush();
    const stored = a.serialize();
    const restored = Group.deserialize(alice.keys, stored);
    assert.deepEqual(restored.serialize(), stored);
    assert.deepEqual(restored.heads(), a.heads());
    assert.equal(restored.deliveryOf(post.id)!.get(bob.hex), 'delivered');
    assert.throws(
      () => Group.deserialize(bob.keys, stored),
      (e: GroupError) => e.code === 'malformed',
    );
    // No secret of alice's identity appears in it.
    const secrets = [alice.identity.signingKey.toSeed(), alice.identity.identityDhKey.toBytes(), alice.identity.signedPrekey.toBytes()].map(toHex);
    for (const s of secrets) assert.ok(!toHex(stored).includes(s));
  });
});

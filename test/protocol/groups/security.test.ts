// Post-compromise security after removal and forward secrecy, with group
// messages carried in real pairwise sessions and fixed-size envelopes
// (docs/groups.md §Security).

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { Session } from '../../../protocol/e2ee/session.js';
import { Group } from '../../../protocol/groups/group.js';
import { member, type Member } from './fixtures.js';
import { L, SealedNet, type Envelope } from './sealed-net.js';

function joinedOverSessions(members: Member[]): SealedNet {
  const net = new SealedNet(members);
  const [creator, ...rest] = members;
  net.groups.set(creator.hex, Group.create(creator.keys, 'sealed', 0));
  for (const m of rest) net.send(creator, net.groups.get(creator.hex)!.invite(m.address, 1));
  net.flush();
  for (const m of rest) net.send(m, net.groups.get(m.hex)!.accept(2));
  net.flush();
  return net;
}

describe('groups: security over pairwise sessions', () => {
  const [alice, bob, carol, dave] = [member(40), member(41), member(42), member(43)];

  it('every packet of a group is an ordinary envelope of exactly L bytes', () => {
    const net = joinedOverSessions([alice, bob, carol]);
    net.send(alice, net.groups.get(alice.hex)!.post({ kind: 'text', text: 'x'.repeat(5000) }, 3).outgoing);
    assert.ok(net.wire.length >= 2 * 4, 'a long post is several envelopes per recipient');
    for (const e of net.wire) assert.equal(e.bytes.length, L);
    net.flush();
    assert.deepEqual(net.posts(bob), ['x'.repeat(5000)]);
  });

  it('a removed member, with all its keys and every later envelope, reads nothing that follows (post-compromise security)', () => {
    const net = joinedOverSessions([alice, bob, carol, dave]);
    net.send(alice, net.groups.get(alice.hex)!.post({ kind: 'text', text: 'before' }, 3).outgoing);
    net.flush();
    assert.deepEqual(net.posts(carol), ['before']);
    // Carol's device is stolen; alice removes her. The thief keeps a copy of everything carol held.
    const stolenSessions = net.sessions.get(carol.hex)!.map((s) => s.serialize());
    net.send(alice, net.groups.get(alice.hex)!.remove(carol.key, 4));
    net.flush();
    assert.equal(net.groups.get(carol.hex)!.status, 'removed');
    const later: Envelope[] = [];
    const a = net.groups.get(alice.hex)!;
    const b = net.groups.get(bob.hex)!;
    net.send(alice, a.post({ kind: 'text', text: 'after 1' }, 5).outgoing);
    net.send(bob, b.post({ kind: 'text', text: 'after 2' }, 6).outgoing);
    net.send(alice, a.rename('carol is gone', 7));
    later.push(...net.wire);
    assert.ok(later.length > 0);
    assert.ok(
      later.every((e) => e.to.hex !== carol.hex),
      'nothing is addressed to the removed member',
    );
    // A gateway colluding with the thief hands over every envelope: none opens with carol's keys.
    const thief = { ...carol };
    const thiefSessions = stolenSessions.map((s) => Session.deserialize(s));
    for (const e of later) {
      const copy = new SealedNet([thief]);
      copy.sessions.set(thief.hex, thiefSessions);
      assert.equal(copy.open(e, thief), false, `an envelope to ${e.to.hex.slice(0, 6)} opens with the removed member's keys`);
    }
    net.flush();
    assert.deepEqual(net.posts(dave), ['before', 'after 1', 'after 2']);
    assert.deepEqual(net.posts(carol), ['before']);
    assert.equal(net.groups.get(dave.hex)!.name, 'carol is gone');
    assert.equal(net.groups.get(carol.hex)!.name, 'sealed');
  });

  it('a member’s state taken after it read a post cannot read that post again (forward secrecy)', () => {
    const net = joinedOverSessions([alice, bob, carol]);
    net.send(alice, net.groups.get(alice.hex)!.post({ kind: 'text', text: 'secret' }, 3).outgoing);
    const toBob = net.wire.filter((e) => e.to.hex === bob.hex);
    net.flush();
    assert.deepEqual(net.posts(bob), ['secret']);
    // Bob's device is seized now: its stored sessions and group state.
    const seized = new SealedNet([bob]);
    seized.sessions.set(
      bob.hex,
      net.sessions.get(bob.hex)!.map((s) => Session.deserialize(s.serialize())),
    );
    seized.groups.set(bob.hex, Group.deserialize(bob.keys, net.groups.get(bob.hex)!.serialize()));
    for (const e of toBob) assert.equal(seized.open(e, bob), false, 'a used message key is gone');
    // The group's stored form holds ops and ids, no key and no post.
    assert.ok(!toHex(net.groups.get(bob.hex)!.serialize()).includes(toHex(new TextEncoder().encode('secret'))));
  });
});

// A member offline for a long time (a week of group life) catches up from its
// mailbox: every envelope that waited there is opened with its pairwise
// sessions, in the order the mixnet delivered them (reordered), and it ends
// with the same ops and posts as the others (docs/groups.md §5).

import assert from 'node:assert/strict';
import { Group } from '../../../protocol/groups/group.js';
import { seededUniform } from '../../helpers/seeded-uniform.js';
import { member } from './fixtures.js';
import { SealedNet, type Envelope } from './sealed-net.js';

describe('groups: a member offline for a week', function () {
  this.timeout(60_000);

  it('catches up from its mailbox, reordered, with the same ops and posts as everyone', () => {
    const [alice, bob, carol, dave] = [member(70), member(71), member(72), member(73)];
    const net = new SealedNet([alice, bob, carol, dave]);
    const a = Group.create(alice.keys, 'week', 0);
    net.groups.set(alice.hex, a);
    for (const m of [bob, carol]) net.send(alice, a.invite(m.address, 1));
    net.flush();
    for (const m of [bob, carol]) net.send(m, net.groups.get(m.hex)!.accept(2));
    net.flush();
    // Everyone has written to carol once, so the sessions run both ways.
    net.send(carol, net.groups.get(carol.hex)!.post({ kind: 'text', text: 'see you next week' }, 3).outgoing);
    net.flush();

    // Carol goes offline: what is addressed to her waits in her mailbox.
    const mailbox: Envelope[] = [];
    const deliverOthers = () => {
      while (net.wire.length > 0) {
        const e = net.wire.shift()!;
        if (e.to.hex === carol.hex) mailbox.push(e);
        else net.open(e);
      }
    };
    const b = net.groups.get(bob.hex)!;
    let t = 10;
    for (let i = 0; i < 60; i++) {
      net.send(alice, a.post({ kind: 'text', text: `alice ${i}` }, t++).outgoing);
      net.send(bob, b.post({ kind: 'text', text: `bob ${i}` }, t++).outgoing);
      deliverOthers();
    }
    net.send(alice, a.rename('a week later', t++));
    net.send(alice, a.invite(dave.address, t++));
    deliverOthers();
    net.send(dave, net.groups.get(dave.hex)!.accept(t++));
    deliverOthers();
    net.send(dave, net.groups.get(dave.hex)!.post({ kind: 'text', text: 'hi, I am new' }, t++).outgoing);
    deliverOthers();
    assert.ok(mailbox.length > 120);

    // Back online: the mailbox arrives reordered within a window, as the mixes' delays reorder packets.
    const uniform = seededUniform(7);
    const window = 24;
    for (let i = 0; i < mailbox.length; i += window) {
      const part = mailbox.slice(i, i + window);
      for (let j = part.length - 1; j > 0; j--) {
        const k = Math.floor(uniform() * (j + 1));
        [part[j], part[k]] = [part[k], part[j]];
      }
      mailbox.splice(i, part.length, ...part);
    }
    for (const e of mailbox) assert.ok(net.open(e), 'every waiting envelope opens');
    net.flush();

    const c = net.groups.get(carol.hex)!;
    assert.equal(c.name, 'a week later');
    assert.deepEqual(c.heads(), a.heads());
    assert.equal(c.members().length, 4);
    const posts = net.posts(carol);
    assert.equal(posts.length, 121, 'every post that waited, once');
    assert.ok(posts.includes('hi, I am new'));
    assert.equal(new Set(posts).size, posts.length);
    // The authors learn that carol got them.
    const last = net.events.get(alice.hex)!.filter((e) => e.type === 'receipt' && e.state === 'delivered');
    assert.ok(last.length >= 60);
  });
});

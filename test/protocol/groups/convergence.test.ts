// Convergence under reordering, loss (with resend) and duplication: whatever
// the order in which group messages arrive, every joined member ends with the
// same ops, the same membership and name, and every post reaches exactly the
// members it was sent to, once (docs/groups.md §9).
//
// The two properties run on random seeds, 40 and 20 runs by default (a few
// seconds). For a long run, or to replay a failure fast-check reported:
//   CHAFF_GROUP_RUNS=2000 npx mocha test/protocol/groups/convergence.test.ts
//   CHAFF_GROUP_SEED=-476953535 npx mocha test/protocol/groups/convergence.test.ts
// CHAFF_GROUP_RUNS is the number of runs of each property; CHAFF_GROUP_SEED
// fixes fast-check's seed (add the path it printed with CHAFF_GROUP_PATH).
// The counterexamples found so far are replayed below, by seed, and reduced
// to minimal sequences in repair.test.ts.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex } from '../../../protocol/bytes.js';
import { GroupError } from '../../../protocol/groups/errors.js';
import { resolveMembership } from '../../../protocol/groups/membership.js';
import { OpLog } from '../../../protocol/groups/op-log.js';
import { GroupNet, member, type InFlight, type Member } from './fixtures.js';

// Weighted by repetition: mostly deliveries and posts, as in a live group.
const ACTIONS = [
  'invite',
  'invite',
  'accept',
  'accept',
  'decline',
  'leave',
  'remove',
  'rename',
  'promote',
  'demote',
  'post',
  'post',
  'post',
  'read',
  'deliver',
  'deliver',
  'deliver',
  'deliver',
  'deliver',
  'duplicate',
  'lose',
  'resend',
] as const;
type Action = { kind: (typeof ACTIONS)[number]; actor: number; target: number; pick: number };

const action: fc.Arbitrary<Action> = fc.record({
  kind: fc.constantFrom(...ACTIONS),
  actor: fc.nat(),
  target: fc.nat(),
  pick: fc.nat(),
});

/** Runs a script of user actions and network events; returns the network after everything lost was resent and all delivered. */
function run(members: readonly Member[], script: readonly Action[], finalOrder: readonly number[]): GroupNet {
  const net = new GroupNet(members);
  net.create(members[0], 'start', 0);
  const lost: InFlight[] = [];
  let now = 1;
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof GroupError) || e.code !== 'not-allowed') throw e;
    }
  };
  // Actors and targets are picked among those for whom the action makes sense, so that most actions happen.
  const having = (pred: (m: Member) => boolean) => members.filter(pred);
  const statusOf = (m: Member) => net.group(m)?.status;
  const pickFrom = (list: Member[], i: number) => (list.length > 0 ? list[i % list.length] : undefined);
  for (const a of script) {
    now++;
    const n = net.inFlight.length;
    switch (a.kind) {
      case 'deliver':
      case 'duplicate':
        if (n > 0) net.deliver(a.pick % n, a.kind === 'duplicate');
        continue;
      case 'lose':
        if (n > 0) lost.push(net.inFlight.splice(a.pick % n, 1)[0]);
        continue;
      case 'resend':
        net.inFlight.push(...lost.splice(0));
        continue;
    }
    const joined = having((m) => statusOf(m) === 'joined');
    const admins = having((m) => net.group(m)?.isAdmin === true);
    const actor = pickFrom(
      a.kind === 'accept' || a.kind === 'decline' ? having((m) => statusOf(m) === 'invited') : ['invite', 'remove', 'rename', 'promote', 'demote'].includes(a.kind) ? admins : joined,
      a.actor,
    );
    if (!actor) continue;
    const g = net.group(actor)!;
    const inView = g.members().map((m) => toHex(m.key));
    const target = pickFrom(a.kind === 'invite' ? having((m) => !inView.includes(m.hex)) : having((m) => inView.includes(m.hex) && m !== actor), a.target);
    switch (a.kind) {
      case 'post':
        net.post(actor, `post ${now}`, now);
        continue;
      case 'read': {
        const posts = net.received.get(actor.hex) ?? [];
        if (posts.length > 0) net.queue(actor, g.markRead([posts[a.pick % posts.length]]));
        continue;
      }
      case 'leave':
        // Keep someone in the group most of the time: the last member leaves only on some picks.
        if (joined.length > 1 || a.pick % 4 === 0) attempt(() => net.queue(actor, g.leave(now)));
        continue;
    }
    attempt(() => {
      switch (a.kind) {
        case 'invite':
          return target && net.queue(actor, g.invite(target.address, now));
        case 'accept':
          return net.queue(actor, g.accept(now));
        case 'decline':
          return net.queue(actor, g.decline(now));
        case 'remove':
          return target && net.queue(actor, g.remove(target.key, now));
        case 'rename':
          return net.queue(actor, g.rename(`name ${now}`, now));
        case 'promote':
          return target && net.queue(actor, g.promote(target.key, now));
        case 'demote':
          return target && net.queue(actor, g.demote(target.key, now));
      }
    });
  }
  // The ARQ resends whatever was lost; then everything arrives, in an order the test chose.
  net.inFlight.push(...lost.splice(0));
  for (let i = 0; net.inFlight.length > 0; i++) {
    if (i > 20_000) throw new Error('no quiescence');
    net.deliver(finalOrder.length > 0 ? finalOrder[i % finalOrder.length] % net.inFlight.length : 0);
  }
  return net;
}

function checkConverged(net: GroupNet, members: readonly Member[]): void {
  // The truth: every op anyone holds, resolved.
  const all = new OpLog(net.group(members[0])!.groupId);
  const ops = [...net.groups.values()].flatMap((g) => [...g.ops]).sort((a, b) => a.lamport - b.lamport);
  for (const op of ops) all.admit(op);
  assert.equal(all.pendingCount, 0);
  const truth = resolveMembership(all);
  const heads = all.heads().map((op) => toHex(op.id));
  const view = (members: ReturnType<typeof resolveMembership>['members']) => [...members.values()].map((m) => `${toHex(m.key)}:${m.status}:${m.admin}`).sort();
  for (const m of members) {
    const g = net.group(m);
    if (truth.members.get(m.hex)?.status !== 'joined') continue;
    assert.ok(g, `${m.name} is joined but has no group`);
    assert.deepEqual(g.heads().map(toHex), heads, `${m.name} holds every op`);
    assert.equal(g.name, truth.name);
    assert.deepEqual(
      g
        .members()
        .map((x) => `${toHex(x.key)}:${x.status}:${x.admin}`)
        .sort(),
      view(truth.members),
      `${m.name} sees the membership everyone sees`,
    );
  }
  // Every post reached exactly its recipients, once, and they all said so.
  for (const [id, { post, recipients }] of net.sent) {
    const holders = members.filter((m) => (net.received.get(m.hex) ?? []).some((p) => toHex(p.id) === id));
    assert.deepEqual(holders.map((m) => m.hex).sort(), [...recipients].sort(), `post ${id.slice(0, 8)} reached exactly its recipients`);
    for (const m of holders) assert.equal(net.received.get(m.hex)!.filter((p) => toHex(p.id) === id).length, 1, 'no post is shown twice');
    const author = members.find((m) => m.hex === toHex(post.author))!;
    const delivery = net.group(author)!.deliveryOf(post.id)!;
    for (const r of recipients) assert.notEqual(delivery.get(r), 'sent', `the author knows ${r.slice(0, 8)} got it`);
  }
}

const members6 = [0, 1, 2, 3, 4, 5].map((i) => member(10 + i));
const members5 = [0, 1, 2, 3, 4].map((i) => member(20 + i));

/** From the creator alone, 3–6 members: random invitations, answers, removals and posts in any order. */
const fromTheCreator = fc.property(fc.integer({ min: 3, max: 6 }), fc.array(action, { minLength: 20, maxLength: 120 }), fc.array(fc.nat(), { maxLength: 20 }), (n, script, order) => {
  const some = members6.slice(0, n);
  checkConverged(run(some, script, order), some);
});

/** Five members, all invited and joined first; then a random script. */
function joinedFive(): Action[] {
  const setup: Action[] = [];
  for (let t = 1; t < members5.length; t++) setup.push({ kind: 'invite', actor: 0, target: t, pick: 0 });
  for (let k = 0; k < 40; k++) setup.push({ kind: 'deliver', actor: 0, target: 0, pick: 0 });
  for (let t = 1; t < members5.length; t++) setup.push({ kind: 'accept', actor: t, target: 0, pick: 0 });
  return setup;
}
const fromFiveJoined = fc.property(fc.array(action, { minLength: 20, maxLength: 50 }), fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (script, order) => {
  checkConverged(run(members5, [...joinedFive(), ...script], order), members5);
});

const envRuns = Number(process.env.CHAFF_GROUP_RUNS ?? '');
const envSeed = process.env.CHAFF_GROUP_SEED === undefined ? undefined : Number(process.env.CHAFF_GROUP_SEED);
/** fast-check's parameters: `runs` by default, or as the environment says (see the header). */
function params(runs: number): fc.Parameters<unknown> {
  return {
    numRuns: Number.isInteger(envRuns) && envRuns > 0 ? envRuns : runs,
    ...(envSeed !== undefined && Number.isInteger(envSeed) ? { seed: envSeed } : {}),
    ...(process.env.CHAFF_GROUP_PATH ? { path: process.env.CHAFF_GROUP_PATH } : {}),
  };
}

describe('groups: convergence under reordering, loss and duplication (property)', function () {
  // A long run (CHAFF_GROUP_RUNS) takes as long as it needs.
  this.timeout(Number.isInteger(envRuns) && envRuns > 0 ? 0 : 60_000);

  it('from the creator alone: random invitations, answers, removals and posts in any order', () => {
    fc.assert(fromTheCreator, params(40));
  });

  it('from a group of five joined members: concurrent posts, removals, renames and admin changes', () => {
    fc.assert(fromFiveJoined, params(20));
  });

  // Counterexamples the properties found, replayed (each failed before the
  // fix of docs/groups.md §5 named in repair.test.ts, which reduces them).

  it('regression (seed -476953535, CI): after a leave, re-invitations and two removals every joined member holds every op', () => {
    // The creator leaves before any accept reaches her; a member who believes
    // it is the only admin removes and re-invites; the member who accepted
    // first is the real admin. One joined member (m21) became joined in the
    // others' views without a new accept, its inviter gone: nobody sent it one
    // of the ineffective admin's ops (a stand-in now does).
    const d = (pick: number): Action => ({ kind: 'deliver', actor: 0, target: 0, pick });
    const invite: Action = { kind: 'invite', actor: 0, target: 0, pick: 0 };
    const script: Action[] = [
      { kind: 'leave', actor: 344225370, target: 0, pick: 0 },
      d(5),
      invite,
      d(566002056),
      invite,
      invite,
      d(0),
      ...Array<Action>(5).fill(invite),
      d(0),
      invite,
      d(0),
      { kind: 'remove', actor: 0, target: 0, pick: 0 },
      ...Array<Action>(4).fill(invite),
      { kind: 'remove', actor: 0, target: 588465286, pick: 0 },
    ];
    checkConverged(run(members5, [...joinedFive(), ...script], [231796581]), members5);
  });

  for (const [seed, what] of [
    [21, 'a member who left lacks the heads of a post sent while it was joined, from an author it cannot address'],
    [1544, 'a decline by a departed author reaches a member whose inviter left'],
    [1723, 'a member who left lacks the heads of a post sent while it was joined, from an author it cannot address'],
  ] as const) {
    it(`regression (seed ${seed}, five joined): ${what}`, () => fc.assert(fromFiveJoined, { numRuns: 1, seed, endOnFailure: true }));
  }
  it('regression (seed 997, from the creator): every joined member holds every op', () => fc.assert(fromTheCreator, { numRuns: 1, seed: 997, endOnFailure: true }));
  it('regression (seed 200259, from the creator): an accept its author sends to nobody (it sees nobody joined) reaches the others through the inviter who left', () =>
    fc.assert(fromTheCreator, { numRuns: 1, seed: 200259, endOnFailure: true }));
});

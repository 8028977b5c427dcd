// Shared fixtures for the group tests: seeded members and an in-memory
// network that delivers group messages in any order, loses, duplicates and
// resends them. (Not a *.test.ts file, so mocha does not run it.)

import { toHex } from '../../../protocol/bytes.js';
import { addressOf, type Address } from '../../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';
import { Group, type GroupEvent, type GroupKeys, type Outgoing, type Post } from '../../../protocol/groups/group.js';
import { GROUP_MESSAGE_TYPE } from '../../../protocol/groups/messages.js';
import { deterministicRandom } from '../../helpers/drbg.js';

export interface Member {
  readonly name: string;
  readonly identity: Identity;
  readonly address: Address;
  readonly keys: GroupKeys;
  readonly key: Uint8Array;
  readonly hex: string;
}

export function seededMember(name: string, index = 0): Member {
  const identity = generateIdentity(deterministicRandom(`group-member-${name}`));
  const address = addressOf(identity, new Uint8Array(32).fill(index & 0xff), new Uint8Array(32).fill((index + 1) & 0xff));
  const keys: GroupKeys = { signer: identity.signingKey, address, random: deterministicRandom(`group-random-${name}`) };
  return { name, identity, address, keys, key: address.identityKey, hex: toHex(address.identityKey) };
}

const memberCache = new Map<number, Member>();
/** The i-th seeded member (cached: key generation is the slow part of a large group). */
export function member(i: number): Member {
  let m = memberCache.get(i);
  if (!m) memberCache.set(i, (m = seededMember(`m${i}`, i)));
  return m;
}

export interface InFlight {
  from: Member;
  to: Member;
  message: Uint8Array;
}

/**
 * Every member's group (once it has one), the messages in flight, and what
 * each member saw. Deliveries happen in whatever order the test picks.
 */
export class GroupNet {
  readonly groups = new Map<string, Group>();
  readonly inFlight: InFlight[] = [];
  /** Posts each member received (events), by member hex. */
  readonly received = new Map<string, Post[]>();
  /** Each post sent: its author and recipients (hex). */
  readonly sent = new Map<string, { post: Post; recipients: string[] }>();
  readonly dropped: Array<{ at: string; reason: string }> = [];
  readonly byHex = new Map<string, Member>();
  delivered = 0;

  constructor(readonly members: readonly Member[]) {
    for (const m of members) this.byHex.set(m.hex, m);
  }

  /** A group created by members[0] ('g' unless named) that every other member was invited to and joined. */
  static joined(members: readonly Member[], name = 'g'): GroupNet {
    const net = new GroupNet(members);
    const creator = net.create(members[0], name, 0);
    for (const m of members.slice(1)) net.queue(members[0], creator.invite(m.address, 1));
    net.flush();
    for (const m of members.slice(1)) net.queue(m, net.group(m)!.accept(2));
    net.flush();
    return net;
  }

  group(m: Member): Group | undefined {
    return this.groups.get(m.hex);
  }

  queue(from: Member, outgoing: readonly Outgoing[]): void {
    for (const o of outgoing) this.inFlight.push({ from, to: this.byHex.get(toHex(o.to))!, message: o.message });
  }

  create(m: Member, name: string, nowMs = 0): Group {
    const g = Group.create(m.keys, name, nowMs);
    this.groups.set(m.hex, g);
    return g;
  }

  post(m: Member, text: string, nowMs = 0): Post {
    const { post, outgoing } = this.group(m)!.post({ kind: 'text', text }, nowMs);
    // The outgoing messages may begin with a merge op to every member (docs/groups.md §4.1): the post's recipients are those sent the post.
    const recipients = outgoing.filter((o) => o.message[0] === GROUP_MESSAGE_TYPE.post).map((o) => toHex(o.to));
    this.sent.set(toHex(post.id), { post, recipients });
    this.queue(m, outgoing);
    return post;
  }

  /** Delivers in-flight message i (and keeps a copy in flight when `duplicate`). */
  deliver(i: number, duplicate = false): void {
    const f = duplicate ? this.inFlight[i] : this.inFlight.splice(i, 1)[0];
    this.delivered++;
    const g = this.group(f.to);
    if (!g) {
      try {
        const joined = Group.fromInvitation(f.to.keys, f.from.key, f.message);
        this.groups.set(f.to.hex, joined);
      } catch (e) {
        this.dropped.push({ at: f.to.name, reason: (e as Error).message });
      }
      return;
    }
    const r = g.receive(f.from.key, f.message);
    this.#record(f.to, r.events);
    this.queue(f.to, r.outgoing);
  }

  /** Delivers everything in flight, first in first out, until nothing is left. */
  flush(limit = 1_000_000): void {
    for (let n = 0; this.inFlight.length > 0; n++) {
      if (n > limit) throw new Error('the network does not quiesce');
      this.deliver(0);
    }
  }

  #record(to: Member, events: readonly GroupEvent[]): void {
    for (const e of events) {
      if (e.type === 'post') {
        const list = this.received.get(to.hex) ?? [];
        list.push(e.post);
        this.received.set(to.hex, list);
      } else if (e.type === 'dropped') this.dropped.push({ at: to.name, reason: e.reason });
    }
  }
}

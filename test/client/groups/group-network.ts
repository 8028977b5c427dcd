// Several in-memory messengers (test/client/messenger/memory-user.ts) wired
// to each other as the mixnet would deliver: every queued envelope goes to
// the user whose gateway it names, each sent once and acknowledged. For the
// group tests of the client (client/groups/).

import type { ClientEvent, GroupInfo } from '../../../client/api.js';
import type { ManualClock } from '../../helpers/manual-clock.js';
import { memoryUser, type MemoryUser } from '../messenger/memory-user.js';

export class MemoryNetwork {
  readonly users: MemoryUser[] = [];
  /** Envelopes held back per user (offline), delivered by bringOnline(). */
  readonly #offline = new Map<MemoryUser, Uint8Array[]>();

  constructor(readonly clock: ManualClock) {}

  /** A new user; tags 1 … 15 name gateways 0x10 … 0xf0. */
  async add(tag: number): Promise<MemoryUser> {
    const u = await memoryUser(this.clock, tag << 4);
    this.users.push(u);
    return u;
  }

  /** The user over its own stores again (a restart), in its place; the daemon then syncs its groups. */
  async restart(u: MemoryUser): Promise<MemoryUser> {
    const again = await memoryUser(this.clock, u.ownAddress.gateway[0], u);
    this.users[this.users.indexOf(u)] = again;
    const held = this.#offline.get(u);
    if (held) {
      this.#offline.delete(u);
      this.#offline.set(again, held);
    }
    await again.parts.groups.syncAll();
    return again;
  }

  offline(u: MemoryUser): void {
    if (!this.#offline.has(u)) this.#offline.set(u, []);
  }

  /** Delivers what waited in the user's mailbox, in reverse order (the mixnet reorders). */
  async bringOnline(u: MemoryUser): Promise<void> {
    const held = this.#offline.get(u) ?? [];
    this.#offline.delete(u);
    for (const e of held.reverse()) await u.parts.inbox.receive(e);
  }

  /** Sends everything queued, over and over, until nobody has anything left; returns the envelopes moved. */
  async settle(): Promise<number> {
    let moved = 0;
    for (let round = 0; round < 50; round++) {
      const batch: Array<[MemoryUser, Uint8Array]> = [];
      for (const u of this.users) {
        for (let p = await u.parts.outbox.prepareNext(); p; p = await u.parts.outbox.prepareNext()) {
          u.parts.outbox.fragmentSent(p.key, 1);
          await u.parts.outbox.fragmentAcked(p.key);
          const to = this.users.find((x) => x.ownAddress.gateway[0] === p!.gateway[0]);
          if (to) batch.push([to, p.envelope]);
        }
      }
      if (batch.length === 0) return moved;
      moved += batch.length;
      for (const [to, envelope] of batch) {
        const held = this.#offline.get(to);
        if (held) held.push(envelope);
        else await to.parts.inbox.receive(envelope);
      }
    }
    throw new Error('the users kept sending for 50 rounds');
  }
}

/** Two users who added each other as contacts (cards exchanged): `a` knows `b` as `nameOfB` and `b` knows `a` as `nameOfA`. */
export async function befriend(net: MemoryNetwork, a: MemoryUser, nameOfB: string, b: MemoryUser, nameOfA: string): Promise<void> {
  await a.parts.book.add(nameOfB, b.address);
  await b.parts.book.add(nameOfA, a.address);
  await net.settle();
}

export const groupOf = (u: MemoryUser, id: string): GroupInfo => u.parts.groups.info(id);

export const eventsOf = <T extends ClientEvent['type']>(u: MemoryUser, type: T): Array<Extract<ClientEvent, { type: T }>> =>
  u.events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type);

export const postTexts = (u: MemoryUser, id: string): Array<string | undefined> => u.parts.groups.history(id, 1000).map((p) => p.content.text);

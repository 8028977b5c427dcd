// Group members who are not contacts (docs/groups.md §11.6): the delivery id
// their contact card gave, so our packets go there and not to their address's
// public mailbox (whose contact-request allowance is small), and whether our
// card went to them. Read by the outbox when it routes a group entry; written
// in the unit of work of the envelope or action that changed it.

import type { UnitOfWork } from '../store/unit-of-work.js';
import type { GroupPeerRecord, GroupPeerStore } from './group-records.js';

/** Most members remembered (a group holds at most 1000, a user a few groups); the oldest record beyond is forgotten. */
export const MAX_GROUP_PEERS = 10_000;

export class GroupPeers {
  readonly #byIdentity = new Map<string, GroupPeerRecord>();

  private constructor(private readonly store: GroupPeerStore) {}

  static async load(store: GroupPeerStore): Promise<GroupPeers> {
    const peers = new GroupPeers(store);
    for (const [identity, record] of await store.list()) peers.#byIdentity.set(identity, record);
    return peers;
  }

  get size(): number {
    return this.#byIdentity.size;
  }

  /** The delivery id (hex) a member's card gave, or null. */
  deliveryIdOf(identity: string): string | null {
    return this.#byIdentity.get(identity)?.deliveryId ?? null;
  }

  cardSent(identity: string): boolean {
    return this.#byIdentity.get(identity)?.cardSent ?? false;
  }

  /** The addresses of the members our card went to (they get a new one when our delivery id changes). */
  carded(): string[] {
    return [...this.#byIdentity.values()].filter((r) => r.cardSent).map((r) => r.address);
  }

  /** Changes a member's record (made with `address` if new) in memory at once and stages it. */
  update(work: UnitOfWork, identity: string, address: string, change: Partial<Omit<GroupPeerRecord, 'address'>>): void {
    const record: GroupPeerRecord = { ...(this.#byIdentity.get(identity) ?? { address, deliveryId: null, cardSent: false }), ...change };
    this.#byIdentity.delete(identity);
    this.#byIdentity.set(identity, record);
    this.store.put(work, identity, record);
    while (this.#byIdentity.size > MAX_GROUP_PEERS) {
      const oldest = this.#byIdentity.keys().next().value!;
      this.#byIdentity.delete(oldest);
      this.store.del(work, oldest);
    }
  }
}

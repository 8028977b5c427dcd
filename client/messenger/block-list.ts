// The people the user blocked (docs/client.md §Blocking), by identity key:
// an envelope from a blocked identity is dropped once it is opened, before
// it can become a message, a contact request, a card or a key change, and
// is counted (per blocked identity since the daemon started, and in the
// messenger's rejected counts as 'blocked'). The mixnet still delivers their
// envelopes to our mailbox: a sender cannot tell it is blocked, and nothing
// on the wire changes.

import { toHex } from '../../protocol/bytes.js';
import type { Address } from '../../protocol/e2ee/address.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { ClientError, type BlockedInfo } from '../api.js';
import type { BlockedRecord } from '../state.js';
import type { ContactDirectory } from './contact-directory.js';
import type { ContactRequests } from './contact-requests.js';
import { parseAddress } from './contact-names.js';
import type { MessengerStores } from './stores.js';

/** How many identities one profile may block: a bound on what is kept, far above a person's use. */
export const MAX_BLOCKED = 10_000;

export interface BlockListOptions {
  clock: Clock;
  /** Ours, which cannot be blocked. */
  ownAddress: Address;
}

export interface BlockListParts {
  stores: Pick<MessengerStores, 'blocked' | 'begin'>;
  contacts: Pick<ContactDirectory, 'nameOf'>;
  requests: Pick<ContactRequests, 'get' | 'drop'>;
}

export class BlockList {
  readonly #byIdentity = new Map<string, BlockedRecord>();
  /** Envelopes dropped per identity since the daemon started. */
  readonly #dropped = new Map<string, number>();

  private constructor(
    private readonly o: BlockListOptions,
    private readonly p: BlockListParts,
  ) {}

  static async load(o: BlockListOptions, parts: BlockListParts): Promise<BlockList> {
    const list = new BlockList(o, parts);
    for (const [identity, record] of await parts.stores.blocked.list()) list.#byIdentity.set(identity, record);
    return list;
  }

  get size(): number {
    return this.#byIdentity.size;
  }

  /** Whether the identity key (hex) is blocked. */
  has(identity: string): boolean {
    return this.#byIdentity.has(identity);
  }

  /** Counts an envelope dropped from a blocked identity. */
  countDrop(identity: string): void {
    this.#dropped.set(identity, (this.#dropped.get(identity) ?? 0) + 1);
  }

  list(): BlockedInfo[] {
    return [...this.#byIdentity.values()].sort((a, b) => a.blockedMs - b.blockedMs).map((r) => this.#info(r));
  }

  /**
   * Blocks the address's identity; blocking it again changes nothing. A
   * contact request from it is deleted with its messages and session, in
   * the same write. Our own address cannot be blocked.
   */
  async block(address: string): Promise<BlockedInfo> {
    const identity = identityOf(address);
    if (identity === toHex(this.o.ownAddress.identityKey)) throw new ClientError('bad-address', 'that is your own address');
    const held = this.#byIdentity.get(identity);
    if (held) return this.#info(held);
    if (this.#byIdentity.size >= MAX_BLOCKED) throw new ClientError('bad-request', `at most ${MAX_BLOCKED} people can be blocked; unblock some first`);
    const record: BlockedRecord = { address: address.trim(), identity, blockedMs: this.o.clock.now() };
    const work = this.p.stores.begin();
    this.p.stores.blocked.put(work, identity, record);
    if (this.p.requests.get(identity)) this.p.requests.drop(work, identity);
    await work.commit({ sync: true });
    this.#byIdentity.set(identity, record);
    return this.#info(record);
  }

  /** Unblocks the address's identity; ClientError('not-found') if it was not blocked. */
  async unblock(address: string): Promise<void> {
    const identity = identityOf(address);
    if (!this.#byIdentity.has(identity)) throw new ClientError('not-found', 'that address is not blocked');
    const work = this.p.stores.begin();
    this.p.stores.blocked.del(work, identity);
    await work.commit({ sync: true });
    this.#byIdentity.delete(identity);
    this.#dropped.delete(identity);
  }

  #info(r: BlockedRecord): BlockedInfo {
    const name = this.p.contacts.nameOf(r.identity);
    return { address: r.address, blockedMs: r.blockedMs, dropped: this.#dropped.get(r.identity) ?? 0, ...(name !== undefined ? { contact: name } : {}) };
  }
}

/** The identity key (hex) an address names, or ClientError('bad-address'). */
function identityOf(address: string): string {
  return toHex(parseAddress(address).identityKey);
}

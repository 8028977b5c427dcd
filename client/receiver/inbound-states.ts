// Each peer's reassembly and ordering state, and how it is kept in the
// encrypted store (docs/client-storage.md §Incoming fragments). A held chunk
// is a record of its own in `fragments`, written once when its fragment
// arrives and deleted when its message completes or is evicted; the rest of
// the state (which messages are incomplete, the remembered ids, the order
// buffer) is one `inbound` record per peer, rewritten only when it changes:
// when a message starts, completes or is evicted, or when a gap in the
// conversation's sequence numbers is given up. So a further fragment of a
// large message costs one chunk-sized write, however large the message (the
// whole state, chunks included, used to be rewritten and synced for every
// fragment: 5.4 MiB per fragment of a 4 MiB reassembly).

import { toHex } from '../../protocol/bytes.js';
import { toBase64 } from '../../protocol/util/base64.js';
import type { DataFragment } from '../../protocol/chat/frames.js';
import { OrderBuffer } from '../../protocol/chat/order.js';
import { Reassembler, type AcceptResult, type ReassemblerLimits, type ReassemblerState } from '../../protocol/chat/reassembly.js';
import type { FragmentStore, InboundStore } from '../messenger/stores.js';
import type { MessengerLog } from '../messenger/messenger-log.js';
import { fragmentKey, type InboundState } from '../state.js';
import type { UnitOfWork } from '../store/unit-of-work.js';

export interface Inbound {
  reassembler: Reassembler;
  order: OrderBuffer;
}

/** A stranger's reassembly is held to less: a contact request may hold at most this (docs/client.md §Contact requests). */
export const STRANGER_REASSEMBLY_LIMITS: Partial<ReassemblerLimits> = { maxPartialMessages: 4, maxPartialBytes: 1 << 20 };

/** Completed or evicted message ids kept in the stored state per peer (see save). */
export const PERSISTED_REMEMBERED = 256;

/** The stores the inbound states live in, and a unit of work over both. */
export interface InboundStores {
  inbound: InboundStore;
  fragments: FragmentStore;
  begin(): UnitOfWork;
}

export class InboundStates {
  readonly #stores: InboundStores;
  readonly #holdMs: number;
  readonly #byPeer = new Map<string, Inbound>();
  // Message ids a version 1 order state still held back, by peer: to be shown (takeReleasedOnLoad).
  #releasedOnLoad = new Map<string, string[]>();

  private constructor(stores: InboundStores, holdMs: number) {
    this.#stores = stores;
    this.#holdMs = holdMs;
  }

  /** Loads every peer's state, its chunks from their records; orphaned chunk records are deleted. */
  static async load(stores: InboundStores, holdMs: number, log: MessengerLog): Promise<InboundStates> {
    const states = new InboundStates(stores, holdMs);
    const chunks = new Map<string, Uint8Array>();
    for (const [key, chunk] of await stores.fragments.list()) chunks.set(key, chunk);
    const used = new Set<string>();
    for (const [peer, state] of await stores.inbound.list()) {
      try {
        const meta = state.reassembler as ReassemblerState;
        const full: ReassemblerState = {
          ...meta,
          partials: (meta.partials ?? [])
            .map((p) => ({
              ...p,
              chunks: p.chunks.flatMap(([i, inline]): Array<[number, string]> => {
                const key = fragmentKey(peer, p.id, i);
                const chunk = chunks.get(key);
                // A state written before chunks had records of their own holds them inline.
                if (!chunk) return inline ? [[i, inline]] : [];
                used.add(key);
                return [[i, toBase64(chunk)]];
              }),
            }))
            .filter((p) => p.chunks.length > 0),
        };
        const reassembler = Reassembler.fromJSON(full);
        const { buffer, released } = OrderBuffer.deserialize(state.order, { holdMs });
        states.#byPeer.set(peer, { reassembler, order: buffer });
        const ids = released.filter((item): item is string => typeof item === 'string');
        if (ids.length > 0) states.#releasedOnLoad.set(peer, ids);
      } catch (err) {
        log('warn', 'stored reassembly state could not be read; starting afresh for that peer', { error: (err as Error).message });
      }
    }
    const orphans = [...chunks.keys()].filter((k) => !used.has(k));
    if (orphans.length > 0) {
      const work = stores.begin();
      for (const key of orphans) stores.fragments.del(work, key);
      await work.commit();
    }
    return states;
  }

  /**
   * The messages (ids, by peer) that a version 1 order state held back when
   * it was loaded: the messenger shows them once (client/messenger/
   * order-upgrade.ts). Returned once; later calls return nothing.
   */
  takeReleasedOnLoad(): Map<string, string[]> {
    const released = this.#releasedOnLoad;
    this.#releasedOnLoad = new Map();
    return released;
  }

  peers(): IterableIterator<[string, Inbound]> {
    return this.#byPeer.entries();
  }

  /** The peer's state, created (with stranger limits when `stranger`) if it has none. */
  of(peer: string, stranger: boolean): Inbound {
    let s = this.#byPeer.get(peer);
    if (!s) {
      s = { reassembler: new Reassembler(stranger ? STRANGER_REASSEMBLY_LIMITS : undefined), order: new OrderBuffer({ holdMs: this.#holdMs }) };
      this.#byPeer.set(peer, s);
    }
    return s;
  }

  /** A stranger became a contact: their reassembly gets the ordinary limits. */
  promote(peer: string): void {
    const s = this.#byPeer.get(peer);
    if (s) s.reassembler = Reassembler.fromJSON(s.reassembler.toJSON());
  }

  /**
   * Takes one fragment; the chunk record and, when the rest of the state
   * changed, the peer's record go into `work`.
   */
  accept(peer: string, stranger: boolean, fragment: DataFragment, work: UnitOfWork): AcceptResult {
    const s = this.of(peer, stranger);
    const id = toHex(fragment.messageId);
    const held = s.reassembler.heldIndexes(fragment.messageId);
    const result = s.reassembler.accept(fragment);
    for (const e of result.evicted) for (const i of e.indexes) this.#stores.fragments.del(work, fragmentKey(peer, toHex(e.messageId), i));
    if (result.status === 'partial') {
      this.#stores.fragments.put(work, fragmentKey(peer, id, fragment.index), fragment.chunk);
      // A further fragment of a message already held changes nothing else.
      if (held.length > 0 && result.evicted.length === 0) return result;
    } else if (result.status === 'complete') {
      for (const i of held) this.#stores.fragments.del(work, fragmentKey(peer, id, i));
    } else if (result.evicted.length === 0) {
      return result; // duplicate or rejected: nothing changed
    }
    this.save(peer, work);
    return result;
  }

  /**
   * Puts the peer's state (without chunks) into `work`. Only the newest
   * PERSISTED_REMEMBERED completed or evicted ids are written (memory keeps
   * more): the record is rewritten for every message, and all 4,096 would
   * make that ~300 KiB. After a restart an older duplicate is caught by the
   * order buffer's sequence numbers instead (docs/chat.md §Reassembly).
   */
  save(peer: string, work: UnitOfWork): void {
    const s = this.#byPeer.get(peer);
    if (!s) return;
    const state = s.reassembler.toJSON();
    const meta: InboundState = {
      reassembler: {
        ...state,
        partials: state.partials.map((p) => ({ ...p, chunks: p.chunks.map(([i]): [number, string] => [i, '']) })),
        remembered: state.remembered.slice(-PERSISTED_REMEMBERED),
      },
      order: s.order.serialize(),
    };
    this.#stores.inbound.put(work, peer, meta);
  }

  /** Forgets a peer: its record and chunk records go into `work`. */
  drop(peer: string, work: UnitOfWork): void {
    const s = this.#byPeer.get(peer);
    if (!s) return;
    for (const p of s.reassembler.toJSON().partials) for (const [i] of p.chunks) this.#stores.fragments.del(work, fragmentKey(peer, p.id, i));
    this.#stores.inbound.del(work, peer);
    this.#byPeer.delete(peer);
  }
}

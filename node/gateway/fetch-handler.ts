// The gateway's side of the mailbox fetch (docs/gateway.md §Fetch): checks a
// signed request against the connection it came on, deletes what the client
// acknowledged, and answers with exactly `fetchBatch` message slots of
// `messageBodyLength` bytes and `ackBatch` ACK slots (a SURB reply's id and
// digest), whatever the mailbox holds. A stored entry that does not decode
// (node/gateway/mailbox-entry.ts) can never be served: it is deleted and
// counted rather than left to take a slot in every reply.
//
// A client's mail sits in two lanes (node/gateway/mailbox-lanes.ts): its
// main lane and its contact-request lane. While main-lane mail waits,
// contact requests get at most a quarter of the message slots (rounded
// down), so a stranger who keeps the request lane full slows the client's
// established contacts by at most a quarter; SURB replies sent to the public
// mailbox id get at most a quarter of the ACK slots in the same way.

import { randomBytes } from 'node:crypto';
import { toHex, ctEqual } from '../../protocol/bytes.js';
import { DEFAULT_FETCH_SLOTS, decodeFetchRequest, encodeFetchReply, FetchFormatError, mailboxIdOf, type FetchReplyMessage, type FetchSlots } from '../../protocol/wire/fetch.js';
import type { MailboxStore, StoredMessage } from '../store/mailbox-store.js';
import type { ClientRegistry } from './client-registry.js';
import { decodeMailboxEntry } from './mailbox-entry.js';
import { requestLaneOf } from './mailbox-lanes.js';

export const FETCH_DROP_REASONS = [
  /** Not a well-formed, correctly signed request. */
  'malformed',
  /** Signed by a key other than the connection's authenticated peer. */
  'wrong-key',
  /** The client never registered here. */
  'unregistered',
  /** The counter is not above the last one seen from this client. */
  'old-counter',
  /** The mailbox store failed (closed, disk error). */
  'store-error',
] as const;
export type FetchDropReason = (typeof FETCH_DROP_REASONS)[number];

/** A refused fetch: `reason` is counted; the message may go back to the client. */
export class FetchRefusedError extends Error {
  constructor(
    readonly reason: FetchDropReason,
    message: string,
  ) {
    super(message);
    this.name = 'FetchRefusedError';
  }
}

export interface FetchStats {
  served: number;
  /** Messages handed out (real entries), over all replies. */
  messagesServed: number;
  /** Acknowledged ids deleted. */
  acked: number;
  /** Stored entries that did not decode (unknown kind, too long), deleted unserved. */
  corruptDeleted: number;
  drops: Record<FetchDropReason, number>;
}

export interface FetchHandlerDeps {
  readonly mailboxes: MailboxStore;
  readonly registry: ClientRegistry;
  /** Message slots in every reply (fetch_batch). */
  readonly fetchBatch: number;
  /** ACK slots in every reply (fetch_ack_batch). Default DEFAULT_FETCH_ACK_BATCH. */
  readonly ackBatch?: number;
  /** The largest body stored: fetchEntryBodyLength(geometry) (a SURB reply's payload). */
  readonly bodyLength: number;
  /** Body length of a message slot: fetchMessageBodyLength(geometry). Default bodyLength. */
  readonly messageBodyLength?: number;
  readonly random?: (n: number) => Uint8Array;
  /** Called with the mailbox id of every client whose fetch is accepted (activity, for idle expiry). */
  onActive?(mailboxId: Uint8Array): void;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** ACK slots per reply unless configured (protocol/wire/fetch.ts DEFAULT_FETCH_SLOTS). */
export const DEFAULT_FETCH_ACK_BATCH = DEFAULT_FETCH_SLOTS.acks;

export class FetchHandler {
  readonly #deps: FetchHandlerDeps;
  readonly #random: (n: number) => Uint8Array;
  readonly #slots: FetchSlots;
  readonly #messageBodyLength: number;
  // The last counter seen per client (mailbox id hex), in memory only. This
  // suffices because a request is only accepted on a connection whose
  // Noise-authenticated peer is the signing key: nobody but the key's holder
  // can deliver a request for it, and a recorded request cannot be replayed
  // onto another connection (an observer sees only Noise ciphertext and
  // cannot complete a handshake as the client). The counter therefore only
  // orders the client's own requests (a duplicated or delayed retransmission
  // must not ack or fetch twice); after a gateway restart the client's next
  // request is accepted whatever its counter, which gives the client nothing
  // it could not get by signing a fresh request.
  readonly #lastCounter = new Map<string, bigint>();
  #served = 0;
  #messagesServed = 0;
  #acked = 0;
  #corruptDeleted = 0;
  readonly #drops = Object.fromEntries(FETCH_DROP_REASONS.map((r) => [r, 0])) as Record<FetchDropReason, number>;

  constructor(deps: FetchHandlerDeps) {
    if (!Number.isInteger(deps.fetchBatch) || deps.fetchBatch < 1 || deps.fetchBatch > 0xffff) throw new RangeError(`fetchBatch must be 1 … 65535, got ${deps.fetchBatch}`);
    if (!Number.isInteger(deps.bodyLength) || deps.bodyLength < 1) throw new RangeError(`bodyLength must be a positive integer, got ${deps.bodyLength}`);
    const ackBatch = deps.ackBatch ?? DEFAULT_FETCH_ACK_BATCH;
    if (!Number.isInteger(ackBatch) || ackBatch < 1 || ackBatch > 0xffff) throw new RangeError(`ackBatch must be 1 … 65535, got ${ackBatch}`);
    const messageBodyLength = deps.messageBodyLength ?? deps.bodyLength;
    if (!Number.isInteger(messageBodyLength) || messageBodyLength < 1 || messageBodyLength > deps.bodyLength)
      throw new RangeError(`messageBodyLength must be 1 … bodyLength, got ${messageBodyLength}`);
    this.#slots = { messages: deps.fetchBatch, acks: ackBatch };
    this.#messageBodyLength = messageBodyLength;
    this.#deps = deps;
    this.#random = deps.random ?? ((n) => new Uint8Array(randomBytes(n)));
  }

  /**
   * Answers `request` from the connection authenticated as `peerKey` (raw
   * Ed25519, or null if the peer has no Ed25519 key). Throws
   * FetchRefusedError (counted) when refused.
   */
  async handle(request: Uint8Array, peerKey: Uint8Array | null): Promise<Uint8Array> {
    let decoded;
    try {
      decoded = decodeFetchRequest(request);
    } catch (err) {
      if (err instanceof FetchFormatError) throw this.#refuse('malformed', err.message);
      throw err;
    }
    if (peerKey === null || !ctEqual(decoded.clientKey, peerKey)) throw this.#refuse('wrong-key', 'the request is not signed by the connection’s peer');
    const mailboxId = mailboxIdOf(decoded.clientKey);
    if (!this.#deps.registry.has(mailboxId)) throw this.#refuse('unregistered', 'not registered with this gateway');
    const client = toHex(mailboxId);
    const last = this.#lastCounter.get(client);
    if (last !== undefined && decoded.counter <= last) throw this.#refuse('old-counter', `counter ${decoded.counter} is not above ${last}`);
    // Taken before any await, so two concurrent copies of one request cannot both pass.
    this.#lastCounter.set(client, decoded.counter);
    this.#deps.onActive?.(mailboxId);

    const { mailboxes } = this.#deps;
    const slots = this.#slots;
    let served: FetchReplyMessage[];
    try {
      // Ids beyond 2^53 were never issued by the store: nothing to delete.
      const lanes = [mailboxId, requestLaneOf(mailboxId)];
      const acks = decoded.acks.filter((id) => id <= MAX_SAFE).map(Number);
      if (acks.length > 0) this.#acked += (await mailboxes.ack(lanes, acks)).acked;
      // The oldest entries of each lane, enough to fill both kinds of slot.
      const read = slots.messages + slots.acks;
      const main = this.#decode(await mailboxes.fetch(lanes[0], read));
      const requests = this.#decode(await mailboxes.fetch(lanes[1], read));
      const corrupt = [...main.corrupt, ...requests.corrupt];
      const messages = shareReply(main.messages, requests.messages, slots.messages);
      const replies = shareReply(main.replies, requests.replies, slots.acks);
      served = [...messages, ...replies].map((m) => main.entries.get(m.id) ?? requests.entries.get(m.id)!);
      if (corrupt.length > 0) this.#corruptDeleted += (await mailboxes.ack(lanes, corrupt)).acked;
    } catch {
      // The detail (folder, LevelDB message) stays here: the client gets a generic reason.
      throw this.#refuse('store-error', 'the gateway could not read the mailbox');
    }
    const reply = encodeFetchReply(decoded.counter, served, slots, this.#messageBodyLength, this.#random);
    this.#served++;
    this.#messagesServed += served.length;
    return reply;
  }

  /** Splits stored entries by the slot they take; what cannot be served is listed in `corrupt`. */
  #decode(stored: readonly StoredMessage[]): { messages: StoredMessage[]; replies: StoredMessage[]; corrupt: number[]; entries: Map<number, FetchReplyMessage> } {
    const out = { messages: [] as StoredMessage[], replies: [] as StoredMessage[], corrupt: [] as number[], entries: new Map<number, FetchReplyMessage>() };
    for (const m of stored) {
      const entry = decodeMailboxEntry(m.message);
      const limit = entry?.kind === 'message' ? this.#messageBodyLength : this.#deps.bodyLength;
      if (entry === null || entry.body.length > limit) {
        out.corrupt.push(m.id);
        continue;
      }
      (entry.kind === 'message' ? out.messages : out.replies).push(m);
      out.entries.set(m.id, { id: BigInt(m.id), kind: entry.kind, surbId: entry.surbId, via: entry.via, body: entry.body });
    }
    return out;
  }

  stats(): FetchStats {
    return { served: this.#served, messagesServed: this.#messagesServed, acked: this.#acked, corruptDeleted: this.#corruptDeleted, drops: { ...this.#drops } };
  }

  #refuse(reason: FetchDropReason, message: string): FetchRefusedError {
    this.#drops[reason]++;
    return new FetchRefusedError(reason, message);
  }

  /** Forgets a client whose registration expired. */
  forget(mailboxId: Uint8Array): void {
    this.#lastCounter.delete(toHex(mailboxId));
  }
}

/**
 * The messages of one reply from the main lane and the request lane (each
 * oldest first): contact requests take a quarter of the message slots
 * (rounded down) while main-lane mail waits, and any room the main lane
 * leaves. In arrival order.
 */
export function shareReply(main: readonly StoredMessage[], requests: readonly StoredMessage[], batch: number): StoredMessage[] {
  const requestShare = Math.floor(batch / 4);
  const fromRequests = Math.min(requests.length, Math.max(requestShare, batch - main.length));
  const fromMain = Math.min(main.length, batch - fromRequests);
  return [...main.slice(0, fromMain), ...requests.slice(0, fromRequests)].sort((a, b) => a.id - b.id);
}

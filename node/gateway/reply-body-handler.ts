// The gateway's side of the reply-body RPC (/chaff/client/reply-body/1,
// docs/gateway.md §Short handles, docs/handles.md §Reply-body RPC). A fetch
// carries SURB replies only as digests (docs/gateway.md §Fetch); a client
// that recognises the SURB id of one of its lookups asks for that entry's
// full body by message id, still encrypted under the SURB's keys, before it
// acknowledges it. The gateway learns only that this client received a SURB
// reply that carried data, not from where.
//
// Only the caller's own entries are found: the caller is the peer Noise
// authenticated (node/gateway/client-identity.ts), its lanes are those of
// mailboxIdOf(its key) (node/gateway/mailbox-lanes.ts: the main lane and the
// contact-request lane), and the store reads by mailbox id and message id
// together, so another client's id is simply not there. Only a SURB reply
// not yet acknowledged is found; a message (its body already came in its
// fetch slot) is answered { found: false }, like an unknown id.

import { ED25519_PUBLIC_KEY_LENGTH } from '../../protocol/crypto/ed25519.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { decodeReplyBodyRequest, encodeReplyBodyReply, HandleError } from '../../protocol/wire/handle.js';
import type { MailboxStore } from '../store/mailbox-store.js';
import type { ClientRegistry } from './client-registry.js';
import { decodeMailboxEntry } from './mailbox-entry.js';
import { requestLaneOf } from './mailbox-lanes.js';

export const REPLY_BODY_DROP_REASONS = [
  /** Not a reply-body request. */
  'malformed',
  /** The caller is not a client registered here. */
  'unregistered',
  /** The mailbox store failed (closed, disk error). */
  'store-error',
] as const;
export type ReplyBodyDropReason = (typeof REPLY_BODY_DROP_REASONS)[number];

/** A refused reply-body request: `reason` is counted; the message may go back to the client. */
export class ReplyBodyRefusedError extends Error {
  constructor(
    readonly reason: ReplyBodyDropReason,
    message: string,
  ) {
    super(message);
    this.name = 'ReplyBodyRefusedError';
  }
}

export interface ReplyBodyStats {
  /** Bodies handed out. */
  found: number;
  /** Answered { found: false }: no such entry of the caller's, or not a SURB reply. */
  notFound: number;
  drops: Record<ReplyBodyDropReason, number>;
}

export interface ReplyBodyHandlerDeps {
  readonly mailboxes: MailboxStore;
  readonly registry: ClientRegistry;
  /** The largest body stored: fetchEntryBodyLength(geometry) (a SURB reply's payload). */
  readonly bodyLength: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class ReplyBodyHandler {
  readonly #deps: ReplyBodyHandlerDeps;
  #found = 0;
  #notFound = 0;
  readonly #drops = Object.fromEntries(REPLY_BODY_DROP_REASONS.map((r) => [r, 0])) as Record<ReplyBodyDropReason, number>;

  constructor(deps: ReplyBodyHandlerDeps) {
    if (!Number.isInteger(deps.bodyLength) || deps.bodyLength < 1) throw new RangeError(`bodyLength must be a positive integer, got ${deps.bodyLength}`);
    this.#deps = deps;
  }

  /** The largest reply: the version and found bytes, then a body. */
  get maxReplyLength(): number {
    return 2 + this.#deps.bodyLength;
  }

  /**
   * Answers `request` from the connection authenticated as `peerKey` (raw
   * Ed25519, or null). Throws ReplyBodyRefusedError (counted) when refused.
   */
  async handle(request: Uint8Array, peerKey: Uint8Array | null): Promise<Uint8Array> {
    let id: bigint;
    try {
      id = decodeReplyBodyRequest(request);
    } catch (err) {
      if (err instanceof HandleError) throw this.#refuse('malformed', err.message);
      throw err;
    }
    if (peerKey === null || peerKey.length !== ED25519_PUBLIC_KEY_LENGTH) throw this.#refuse('unregistered', 'not registered with this gateway');
    const mailboxId = mailboxIdOf(peerKey);
    if (!this.#deps.registry.has(mailboxId)) throw this.#refuse('unregistered', 'not registered with this gateway');
    const body = id <= MAX_SAFE ? await this.#find(mailboxId, Number(id)) : null;
    if (body === null) {
      this.#notFound++;
      return encodeReplyBodyReply({ found: false });
    }
    this.#found++;
    return encodeReplyBodyReply({ found: true, body });
  }

  stats(): ReplyBodyStats {
    return { found: this.#found, notFound: this.#notFound, drops: { ...this.#drops } };
  }

  /** The body of the SURB reply `id` in either of the client's lanes, or null. */
  async #find(mailboxId: Uint8Array, id: number): Promise<Uint8Array | null> {
    for (const lane of [mailboxId, requestLaneOf(mailboxId)]) {
      let stored;
      try {
        stored = await this.#deps.mailboxes.get(lane, id);
      } catch {
        // The detail (folder, LevelDB message) stays here: the client gets a generic reason.
        throw this.#refuse('store-error', 'the gateway could not read the mailbox');
      }
      if (stored === null) continue;
      const entry = decodeMailboxEntry(stored.message);
      return entry?.kind === 'surb-reply' && entry.body.length <= this.#deps.bodyLength ? entry.body : null;
    }
    return null;
  }

  #refuse(reason: ReplyBodyDropReason, message: string): ReplyBodyRefusedError {
    this.#drops[reason]++;
    return new ReplyBodyRefusedError(reason, message);
  }
}

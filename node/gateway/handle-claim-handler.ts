// The gateway's side of the claim RPC (/chaff/client/handle/1, docs/gateway.md
// §Short handles, docs/handles.md §Claim RPC): a registered client claims a
// name for its own address, or releases the one it holds. The caller is the
// peer Noise authenticated on the connection (node/gateway/client-identity.ts),
// so a claim needs no signature of its own beyond the record's.
//
// Checks, in order; the first that fails decides the answer:
//   1. the request decodes (else an RPC refusal, 'malformed'; a record whose
//      address signature fails parses as far as it needs to and is 'invalid'
//      once the caller is known to be a client here);
//   2. the caller is a registered client here ('not-registered');
//   3. for a claim: the record verifies for its own name and this gateway's
//      node id (verifyHandleRecord: the address's, the mailbox proof's and
//      the record's signatures), its mailbox proof's key is the caller's key
//      and its address's mailbox is the caller's mailbox ('invalid');
//   4. the caller's budget of claims and releases has a token left (else an
//      RPC refusal, 'rate-limited': node/gateway/handle-claim-budget.ts), so
//      a client alternating names cannot make the registry write without
//      end; charged only here, just before the registry, so the budget is
//      kept only for registered clients and a bad request spends none;
//   5. the name is free or already the caller's ('taken').
// Every answer carries the name the caller holds afterwards. Every outcome
// is counted; refusals are reported (reason only: never a key or a name).

import { ctEqual } from '../../protocol/bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH } from '../../protocol/crypto/ed25519.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { decodeHandleClaimRequest, encodeHandleClaimReply, HandleError, verifyHandleRecord, type HandleClaimRequest, type HandleClaimStatus, type HandleRecord } from '../../protocol/wire/handle.js';
import type { ClientRegistry } from './client-registry.js';
import type { HandleClaimBudget } from './handle-claim-budget.js';
import type { HandleRegistry } from './handle-registry.js';

export const HANDLE_CLAIM_OUTCOMES = [
  /** A name claimed (or its record replaced). */
  'ok',
  /** A name released (or a release by a client that held none). */
  'released',
  /** The name is another client's. */
  'taken',
  /** The record does not verify for this gateway, or is not the caller's. */
  'invalid',
  /** The caller is not a client registered here. */
  'not-registered',
  /** Not a claim request (refused). */
  'malformed',
  /** The caller's budget of claims and releases is spent for now (refused). */
  'rate-limited',
  /** The registry could not write (refused). */
  'store-error',
] as const;
export type HandleClaimOutcome = (typeof HANDLE_CLAIM_OUTCOMES)[number];

/**
 * A refused claim RPC (no reply could say it): `reason` is counted; the
 * message may go back to the client. `firstInWindow`: a 'rate-limited'
 * refusal that is this client's first in the budget's window (the gateway
 * logs those only).
 */
export class HandleClaimRefusedError extends Error {
  readonly firstInWindow: boolean;

  constructor(
    readonly reason: Extract<HandleClaimOutcome, 'malformed' | 'rate-limited' | 'store-error'>,
    message: string,
    options?: { cause?: unknown; firstInWindow?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HandleClaimRefusedError';
    this.firstInWindow = options?.firstInWindow ?? false;
  }
}

export interface HandleClaimStats {
  /** Names held now. */
  held: number;
  /** Stored entries skipped when the registry was opened. */
  corruptEntries: number;
  /** Requests by outcome. */
  outcomes: Record<HandleClaimOutcome, number>;
}

export interface HandleClaimHandlerDeps {
  readonly handles: HandleRegistry;
  readonly registry: ClientRegistry;
  /** This gateway's node id (nodeIdOf its identity key): a record must name it. */
  gatewayId(): Uint8Array;
  /** Each registered client's budget of claims and releases; without it, none is limited. */
  readonly budget?: HandleClaimBudget;
  /** Called with every outcome that is not 'ok' or 'released', after counting (logs, metrics). */
  onRefuse?(outcome: HandleClaimOutcome): void;
}

export class HandleClaimHandler {
  readonly #deps: HandleClaimHandlerDeps;
  readonly #outcomes = Object.fromEntries(HANDLE_CLAIM_OUTCOMES.map((o) => [o, 0])) as Record<HandleClaimOutcome, number>;

  constructor(deps: HandleClaimHandlerDeps) {
    this.#deps = deps;
  }

  /**
   * Answers `body` from the connection authenticated as `peerKey` (raw
   * Ed25519, or null for a peer without an Ed25519 key) with an encoded
   * claim reply. Throws HandleClaimRefusedError (counted) when the request
   * is not a claim request, the caller's budget is spent, or the registry
   * cannot write.
   */
  async handle(body: Uint8Array, peerKey: Uint8Array | null): Promise<Uint8Array> {
    let request: HandleClaimRequest | null = null;
    try {
      request = decodeHandleClaimRequest(body);
    } catch (err) {
      if (!(err instanceof HandleError)) throw err;
      // A record whose address is not signed by its identity: a bad record, not a bad request.
      if (err.code !== 'forged') throw this.#refuse('malformed', err.message);
    }
    if (peerKey === null || peerKey.length !== ED25519_PUBLIC_KEY_LENGTH || !this.#deps.registry.has(mailboxIdOf(peerKey))) {
      return this.#reply('not-registered', 'not-registered', null);
    }
    const { handles } = this.#deps;
    if (request === null) return this.#reply('invalid', 'invalid', handles.nameOf(peerKey));
    if (request.op === 'release') {
      this.#charge(peerKey);
      try {
        await handles.release(peerKey);
      } catch (err) {
        throw this.#refuse('store-error', 'the gateway could not release the handle', err);
      }
      return this.#reply('released', 'ok', null);
    }
    const { record } = request;
    if (!this.#valid(record, peerKey)) return this.#reply('invalid', 'invalid', handles.nameOf(peerKey));
    this.#charge(peerKey);
    let claimed;
    try {
      claimed = await handles.claim(peerKey, record);
    } catch (err) {
      // The detail (folder, LevelDB message) goes to the operator's log as the cause: the client gets a generic reason.
      throw this.#refuse('store-error', 'the gateway could not record the handle', err);
    }
    return claimed.status === 'ok' ? this.#reply('ok', 'ok', claimed.held) : this.#reply('taken', 'taken', claimed.held);
  }

  stats(): HandleClaimStats {
    return { held: this.#deps.handles.size, corruptEntries: this.#deps.handles.corruptEntries, outcomes: { ...this.#outcomes } };
  }

  /** The record is for this gateway, signed by its owner, and the owner is the caller. */
  #valid(record: HandleRecord, peerKey: Uint8Array): boolean {
    try {
      verifyHandleRecord(record, { name: record.name, gateway: this.#deps.gatewayId() });
    } catch (err) {
      if (err instanceof HandleError) return false;
      throw err;
    }
    return ctEqual(record.mailboxProof.subarray(0, ED25519_PUBLIC_KEY_LENGTH), peerKey) && ctEqual(record.address.mailbox, mailboxIdOf(peerKey));
  }

  /** Takes a token of the caller's budget; throws the 'rate-limited' refusal when there is none. */
  #charge(peerKey: Uint8Array): void {
    const { budget } = this.#deps;
    const charge = budget?.charge(mailboxIdOf(peerKey)) ?? 'ok';
    if (charge === 'ok') return;
    throw this.#refuse('rate-limited', `too many handle claims and releases from this client (at most ${budget!.perHour} an hour); try again later`, undefined, charge === 'limited-first');
  }

  #reply(outcome: HandleClaimOutcome, status: HandleClaimStatus, held: string | null): Uint8Array {
    this.#count(outcome);
    return encodeHandleClaimReply({ status, name: held ?? '' });
  }

  #refuse(reason: HandleClaimRefusedError['reason'], message: string, cause?: unknown, firstInWindow = false): HandleClaimRefusedError {
    this.#count(reason);
    return new HandleClaimRefusedError(reason, message, { ...(cause === undefined ? {} : { cause }), firstInWindow });
  }

  #count(outcome: HandleClaimOutcome): void {
    this.#outcomes[outcome]++;
    if (outcome === 'ok' || outcome === 'released') return;
    try {
      this.#deps.onRefuse?.(outcome);
    } catch {
      // A metrics hook must not break the request path.
    }
  }
}

// The exit side of a gateway: a packet whose last hop is this gateway is
// written into its recipient's mailbox before the mix pipeline counts it as
// taken (MixProcessor awaits onFinalHop). A SURB reply (recipient + SURB-reply
// commands) is stored the same way, its payload still encrypted: only the
// SURB's creator can open it. Nothing else happens to a message first.

import type { Clock } from '../../protocol/traffic/clock.js';
import type { RoutingCommand } from '../../protocol/sphinx/index.js';
import { DepositRejectedError, type DepositRejection, type MailboxStore } from '../store/mailbox-store.js';
import type { ClientRegistry } from './client-registry.js';

export const DELIVERY_DROP_REASONS = [
  /** Last hop without a recipient command (nothing to deliver to). */
  'no-recipient',
  /** Last hop without a payload (cannot happen with unwrap; defensive). */
  'no-payload',
  /** The recipient id is not a mailbox registered here. */
  'unknown-recipient',
  /** The payload is longer than a fetch entry can carry. */
  'oversize-payload',
  /** The mailbox store refused: */
  'too-large',
  'over-quota-messages',
  'over-quota-bytes',
  /** The mailbox store failed to write (closed, disk error). */
  'store-error',
] as const satisfies readonly (string | DepositRejection)[];
export type DeliveryDropReason = (typeof DELIVERY_DROP_REASONS)[number];

export interface DeliveryStats {
  deposits: number;
  /** Of which SURB replies. */
  surbReplies: number;
  drops: Record<DeliveryDropReason, number>;
}

export class MailboxDelivery {
  readonly #mailboxes: MailboxStore;
  readonly #registry: ClientRegistry;
  readonly #clock: Clock;
  readonly #maxBodyLength: number;
  readonly #onDrop: ((reason: DeliveryDropReason) => void) | undefined;
  #deposits = 0;
  #surbReplies = 0;
  readonly #drops = Object.fromEntries(DELIVERY_DROP_REASONS.map((r) => [r, 0])) as Record<DeliveryDropReason, number>;

  constructor(deps: { mailboxes: MailboxStore; registry: ClientRegistry; clock: Clock; maxBodyLength: number; onDrop?: (reason: DeliveryDropReason) => void }) {
    this.#mailboxes = deps.mailboxes;
    this.#registry = deps.registry;
    this.#clock = deps.clock;
    this.#maxBodyLength = deps.maxBodyLength;
    this.#onDrop = deps.onDrop;
  }

  /** MixProcessor's onFinalHop: resolves true once the payload is stored. Never throws. */
  async deliver(commands: readonly RoutingCommand[], payload: Uint8Array | null): Promise<boolean> {
    let recipient: Uint8Array | null = null;
    let surbReply = false;
    for (const c of commands) {
      if (c.type === 'recipient') recipient = c.id;
      else if (c.type === 'surb-reply') surbReply = true;
    }
    if (recipient === null) return this.#drop('no-recipient');
    if (payload === null) return this.#drop('no-payload');
    if (!this.#registry.has(recipient)) return this.#drop('unknown-recipient');
    if (payload.length > this.#maxBodyLength) return this.#drop('oversize-payload');
    try {
      await this.#mailboxes.deposit(recipient, payload, Math.max(0, Math.floor(this.#clock.now())));
    } catch (err) {
      return this.#drop(err instanceof DepositRejectedError ? err.reason : 'store-error');
    }
    this.#deposits++;
    if (surbReply) this.#surbReplies++;
    return true;
  }

  stats(): DeliveryStats {
    return { deposits: this.#deposits, surbReplies: this.#surbReplies, drops: { ...this.#drops } };
  }

  #drop(reason: DeliveryDropReason): false {
    this.#drops[reason]++;
    try {
      this.#onDrop?.(reason);
    } catch {
      // A metrics hook must not break the data path.
    }
    return false;
  }
}

// The exit side of a gateway (docs/gateway.md §Exit): a packet whose last hop
// is this gateway is written into its recipient's mailbox before the mix
// pipeline counts it as taken (MixProcessor awaits onFinalHop).
//
// - Drop cover (recipient DROP_RECIPIENT) is discarded and counted as cover:
//   it is normal traffic, not a drop. A decoy (drop recipient with a
//   SURB-ACK) is discarded too, but its SURB-ACK is sent like a message's.
// - A forward packet carries a client payload (protocol/wire/client-payload.ts):
//   only its user payload is stored. Once the deposit is written, the SURB-ACK
//   it carries (if any) is sent back into the mixnet: a packet built from the
//   SURB, to the SURB's first hop, like any relay-to-relay packet. A deposit
//   that fails sends no ACK, so the sender's ARQ retransmits.
// - A SURB reply (unwrap's `surb-reply` hop: recipient and SURB id) is stored
//   with its SURB id, its payload still encrypted: only the SURB's creator
//   can open it.
// - The hop arrives typed (protocol/sphinx/packet.ts LastHop): unwrap already
//   refused a last hop without a recipient, so nothing here reads commands.
// - The recipient id is a client's public mailbox id M or its delivery id D
//   (node/gateway/mailbox-lanes.ts): once the client has a D, what is
//   addressed to M goes to its small contact-request lane.
// - A packet addressed to NAME_SERVICE_RECIPIENT is a handle lookup: the name
//   service (node/gateway/name-service.ts) answers it through its SURB and
//   nothing is stored. Like drop cover it is recognised before the recipient
//   is resolved, so it never counts as 'unknown-recipient'.

import { zeroize } from '../../protocol/bytes.js';
import type { Geometry, LastHop } from '../../protocol/sphinx/index.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { CLIENT_PAYLOAD_FLAG_SURB, decodeClientPayload, isDropRecipient, type ClientPayload } from '../../protocol/wire/client-payload.js';
import { isNameServiceRecipient, type HandleRecord } from '../../protocol/wire/handle.js';
import { DepositRejectedError, type DepositRejection, type MailboxQuota, type MailboxStore } from '../store/mailbox-store.js';
import type { ClientRegistry, ResolvedRecipient } from './client-registry.js';
import { encodeMailboxEntry, type MailboxEntry } from './mailbox-entry.js';
import { DEFAULT_REQUEST_ALLOWANCE, requestLaneOf } from './mailbox-lanes.js';
import { NAME_SERVICE_DROP_REASONS, NameService, type NameServiceStats } from './name-service.js';
import { sendThroughSurb } from './surb-send.js';

export const DELIVERY_DROP_REASONS = [
  /** The recipient id is not a mailbox registered here. */
  'unknown-recipient',
  /** A forward packet whose payload is not a client payload (bad flags or reserved byte). */
  'malformed-payload',
  /** The payload is longer than a fetch entry can carry. */
  'oversize-payload',
  /** The mailbox store refused: */
  'too-large',
  'over-quota-messages',
  'over-quota-bytes',
  /** The gateway's total storage cap (all mailboxes together) is reached. */
  'over-total-bytes',
  /** Addressed to a public mailbox id whose contact-request allowance is full (the client has a delivery id). */
  'request-allowance-full',
  /** The mailbox store failed to write (closed, disk error). */
  'store-error',
  // The message was stored, but its SURB-ACK did not go out:
  /** No ACK packet could be built from the SURB. */
  'ack-bad-surb',
  /** The SURB's first hop is not a node of the topology. */
  'ack-unknown-hop',
  /** The link to the first hop is full. */
  'ack-queue-full',
  /** Sending failed otherwise (the forward hook threw). */
  'ack-send-error',
  /** A handle lookup dropped, or its answer not sent (node/gateway/name-service.ts). */
  ...NAME_SERVICE_DROP_REASONS,
] as const satisfies readonly (string | DepositRejection)[];
export type DeliveryDropReason = (typeof DELIVERY_DROP_REASONS)[number];

export interface DeliveryStats {
  /** Entries written to mailboxes (messages and SURB replies). */
  deposits: number;
  /** Of which SURB replies. */
  surbReplies: number;
  /** SURB-ACKs handed to the link after a deposit. */
  acksSent: number;
  /** Drop cover (addressed to DROP_RECIPIENT) discarded: normal traffic, not a drop. */
  coverDropped: number;
  /** Handle lookups (addressed to NAME_SERVICE_RECIPIENT) and their answers; their drops are in `drops`. */
  lookups: NameServiceStats;
  drops: Record<DeliveryDropReason, number>;
}

export interface MailboxDeliveryDeps {
  readonly mailboxes: MailboxStore;
  readonly registry: ClientRegistry;
  readonly clock: Clock;
  readonly geometry: Geometry;
  /** Largest body stored (fetchEntryBodyLength(geometry)). */
  readonly maxBodyLength: number;
  /** The contact-request allowance of a client with a delivery id. Default DEFAULT_REQUEST_ALLOWANCE. */
  readonly requestAllowance?: MailboxQuota;
  /** Sends a packet to the node with Sphinx id `nodeId` (the path the mix pipeline forwards on). */
  forward(nodeId: Uint8Array, packet: Uint8Array): 'sent' | 'unknown' | 'queue-full';
  /** The handle record this gateway hosts under `name` (HandleRegistry.recordOf). Default: none, every lookup is answered not found. */
  lookupHandle?(name: string): HandleRecord | null;
  onDrop?(reason: DeliveryDropReason): void;
  /** Called after each stored deposit (trace mode, docs/simulator.md §Trace mode). */
  onDeposit?(recipient: Uint8Array, kind: MailboxEntry['kind']): void;
}

export class MailboxDelivery {
  readonly #deps: MailboxDeliveryDeps;
  /** The ACK's payload: its content is irrelevant (the ACK's arrival is the message); zeros, forwardPayloadLength bytes. */
  readonly #ackPayload: Uint8Array;
  readonly #names: NameService;
  #deposits = 0;
  #surbReplies = 0;
  #acksSent = 0;
  #coverDropped = 0;
  readonly #drops = Object.fromEntries(DELIVERY_DROP_REASONS.map((r) => [r, 0])) as Record<DeliveryDropReason, number>;

  constructor(deps: MailboxDeliveryDeps) {
    this.#deps = deps;
    this.#ackPayload = new Uint8Array(deps.geometry.forwardPayloadLength);
    this.#names = new NameService({
      geometry: deps.geometry,
      lookup: (name) => deps.lookupHandle?.(name) ?? null,
      forward: (nodeId, packet) => deps.forward(nodeId, packet),
      onDrop: (reason) => this.#drop(reason),
    });
  }

  /** MixProcessor's onFinalHop: resolves true once the payload is stored (or was drop cover, or a lookup answered). Never throws. */
  async deliver(hop: LastHop): Promise<boolean> {
    const { recipient, payload } = hop;
    // Before anything else: cover costs no lookups and is never stored.
    if (isDropRecipient(recipient)) {
      this.#coverDropped++;
      // A decoy (drop recipient + SURB-ACK flag, docs/gateway.md §Exit) is
      // acknowledged exactly as a stored message, so the ACKs reaching its
      // sender's gateway do not count the sender's real packets.
      if (hop.kind === 'final' && (payload[0] & CLIENT_PAYLOAD_FLAG_SURB) !== 0) this.#ackDecoy(payload);
      return true;
    }
    // A lookup is answered, never stored: recognised before the recipient is resolved.
    if (isNameServiceRecipient(recipient)) return this.#names.answer(hop);
    const resolved = this.#deps.registry.resolve(recipient);
    if (resolved === null) return this.#drop('unknown-recipient');

    if (hop.kind === 'surb-reply') return this.#deposit(resolved, { kind: 'surb-reply', surbId: hop.surbId, via: resolved.via, body: payload });

    let decoded: ClientPayload;
    try {
      decoded = decodeClientPayload(this.#deps.geometry, payload);
    } catch {
      // A ClientPayloadError: the sizes match the geometry (unwrap checked), so bad flags or reserved byte.
      return this.#drop('malformed-payload');
    }
    try {
      if (!(await this.#deposit(resolved, { kind: 'message', surbId: null, via: resolved.via, body: decoded.userPayload }))) return false;
      if (decoded.surb !== null) this.#sendAck(decoded.surb);
      return true;
    } finally {
      zeroize(decoded.surb ?? undefined, decoded.userPayload);
    }
  }

  stats(): DeliveryStats {
    return {
      deposits: this.#deposits,
      surbReplies: this.#surbReplies,
      acksSent: this.#acksSent,
      coverDropped: this.#coverDropped,
      lookups: this.#names.stats(),
      drops: { ...this.#drops },
    };
  }

  async #deposit(recipient: ResolvedRecipient, entry: MailboxEntry): Promise<boolean> {
    if (entry.body.length > this.#deps.maxBodyLength) return this.#drop('oversize-payload');
    // Through M while the client has a delivery id: a contact request, in its own small lane.
    const request = recipient.via === 'address' && recipient.hasDeliveryId;
    const lane = request ? requestLaneOf(recipient.mailboxId) : recipient.mailboxId;
    const quota = request ? (this.#deps.requestAllowance ?? DEFAULT_REQUEST_ALLOWANCE) : undefined;
    try {
      await this.#deps.mailboxes.deposit(lane, encodeMailboxEntry(entry), Math.max(0, Math.floor(this.#deps.clock.now())), quota);
    } catch (err) {
      if (!(err instanceof DepositRejectedError)) return this.#drop('store-error');
      return this.#drop(request && err.reason !== 'over-total-bytes' && err.reason !== 'too-large' ? 'request-allowance-full' : err.reason);
    }
    this.#deposits++;
    if (entry.kind === 'surb-reply') this.#surbReplies++;
    try {
      this.#deps.onDeposit?.(recipient.mailboxId, entry.kind);
    } catch {
      // A trace hook must not break the data path.
    }
    return true;
  }

  #ackDecoy(payload: Uint8Array): void {
    let decoded: ClientPayload;
    try {
      decoded = decodeClientPayload(this.#deps.geometry, payload);
    } catch {
      return; // Malformed cover is still cover: nothing to acknowledge.
    }
    if (decoded.surb !== null) this.#sendAck(decoded.surb);
    zeroize(decoded.surb ?? undefined, decoded.userPayload);
  }

  // The message is already stored: a failure here is counted but does not
  // refuse the packet (the sender's ARQ will resend, and the recipient
  // drops the duplicate end to end).
  #sendAck(surb: Uint8Array): void {
    const outcome = sendThroughSurb(this.#deps.geometry, surb, this.#ackPayload, (nodeId, packet) => this.#deps.forward(nodeId, packet));
    if (outcome === 'sent') this.#acksSent++;
    else this.#drop(`ack-${outcome}`);
  }

  #drop(reason: DeliveryDropReason): false {
    this.#drops[reason]++;
    try {
      this.#deps.onDrop?.(reason);
    } catch {
      // A metrics hook must not break the data path.
    }
    return false;
  }
}

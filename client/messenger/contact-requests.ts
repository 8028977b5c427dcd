// Contact requests (docs/client.md §Contact requests): what a stranger who
// knows our address made us keep, one request per stranger identity, held
// until the user adds the stranger, or dropped by the bounds of
// client/stranger-policy.ts (count, age, rate, size). A request's session is
// its only one: a stranger who starts another replaces the first.

import { encodeAddress, type Address } from '../../protocol/e2ee/address.js';
import { formatSafetyNumber, safetyNumber } from '../../protocol/e2ee/safety-number.js';
import type { Session } from '../../protocol/e2ee/session.js';
import type { ClientEvent, ContactRequest } from '../api.js';
import type { RequestRecord } from '../state.js';
import { StrangerPolicy, type StrangerLimits, type StrangerVerdict } from '../stranger-policy.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import { parseAddress } from './contact-names.js';
import type { MessengerLog } from './messenger-log.js';
import { forgetPeer, type PeerState } from './peer-forgetting.js';
import { strangerContactField } from './sender-resolution.js';
import type { RequestStore } from './stores.js';

export interface ContactRequestsOptions {
  ownAddress: Address;
  log: MessengerLog;
  /** Bounds on what strangers may make us keep (client/stranger-policy.ts). */
  strangerLimits?: Partial<StrangerLimits>;
}

/** A stranger's envelope: its request (held or new), or why none is admitted. */
export type RequestAdmission = { admitted: true; request: RequestRecord } | { admitted: false; reason: Extract<StrangerVerdict, { admit: false }>['reason'] };

export class ContactRequests {
  readonly #byPeer = new Map<string, RequestRecord>();
  readonly #policy: StrangerPolicy;

  private constructor(
    private readonly o: ContactRequestsOptions,
    private readonly store: RequestStore,
    private readonly peers: PeerState,
    nowMs: number,
  ) {
    this.#policy = new StrangerPolicy(o.strangerLimits, nowMs);
  }

  static async load(o: ContactRequestsOptions, store: RequestStore, peers: PeerState, nowMs: number): Promise<ContactRequests> {
    const requests = new ContactRequests(o, store, peers, nowMs);
    for (const [peer, r] of await store.list()) requests.#byPeer.set(peer, r);
    return requests;
  }

  get size(): number {
    return this.#byPeer.size;
  }

  /** The request of this stranger identity (hex). */
  get(peer: string): RequestRecord | undefined {
    return this.#byPeer.get(peer);
  }

  info(r: RequestRecord): ContactRequest {
    return { address: r.address, safetyNumber: formatSafetyNumber(safetyNumber(this.o.ownAddress, parseAddress(r.address))), firstMs: r.firstMs, messages: r.messages };
  }

  list(): ContactRequest[] {
    return [...this.#byPeer.values()].map((r) => this.info(r));
  }

  /**
   * The request an envelope from a stranger belongs to (it opened `session`;
   * `created`: the envelope started it): the one held, or a new one if the
   * policy admits it (dropping the requests it evicts), or refused (the
   * rate). Kept in memory and staged in `work`.
   */
  admit(work: UnitOfWork, session: Session, created: boolean, peer: string, now: number): RequestAdmission {
    let request = this.#byPeer.get(peer);
    if (!request) {
      const verdict = this.#policy.admitNew(this.#byPeer, now);
      if (!verdict.admit) return { admitted: false, reason: verdict.reason };
      for (const id of verdict.evict) this.drop(work, id);
      if (verdict.evict.length > 0) this.o.log('info', 'contact requests dropped to make room (count or age bound)', { dropped: verdict.evict.length });
      request = { address: encodeAddress(session.peerAddress), identity: peer, firstMs: now, messages: 0, bytes: 0, sessionId: session.id };
    } else if (created && request.sessionId !== session.id) {
      // One session per stranger: a new one replaces the old.
      const old = this.peers.sessions.byId(request.sessionId);
      if (old) this.peers.sessions.forget(work, old);
      request = { ...request, sessionId: session.id };
    }
    this.#byPeer.set(peer, request);
    this.store.put(work, peer, request);
    return { admitted: true, request };
  }

  /**
   * Whether the request can hold one more message of `bytes` content bytes;
   * if so it is counted (and staged), and the first one announces the request.
   */
  admitMessage(work: UnitOfWork, request: RequestRecord, bytes: number, events: ClientEvent[]): boolean {
    if (!this.#policy.fits(request, bytes)) return false;
    request.messages++;
    request.bytes = (request.bytes ?? 0) + bytes;
    this.store.put(work, request.identity, request);
    if (request.messages === 1) events.push({ type: 'request', request: this.info(request) });
    return true;
  }

  /** Keeps the delivery id the stranger's card gave: the contact's once the user adds them. */
  keepDeliveryId(work: UnitOfWork, request: RequestRecord, deliveryId: string | null): void {
    request.deliveryId = deliveryId;
    this.store.put(work, request.identity, request);
  }

  /** Stages the deletion of the request's record (its messages stay: they were adopted); call forget() once committed. */
  stageRemoval(work: UnitOfWork, peer: string): void {
    this.store.del(work, peer);
  }

  /** Forgets the request in memory. */
  forget(peer: string): void {
    this.#byPeer.delete(peer);
  }

  /** Drops the requests past their age (staged in `work`). */
  expire(work: UnitOfWork, now: number): void {
    for (const peer of this.#policy.expired(this.#byPeer, now)) this.drop(work, peer);
  }

  /** Drops a request: its messages, reassembly state and session. */
  drop(work: UnitOfWork, peer: string): void {
    forgetPeer(this.peers, work, peer, strangerContactField(peer));
    this.store.del(work, peer);
    this.#byPeer.delete(peer);
  }
}

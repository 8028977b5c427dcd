// The contact book (docs/client.md §Contacts, §Key changes, §Contact
// requests): the user's contacts and what changes them (adding, removing,
// verifying, accepting or rejecting a key change), strangers' contact
// requests (contact-requests.ts) and how one becomes a contact or a key
// change, and who sent an incoming envelope (resolveSender). Adding a
// contact queues our contact card in the outbox, in the same unit of work as
// the contact. Every change of a contact is made in place when it is staged
// (contact-directory.ts update()), so a change that comes while another's
// commit is in flight is kept.

import { toHex } from '../../protocol/bytes.js';
import type { CardFrame } from '../../protocol/chat/frames.js';
import { encodeAddress, type Address } from '../../protocol/e2ee/address.js';
import { verifyMailboxProof } from '../../protocol/e2ee/mailbox-proof.js';
import { formatSafetyNumber, safetyNumber } from '../../protocol/e2ee/safety-number.js';
import type { Session } from '../../protocol/e2ee/session.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { ClientError, type ClientEvent, type ContactInfo } from '../api.js';
import type { InboundStates } from '../receiver/inbound-states.js';
import type { ContactRecord, MessageRow } from '../state.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { ContactDirectory } from './contact-directory.js';
import type { ContactRequests } from './contact-requests.js';
import { checkContactName, isReadableAddress, parseAddress } from './contact-names.js';
import type { MessageHistory } from './message-history.js';
import type { MessengerLog } from './messenger-log.js';
import type { Outbox } from './outbox.js';
import { forgetPeer } from './peer-forgetting.js';
import { strangerContactField, type SenderResolution } from './sender-resolution.js';
import type { SessionBook } from './session-book.js';
import type { MessengerCounters } from './stats.js';
import type { MessengerStores } from './stores.js';

/** Rejected key changes remembered per contact. */
const MAX_REJECTED_IDENTITIES = 16;

export interface ContactBookOptions {
  ownAddress: Address;
  clock: Clock;
  emit: (event: ClientEvent) => void;
  log: MessengerLog;
}

/** The sender of an envelope, or why the envelope is refused (its session is then not kept). */
export type SenderVerdict = { accepted: true; sender: SenderResolution } | { accepted: false; reason: string };

export interface ContactBookParts {
  stores: MessengerStores;
  contacts: ContactDirectory;
  requests: ContactRequests;
  messages: MessageHistory;
  sessions: SessionBook;
  inbound: InboundStates;
  outbox: Outbox;
  counters: MessengerCounters;
}

export class ContactBook {
  constructor(
    private readonly o: ContactBookOptions,
    private readonly p: ContactBookParts,
  ) {}

  // ------------------------------------------------------------------ views

  info(c: ContactRecord): ContactInfo {
    let pendingSafetyNumber: string | undefined;
    if (c.keyChanged && c.pendingAddress) {
      try {
        pendingSafetyNumber = formatSafetyNumber(safetyNumber(this.o.ownAddress, parseAddress(c.pendingAddress)));
      } catch {
        // an unreadable pending address (written by an older version): nothing to compare
      }
    }
    return {
      name: c.name,
      address: c.address,
      verified: c.verified,
      keyChanged: c.keyChanged,
      held: this.p.messages.heldCount(c.name),
      addedMs: c.addedMs,
      ...(pendingSafetyNumber ? { pendingSafetyNumber } : {}),
    };
  }

  list(): ContactInfo[] {
    return [...this.p.contacts.values()].sort((a, b) => a.name.localeCompare(b.name)).map((c) => this.info(c));
  }

  verify(name: string): { safetyNumber: string; verified: boolean } {
    const c = this.p.contacts.require(name);
    return { safetyNumber: formatSafetyNumber(safetyNumber(this.o.ownAddress, parseAddress(c.address))), verified: c.verified };
  }

  // ---------------------------------------------------------- user changes

  async add(name: string, addressText: string): Promise<ContactInfo> {
    const { contacts, sessions, outbox, messages } = this.p;
    checkContactName(name);
    const address = parseAddress(addressText);
    const identity = toHex(address.identityKey);
    if (contacts.has(name)) throw new ClientError('contact-exists', `a contact named ${JSON.stringify(name)} exists already`);
    const other = contacts.nameOf(identity);
    if (other) throw new ClientError('contact-exists', `this address is already your contact ${JSON.stringify(other)}`);
    if (identity === toHex(this.o.ownAddress.identityKey)) throw new ClientError('bad-address', 'this is your own address');
    const request = this.p.requests.get(identity);
    const session = sessions.byId(request?.sessionId) || sessions.ofPeer(identity);
    const contact: ContactRecord = {
      name,
      address: encodeAddress(address),
      identity,
      addedMs: this.o.clock.now(),
      verified: false,
      keyChanged: false,
      pendingAddress: null,
      // Their card may have come before we added them (while they were a request).
      deliveryId: request?.deliveryId ?? null,
      nextSeq: 0n,
      sessionId: session?.id ?? null,
    };
    const work = this.p.stores.begin();
    contacts.create(work, contact);
    const card = outbox.cardEntries(name);
    outbox.stage(work, card);
    // A contact request from this address becomes this contact's history.
    const adopted: MessageRow[] = [];
    if (request) {
      for (const row of messages.rowsOf(identity, strangerContactField(identity))) {
        row.record.contact = name;
        row.held = false;
        row.hidden = false;
        messages.save(work, row);
        adopted.push(row);
      }
      this.p.requests.stageRemoval(work, identity);
      this.p.requests.forget(identity);
    }
    // From now on their envelopes are a contact's, as the records staged say.
    this.p.inbound.promote(identity);
    await work.commit({ sync: true });
    outbox.queue(card);
    const info = this.info(contact);
    this.o.emit({ type: 'contact', contact: info });
    for (const row of adopted) if (!row.hidden) this.o.emit({ type: 'message', message: row.record });
    return info;
  }

  async remove(name: string): Promise<void> {
    this.p.contacts.require(name);
    const work = this.p.stores.begin();
    this.p.contacts.remove(work, name);
    this.p.outbox.dropContact(work, name);
    await work.commit({ sync: true });
  }

  async markVerified(name: string, verified: boolean): Promise<ContactInfo> {
    const work = this.p.stores.begin();
    const c = this.p.contacts.update(work, name, () => ({ verified }));
    await work.commit({ sync: true });
    return this.info(c);
  }

  /**
   * Accepts a contact's new identity key; held messages are then shown. A
   * verified contact changes only with `unverify` (the loud, explicit step:
   * docs/client.md §Key changes): the verification is gone with the old key.
   */
  async acceptKey(name: string, unverify = false): Promise<ContactInfo> {
    const { contacts, sessions, outbox, messages } = this.p;
    const c = contacts.require(name);
    if (!c.keyChanged || !c.pendingAddress) throw new ClientError('bad-request', `${name}'s key has not changed`);
    if (c.verified && !unverify) {
      throw new ClientError(
        'verified-contact',
        `${name} is a verified contact: accepting a new key removes the verification. Compare the new safety number with ${name} in person, then \`chaff client contacts accept ${name} --unverify\`; or \`chaff client contacts reject ${name}\``,
      );
    }
    const pendingAddress = c.pendingAddress;
    const identity = toHex(parseAddress(pendingAddress).identityKey);
    const session = sessions.ofPeer(identity);
    const work = this.p.stores.begin();
    const updated = contacts.update(work, name, (current) => ({
      address: pendingAddress,
      identity,
      keyChanged: false,
      pendingAddress: null,
      pendingIdentity: null,
      deliveryId: current.pendingDeliveryId ?? null,
      pendingDeliveryId: null,
      verified: false,
      nextSeq: 0n,
      sessionId: session?.id ?? null,
    }));
    // From now on the new identity's envelopes are the contact's.
    this.p.inbound.promote(identity);
    const card = outbox.cardEntries(name);
    outbox.stage(work, card);
    const shown = messages.rowsOf(identity, name).filter((row) => row.held);
    for (const row of shown) {
      row.held = false;
      row.hidden = false;
      messages.save(work, row);
    }
    await work.commit({ sync: true });
    outbox.queue(card);
    const info = this.info(updated);
    this.o.emit({ type: 'contact', contact: info });
    for (const row of shown.sort((a, b) => a.record.sentMs - b.record.sentMs)) this.o.emit({ type: 'message', message: row.record });
    return info;
  }

  /**
   * Rejects a contact's pending key change: the contact keeps its key (and
   * its verification), the new identity's held messages and session are
   * deleted, and that identity is never taken for this contact again.
   */
  async rejectKey(name: string): Promise<ContactInfo> {
    const c = this.p.contacts.require(name);
    if (!c.keyChanged) throw new ClientError('bad-request', `${name}'s key has not changed: nothing to reject`);
    let pending = c.pendingIdentity ?? null;
    if (!pending && c.pendingAddress) {
      try {
        pending = toHex(parseAddress(c.pendingAddress).identityKey);
      } catch {
        pending = null;
      }
    }
    const work = this.p.stores.begin();
    const updated = this.p.contacts.update(work, name, (current) => ({
      keyChanged: false,
      pendingAddress: null,
      pendingIdentity: null,
      pendingDeliveryId: null,
      rejectedIdentities: pending ? [...(current.rejectedIdentities ?? []).filter((x) => x !== pending), pending].slice(-MAX_REJECTED_IDENTITIES) : (current.rejectedIdentities ?? []),
    }));
    if (pending) forgetPeer(this.p, work, pending, name);
    await work.commit({ sync: true });
    const info = this.info(updated);
    this.o.emit({ type: 'contact', contact: info });
    return info;
  }

  // ------------------------------------------------------------ senders

  /**
   * Who sent an envelope that opened `session` (`created`: the envelope
   * started it). A contact's session choice and a stranger's request are
   * updated in memory and staged in `work`. A stranger's address may name a
   * contact's gateway and mailbox: that claim is signed only by the
   * stranger's own key, so it says nothing about the contact (docs/e2ee.md
   * §Key changes) and changes nothing here (see takeCard).
   */
  resolveSender(work: UnitOfWork, session: Session, created: boolean, now: number): SenderVerdict {
    const { contacts, sessions } = this.p;
    const peer = toHex(session.peerIdentityKey);
    const known = contacts.nameOf(peer);
    if (known) {
      const c = contacts.get(known)!;
      const ours = sessions.byId(c.sessionId);
      // Answer on their session when we have none, when they started a new
      // one (they lost their state) while ours already works, or when both
      // sides started one at once: then both keep the session with the
      // smaller id (equal on both sides), so they converge on one.
      const switchTo = !ours || (created && c.sessionId !== session.id && (!ours.awaitingReply || session.id < ours.id));
      const change: Partial<ContactRecord> = switchTo ? { sessionId: session.id } : {};
      // A contact stored with a version 1 address (unsigned gateway and
      // mailbox) takes the signed address its own identity sent.
      if (created && !isReadableAddress(c.address)) change.address = encodeAddress(session.peerAddress);
      if (Object.keys(change).length > 0) contacts.update(work, known, () => change);
      return { accepted: true, sender: { kind: 'contact', name: known } };
    }
    const pendingOf = contacts.pendingOf(peer);
    if (pendingOf) return { accepted: true, sender: { kind: 'key-changed', name: pendingOf.name } };
    if (contacts.isRejected(peer)) return { accepted: false, reason: 'rejected-key' };
    // A stranger (they have our address): held as a contact request, shown
    // once the user adds them as a contact; bounded by the policy.
    const admission = this.p.requests.admit(work, session, created, peer, now);
    if (!admission.admitted) return { accepted: false, reason: admission.reason };
    return { accepted: true, sender: { kind: 'stranger', request: admission.request } };
  }

  /**
   * A contact card. From a contact: its delivery id. From a stranger whose
   * address names a contact's gateway and mailbox, with a mailbox proof that
   * verifies: that contact's key change, held until the user accepts or
   * rejects it (without the proof the stranger stays a stranger).
   */
  takeCard(work: UnitOfWork, sender: SenderResolution, card: CardFrame, events: ClientEvent[]): void {
    const { contacts, messages } = this.p;
    this.p.counters.received.cards++;
    const deliveryId = card.deliveryId ? toHex(card.deliveryId) : null;
    if (sender.kind !== 'stranger') {
      contacts.update(work, sender.name, () => (sender.kind === 'contact' ? { deliveryId } : { pendingDeliveryId: deliveryId }));
      return;
    }
    const request = sender.request;
    const peer = request.identity;
    const claimed = parseAddress(request.address);
    const target = [...contacts.values()].find((c) => {
      if (!isReadableAddress(c.address)) return false;
      const a = parseAddress(c.address);
      return toHex(a.mailbox) === toHex(claimed.mailbox) && toHex(a.gateway) === toHex(claimed.gateway);
    });
    if (!target) {
      // A stranger's card: kept with the request, the contact's delivery id once the user adds them.
      this.p.requests.keepDeliveryId(work, request, deliveryId);
      return;
    }
    if (!verifyMailboxProof(claimed, card.mailboxProof)) return this.p.counters.reject('bad-mailbox-proof');
    const owner = target.name;
    const updated = contacts.update(work, owner, () => ({ keyChanged: true, pendingAddress: request.address, pendingIdentity: peer, pendingDeliveryId: deliveryId }));
    // What the new identity sent so far becomes the contact's, held.
    for (const row of messages.rowsOf(peer, strangerContactField(peer))) {
      row.record.contact = owner;
      row.held = true;
      messages.save(work, row);
    }
    this.p.requests.stageRemoval(work, peer);
    this.p.requests.forget(peer);
    this.o.log('warn', "a contact's identity key changed; their messages are held until accepted or rejected"); // no name: logs are plain text (docs/client-storage.md)
    events.push({ type: 'contact', contact: this.info(updated) });
    events.push({
      type: 'warning',
      text: target.verified
        ? `WARNING: ${owner} is a VERIFIED contact and a new identity key now claims their mailbox. Nothing is sent to ${owner} until you decide. Compare the new safety number with ${owner} in person; accept with \`chaff client contacts accept ${owner} --unverify\` or reject with \`chaff client contacts reject ${owner}\`.`
        : `${owner}'s identity key changed. Compare safety numbers, then accept with \`chaff client contacts accept ${owner}\` or reject with \`chaff client contacts reject ${owner}\`.`,
    });
  }
}

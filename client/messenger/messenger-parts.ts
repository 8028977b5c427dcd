// Builds the messenger's parts over a set of record stores, in dependency
// order: what is stored is loaded first (contacts, sessions, history,
// reassembly states), then the outbox (which re-queues every undelivered
// fragment), the contact requests, the contact book (which queues cards
// through the outbox) and the inbox (which asks the contact book who sent
// an envelope), whose release timer starts last. Messenger.load uses it over the sealed store;
// unit tests over memoryMessengerStores().

import { InboundStates } from '../receiver/inbound-states.js';
import { ContactBook, type ContactBookOptions } from './contact-book.js';
import { ContactDirectory } from './contact-directory.js';
import { ContactRequests, type ContactRequestsOptions } from './contact-requests.js';
import { Inbox, type InboxOptions } from './inbox.js';
import { MessageHistory } from './message-history.js';
import { Outbox, type OutboxOptions, type SendQueue } from './outbox.js';
import { SessionBook } from './session-book.js';
import { MessengerCounters } from './stats.js';
import type { MessengerStores } from './stores.js';

/** What the parts are made of: MessengerOptions without its store. */
export interface MessengerPartsOptions extends SendQueue, Omit<OutboxOptions, 'queue' | 'deliveryId'>, ContactBookOptions, ContactRequestsOptions, InboxOptions {
  /** Our delivery id (32 bytes), told to contacts in our card: they write to it instead of our address's mailbox. */
  deliveryId?: Uint8Array | null;
}

export interface MessengerParts {
  stores: MessengerStores;
  counters: MessengerCounters;
  contacts: ContactDirectory;
  sessions: SessionBook;
  messages: MessageHistory;
  inbound: InboundStates;
  outbox: Outbox;
  requests: ContactRequests;
  book: ContactBook;
  inbox: Inbox;
}

export async function loadMessengerParts(stores: MessengerStores, o: MessengerPartsOptions): Promise<MessengerParts> {
  const counters = new MessengerCounters(o.log);
  const contacts = await ContactDirectory.load(stores.contacts);
  const sessions = await SessionBook.load(stores.sessions, o.log);
  const messages = await MessageHistory.load(stores);
  const inbound = await InboundStates.load(stores, o.orderHoldMs, o.log);
  const queue: SendQueue = { enqueue: o.enqueue, dequeue: o.dequeue, nextKey: o.nextKey, routable: o.routable, unroutable: o.unroutable };
  const outbox = await Outbox.load({ ...o, queue, deliveryId: o.deliveryId ?? null }, stores, contacts, messages, sessions, counters);
  const requests = await ContactRequests.load(o, stores.requests, { messages, inbound, sessions }, o.clock.now());
  const book = new ContactBook(o, { stores, contacts, requests, messages, sessions, inbound, outbox, counters });
  const inbox = new Inbox(o, { stores, book, contacts, requests, outbox, messages, sessions, inbound, counters });
  inbox.start();
  return { stores, counters, contacts, sessions, messages, inbound, outbox, requests, book, inbox };
}

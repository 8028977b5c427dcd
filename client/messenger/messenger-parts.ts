// Builds the messenger's parts over a set of record stores, in dependency
// order: what is stored is loaded first (contacts, sessions, history,
// reassembly states; messages an older version's order state held back are
// shown then: order-upgrade.ts), then the outbox (which re-queues every
// undelivered fragment), the contact requests, the block list, the contact book (which queues cards
// through the outbox), the groups (client/groups/) and the inbox (which asks the contact book who sent
// an envelope), whose release timer starts last. Our delivery id comes from
// the profile store (client/delivery-id.ts), like everything else stored.
// Messenger.load uses it over the sealed stores; unit tests over
// memoryMessengerStores().

import { readDeliveryId } from '../delivery-id.js';
import { GroupChats, type GroupChatsOptions } from '../groups/group-chats.js';
import { GroupPeers } from '../groups/group-peers.js';
import { InboundStates } from '../receiver/inbound-states.js';
import { BlockList } from './block-list.js';
import { ContactBook, type ContactBookOptions } from './contact-book.js';
import { ContactDirectory } from './contact-directory.js';
import { ContactRequests, type ContactRequestsOptions } from './contact-requests.js';
import { Inbox, type InboxOptions } from './inbox.js';
import { MessageHistory } from './message-history.js';
import { showMessagesHeldByOrder } from './order-upgrade.js';
import { Outbox, type OutboxOptions, type SendQueue } from './outbox.js';
import { SessionBook } from './session-book.js';
import { MessengerCounters } from './stats.js';
import type { MessengerStores } from './stores.js';

/** What the parts are made of besides their stores (documented where they are used: outbox.ts, contact-book.ts, inbox.ts). */
export interface MessengerPartsOptions extends SendQueue, Omit<OutboxOptions, 'queue' | 'deliveryId'>, ContactBookOptions, ContactRequestsOptions, InboxOptions, GroupChatsOptions {}

export interface MessengerParts {
  stores: MessengerStores;
  counters: MessengerCounters;
  contacts: ContactDirectory;
  sessions: SessionBook;
  messages: MessageHistory;
  inbound: InboundStates;
  outbox: Outbox;
  requests: ContactRequests;
  blocked: BlockList;
  book: ContactBook;
  groupPeers: GroupPeers;
  groups: GroupChats;
  inbox: Inbox;
}

export async function loadMessengerParts(stores: MessengerStores, o: MessengerPartsOptions): Promise<MessengerParts> {
  const counters = new MessengerCounters(o.log);
  const contacts = await ContactDirectory.load(stores.contacts);
  const sessions = await SessionBook.load(stores.sessions, o.log);
  const messages = await MessageHistory.load(stores);
  const inbound = await InboundStates.load(stores, o.orderHoldMs, o.log);
  await showMessagesHeldByOrder(stores, inbound, messages, o.log);
  const queue: SendQueue = { enqueue: o.enqueue, dequeue: o.dequeue, nextKey: o.nextKey, routable: o.routable, unroutable: o.unroutable };
  // Told to contacts in our card: they write to it instead of our address's mailbox (none until the daemon made one).
  const deliveryId = await readDeliveryId(stores.profile);
  const groupPeers = await GroupPeers.load(stores.groupPeers);
  const outbox = await Outbox.load({ ...o, queue, deliveryId }, stores, contacts, messages, sessions, counters, groupPeers);
  const requests = await ContactRequests.load(o, stores.requests, { messages, inbound, sessions }, o.clock.now());
  const blocked = await BlockList.load(o, { stores, contacts, requests });
  const book = new ContactBook(o, { stores, contacts, requests, messages, sessions, inbound, outbox, counters });
  const groups = await GroupChats.load(o, { stores, contacts, inbound, outbox, peers: groupPeers, counters });
  const inbox = new Inbox(o, { stores, book, contacts, requests, blocked, outbox, messages, sessions, inbound, counters, groups });
  inbox.start();
  return { stores, counters, contacts, sessions, messages, inbound, outbox, requests, blocked, book, groupPeers, groups, inbox };
}

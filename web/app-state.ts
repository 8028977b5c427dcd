// What the app shows, and how each answer or live event changes it: a
// reducer, so an event that arrives while a call is in flight (a delivery
// mark overtaking the send's own answer) lands in one place. Messages are
// kept by id: a repeat (the history and an event holding the same message)
// replaces, never duplicates (docs/client-api.md §Notifications). A load
// takes a snapshot over several calls while events keep arriving: the events
// seen since it began are applied again on top of its snapshot, so a message
// that arrives mid-load is neither lost nor counted twice. An open
// conversation holds a window of its history, the newest messages: a page
// when opened, earlier pages added in front as the reader asks for them
// (docs/web-app.md §Long conversations).

import type { BlockedInfo, ClientEvent, ContactInfo, ContactRequest, HistoryPage, MessageRecord } from '../client/api.js';
import type { StatusSnapshot } from './status-snapshot.js';

export interface Conversation {
  /** The newest messages, oldest first (the pages loaded so far); null until the conversation is opened. */
  messages: MessageRecord[] | null;
  /** How many messages the daemon holds before the first of `messages`: not loaded yet. */
  earlier: number;
  /** While its newest page is on its way (opened, not loaded yet): what events brought meanwhile, which the page may not hold. */
  arriving: Array<{ m: MessageRecord; mark: boolean }> | null;
  /** The newest message, for the list's preview. */
  last: MessageRecord | null;
  /** The ids of arrived messages not read yet (ids, so a message seen twice counts once). */
  unread: readonly string[];
  /** How many times the history was loaded: the message list starts again from each load (message-list.tsx). */
  loads: number;
}

/** Packets per second over the last status interval. */
export interface PacketRates {
  real: number;
  cover: number;
}

export interface AppState {
  loaded: boolean;
  contacts: ContactInfo[];
  conversations: Record<string, Conversation>;
  requests: ContactRequest[];
  /** Who the user blocked (docs/client.md §Blocking). */
  blocked: BlockedInfo[];
  selected: string | null;
  status: StatusSnapshot | null;
  rates: PacketRates | null;
  /** Is the event stream to the app's server open? */
  live: boolean;
  /** The latest warning from the daemon or a failed call. */
  notice: string | null;
  /**
   * The loads in flight (their numbers, oldest first) and the live events
   * that arrived since the oldest of them began, each with the number of the
   * newest load begun before it; null when none is in flight.
   */
  loading: { pending: number[]; events: Array<{ event: ClientEvent; after: number }> } | null;
  /** The number of the newest load applied (0: none yet): an older one arriving later is dropped. */
  appliedLoad: number;
}

export const initialState: AppState = {
  loaded: false,
  contacts: [],
  conversations: {},
  requests: [],
  blocked: [],
  selected: null,
  status: null,
  rates: null,
  live: false,
  notice: null,
  loading: null,
  appliedLoad: 0,
};

export type Action =
  | { type: 'loading'; seq: number }
  | { type: 'load-failed'; seq: number; text: string }
  | { type: 'loaded'; seq: number; contacts: ContactInfo[]; unread: MessageRecord[]; requests: ContactRequest[]; blocked: BlockedInfo[]; lasts: Record<string, MessageRecord | null> }
  | { type: 'blocked'; blocked: BlockedInfo[] }
  | { type: 'select'; contact: string | null }
  | { type: 'history'; contact: string; page: HistoryPage }
  | { type: 'earlier'; contact: string; before: string; page: HistoryPage }
  | { type: 'sent'; message: MessageRecord }
  | { type: 'event'; event: ClientEvent }
  | { type: 'status'; snapshot: StatusSnapshot }
  | { type: 'live'; live: boolean }
  | { type: 'requests'; requests: ContactRequest[] }
  | { type: 'notice'; text: string | null };

const empty: Conversation = { messages: null, earlier: 0, arriving: null, last: null, unread: [], loads: 0 };

/** `messages` with `m` put in its place: replaced if its id is there, else inserted in time order. */
export function upsert(messages: MessageRecord[], m: MessageRecord): MessageRecord[] {
  const i = messages.findIndex((x) => x.id === m.id);
  if (i >= 0) return messages.map((x, j) => (j === i ? m : x));
  const out = [...messages, m];
  out.sort((a, b) => a.sentMs - b.sentMs);
  return out;
}

function newer(a: MessageRecord | null, b: MessageRecord): MessageRecord {
  if (a === null || a.id === b.id || b.sentMs >= a.sentMs) return b;
  return a;
}

/** Whether `m`, not in the window, belongs to the part of the history not loaded yet (a mark on an old message): it comes with its page. */
function beforeWindow(c: Conversation, m: MessageRecord): boolean {
  return c.earlier > 0 && c.messages !== null && c.messages.length > 0 && m.sentMs < c.messages[0].sentMs;
}

/** `m` put in its conversation: `new` (it arrived), `sent` (ours, just sent) or a `mark` (a message's new delivery state). */
function withMessage(state: AppState, m: MessageRecord, kind: 'new' | 'sent' | 'mark'): AppState {
  const c = state.conversations[m.contact] ?? empty;
  const known = c.messages?.some((x) => x.id === m.id) ?? false;
  const unread = kind === 'new' && !known && state.selected !== m.contact && !c.unread.includes(m.id) ? [...c.unread, m.id] : c.unread;
  const keep = c.messages === null || (!known && kind === 'mark' && beforeWindow(c, m));
  const arrivingNow = c.arriving === null ? null : [...c.arriving, { m, mark: kind === 'mark' }];
  const next: Conversation = { ...c, messages: keep ? c.messages : upsert(c.messages!, m), arriving: arrivingNow, last: newer(c.last, m), unread };
  return { ...state, conversations: { ...state.conversations, [m.contact]: next } };
}

function packetRates(before: StatusSnapshot | null, after: StatusSnapshot): PacketRates | null {
  if (!before?.status || !after.status || after.atMs <= before.atMs) return null;
  const s = (after.atMs - before.atMs) / 1000;
  const a = before.status.traffic.packetsSent;
  const b = after.status.traffic.packetsSent;
  // A restarted daemon starts its counts again: no rate from across it.
  if (b.real < a.real || b.loop < a.loop) return null;
  return { real: (b.real - a.real) / s, cover: (b.decoy + b.drop + b.loop - (a.decoy + a.drop + a.loop)) / s };
}

/** The loads in flight once those `keep` rejects ended, with only the events a load still in flight needs. */
function settle(loading: AppState['loading'], keep: (seq: number) => boolean): AppState['loading'] {
  if (loading === null) return null;
  const pending = loading.pending.filter(keep);
  if (pending.length === 0) return null;
  return { pending, events: loading.events.filter((e) => e.after >= pending[0]) };
}

/** `state` with one live event applied. */
function applyEvent(state: AppState, e: ClientEvent): AppState {
  switch (e.type) {
    case 'message':
      return withMessage(state, e.message, 'new');
    case 'state':
      return withMessage(state, e.message, 'mark');
    case 'contact':
      return {
        ...state,
        contacts: state.contacts.some((c) => c.name === e.contact.name) ? state.contacts.map((c) => (c.name === e.contact.name ? e.contact : c)) : [...state.contacts, e.contact],
      };
    case 'request': {
      const others = state.requests.filter((r) => r.address !== e.request.address);
      return { ...state, requests: [...others, e.request] };
    }
    case 'warning':
      return { ...state, notice: e.text };
  }
  return state;
}

export function reduce(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'loading':
      return { ...state, loading: { pending: [...(state.loading?.pending ?? []), action.seq], events: state.loading?.events ?? [] } };
    case 'load-failed':
      // The events stay applied; none is kept for a snapshot that will not come.
      return { ...state, notice: action.text, loading: settle(state.loading, (seq) => seq !== action.seq) };
    case 'loaded': {
      // A load older than one already applied is dropped: its snapshot is older. One that ends
      // before an older load is applied, and the older one is dropped when it ends.
      if (action.seq < state.appliedLoad) return { ...state, loading: settle(state.loading, (seq) => seq !== action.seq) };
      const conversations: Record<string, Conversation> = {};
      for (const contact of action.contacts) {
        const old = state.conversations[contact.name];
        const unread = contact.name === state.selected ? [] : action.unread.filter((m) => m.contact === contact.name).map((m) => m.id);
        conversations[contact.name] = {
          messages: old?.messages ?? null,
          earlier: old?.earlier ?? 0,
          arriving: old?.arriving ?? null,
          last: action.lasts[contact.name] ?? null,
          unread,
          loads: old?.loads ?? 0,
        };
      }
      const selected = state.selected !== null && conversations[state.selected] ? state.selected : null;
      const loading = settle(state.loading, (seq) => seq > action.seq);
      const snapshot: AppState = { ...state, loaded: true, contacts: action.contacts, conversations, requests: action.requests, blocked: action.blocked, selected, loading, appliedLoad: action.seq };
      // What arrived while the snapshot was taken: each event is idempotent on it (messages by id, contacts by name, requests by address).
      const since = (state.loading?.events ?? []).filter((e) => e.after >= action.seq).map((e) => e.event);
      return since.reduce(applyEvent, snapshot);
    }
    case 'select': {
      // Opening a conversation shows its messages: they stop counting as unread at once (the daemon is told in the background).
      // Its newest page is asked for now: what arrives meanwhile is kept for it.
      const c = action.contact === null ? undefined : state.conversations[action.contact];
      const conversations = c && action.contact !== null ? { ...state.conversations, [action.contact]: { ...c, unread: [], arriving: [] } } : state.conversations;
      return { ...state, selected: action.contact, conversations };
    }
    case 'history': {
      // The newest page: the conversation's window starts again from it.
      const c = state.conversations[action.contact] ?? empty;
      let messages = action.page.messages;
      // What events brought while the page was on its way: new messages, and the marks of those the page holds (the others are older).
      const held = new Set(messages.map((m) => m.id));
      for (const { m, mark } of c.arriving ?? []) if (!mark || held.has(m.id)) messages = upsert(messages, m);
      const last = messages.length > 0 ? messages[messages.length - 1] : c.last;
      return { ...state, conversations: { ...state.conversations, [action.contact]: { ...c, messages, earlier: action.page.earlier, arriving: null, last, loads: c.loads + 1 } } };
    }
    case 'earlier': {
      // An earlier page, in front of the window it was asked for; dropped if the window started again meanwhile.
      const c = state.conversations[action.contact];
      if (!c?.messages || c.messages[0]?.id !== action.before) return state;
      const have = new Set(c.messages.map((m) => m.id));
      const messages = [...action.page.messages.filter((m) => !have.has(m.id)), ...c.messages];
      return { ...state, conversations: { ...state.conversations, [action.contact]: { ...c, messages, earlier: action.page.earlier } } };
    }
    case 'sent':
      return withMessage(state, action.message, 'sent');
    case 'event': {
      const next = applyEvent(state, action.event);
      if (state.loading === null) return next;
      const after = state.loading.pending[state.loading.pending.length - 1];
      return { ...next, loading: { ...state.loading, events: [...state.loading.events, { event: action.event, after }] } };
    }
    case 'status':
      return { ...state, status: action.snapshot, rates: packetRates(state.status, action.snapshot) };
    case 'live':
      return { ...state, live: action.live };
    case 'requests':
      return { ...state, requests: action.requests };
    case 'blocked':
      return { ...state, blocked: action.blocked };
    case 'notice':
      return { ...state, notice: action.text };
  }
}

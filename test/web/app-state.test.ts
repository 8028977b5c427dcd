// The web app's reducer (web/app-state.ts) on its own: what the list shows
// when live events and a load's snapshot cross. A load takes its snapshot
// over several calls (contacts, inbox, one history per contact) while events
// keep arriving; an event that lands between the inbox call and the snapshot
// must neither vanish (the unread badge of the network browser test, lost
// under load) nor count twice. And an open conversation's window of pages:
// the newest page, earlier ones put in front, live events on the window.

import assert from 'node:assert/strict';
import type { ContactInfo, ContactRequest, MessageRecord } from '../../client/api.js';
import { initialState, reduce, type Action, type AppState } from '../../web/app-state.js';

const contact = (name: string): ContactInfo => ({ name, address: `chaff1${name}`, verified: false, keyChanged: false }) as ContactInfo;

const incoming = (id: string, from: string, sentMs: number): MessageRecord => ({
  id: id.padEnd(32, '0'),
  contact: from,
  direction: 'in',
  content: { type: 'text', text: `text ${id}` } as MessageRecord['content'],
  state: 'delivered',
  sentMs,
  deliveredMs: sentMs + 1,
  readMs: null,
  fragments: 1,
  retransmissions: 0,
});

const loaded = (seq: number, unread: MessageRecord[], requests: ContactRequest[] = []): Action => ({
  type: 'loaded',
  seq,
  contacts: [contact('bob'), contact('carol')],
  unread,
  requests,
  blocked: [],
  lasts: { bob: unread.find((m) => m.contact === 'bob') ?? null, carol: null },
});

const run = (actions: Action[], from: AppState = initialState): AppState => actions.reduce(reduce, from);
const unreadOf = (state: AppState, name: string): number => state.conversations[name]?.unread.length ?? 0;

describe('web app state: live events and a load that cross', () => {
  const m1 = incoming('a1', 'bob', 1_000);
  const m2 = incoming('a2', 'bob', 2_000);

  it('keeps a message that arrived while the load ran and is missing from its snapshot', () => {
    const state = run([{ type: 'loading', seq: 1 }, { type: 'event', event: { type: 'message', message: m1 } }, loaded(1, [])]);
    assert.equal(unreadOf(state, 'bob'), 1);
    assert.equal(state.conversations.bob.last?.id, m1.id, 'the preview shows it');
    assert.equal(state.loading, null, 'the events kept for the load are let go');
  });

  it('counts a message once when both the snapshot and an event hold it', () => {
    const state = run([{ type: 'loading', seq: 1 }, { type: 'event', event: { type: 'message', message: m1 } }, loaded(1, [m1])]);
    assert.equal(unreadOf(state, 'bob'), 1);
    const again = run([{ type: 'event', event: { type: 'message', message: m1 } }], state);
    assert.equal(unreadOf(again, 'bob'), 1, 'a repeated event counts once');
  });

  it('adds what the snapshot and the events hold apart', () => {
    const state = run([{ type: 'loading', seq: 1 }, { type: 'event', event: { type: 'message', message: m2 } }, loaded(1, [m1])]);
    assert.equal(unreadOf(state, 'bob'), 2);
    assert.equal(state.conversations.bob.last?.id, m2.id, 'the newer message is the preview');
    assert.equal(unreadOf(state, 'carol'), 0);
  });

  it('keeps a contact request that arrived during the load', () => {
    const request: ContactRequest = { address: 'chaff1dave', safetyNumber: '1'.repeat(60), firstMs: 5, messages: 1 };
    const state = run([{ type: 'loading', seq: 1 }, { type: 'event', event: { type: 'request', request } }, loaded(1, [])]);
    assert.deepEqual(
      state.requests.map((r) => r.address),
      ['chaff1dave'],
    );
    const both = run([{ type: 'loading', seq: 2 }, { type: 'event', event: { type: 'request', request } }, loaded(2, [], [request])], state);
    assert.equal(both.requests.length, 1, 'a request in the snapshot and an event is listed once');
  });

  it('applies loads that cross in the order they end, each with the events that arrived after it began, and drops an older one ending last', () => {
    // Load 1 begins, m1 arrives, load 2 begins, m2 arrives; load 2 ends first (its snapshot has m1), then load 1 (none).
    const state = run([
      { type: 'loading', seq: 1 },
      { type: 'event', event: { type: 'message', message: m1 } },
      { type: 'loading', seq: 2 },
      { type: 'event', event: { type: 'message', message: m2 } },
      loaded(2, [m1]),
    ]);
    assert.equal(state.loaded, true);
    assert.deepEqual(state.conversations.bob.unread, [m1.id, m2.id], 'the snapshot and the event after load 2 began');
    assert.equal(state.loading, null, 'nothing is kept for load 1: its snapshot, older, will be dropped');
    const done = run([loaded(1, [])], state);
    assert.deepEqual(done.conversations.bob.unread, [m1.id, m2.id], "load 1's older snapshot is dropped");
    assert.equal(done.loading, null);
  });

  it('applies an older load that ends first, keeping what the newer one still needs', () => {
    const request: ContactRequest = { address: 'chaff1dave', safetyNumber: '1'.repeat(60), firstMs: 5, messages: 1 };
    const state = run([
      { type: 'loading', seq: 1 },
      { type: 'event', event: { type: 'request', request } },
      { type: 'loading', seq: 2 },
      { type: 'event', event: { type: 'message', message: m2 } },
      loaded(1, []),
    ]);
    assert.equal(state.loaded, true, 'the older load shows at once rather than waiting for the newer');
    assert.equal(unreadOf(state, 'bob'), 1);
    assert.equal(state.requests.length, 1);
    assert.deepEqual(
      state.loading?.events.map((e) => e.event.type),
      ['message'],
      'only what arrived after load 2 began is kept for it',
    );
    // Dave's request was answered between the two loads: load 2's snapshot no longer has it, and the event from before load 2 began does not bring it back.
    const done = run([loaded(2, [m1])], state);
    assert.equal(done.requests.length, 0);
    assert.deepEqual(done.conversations.bob.unread, [m1.id, m2.id]);
    assert.equal(done.loading, null);
  });

  it('shows an older load when the newer one fails', () => {
    const state = run([{ type: 'loading', seq: 1 }, { type: 'loading', seq: 2 }, { type: 'load-failed', seq: 2, text: 'cannot load: busy' }, loaded(1, [m1])]);
    assert.equal(state.loaded, true);
    assert.equal(unreadOf(state, 'bob'), 1);
    assert.equal(state.loading, null);
  });

  it('does not count what arrives in the open conversation, before or after the snapshot', () => {
    const state = run([{ type: 'select', contact: 'bob' }, { type: 'loading', seq: 1 }, { type: 'event', event: { type: 'message', message: m1 } }, loaded(1, [m1])]);
    assert.equal(unreadOf(state, 'bob'), 0);
  });

  it('keeps no events once a load failed, and shows why', () => {
    const state = run([
      { type: 'loading', seq: 1 },
      { type: 'event', event: { type: 'message', message: m1 } },
      { type: 'load-failed', seq: 1, text: 'cannot load: gone' },
    ]);
    assert.equal(state.loading, null);
    assert.equal(state.notice, 'cannot load: gone');
    assert.equal(unreadOf(state, 'bob'), 1, 'the event itself stays applied');
    const later = run([{ type: 'event', event: { type: 'message', message: m2 } }], state);
    assert.equal(later.loading, null, 'nothing is kept after the failure');
  });

  it('clears the count when the conversation is opened', () => {
    const state = run([{ type: 'loading', seq: 1 }, loaded(1, [m1, m2]), { type: 'select', contact: 'bob' }]);
    assert.equal(unreadOf(state, 'bob'), 0);
  });
});

describe("web app state: a conversation's window of pages (docs/web-app.md §Long conversations)", () => {
  const at = (i: number): MessageRecord => incoming(`p${String(i).padStart(4, '0')}`, 'bob', 10_000 + i);
  const range = (from: number, to: number): MessageRecord[] => Array.from({ length: to - from }, (_, i) => at(from + i));
  const ids = (state: AppState): string[] => (state.conversations.bob.messages ?? []).map((m) => m.id);
  const opened = run([loaded(1, []), { type: 'select', contact: 'bob' }, { type: 'history', contact: 'bob', page: { messages: range(300, 500), more: true, earlier: 300 } }]);

  it('opens with the newest page, and puts an earlier one in front of it', () => {
    assert.deepEqual(
      ids(opened),
      range(300, 500).map((m) => m.id),
    );
    assert.equal(opened.conversations.bob.earlier, 300);
    const more = run([{ type: 'earlier', contact: 'bob', before: at(300).id, page: { messages: range(100, 300), more: true, earlier: 100 } }], opened);
    assert.deepEqual(
      ids(more),
      range(100, 500).map((m) => m.id),
    );
    assert.equal(more.conversations.bob.earlier, 100);
  });

  it('keeps the records already loaded, so only new or changed rows render again (message-list.tsx Message)', () => {
    const loadedRecords = opened.conversations.bob.messages!;
    const more = run([{ type: 'earlier', contact: 'bob', before: at(300).id, page: { messages: range(100, 300), more: true, earlier: 100 } }], opened);
    assert.ok(
      more.conversations.bob.messages!.slice(200).every((m, i) => m === loadedRecords[i]),
      'an earlier page',
    );
    const marked = run([{ type: 'event', event: { type: 'state', message: { ...at(400), state: 'read' } } }], more);
    const changed = marked.conversations.bob.messages!.filter((m, i) => m !== more.conversations.bob.messages![i]);
    assert.deepEqual(
      changed.map((m) => m.id),
      [at(400).id],
      'a mark',
    );
  });

  it('drops an earlier page asked for a window that started again meanwhile', () => {
    const stale = run([{ type: 'earlier', contact: 'bob', before: at(299).id, page: { messages: range(99, 299), more: true, earlier: 99 } }], opened);
    assert.equal(stale, opened);
  });

  it('a new message joins the window; a mark on a message before it does not (it comes with its page)', () => {
    const state = run(
      [
        { type: 'event', event: { type: 'message', message: at(500) } },
        { type: 'event', event: { type: 'state', message: { ...at(5), state: 'read' } } },
        { type: 'event', event: { type: 'state', message: { ...at(400), state: 'read' } } },
      ],
      opened,
    );
    assert.deepEqual(
      ids(state),
      range(300, 501).map((m) => m.id),
    );
    assert.equal(state.conversations.bob.messages!.find((m) => m.id === at(400).id)?.state, 'read', 'a mark in the window lands');
    assert.equal(state.conversations.bob.last?.id, at(500).id, 'the preview');
  });

  it('keeps what arrives while the newest page is on its way, and not the marks of messages older than it', () => {
    const state = run([
      loaded(1, []),
      { type: 'select', contact: 'bob' },
      { type: 'event', event: { type: 'message', message: at(500) } },
      { type: 'event', event: { type: 'state', message: { ...at(5), state: 'read' } } },
      { type: 'event', event: { type: 'state', message: { ...at(450), state: 'read' } } },
      { type: 'history', contact: 'bob', page: { messages: range(300, 500), more: true, earlier: 300 } },
    ]);
    assert.deepEqual(
      ids(state),
      range(300, 501).map((m) => m.id),
    );
    assert.equal(state.conversations.bob.messages!.find((m) => m.id === at(450).id)?.state, 'read');
    assert.equal(state.conversations.bob.arriving, null, 'nothing kept once the page is in');
  });
});

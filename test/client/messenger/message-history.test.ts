// The history's pages (client/messenger/message-history.ts page(), the
// daemon's `history.page`): over rows made by hand in memory stores, the
// pages of a conversation cover it exactly once, in the order history()
// gives (compared with a full sort of the rows, as history() did before it
// kept each conversation's order), with `before` at both ends, an unknown or
// hidden id refused, and the kept order following the changes that move a
// row (a new one, a late incoming one, one shown, one filed under another
// contact) but not those that do not (a delivery mark).

import assert from 'node:assert/strict';
import { ClientError, type MessageRecord } from '../../../client/api.js';
import { compareRows } from '../../../client/messenger/conversation-order.js';
import { MessageHistory } from '../../../client/messenger/message-history.js';
import { memoryMessengerStores } from '../../../client/messenger/stores.js';
import { newMessageRecord, type MessageRow } from '../../../client/state.js';

let next = 0;
/** A row of `contact`: ours (by time) or theirs (by seq). */
function row(contact: string, direction: 'in' | 'out', sentMs: number, seq: number, hidden = false): MessageRow {
  const id = (next++).toString(16).padStart(32, '0');
  const record = newMessageRecord({ id, contact, direction, content: { text: `${direction} ${seq} at ${sentMs}` }, state: direction === 'in' ? 'delivered' : 'queued', sentMs, fragments: 1 });
  return { record, peer: `peer-of-${contact}`, hidden, held: hidden, acked: [], sent: [], seq: String(seq) };
}

async function historyOf(rows: MessageRow[]): Promise<MessageHistory> {
  const stores = memoryMessengerStores();
  const h = await MessageHistory.load(stores);
  for (const r of rows) {
    h.remember(r);
    h.save(stores.begin(), r);
  }
  return h;
}

/** What history() gave before it kept orders: every row filtered and sorted on each call. */
function fullSort(rows: MessageRow[], contact: string): string[] {
  return rows
    .filter((r) => r.record.contact === contact && !r.hidden)
    .sort(compareRows)
    .map((r) => r.record.id);
}

/** Every page of `contact`, newest first, as the web app asks for them. */
function allPages(h: MessageHistory, contact: string, limit: number): Array<{ ids: string[]; more: boolean; earlier: number }> {
  const pages = [];
  let before: string | undefined;
  for (;;) {
    const p = h.page(contact, limit, before);
    pages.push({ ids: p.messages.map((m: MessageRecord) => m.id), more: p.more, earlier: p.earlier });
    if (!p.more) return pages;
    before = p.messages[0].id;
  }
}

const ids = (records: MessageRecord[]): string[] => records.map((m) => m.id);

describe('client/messenger/message-history: pages of a conversation', function () {
  // bob's conversation: ours and his interleaved, his arriving out of time order (his seq decides), a held one, and carol's beside it.
  const rows: MessageRow[] = [];
  for (let i = 0; i < 1000; i++) {
    rows.push(row('bob', i % 3 === 0 ? 'in' : 'out', 1_000 + i * 10 + (i % 7), i));
    if (i % 50 === 0) rows.push(row('carol', 'out', 1_000 + i * 10, i));
  }
  rows.push(row('bob', 'in', 500, 2000, true));

  it('the pages cover the conversation exactly once, oldest first, in the order of history() and of a full sort', async function () {
    const h = await historyOf(rows);
    const expected = fullSort(rows, 'bob');
    assert.equal(expected.length, 1000, 'the held message is not shown');
    assert.deepEqual(ids(h.history('bob', 10_000)), expected);
    for (const limit of [1, 7, 200, 999, 1000, 5000]) {
      const pages = allPages(h, 'bob', limit);
      assert.deepEqual(
        pages.reverse().flatMap((p) => p.ids),
        expected,
        `limit ${limit}: each message once, in order`,
      );
      assert.equal(pages.length, Math.ceil(1000 / limit));
      // Newest first again: each page says how many are older than it.
      pages.reverse();
      let older = 1000;
      for (const p of pages) {
        older -= p.ids.length;
        assert.equal(p.earlier, older);
        assert.equal(p.more, older > 0);
      }
    }
    assert.deepEqual(ids(h.page('carol', 50).messages), fullSort(rows, 'carol'), "carol's conversation is hers alone");
  });

  it('without `before`, the newest page; `before` the oldest message, an empty page with nothing more; before the second, the oldest alone', async function () {
    const h = await historyOf(rows);
    const order = fullSort(rows, 'bob');
    const newest = h.page('bob', 200);
    assert.deepEqual(ids(newest.messages), order.slice(-200));
    assert.deepEqual([newest.more, newest.earlier], [true, 800]);
    assert.deepEqual(ids(h.page('bob', 200, order.at(-1)).messages), order.slice(-201, -1), 'before the newest: the 200 under it');
    assert.deepEqual(h.page('bob', 200, order[0]), { messages: [], more: false, earlier: 0 });
    assert.deepEqual(h.page('bob', 200, order[1]), { messages: [h.get(order[0])!.record], more: false, earlier: 0 });
    assert.deepEqual(ids(h.page('bob', 200, order[1].toUpperCase()).messages), [order[0]], 'an id in capitals is the same id');
    assert.deepEqual(h.page('dave', 200), { messages: [], more: false, earlier: 0 }, 'an empty conversation: one empty page');
  });

  it("refuses a `before` that is no shown message of the conversation: unknown, held, or another contact's", async function () {
    const h = await historyOf(rows);
    const held = rows.at(-1)!.record.id;
    const carols = rows.find((r) => r.record.contact === 'carol')!.record.id;
    for (const before of ['f'.repeat(32), held, carols]) {
      assert.throws(
        () => h.page('bob', 10, before),
        (err: unknown) => err instanceof ClientError && err.code === 'not-found' && err.message.includes(before),
      );
    }
  });

  it('the kept order follows a new message, a late one of theirs, one shown, one filed under another contact; a delivery mark keeps it', async function () {
    const local = rows.map((r) => structuredClone(r));
    const h = await historyOf(local);
    const work = memoryMessengerStores().begin();
    const check = (what: string): void => {
      assert.deepEqual(ids(h.history('bob', 10_000)), fullSort(local, 'bob'), what);
      assert.deepEqual(
        allPages(h, 'bob', 300)
          .reverse()
          .flatMap((p) => p.ids),
        fullSort(local, 'bob'),
        `${what}: the pages`,
      );
    };
    check('at first');

    const sent = row('bob', 'out', 99_999, 0);
    local.push(sent);
    h.remember(sent);
    h.save(work, sent);
    check('a message sent');

    // Theirs, with a seq among the first ones: it goes there, whatever its time.
    const late = row('bob', 'in', 99_999, 4);
    local.push(late);
    h.remember(late);
    h.save(work, late);
    check('a late message of theirs');

    const held = local.find((r) => r.hidden)!;
    held.hidden = false;
    held.held = false;
    h.save(work, held);
    check('a held message shown');

    const moved = local.find((r) => r.record.contact === 'carol')!;
    moved.record.contact = 'bob';
    h.save(work, moved);
    check('a message filed under bob');
    assert.deepEqual(ids(h.page('carol', 100).messages), fullSort(local, 'carol'), "and no longer carol's");

    const before = h.page('bob', 5).messages;
    const marked = h.get(before[0].id)!;
    marked.record.state = 'read';
    h.save(work, marked);
    assert.equal(h.page('bob', 5).messages[0].state, 'read', 'a page gives the row as it is now');
    check('a delivery mark');
  });
});

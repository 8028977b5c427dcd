// Each conversation's shown messages in display order (docs/chat.md
// §Ordering: incoming ones by their sequence number, the rest by the time
// they were sent), kept between history calls so that paging through a long
// conversation (`history.page`, docs/client-api.md §History pages) sorts its
// rows once, not on every page. An order is built on first use from the
// rows of that contact alone and dropped when a row changes in a way that
// moves it: a new row, another contact, shown or hidden, another seq or
// time. Delivery and read marks change rows in place and keep the order.

import type { MessageRow } from '../state.js';

/** A conversation's shown rows, oldest first, with each one's place. */
export interface Order {
  rows: readonly MessageRow[];
  /** Message id → its index in `rows`. */
  place: ReadonlyMap<string, number>;
}

interface Built extends Order {
  /** Every row of the contact, shown or hidden, by id → what placed it (orderKey). */
  keys: Map<string, string>;
}

/** The display order the history has always used: incoming messages among themselves by seq, otherwise by the time sent. */
export function compareRows(a: MessageRow, b: MessageRow): number {
  return (a.record.direction === b.record.direction && a.record.direction === 'in' ? Number(BigInt(a.seq) - BigInt(b.seq)) : 0) || a.record.sentMs - b.record.sentMs;
}

/** What decides whether and where a row is shown. */
function orderKey(row: MessageRow): string {
  return `${row.record.contact}\n${row.hidden}\n${row.record.direction}\n${row.seq}\n${row.record.sentMs}`;
}

export class ConversationOrders {
  readonly #built = new Map<string, Built>();

  /** `contact`'s order, built from `all` (every row held, in the order they were stored) unless kept from before. */
  of(contact: string, all: Iterable<MessageRow>): Order {
    let order = this.#built.get(contact);
    if (!order) {
      const keys = new Map<string, string>();
      const shown: MessageRow[] = [];
      for (const row of all) {
        if (row.record.contact !== contact) continue;
        keys.set(row.record.id, orderKey(row));
        if (!row.hidden) shown.push(row);
      }
      // A stable sort of the rows in the order they were stored: the same order the history gave when it sorted on every call.
      shown.sort(compareRows);
      order = { rows: shown, place: new Map(shown.map((r, i) => [r.record.id, i])), keys };
      this.#built.set(contact, order);
    }
    return order;
  }

  /** A row was stored or changed: the orders it leaves or enters are dropped, unless nothing that places it changed. */
  changed(row: MessageRow): void {
    const key = orderKey(row);
    for (const [contact, order] of this.#built) {
      const known = order.keys.get(row.record.id);
      if (known === key) return;
      if (known !== undefined) this.#built.delete(contact);
    }
    this.#built.delete(row.record.contact);
  }

  /** Rows were deleted: every order is built again when next asked for. */
  clear(): void {
    this.#built.clear();
  }
}

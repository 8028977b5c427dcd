// The history, both directions (docs/client-storage.md §Collections
// `messages`, `files`): every message row in memory, as the hot paths read
// them, and staged writes of the rows that change. Rows are changed in place
// by the outbox (delivery states) and the inbox (shown, read); whoever
// changes one stages it with save(). Each conversation's display order is
// kept between calls (conversation-order.ts), so a page of a long history
// costs no sort.

import { ClientError, type HistoryPage, type MessageRecord } from '../api.js';
import type { MessageRow } from '../state.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import { ConversationOrders } from './conversation-order.js';
import type { FileStore, MessageStore } from './stores.js';

export class MessageHistory {
  readonly #rows = new Map<string, MessageRow>();
  readonly #orders = new ConversationOrders();

  private constructor(private readonly stores: { messages: MessageStore; files: FileStore }) {}

  static async load(stores: { messages: MessageStore; files: FileStore }): Promise<MessageHistory> {
    const log = new MessageHistory(stores);
    for (const [id, row] of await stores.messages.list()) log.#rows.set(id, row);
    return log;
  }

  get(id: string): MessageRow | undefined {
    return this.#rows.get(id);
  }

  has(id: string): boolean {
    return this.#rows.has(id);
  }

  /** Keeps the row in memory (its record is staged separately, with save()). */
  remember(row: MessageRow): void {
    this.#rows.set(row.record.id, row);
    this.#orders.changed(row);
  }

  save(work: UnitOfWork, row: MessageRow): void {
    this.stores.messages.put(work, row.record.id, row);
    this.#orders.changed(row);
  }

  saveFile(work: UnitOfWork, id: string, data: Uint8Array): void {
    this.stores.files.put(work, id, data);
  }

  /** Rows from `peer` (identity, hex) filed under `contact` (a message row's contact field). */
  rowsOf(peer: string, contact: string): MessageRow[] {
    return [...this.#rows.values()].filter((r) => r.peer === peer && r.record.contact === contact);
  }

  /** Deletes the hidden rows from `peer` filed under `contact`, with their files. */
  forgetHidden(work: UnitOfWork, peer: string, contact: string): void {
    for (const [id, row] of this.#rows) {
      if (row.peer === peer && row.record.contact === contact && row.hidden) {
        this.stores.messages.del(work, id);
        if (row.record.content.file) this.stores.files.del(work, id);
        this.#rows.delete(id);
      }
    }
    this.#orders.clear();
  }

  heldCount(contact: string): number {
    let n = 0;
    for (const r of this.#rows.values()) if (r.held && r.record.contact === contact) n++;
    return n;
  }

  failedCount(): number {
    let n = 0;
    for (const r of this.#rows.values()) if (r.record.direction === 'out' && r.record.state === 'failed') n++;
    return n;
  }

  /** The newest `limit` shown messages with `contact`; incoming ones in their conversation's order. */
  history(contact: string, limit: number): MessageRecord[] {
    return this.page(contact, limit).messages;
  }

  /**
   * The `limit` shown messages with `contact` just older than the message
   * `before` (the newest ones without it), oldest first, in the order of
   * history(); ClientError 'not-found' when `before` is not a shown message
   * of this conversation.
   */
  page(contact: string, limit: number, before?: string): HistoryPage {
    const { rows, place } = this.#orders.of(contact, this.#rows.values());
    let end = rows.length;
    if (before !== undefined) {
      const at = place.get(before.toLowerCase());
      if (at === undefined) throw new ClientError('not-found', `no message ${before} in the conversation with ${contact}`);
      end = at;
    }
    const start = Math.max(0, end - Math.max(1, limit));
    return { messages: rows.slice(start, end).map((r) => r.record), more: start > 0, earlier: start };
  }

  /** Shown incoming messages not read yet (of `contact`, or of everyone). */
  unread(contact?: string): MessageRow[] {
    return [...this.#rows.values()].filter((r) => (contact === undefined || r.record.contact === contact) && r.record.direction === 'in' && !r.hidden && r.record.state === 'delivered');
  }

  async fileData(messageId: string): Promise<{ name: string; data: Uint8Array }> {
    const row = this.#rows.get(messageId);
    const data = row?.record.content.file ? await this.stores.files.get(messageId) : undefined;
    if (!row || row.hidden || !data) throw new ClientError('not-found', `no file in message ${messageId}`);
    return { name: row.record.content.file!.name, data };
  }
}

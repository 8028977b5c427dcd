// The part of a chat's screen that holds its messages (1:1 or group): a line
// per message, shown once, with a line naming the day above the first
// message of each day (so an old message reads `── Saturday 5 December
// 2026 ──` … `[14:02] bob: …`, and today's the time alone); when a message
// of ours changes state its line is rewritten where it is (repl.ts), or the
// change printed as a line of its own (piped output, or a line scrolled away).

import { dayLine, isoDay, type LineLayout } from './format.js';
import type { Repl } from './repl.js';

export class ChatScreen<T extends { id: string; sentMs: number }> {
  readonly #repl: Pick<Repl, 'print' | 'show' | 'update'>;
  readonly #line: (item: T, now: number, layout: LineLayout) => string;
  readonly #layout: LineLayout;
  readonly #now: () => number;
  readonly #items = new Map<string, T>();
  #day: string | null = null;

  constructor(repl: Pick<Repl, 'print' | 'show' | 'update'>, line: (item: T, now: number, layout: LineLayout) => string, options: { layout: Omit<LineLayout, 'clock'>; now?: () => number }) {
    this.#repl = repl;
    this.#line = line;
    this.#layout = { ...options.layout, clock: 'time' };
    this.#now = options.now ?? Date.now;
  }

  get(id: string): T | undefined {
    return this.#items.get(id);
  }

  /** Everything shown, in the order shown. */
  items(): T[] {
    return [...this.#items.values()];
  }

  lineOf(item: T): string {
    return this.#line(item, this.#now(), this.#layout);
  }

  /** Shows `item` unless it is shown already; false then. */
  add(item: T): boolean {
    if (this.#items.has(item.id)) return false;
    this.#items.set(item.id, item);
    const day = isoDay(item.sentMs);
    if (day !== this.#day) {
      this.#day = day;
      this.#repl.print(dayLine(item.sentMs, this.#now(), this.#layout.paint));
    }
    this.#repl.show(item.id, this.lineOf(item));
    return true;
  }

  /** `item` (shown before) changed: its line now reads so; `change` is the line printed when it cannot be rewritten. */
  change(item: T, change: string): void {
    this.#items.set(item.id, item);
    this.#repl.update(item.id, this.lineOf(item), change);
  }
}

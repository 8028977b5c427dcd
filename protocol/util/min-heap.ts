// A binary min-heap keyed by a number (a release time), with insertion
// order breaking ties so equal keys come out first-in first-out. Used by
// the mix's delay queue and the simulator's event queue.

export class MinHeap<T> {
  #keys: number[] = [];
  #seqs: number[] = [];
  #items: T[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  push(key: number, item: T): void {
    if (Number.isNaN(key)) throw new RangeError('MinHeap: key is NaN');
    this.#keys.push(key);
    this.#seqs.push(this.#seq++);
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  /** The smallest key, or undefined when empty. */
  peekKey(): number | undefined {
    return this.#keys[0];
  }

  /** Removes and returns the item with the smallest key. */
  pop(): T | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const top = this.#items[0];
    const lastKey = this.#keys.pop()!;
    const lastSeq = this.#seqs.pop()!;
    const lastItem = this.#items.pop()!;
    if (n > 1) {
      this.#keys[0] = lastKey;
      this.#seqs[0] = lastSeq;
      this.#items[0] = lastItem;
      this.#down(0);
    }
    return top;
  }

  /** Removes every item (returned in no particular order). */
  clear(): T[] {
    const items = this.#items;
    this.#keys = [];
    this.#seqs = [];
    this.#items = [];
    return items;
  }

  #less(i: number, j: number): boolean {
    const a = this.#keys[i];
    const b = this.#keys[j];
    return a < b || (a === b && this.#seqs[i] < this.#seqs[j]);
  }

  #swap(i: number, j: number): void {
    [this.#keys[i], this.#keys[j]] = [this.#keys[j], this.#keys[i]];
    [this.#seqs[i], this.#seqs[j]] = [this.#seqs[j], this.#seqs[i]];
    [this.#items[i], this.#items[j]] = [this.#items[j], this.#items[i]];
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(l, m)) m = l;
      if (r < n && this.#less(r, m)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}

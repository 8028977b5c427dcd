// A queue of distinct keys that can also be entered at the front and left
// from anywhere: push, unshift, shift, first and delete each take O(1) (a
// doubly linked list indexed by a Map). The send order (send-order.ts) is
// built of these; an array's splice or indexOf would cost O(n) per removal,
// and a user may queue thousands of fragments.

interface Node<K> {
  key: K;
  prev: Node<K> | null;
  next: Node<K> | null;
}

export class KeyQueue<K> {
  readonly #nodes = new Map<K, Node<K>>();
  #head: Node<K> | null = null;
  #tail: Node<K> | null = null;

  get size(): number {
    return this.#nodes.size;
  }

  has(key: K): boolean {
    return this.#nodes.has(key);
  }

  /** The key at the front, left in place; undefined when empty. */
  first(): K | undefined {
    return this.#head?.key;
  }

  /** Adds `key` at the back; false (nothing changes) if it is queued already. */
  push(key: K): boolean {
    if (this.#nodes.has(key)) return false;
    const node: Node<K> = { key, prev: this.#tail, next: null };
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
    this.#nodes.set(key, node);
    return true;
  }

  /** Adds `key` at the front; false (nothing changes) if it is queued already. */
  unshift(key: K): boolean {
    if (this.#nodes.has(key)) return false;
    const node: Node<K> = { key, prev: null, next: this.#head };
    if (this.#head) this.#head.prev = node;
    else this.#tail = node;
    this.#head = node;
    this.#nodes.set(key, node);
    return true;
  }

  /** Takes the key at the front; undefined when empty. */
  shift(): K | undefined {
    const head = this.#head;
    if (!head) return undefined;
    this.delete(head.key);
    return head.key;
  }

  /** Takes `key` out from wherever it is; false if it was not queued. */
  delete(key: K): boolean {
    const node = this.#nodes.get(key);
    if (!node) return false;
    this.#nodes.delete(key);
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = node.next = null;
    return true;
  }
}

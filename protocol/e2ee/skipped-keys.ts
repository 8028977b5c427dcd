// The store of skipped message keys (Double Ratchet §3.5 MKSKIPPED, §4 keyed
// by header key): keys of messages that have not arrived yet, so that late
// and out-of-order messages still decrypt. Grouped by header key, so that a
// trial decryption costs one header AEAD per distinct header key rather than
// one per stored key. Oldest first, so that the total can be bounded by
// evicting the oldest keys (docs/e2ee.md §4 Decryption, replays and bounds).

import { ctEqual, zeroize } from '../bytes.js';

export interface SkippedKey {
  readonly headerKey: Uint8Array;
  readonly n: number;
  readonly messageKey: Uint8Array;
}

interface Group {
  readonly headerKey: Uint8Array;
  readonly byN: Map<number, SkippedKey>;
}

export class SkippedKeys {
  #groups: Group[] = [];
  /** Every stored key, oldest first. */
  #order: SkippedKey[] = [];

  get size(): number {
    return this.#order.length;
  }

  /** The distinct header keys under which keys are stored. */
  headerKeys(): Uint8Array[] {
    return this.#groups.map((g) => g.headerKey);
  }

  /** Every stored key, oldest first. */
  entries(): readonly SkippedKey[] {
    return this.#order;
  }

  #group(headerKey: Uint8Array): Group | undefined {
    return this.#groups.find((g) => ctEqual(g.headerKey, headerKey));
  }

  find(headerKey: Uint8Array, n: number): SkippedKey | undefined {
    return this.#group(headerKey)?.byN.get(n);
  }

  /**
   * Stores a message key (the store takes ownership of `messageKey` and keeps
   * its own copy of `headerKey`); false, and nothing stored, if (headerKey, n)
   * is already there.
   */
  add(headerKey: Uint8Array, n: number, messageKey: Uint8Array): boolean {
    let group = this.#group(headerKey);
    if (!group) {
      group = { headerKey: Uint8Array.from(headerKey), byN: new Map() };
      this.#groups.push(group);
    }
    if (group.byN.has(n)) return false;
    const key: SkippedKey = { headerKey: group.headerKey, n, messageKey };
    group.byN.set(n, key);
    this.#order.push(key);
    return true;
  }

  #dropEmptyGroups(): void {
    for (const g of this.#groups) if (g.byN.size === 0) zeroize(g.headerKey);
    this.#groups = this.#groups.filter((g) => g.byN.size > 0);
  }

  /** Removes a stored key and wipes its message key. */
  delete(key: SkippedKey): void {
    const group = this.#group(key.headerKey);
    if (!group || group.byN.get(key.n) !== key) return;
    group.byN.delete(key.n);
    this.#order = this.#order.filter((k) => k !== key);
    zeroize(key.messageKey);
    this.#dropEmptyGroups();
  }

  /** Evicts (and wipes) the oldest keys until at most `max` remain. */
  evictBeyond(max: number): void {
    const excess = this.#order.length - max;
    if (excess <= 0) return;
    const evicted = this.#order.slice(0, excess);
    this.#order = this.#order.slice(excess);
    for (const key of evicted) {
      const group = this.#group(key.headerKey);
      group?.byN.delete(key.n);
      zeroize(key.messageKey);
    }
    this.#dropEmptyGroups();
  }

  /** Wipes everything. */
  clear(): void {
    for (const key of this.#order) zeroize(key.messageKey);
    for (const g of this.#groups) zeroize(g.headerKey);
    this.#order = [];
    this.#groups = [];
  }
}

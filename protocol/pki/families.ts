// Node families: the nodes one operator runs, which a path never uses twice
// (docs/pki.md §Families). The anchor is Tor's MyFamily, with its rule that
// a declaration counts only when it is mutual: two nodes are in one family
// when each lists the other's identity key in its signed descriptor.
//
// Why mutual: a one-sided declaration would let an attacker's node claim the
// honest mixes of the other layers as its family. Every path through the
// attacker's node would then be steered away from those honest mixes, onto
// the attacker's other nodes. With the mutual rule an honest node's family is
// fixed by its own signed descriptor; a stranger's claim changes nothing.
//
// Families are the connected components of the mutual declarations, so an
// operator who forgot one pair is still covered through the others; a
// component can only grow through a node that itself declares the link.

import { toHex } from '../bytes.js';
import type { NodeEntry } from './document.js';

export class Families {
  /** node id (hex) → family id: the lowest identity key (hex) of its family; a node without one is its own family. */
  readonly #familyOf = new Map<string, string>();
  readonly #members = new Map<string, NodeEntry[]>();
  /** The same, by entry object: route selection asks for every node it draws. */
  readonly #ofEntry = new WeakMap<NodeEntry, string>();
  /** identity key (hex) → the identity keys (hex) that node declares. */
  readonly #declaredBy = new Map<string, Set<string>>();
  readonly #byIdentity = new Map<string, NodeEntry>();

  constructor(nodes: readonly NodeEntry[]) {
    const byIdentity = new Map<string, { entry: NodeEntry; declared: Set<string> }>();
    for (const e of nodes) byIdentity.set(toHex(e.identityKey), { entry: e, declared: new Set((e.family ?? []).map(toHex)) });
    // Union-find over identity keys; the root is always the lowest key, so
    // the family id does not depend on the order of the nodes.
    const parent = new Map<string, string>();
    const root = (k: string): string => {
      let r = k;
      while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
      for (let x = k; x !== r;) {
        const next = parent.get(x)!;
        parent.set(x, r);
        x = next;
      }
      return r;
    };
    for (const [k, { entry, declared }] of byIdentity) {
      parent.set(k, k);
      this.#declaredBy.set(k, declared);
      this.#byIdentity.set(k, entry);
    }
    for (const [k, { declared }] of byIdentity) {
      for (const other of declared) {
        if (!byIdentity.get(other)?.declared.has(k)) continue; // one-sided: ignored
        const a = root(k);
        const b = root(other);
        if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
      }
    }
    for (const [k, { entry }] of byIdentity) {
      const family = root(k);
      this.#familyOf.set(toHex(entry.nodeId), family);
      this.#ofEntry.set(entry, family);
      const list = this.#members.get(family);
      if (list) list.push(entry);
      else this.#members.set(family, [entry]);
    }
  }

  /** The family id of the node `nodeId` (hex id of a node of the document), or the id itself for an unknown node. */
  familyOf(nodeId: Uint8Array): string {
    const hex = toHex(nodeId);
    return this.#familyOf.get(hex) ?? `node:${hex}`;
  }

  /** The family id of a node entry (of the document these families were built from: fastest), as familyOf. */
  familyOfEntry(e: NodeEntry): string {
    return this.#ofEntry.get(e) ?? this.familyOf(e.nodeId);
  }

  /**
   * The nodes of the document that `node` declares as its family but that do
   * not declare it back, so they are not of its family (for an operator's
   * log: one of the two declarations is missing).
   */
  unreturned(node: NodeEntry): NodeEntry[] {
    const self = toHex(node.identityKey);
    return (node.family ?? []).map(toHex).flatMap((k) => (this.#byIdentity.has(k) && !this.#declaredBy.get(k)!.has(self) ? [this.#byIdentity.get(k)!] : []));
  }

  /** Whether two nodes belong to one family (a node is in its own). */
  related(a: Uint8Array, b: Uint8Array): boolean {
    return this.familyOf(a) === this.familyOf(b);
  }

  /** The families with more than one member, each as its members. */
  get declared(): NodeEntry[][] {
    return [...this.#members.values()].filter((m) => m.length > 1);
  }
}

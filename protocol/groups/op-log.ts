// A group's ops as a DAG (docs/groups.md §Ops): admitted ops (all their
// dependencies present), ops waiting for a dependency, the heads, and which op
// is an ancestor of which. Admission order is a topological order, so each
// op's ancestor set is a bitset over the indices before it, computed once.
//
// Bounds: MAX_OPS admitted ops per group (a group's whole history; compaction
// is not built, see docs/groups.md §Limits) and MAX_PENDING_OPS waiting ones
// (the oldest is dropped beyond it and counted by the caller).

import { ctEqual, toHex } from '../bytes.js';
import { compareBytes, type Op } from './op.js';

export const MAX_OPS = 10_000;
export const MAX_PENDING_OPS = 512;

export type AdmitResult =
  | { status: 'admitted'; admitted: Op[] }
  | { status: 'duplicate' }
  | { status: 'pending'; missing: Uint8Array[]; dropped: number }
  | { status: 'rejected'; reason: 'wrong-group' | 'bad-lamport' | 'unknown-author' | 'limit' | 'second-create' };

export class OpLog {
  readonly #ops: Op[] = [];
  readonly #index = new Map<string, number>();
  readonly #ancestors: Uint32Array[] = [];
  readonly #byAuthor = new Map<string, number[]>();
  readonly #heads = new Set<number>();
  /** For each identity key (hex), the indices of the create or add ops that name it: an op's author must be named in its causal past. */
  readonly #introduced = new Map<string, number[]>();
  readonly #pending = new Map<string, Op>();

  constructor(readonly groupId: Uint8Array) {}

  get size(): number {
    return this.#ops.length;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Admitted ops in admission order (a topological order). */
  get ops(): readonly Op[] {
    return this.#ops;
  }

  get pending(): Op[] {
    return [...this.#pending.values()];
  }

  has(id: Uint8Array): boolean {
    return this.#index.has(toHex(id));
  }

  isPending(id: Uint8Array): boolean {
    return this.#pending.has(toHex(id));
  }

  indexOf(id: Uint8Array): number | undefined {
    return this.#index.get(toHex(id));
  }

  /** The heads (ops no other admitted op depends on), ascending by id. */
  heads(): Op[] {
    return [...this.#heads].map((i) => this.#ops[i]).sort((a, b) => compareBytes(a.id, b.id));
  }

  /** True when op `a` is an ancestor of op `b` (indices). */
  isAncestor(a: number, b: number): boolean {
    const anc = this.#ancestors[b];
    return a < b && (anc[a >>> 5] & (1 << (a & 31))) !== 0;
  }

  concurrent(a: number, b: number): boolean {
    return a !== b && !this.isAncestor(a, b) && !this.isAncestor(b, a);
  }

  /** Indices of the admitted ops by `author`. */
  byAuthor(author: Uint8Array): readonly number[] {
    return this.#byAuthor.get(toHex(author)) ?? [];
  }

  /** The indices in the causal past of `heads` (the heads included); unknown heads are skipped. */
  closure(heads: readonly Uint8Array[]): Set<number> {
    const out = new Set<number>();
    for (const h of heads) {
      const i = this.indexOf(h);
      if (i === undefined || out.has(i)) continue;
      out.add(i);
      const anc = this.#ancestors[i];
      for (let j = 0; j < i; j++) if (anc[j >>> 5] & (1 << (j & 31))) out.add(j);
    }
    return out;
  }

  /** Admitted ops outside the causal past of `heads`, in admission order: what a peer at those heads lacks. */
  missingFor(heads: readonly Uint8Array[]): Op[] {
    const have = this.closure(heads);
    return this.#ops.filter((_, i) => !have.has(i));
  }

  /**
   * Admits an op whose signature was checked (decodeOp), and then every
   * waiting op it unblocks. An op with unknown dependencies waits.
   */
  admit(op: Op): AdmitResult {
    if (!ctEqual(op.groupId, this.groupId)) return { status: 'rejected', reason: 'wrong-group' };
    const key = toHex(op.id);
    if (this.#index.has(key) || this.#pending.has(key)) return { status: 'duplicate' };
    const missing = op.deps.filter((d) => !this.#index.has(toHex(d)));
    if (missing.length > 0) {
      let dropped = 0;
      this.#pending.set(key, op);
      while (this.#pending.size > MAX_PENDING_OPS) {
        this.#pending.delete(this.#pending.keys().next().value!);
        dropped++;
      }
      return { status: 'pending', missing, dropped };
    }
    const refused = this.#insert(op);
    if (refused) return { status: 'rejected', reason: refused };
    const admitted = [op];
    // Admit what this unblocked, until nothing more moves.
    for (let moved = true; moved;) {
      moved = false;
      for (const [k, p] of this.#pending) {
        if (!p.deps.every((d) => this.#index.has(toHex(d)))) continue;
        this.#pending.delete(k);
        if (!this.#insert(p)) admitted.push(p);
        moved = true;
      }
    }
    return { status: 'admitted', admitted };
  }

  #insert(op: Op): 'bad-lamport' | 'unknown-author' | 'limit' | 'second-create' | null {
    if (this.#ops.length >= MAX_OPS) return 'limit';
    const depIdx = op.deps.map((d) => this.#index.get(toHex(d))!);
    if (op.body.kind === 'create') {
      if (this.#ops.some((o) => o.body.kind === 'create')) return 'second-create';
    } else {
      if (op.lamport !== 1 + Math.max(...depIdx.map((i) => this.#ops[i].lamport))) return 'bad-lamport';
    }
    const i = this.#ops.length;
    const anc = new Uint32Array((i + 31) >>> 5 || 1);
    for (const d of depIdx) {
      anc[d >>> 5] |= 1 << (d & 31);
      const da = this.#ancestors[d];
      for (let w = 0; w < da.length; w++) anc[w] |= da[w];
    }
    // Whether an author may write must not depend on arrival order: its introduction must be in the op's own past.
    const introduced = this.#introduced.get(toHex(op.author)) ?? [];
    if (op.body.kind !== 'create' && !introduced.some((j) => (anc[j >>> 5] & (1 << (j & 31))) !== 0)) return 'unknown-author';
    for (const d of depIdx) this.#heads.delete(d);
    this.#ops.push(op);
    this.#ancestors.push(anc);
    this.#index.set(toHex(op.id), i);
    this.#heads.add(i);
    const author = toHex(op.author);
    const list = this.#byAuthor.get(author);
    if (list) list.push(i);
    else this.#byAuthor.set(author, [i]);
    const named = op.body.kind === 'create' ? author : op.body.kind === 'add' ? toHex(op.body.invitee.identityKey) : null;
    if (named) {
      const at = this.#introduced.get(named);
      if (at) at.push(i);
      else this.#introduced.set(named, [i]);
    }
    return null;
  }
}

// RecordStore and UnitOfWork in memory, for unit tests (fast, no disk). A
// value is copied (structuredClone) when it is staged and when it is read,
// as the sealed store encodes it: a caller that later changes its object in
// place does not change what is stored.

import type { WriteOptions } from './sealed-store.js';
import type { RecordStore, UnitOfWork } from './unit-of-work.js';

export class MemoryUnitOfWork implements UnitOfWork {
  readonly #ops: Array<() => void> = [];
  #committed = false;

  get length(): number {
    return this.#ops.length;
  }

  /** @internal Queues one operation (MemoryRecordStore only). */
  stage(op: () => void): void {
    if (this.#committed) throw new Error('this unit of work was already committed');
    this.#ops.push(op);
  }

  /** Applies every staged operation; `sync` has no meaning in memory. */
  async commit(_opts: WriteOptions = {}): Promise<void> {
    if (this.#committed) throw new Error('this unit of work was already committed');
    this.#committed = true;
    for (const op of this.#ops) op();
  }
}

export class MemoryRecordStore<T> implements RecordStore<T> {
  readonly #records = new Map<string, T>();

  async list(): Promise<Array<[string, T]>> {
    return [...this.#records.keys()].sort().map((id) => [id, structuredClone(this.#records.get(id)!)]);
  }

  async get(id: string): Promise<T | undefined> {
    const value = this.#records.get(id);
    return value === undefined ? undefined : structuredClone(value);
  }

  put(work: UnitOfWork, id: string, value: T): void {
    const copy = structuredClone(value);
    memoryWork(work).stage(() => this.#records.set(id, copy));
  }

  del(work: UnitOfWork, id: string): void {
    memoryWork(work).stage(() => this.#records.delete(id));
  }

  get size(): number {
    return this.#records.size;
  }
}

function memoryWork(work: UnitOfWork): MemoryUnitOfWork {
  if (!(work instanceof MemoryUnitOfWork)) throw new TypeError('a memory record store writes only in a MemoryUnitOfWork');
  return work;
}

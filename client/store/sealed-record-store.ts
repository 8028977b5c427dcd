// RecordStore and UnitOfWork over the encrypted LevelDB (sealed-store.ts):
// a record store is one collection, a unit of work one SealedBatch, so
// everything staged in it is one atomic LevelDB write.

import type { SealedBatch, SealedCollection, SealedStore, WriteOptions } from './sealed-store.js';
import type { RecordStore, UnitOfWork } from './unit-of-work.js';

export class SealedUnitOfWork implements UnitOfWork {
  constructor(readonly batch: SealedBatch) {}

  static begin(store: SealedStore): SealedUnitOfWork {
    return new SealedUnitOfWork(store.batch());
  }

  get length(): number {
    return this.batch.length;
  }

  commit(opts?: WriteOptions): Promise<void> {
    return this.batch.write(opts);
  }
}

export class SealedRecordStore<T> implements RecordStore<T> {
  constructor(readonly collection: SealedCollection<T>) {}

  list(): Promise<Array<[string, T]>> {
    return this.collection.list();
  }

  get(id: string): Promise<T | undefined> {
    return this.collection.get(id);
  }

  put(work: UnitOfWork, id: string, value: T): void {
    batchOf(work).put(this.collection, id, value);
  }

  del(work: UnitOfWork, id: string): void {
    batchOf(work).del(this.collection, id);
  }
}

function batchOf(work: UnitOfWork): SealedBatch {
  if (!(work instanceof SealedUnitOfWork)) throw new TypeError('a sealed record store writes only in a unit of work of its sealed store');
  return work.batch;
}

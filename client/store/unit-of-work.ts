// The store interfaces of the client's chat state, after libsignal's store
// traits (SessionStore, IdentityKeyStore, ...: one narrow interface per kind
// of record, with a persistent implementation for the app and an in-memory
// one for tests). Each kind of record is a RecordStore; its implementations
// are SealedRecordStore (the encrypted LevelDB, sealed-record-store.ts) and
// MemoryRecordStore (memory-record-store.ts).
//
// Unlike libsignal's traits, writes do not go to one store at a time: the
// client writes several records in one synced batch (a ratchet step with the
// contact that now uses it, a message with its fragments in the outbox), so
// a crash never leaves half of a change on disk (docs/client-storage.md
// §Writes). So a write is staged in a UnitOfWork, which spans every store of
// the same backing (one LevelDB write batch for the sealed stores), and
// commit() applies all of it or none. Reads are immediate.

import type { WriteOptions } from './sealed-store.js';

/** Puts and deletes over several record stores, applied all or none by commit(). Committed once. */
export interface UnitOfWork {
  /** Operations staged so far. */
  readonly length: number;
  commit(opts?: WriteOptions): Promise<void>;
}

/** Records of one kind, by id. */
export interface RecordStore<T> {
  /** Every readable record as [id, value], sorted by id. */
  list(): Promise<Array<[string, T]>>;
  get(id: string): Promise<T | undefined>;
  /** Stages a put in `work` (a unit of work of the same backing); the value is taken as it is now. */
  put(work: UnitOfWork, id: string, value: T): void;
  del(work: UnitOfWork, id: string): void;
}

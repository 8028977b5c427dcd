// Opening the profile's LevelDB folder (`level`, binary keys and values) with
// errors a user can act on instead of LevelDB's generic "Database failed to
// open". Same rules as the relay's node/store/database.ts (docs/storage.md):
// a folder whose CURRENT is missing while table files are present is refused,
// because LevelDB would start an empty store and delete the old tables.

import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { DatabaseCorruptError, ProfileInUseError, StoreMissingError, StoreOpenError, causeMessage, type SealedStoreError } from './store-errors.js';

/** A LevelDB with raw byte keys and values. */
export type RawDb = Level<Uint8Array, Uint8Array>;

// LevelDB files that exist only in a store that has been written to.
const LEVELDB_FILE = /^(MANIFEST-\d+|\d+\.(log|ldb|sst))$/;

/**
 * Opens the LevelDB in `folder`. With `create`, a missing folder is created
 * (mode 0700) with an empty database; without it a missing database is
 * StoreMissingError. Also throws ProfileInUseError, DatabaseCorruptError,
 * StoreOpenError.
 */
export async function openLevelFolder(folder: string, create: boolean): Promise<RawDb> {
  const files = existsSync(folder) ? readdirSync(folder) : undefined;
  const hasCurrent = files?.includes('CURRENT') ?? false;
  if (files && !hasCurrent && files.some((f) => LEVELDB_FILE.test(f))) {
    throw new DatabaseCorruptError(folder, 'CURRENT is missing but LevelDB files are present');
  }
  if (!hasCurrent && !create) throw new StoreMissingError(folder);
  if (create) {
    try {
      await mkdir(folder, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new StoreOpenError(folder, e);
    }
  }
  const db: RawDb = new Level<Uint8Array, Uint8Array>(folder, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    await db.open({ createIfMissing: create });
  } catch (e) {
    throw classifyOpenError(folder, e);
  }
  return db;
}

function classifyOpenError(folder: string, e: unknown): SealedStoreError {
  const code = (e as { cause?: { code?: string }; code?: string }).cause?.code ?? (e as { code?: string }).code;
  const message = causeMessage(e);
  if (code === 'LEVEL_LOCKED') return new ProfileInUseError(folder, e);
  if (code === 'LEVEL_CORRUPTION') return new DatabaseCorruptError(folder, message, e);
  // CURRENT naming a MANIFEST that does not exist surfaces as an I/O error about a file in the folder.
  if (code === 'LEVEL_IO_ERROR' && /No such file or directory/.test(message) && existsSync(folder)) {
    return new DatabaseCorruptError(folder, message, e);
  }
  return new StoreOpenError(folder, e);
}

// A profile folder in one call: the passphrase-wrapped master key
// (profile-key.ts) plus the sealed database it protects (sealed-store.ts).
// The master key lives only as long as it takes to derive the store's
// subkeys; it is zeroized before these functions return.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { zeroize } from '../../protocol/bytes.js';
import { ProfileExistsError, createProfileKey, unlockProfileKey, type ProfileKeyOptions } from './profile-key.js';
import { DB_FOLDER, SealedStore, type SealedStoreOptions } from './sealed-store.js';

export type ProfileStoreOptions = Pick<SealedStoreOptions, 'collections' | 'onCorruptRecord'>;

/**
 * Creates a new profile in `dir`: profile.json with a fresh master key, and
 * an empty database. Throws ProfileExistsError if `dir` already holds
 * profile.json or a non-empty db/, and the errors of createProfileKey and
 * SealedStore.open.
 */
export async function createProfile(dir: string, passphrase: string, opts: ProfileStoreOptions & ProfileKeyOptions): Promise<SealedStore> {
  const dbFolder = join(dir, DB_FOLDER);
  // A database left without its profile.json cannot be read with a new key: refuse rather than mix them.
  if (existsSync(dbFolder) && readdirSync(dbFolder).length > 0) throw new ProfileExistsError(dbFolder);
  const masterKey = await createProfileKey(dir, passphrase, opts);
  try {
    return await SealedStore.open(dir, masterKey, { collections: opts.collections, onCorruptRecord: opts.onCorruptRecord, create: true });
  } finally {
    zeroize(masterKey);
  }
}

/**
 * Unlocks the profile in `dir` with `passphrase` and opens its database.
 * Throws WrongPassphraseError, ProfileNotFoundError, ProfileCorruptError, and
 * the errors of SealedStore.open (ProfileInUseError when another daemon has it).
 */
export async function openProfile(dir: string, passphrase: string, opts: ProfileStoreOptions): Promise<SealedStore> {
  const masterKey = await unlockProfileKey(dir, passphrase);
  try {
    return await SealedStore.open(dir, masterKey, { collections: opts.collections, onCorruptRecord: opts.onCorruptRecord });
  } finally {
    zeroize(masterKey);
  }
}

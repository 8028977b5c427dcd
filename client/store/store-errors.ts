// Typed errors of the client's sealed store. Each names the database folder
// (never a record id: ids may be contact names or message ids) and says what
// the user can do about it.

/** Base class; `folder` is the LevelDB folder (`<profile>/db`). */
export class SealedStoreError extends Error {
  constructor(
    message: string,
    readonly folder: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** LevelDB's LOCK is held: another daemon (or this process) has the profile open. */
export class ProfileInUseError extends SealedStoreError {
  constructor(folder: string, cause?: unknown) {
    super(`profile in use by another chaff client daemon: the database ${folder} is locked (its LevelDB LOCK is held); ` + 'stop that daemon, or use another profile folder', folder, { cause });
  }
}

/** No database in the folder and `create` was not asked for. */
export class StoreMissingError extends SealedStoreError {
  constructor(folder: string) {
    super(`there is no profile database at ${folder}; if this is a new profile, create it (chaff client init), ` + 'otherwise check the profile folder or restore db/ from a backup', folder);
  }
}

/** LevelDB's own files are damaged, or the store's metadata is missing. */
export class DatabaseCorruptError extends SealedStoreError {
  constructor(folder: string, detail: string, cause?: unknown) {
    super(
      `the profile database ${folder} is corrupt (${detail}); restore the profile folder from a backup, ` + 'or repair a copy with ClassicLevel.repair(folder) and check what it recovered',
      folder,
      { cause },
    );
  }
}

/** The database was not written with this master key (another profile's db/, or its metadata record is damaged). */
export class StoreKeyMismatchError extends SealedStoreError {
  constructor(folder: string) {
    super(`the profile database ${folder} cannot be read with this profile's key: it belongs to another profile.json, ` + 'or its metadata record is damaged', folder);
  }
}

/** The collection names given to open() contradict the registry stored in the database, or are invalid. */
export class CollectionRegistryError extends SealedStoreError {
  constructor(folder: string, detail: string) {
    super(`collection registry of ${folder}: ${detail}`, folder);
  }
}

/** store.collection(name) for a name that open() was not given. */
export class UnknownCollectionError extends SealedStoreError {
  constructor(
    folder: string,
    readonly collection: string,
  ) {
    super(`unknown collection ${JSON.stringify(collection)}: pass it to SealedStore.open's collections`, folder);
  }
}

/**
 * A stored record failed authentication or decoding: it was damaged on disk
 * or tampered with. Names the collection, not the record id.
 */
export class CorruptRecordError extends SealedStoreError {
  constructor(
    folder: string,
    readonly collection: string,
    readonly reason: string,
  ) {
    super(`a record of collection ${JSON.stringify(collection)} in ${folder} is corrupt (${reason}); it is ignored`, folder);
  }
}

/** The store was closed; the call did nothing. */
export class StoreClosedError extends SealedStoreError {
  constructor(folder: string) {
    super(`the profile database ${folder} is closed`, folder);
  }
}

/** Any other failure to open (permissions, disk full, ...). */
export class StoreOpenError extends SealedStoreError {
  constructor(folder: string, cause: unknown) {
    super(`cannot open the profile database ${folder}: ${causeMessage(cause)}`, folder, { cause });
  }
}

export function causeMessage(e: unknown): string {
  const cause = (e as { cause?: { message?: string } }).cause;
  return cause?.message ?? (e as Error).message ?? String(e);
}

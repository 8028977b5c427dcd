// Signed documents kept on disk, one file per epoch (`<dir>/<epoch>.bin`,
// the encodeSignedDocument wire form). Each write goes to a temporary file
// that is fsynced and then renamed over the old one, so a crash leaves either
// the old file or the new one, never half of one. Loading only parses: the
// caller verifies against its configured authority keys.

import { readdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { deleteEpochFilesBefore } from '../fs/epoch-files.js';
import { join } from 'node:path';
import { decodeSignedDocument, encodeSignedDocument, type SignedDocument } from '../../protocol/pki/signatures.js';

const FILE = /^(0|[1-9][0-9]{0,15})\.bin$/;

export interface StoredDocument {
  epoch: number;
  signed: SignedDocument;
}

export interface LoadResult {
  documents: StoredDocument[];
  /** File names that could not be read or parsed (left in place). */
  corrupt: string[];
}

export class DocumentStore {
  readonly dir: string;
  /** Writes run one after another, so two saves of one epoch land in call order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(epoch: number): string {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError('document store: bad epoch');
    return join(this.dir, `${epoch}.bin`);
  }

  /** Writes the signed document for `epoch` atomically (replacing any earlier one). */
  save(epoch: number, signed: SignedDocument): Promise<void> {
    const path = this.#path(epoch);
    const bytes = encodeSignedDocument(signed);
    const run = (): Promise<void> => writeFileAtomic(path, bytes, 0o600);
    const result = this.#queue.then(run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Every stored document, in epoch order. A missing folder is an empty store. */
  async loadAll(): Promise<LoadResult> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { documents: [], corrupt: [] };
      throw err;
    }
    const documents: StoredDocument[] = [];
    const corrupt: string[] = [];
    for (const name of names) {
      const m = FILE.exec(name);
      if (!m) continue;
      const epoch = Number(m[1]);
      if (!Number.isSafeInteger(epoch)) continue;
      try {
        documents.push({ epoch, signed: decodeSignedDocument(new Uint8Array(await readFile(join(this.dir, name)))) });
      } catch {
        corrupt.push(name);
      }
    }
    documents.sort((a, b) => a.epoch - b.epoch);
    return { documents, corrupt };
  }

  /** Deletes stored documents for epochs before `epoch` (and stray temporary files). */
  async pruneBefore(epoch: number): Promise<void> {
    await this.#queue;
    // Also a temporary file another process left (a crash mid-write).
    await deleteEpochFilesBefore(this.dir, epoch, FILE, (name) => name.endsWith('.tmp') && !name.includes(`.${process.pid}.`));
  }
}

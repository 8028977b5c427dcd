// What an authority holds for the epoch being built, on disk: one
// append-only file per epoch, `<dataDir>/descriptors/<epoch>.log`
// (docs/pki.md §Persistence). Each accepted descriptor or admission view is
// appended as one record, so an upload costs a write of its own size, not a
// rewrite of everything held:
//
//   u8   type      1 = signed descriptor (wire form), 2 = signed admission view (wire form)
//   u32  length    big-endian
//        body
//
// Records appended in the same event-loop turn go out in one write and one
// fdatasync. A crash can leave a torn last record: reading stops there and
// says how many bytes it ignored. When superseded records make the file
// more than twice what is live, the owner rewrites it (compact(): temporary
// file, fsync, rename).

import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../runtime/fs/atomic-write.js';
import { deleteEpochFilesBefore } from '../../runtime/fs/epoch-files.js';

export const RECORD_DESCRIPTOR = 1;
export const RECORD_VIEW = 2;
export type RoundRecordType = typeof RECORD_DESCRIPTOR | typeof RECORD_VIEW;

export interface RoundRecord {
  type: RoundRecordType;
  body: Uint8Array;
}

const HEADER = 5;
/** A record body larger than this is corruption, not data (views are the largest: ~132 KiB). */
const MAX_RECORD_BODY = 1 << 20;

export function encodeRecord(r: RoundRecord): Uint8Array {
  const out = new Uint8Array(HEADER + r.body.length);
  out[0] = r.type;
  new DataView(out.buffer).setUint32(1, r.body.length);
  out.set(r.body, HEADER);
  return out;
}

/** Parses a log; stops at the first torn or unknown record. */
export function decodeRecords(bytes: Uint8Array): { records: RoundRecord[]; ignoredBytes: number } {
  const records: RoundRecord[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + HEADER <= bytes.length) {
    const type = bytes[at];
    const length = dv.getUint32(at + 1);
    if ((type !== RECORD_DESCRIPTOR && type !== RECORD_VIEW) || length > MAX_RECORD_BODY || at + HEADER + length > bytes.length) break;
    records.push({ type, body: bytes.slice(at + HEADER, at + HEADER + length) });
    at += HEADER + length;
  }
  return { records, ignoredBytes: bytes.length - at };
}

export class RoundLog {
  readonly dir: string;
  readonly #onError: (err: Error, epoch: number) => void;
  /** Records waiting for this turn's write, per epoch. */
  readonly #queued = new Map<number, Uint8Array[]>();
  readonly #sizes = new Map<number, number>();
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;
  /** Bytes appended (records only; compactions are counted apart). */
  bytesAppended = 0;
  recordsAppended = 0;
  compactions = 0;
  bytesCompacted = 0;

  constructor(dir: string, onError: (err: Error, epoch: number) => void) {
    this.dir = dir;
    this.#onError = onError;
  }

  #path(epoch: number): string {
    return join(this.dir, `${epoch}.log`);
  }

  /** The log's size for `epoch` as written or queued by this process (after read() or appends). */
  size(epoch: number): number {
    return this.#sizes.get(epoch) ?? 0;
  }

  append(epoch: number, record: RoundRecord): void {
    const bytes = encodeRecord(record);
    let q = this.#queued.get(epoch);
    if (!q) this.#queued.set(epoch, (q = []));
    q.push(bytes);
    this.#sizes.set(epoch, this.size(epoch) + bytes.length);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const batches = [...this.#queued];
      this.#queued.clear();
      this.#chain = this.#chain.then(async () => {
        for (const [e, parts] of batches) await this.#write(e, parts);
      });
    });
  }

  async #write(epoch: number, parts: Uint8Array[]): Promise<void> {
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = Buffer.concat(parts, total);
    let fh: FileHandle | undefined;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      fh = await open(this.#path(epoch), 'a', 0o600);
      await fh.write(bytes);
      await fh.datasync();
      this.bytesAppended += total;
      this.recordsAppended += parts.length;
    } catch (err) {
      this.#onError(err as Error, epoch);
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  /** Replaces the log for `epoch` with exactly `records` (atomically), after every queued append. */
  compact(epoch: number, records: readonly RoundRecord[]): Promise<void> {
    const bytes = Buffer.concat(records.map(encodeRecord));
    this.#sizes.set(epoch, bytes.length);
    // Appends queued before this call are superseded by the rewrite.
    this.#queued.delete(epoch);
    this.#chain = this.#chain.then(async () => {
      try {
        await writeFileAtomic(this.#path(epoch), bytes);
        this.compactions++;
        this.bytesCompacted += bytes.length;
      } catch (err) {
        this.#onError(err as Error, epoch);
      }
    });
    return this.#chain;
  }

  /** Reads the records saved for `epoch` (none if there is no file). */
  async read(epoch: number): Promise<{ records: RoundRecord[]; ignoredBytes: number }> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.#path(epoch));
    } catch {
      return { records: [], ignoredBytes: 0 };
    }
    const out = decodeRecords(bytes);
    this.#sizes.set(epoch, bytes.length - out.ignoredBytes);
    return out;
  }

  /** Deletes the logs (and any older-format files) of epochs before `epoch`. */
  deleteBefore(epoch: number): Promise<void> {
    for (const e of this.#sizes.keys()) if (e < epoch) this.#sizes.delete(e);
    this.#chain = this.#chain.then(() => deleteEpochFilesBefore(this.dir, epoch, /^(\d+)\.(log|bin)$/));
    return this.#chain;
  }

  /** Resolves once everything appended so far is on disk (or has failed and been reported). */
  async flushed(): Promise<void> {
    await new Promise<void>((r) => queueMicrotask(r));
    await this.#chain;
  }
}

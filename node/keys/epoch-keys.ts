// The node's per-epoch Sphinx keys (X25519). Keys are made ahead of time
// (the current and the next epoch), published in the node's descriptor, kept
// on disk so a restarted node still unwraps what it announced, and kept for a
// grace window after their epoch ends so packets in flight at an epoch
// boundary are not lost. docs/operators.md §Keys.

import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { epochAt, epochEnd, epochStart, type EpochClock } from '../../protocol/pki/epoch.js';
import type { EpochKey } from '../mix/mix-processor.js';

const FILE = /^sphinx-(\d+)\.key$/;
const KEY_LENGTH = 32;

export class EpochKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EpochKeyError';
  }
}

export interface EpochKeyringOptions {
  /** Folder for the key files (created with mode 0700). */
  dir: string;
  epochs: EpochClock;
  /** How long a key is still tried after its epoch ends (and before the next starts, for clock skew). */
  graceMs: number;
  /** How many epochs ahead of the current one to hold keys for (≥ 1: the next epoch is always published). */
  ahead?: number;
}

export class EpochKeyring {
  readonly #dir: string;
  readonly #epochs: EpochClock;
  readonly #graceMs: number;
  readonly #ahead: number;
  readonly #keys = new Map<number, X25519PrivateKey>();

  constructor(options: EpochKeyringOptions) {
    this.#dir = options.dir;
    this.#epochs = options.epochs;
    this.#graceMs = options.graceMs;
    this.#ahead = options.ahead ?? 1;
    if (!Number.isInteger(this.#ahead) || this.#ahead < 1) throw new RangeError('EpochKeyring: ahead must be at least 1');
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#load();
  }

  #load(): void {
    for (const name of readdirSync(this.#dir)) {
      const m = FILE.exec(name);
      if (!m) continue;
      const path = join(this.#dir, name);
      const raw = readFileSync(path);
      if (raw.length !== KEY_LENGTH) {
        throw new EpochKeyError(`Sphinx key file ${path} is ${raw.length} bytes, expected ${KEY_LENGTH}: restore it from backup or delete it (packets sent to that epoch's key will then be lost)`);
      }
      this.#keys.set(Number(m[1]), X25519PrivateKey.fromBytes(raw));
      raw.fill(0);
    }
  }

  /**
   * Makes sure keys exist for the current epoch and `ahead` epochs after it,
   * and deletes keys whose grace window has passed. Call at start and at
   * every epoch boundary. Returns the epochs created and deleted.
   */
  rotate(nowMs: number): { created: number[]; deleted: number[] } {
    const current = epochAt(nowMs, this.#epochs);
    const created: number[] = [];
    for (let e = current; e <= current + this.#ahead; e++) {
      if (this.#keys.has(e)) continue;
      const key = X25519PrivateKey.generate();
      const bytes = key.toBytes();
      const path = join(this.#dir, `sphinx-${e}.key`);
      writeFileSync(path, bytes, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
      bytes.fill(0);
      this.#keys.set(e, key);
      created.push(e);
    }
    const deleted: number[] = [];
    for (const [e, key] of this.#keys) {
      if (epochEnd(e, this.#epochs) + this.#graceMs <= nowMs) {
        key.destroy();
        this.#keys.delete(e);
        const path = join(this.#dir, `sphinx-${e}.key`);
        if (existsSync(path)) {
          writeFileSync(path, new Uint8Array(KEY_LENGTH)); // overwrite before unlinking
          rmSync(path);
        }
        deleted.push(e);
      }
    }
    return { created, deleted };
  }

  /**
   * The oldest epoch whose key is still live at `nowMs` (its grace window has
   * not ended): every older key is deleted by rotate(), so no packet can be
   * unwrapped under an older epoch and its replay tags can be pruned.
   */
  liveFrom(nowMs: number): number {
    const since = nowMs - this.#graceMs;
    return since < this.#epochs.genesisMs ? 0 : epochAt(since, this.#epochs);
  }

  /** When liveFrom(nowMs) next moves on: the end of the oldest live epoch's grace window. */
  nextRetirementMs(nowMs: number): number {
    return epochEnd(this.liveFrom(nowMs), this.#epochs) + this.#graceMs;
  }

  /** The keys to try on a packet at `nowMs`: the current epoch's, then the previous (within grace), then the next (within grace of its start). */
  unwrapKeys(nowMs: number): EpochKey[] {
    const current = epochAt(nowMs, this.#epochs);
    const out: EpochKey[] = [];
    const add = (epoch: number) => {
      const key = this.#keys.get(epoch);
      if (key) out.push({ epoch, key });
    };
    add(current);
    if (current > 0 && nowMs < epochStart(current, this.#epochs) + this.#graceMs) add(current - 1);
    if (nowMs >= epochEnd(current, this.#epochs) - this.#graceMs) add(current + 1);
    return out;
  }

  /** Public keys for `fromEpoch` … `fromEpoch + count − 1` (for the descriptor); throws if one is missing. */
  publicKeys(fromEpoch: number, count: number): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (let e = fromEpoch; e < fromEpoch + count; e++) {
      const key = this.#keys.get(e);
      if (!key) throw new EpochKeyError(`no Sphinx key for epoch ${e}: call rotate() first`);
      out.set(e, key.publicKey);
    }
    return out;
  }

  /** Epochs held, ascending. */
  epochs(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  /** Wipes the keys held in memory (the files stay). */
  close(): void {
    for (const key of this.#keys.values()) key.destroy();
    this.#keys.clear();
  }
}

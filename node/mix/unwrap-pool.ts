// The mix's unwrap stage on worker threads (runtime/worker-pool/batch-pool.ts):
// one event loop owns the links and the replay cache, `workers` threads
// unwrap. Packets go out in batches (their buffers moved, not copied) and
// come back in order per batch; the MixProcessor then checks replays on the
// event loop in arrival order, so a packet replayed to two workers is caught.
//
// Keys: before a batch leaves, the keys the node holds now (current epoch,
// the previous one in its grace window, the next) are compared with those the
// workers hold; a change (an epoch rotation) is sent to every worker first,
// and a replacement worker gets them before its first packet.
//
// A worker that crashes takes its in-flight packets with it: each is counted
// as a 'worker-lost' drop, the pool logs the reason and the number lost, and
// a new worker takes the crashed one's place.

import { sphinxBackend } from '../../protocol/crypto/native.js';
import type { Geometry } from '../../protocol/sphinx/index.js';
import { BatchPool, WorkerLostError } from '../../runtime/worker-pool/batch-pool.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { UnwrapStage } from './unwrap-stage.js';
import type { UnwrapKey, UnwrapOutcome } from './unwrap-with-keys.js';

/** The keys as sent to the workers: raw scalars (cloned into each worker; wiped here once replaced). */
export type KeyState = Array<{ epoch: number; raw: Uint8Array }>;

/** A worker's answer for one packet: the outcome, or a bug (an exception unwrap should never throw). */
export type WorkerOutcome = UnwrapOutcome | { readonly ok: false; readonly bug: string };

export interface UnwrapPoolOptions {
  geometry: Geometry;
  /** Worker threads (≥ 1). */
  workers: number;
  /** The keys to unwrap with now, most likely first. */
  keys(): readonly UnwrapKey[];
  logger: Logger;
  /** Packets per message at most (default 64). */
  batchMax?: number;
}

const WORKER_MODULE = new URL('./unwrap-worker.ts', import.meta.url);

function wipe(state: KeyState): void {
  for (const k of state) k.raw.fill(0);
}

export class UnwrapPool implements UnwrapStage, Startable {
  readonly workers: number;
  readonly #o: UnwrapPoolOptions;
  #pool: BatchPool<Uint8Array, WorkerOutcome> | null = null;
  #sent: readonly UnwrapKey[] = [];
  #state: KeyState = [];
  #stopped = false;

  constructor(options: UnwrapPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`UnwrapPool: workers must be a whole number ≥ 1 (got ${options.workers})`);
    this.workers = options.workers;
    this.#o = options;
  }

  /** Starts the workers and resolves once every one has loaded (a node waits for it before opening its links). */
  async start(): Promise<void> {
    if (this.#pool || this.#stopped) return;
    this.#pool = new BatchPool({
      module: WORKER_MODULE,
      size: this.workers,
      batchMax: this.#o.batchMax,
      init: { geometry: this.#o.geometry },
      transferOfJob: (packet) => [packet.buffer as ArrayBuffer],
      logger: this.#o.logger.child('unwrap-pool'),
    });
    await this.#pool.ready();
    this.#o.logger.info('unwrap workers started', { workers: this.workers, backend: sphinxBackend });
  }

  /** Workers replaced after a crash. */
  get restarts(): number {
    return this.#pool?.restarts ?? 0;
  }

  /** Packets handed to workers and not answered yet. */
  get pending(): number {
    return this.#pool?.pending ?? 0;
  }

  /** Stops worker `index` as a crash would (it is replaced; its packets count as 'worker-lost'): for drills and tests. */
  killWorker(index: number): Promise<number> {
    if (!this.#pool) throw new Error('UnwrapPool: not started');
    return this.#pool.killWorker(index);
  }

  async unwrap(packet: Uint8Array): Promise<UnwrapOutcome> {
    if (this.#stopped || !this.#pool) return { ok: false, reason: 'shutdown' };
    this.#syncKeys(this.#pool);
    let outcome: WorkerOutcome;
    try {
      // A copy the worker may own: the frame may be a view into a larger read buffer.
      outcome = await this.#pool.run(packet.slice());
    } catch (err) {
      if (err instanceof WorkerLostError) return { ok: false, reason: this.#stopped ? 'shutdown' : 'worker-lost' };
      throw err;
    }
    if ('bug' in outcome) throw new Error(`unwrap worker: ${outcome.bug}`);
    return outcome;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#pool?.stop();
    wipe(this.#state);
  }

  /** Sends the keys to the workers when they differ from those sent last (by epoch and key object). */
  #syncKeys(pool: BatchPool<Uint8Array, WorkerOutcome>): void {
    const keys = this.#o.keys();
    const same = keys.length === this.#sent.length && keys.every((k, i) => k.epoch === this.#sent[i].epoch && k.key === this.#sent[i].key);
    if (same) return;
    const state: KeyState = keys.map((k) => ({ epoch: k.epoch, raw: k.key.toBytes() }));
    pool.setState(state);
    // The pool keeps the current state for replacement workers; the one it replaced is wiped.
    wipe(this.#state);
    this.#state = state;
    this.#sent = [...keys];
  }
}

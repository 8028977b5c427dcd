// A pool of worker threads that run one job module on batches of small jobs:
// the mix's unwrap stage (node/mix/unwrap-pool.ts) hands it packets, one
// event loop keeps the links, and every other core unwraps.
//
// Jobs are queued on the least-loaded worker and sent at the end of the
// current turn of the event loop (queueMicrotask) or when a batch reaches
// `batchMax`, as ONE MessagePort message whose buffers are transferred, not
// copied. Results come back as one message per batch, in job order.
//
// Why batches and not one message per job (and why not piscina, which sends
// one message per task): every MessagePort message costs both threads a
// structured clone, a wake-up and a task. Measured with `npm run bench --
// mix.unwrapPool` (one worker, Sphinx unwraps, 2026-12-07, load ≈ 15 on 2
// cores): 4,935 packets/s in batches against 3,765/s with one message per
// packet (batchMax 1), i.e. some 60 µs more per packet, about a third of an
// unwrap; a CPU profile of the worker puts 11 % of its time in postMessage
// even batched. The pool also needs what a task library does not give: a
// "state" message (the epoch keys) that every worker gets before any later
// job and that a replacement worker gets before its first job, and a crashed
// worker's in-flight jobs failed with the reason (the mix counts them as
// dropped), the worker replaced, and no other worker's jobs touched.
//
// Workers load TypeScript as the sweep pool's do (simulator/sweep/pool.ts): a
// bootstrap calls tsx's register() in the thread, then imports the module,
// so it works under `node --import tsx` and under bin/chaff.js alike.
//
// A worker is never terminated while it loads its modules. On Node 24 that
// can abort the whole process (V8 "Check failed: (location_) != nullptr",
// nodejs/node#60755, a termination inside an ES module's evaluation; CI's
// Node 24 pass aborted so in the sweep pool's tests). So stop() asks each
// worker to leave ({type: 'stop'}, read after its module has loaded and after
// the batches sent before it) and terminates only one that has not left
// within STOP_GRACE_MS; killWorker() waits until the worker has loaded.
//
// Messages: pool → worker {type: 'state', state} | {type: 'batch', id, jobs} | {type: 'stop'}
//           worker → pool {type: 'ready'} | {type: 'results', id, results} | {type: 'load-error', message}

import { pathToFileURL } from 'node:url';
import { Worker, type Transferable } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';

/** A job failed because its worker stopped (crashed, or the pool was stopped). */
export class WorkerLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerLostError';
  }
}

export interface BatchPoolOptions<J> {
  /** The job module: path or file: URL of a module that calls serveBatches() (batch-worker.ts). */
  module: string | URL;
  /** Number of worker threads (≥ 1). */
  size: number;
  /** Jobs per message at most (a full batch is sent at once). */
  batchMax?: number;
  /** The buffers of a job to transfer (each must belong to that job alone). */
  transferOfJob?(job: J): Transferable[];
  /** Passed to every worker as its workerData.init. */
  init?: unknown;
  logger: Logger;
}

interface Pending<R> {
  resolve(result: R): void;
  reject(err: Error): void;
}

interface Slot<J, R> {
  index: number;
  worker: Worker;
  ready: boolean;
  /** Settles when the worker has loaded its module, failed to, or exited. */
  loaded: Promise<void>;
  /** The exit code, once the worker has exited. */
  exited: Promise<number>;
  /** Jobs queued for the next batch. */
  queue: J[];
  queueWaiters: Array<Pending<R>>;
  /** Batches sent and not yet answered. */
  inFlight: Map<number, Array<Pending<R>>>;
  jobsInFlight: number;
  flushScheduled: boolean;
  error?: Error;
}

const TSX_API = import.meta.resolve('tsx/esm/api');

/** How long stop() lets a worker take to leave by itself before terminating it. */
export const STOP_GRACE_MS = 30_000;

// Runs as a CommonJS script in the new thread (Worker eval mode).
const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.tsxApi)
  .then((api) => { api.register(); return import(workerData.module); })
  .catch((err) => parentPort.postMessage({ type: 'load-error', message: String((err && err.stack) || err) }));
`;

export class BatchPool<J, R> {
  readonly size: number;
  /** Workers that stopped unexpectedly and were replaced. */
  restarts = 0;
  readonly #o: BatchPoolOptions<J>;
  readonly #module: string;
  readonly #batchMax: number;
  readonly #slots: Array<Slot<J, R>> = [];
  #state: unknown = undefined;
  #hasState = false;
  #nextBatch = 1;
  #stopped = false;
  #loadError: Error | null = null;

  constructor(options: BatchPoolOptions<J>) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`BatchPool: size must be a whole number ≥ 1 (got ${options.size})`);
    this.size = options.size;
    this.#o = options;
    this.#batchMax = options.batchMax ?? 64;
    const m = options.module;
    this.#module = m instanceof URL ? m.href : /^file:/.test(m) ? m : pathToFileURL(m).href;
    for (let i = 0; i < options.size; i++) this.#slots.push(this.#spawn(i));
  }

  /** Resolves once every worker has loaded the job module (rejects if it cannot load). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.#slots.every((s) => s.ready)) {
      if (this.#loadError) throw this.#loadError;
      if (this.#stopped) throw new WorkerLostError('the pool was stopped');
      if (Date.now() > end) throw new Error(`BatchPool: workers not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Jobs sent to workers or queued for them and not yet answered. */
  get pending(): number {
    return this.#slots.reduce((n, s) => n + s.jobsInFlight + s.queue.length, 0);
  }

  /**
   * The state every worker holds (the mix's keys): sent to every worker now,
   * before any job submitted after this call, and to every replacement.
   */
  setState(state: unknown): void {
    this.#state = state;
    this.#hasState = true;
    for (const s of this.#slots) {
      // Jobs already queued were submitted before the new state: send them first.
      this.#flush(s);
      s.worker.postMessage({ type: 'state', state });
    }
  }

  /** Runs `job` on the least-loaded worker; rejects with WorkerLostError if that worker stops first. */
  run(job: J): Promise<R> {
    if (this.#stopped) return Promise.reject(new WorkerLostError('the pool was stopped'));
    if (this.#loadError) return Promise.reject(this.#loadError);
    let best = this.#slots[0];
    for (const s of this.#slots) if (s.jobsInFlight + s.queue.length < best.jobsInFlight + best.queue.length) best = s;
    return new Promise<R>((resolve, reject) => {
      best.queue.push(job);
      best.queueWaiters.push({ resolve, reject });
      if (best.queue.length >= this.#batchMax) this.#flush(best);
      else if (!best.flushScheduled) {
        best.flushScheduled = true;
        queueMicrotask(() => this.#flush(best));
      }
    });
  }

  /**
   * Terminates worker `index` as a crash would: its jobs fail with
   * WorkerLostError and it is replaced. Resolves with the number of jobs it held.
   */
  async killWorker(index: number): Promise<number> {
    const slot = this.#slots[index];
    if (!slot) throw new RangeError(`BatchPool: no worker ${index}`);
    if (!slot.ready) await slot.loaded;
    const held = slot.jobsInFlight + slot.queue.length;
    slot.error = new Error('killed by killWorker()');
    await slot.worker.terminate();
    return held;
  }

  /** Ends every worker (see the header: never terminated while it loads); jobs not answered yet fail with WorkerLostError. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const lost = new WorkerLostError('the pool was stopped');
    const exits = this.#slots.map(async (s) => {
      this.#failAll(s, lost);
      s.worker.postMessage({ type: 'stop' });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      const first = await Promise.race([s.exited, late]);
      clearTimeout(timer);
      if (first === 'late') {
        this.#o.logger.warn('worker did not stop within the grace; terminated', { worker: s.index, graceMs });
        await s.worker.terminate();
      }
    });
    await Promise.all(exits);
  }

  #flush(s: Slot<J, R>): void {
    s.flushScheduled = false;
    if (s.queue.length === 0 || this.#stopped) return;
    const jobs = s.queue;
    const waiters = s.queueWaiters;
    s.queue = [];
    s.queueWaiters = [];
    const id = this.#nextBatch++;
    const transfer = this.#o.transferOfJob ? jobs.flatMap((j) => this.#o.transferOfJob!(j)) : [];
    s.inFlight.set(id, waiters);
    s.jobsInFlight += jobs.length;
    try {
      s.worker.postMessage({ type: 'batch', id, jobs }, transfer);
    } catch (err) {
      s.inFlight.delete(id);
      s.jobsInFlight -= jobs.length;
      for (const w of waiters) w.reject(err as Error);
    }
  }

  #failAll(s: Slot<J, R>, err: Error): void {
    for (const waiters of s.inFlight.values()) for (const w of waiters) w.reject(err);
    for (const w of s.queueWaiters) w.reject(err);
    s.inFlight.clear();
    s.jobsInFlight = 0;
    s.queue = [];
    s.queueWaiters = [];
  }

  #spawn(index: number): Slot<J, R> {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { tsxApi: TSX_API, module: this.#module, init: this.#o.init } });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    let markLoaded!: () => void;
    const loaded = new Promise<void>((resolve) => {
      markLoaded = resolve;
    });
    void exited.then(markLoaded);
    const slot: Slot<J, R> = { index, worker, ready: false, loaded, exited, queue: [], queueWaiters: [], inFlight: new Map(), jobsInFlight: 0, flushScheduled: false };
    // A replacement gets the current state before any job (messages on one port keep their order).
    if (this.#hasState) worker.postMessage({ type: 'state', state: this.#state });
    worker.on('message', (m: { type: 'ready' } | { type: 'results'; id: number; results: R[] } | { type: 'load-error'; message: string }) => {
      if (m.type === 'ready') {
        slot.ready = true;
        markLoaded();
      } else if (m.type === 'load-error') {
        markLoaded();
        this.#loadError = new Error(`BatchPool: cannot load ${this.#module}: ${m.message}`);
        this.#o.logger.error('worker cannot load its module', { module: this.#module, error: m.message });
      } else if (m.type === 'results') {
        const waiters = slot.inFlight.get(m.id);
        if (!waiters) return;
        slot.inFlight.delete(m.id);
        slot.jobsInFlight -= waiters.length;
        for (let i = 0; i < waiters.length; i++) waiters[i].resolve(m.results[i]);
      }
    });
    worker.on('error', (err) => {
      slot.error = err;
    });
    worker.on('exit', (code) => {
      if (this.#stopped || this.#slots[index] !== slot) return;
      const why = slot.error ? `${slot.error.name}: ${slot.error.message}` : `exit code ${code}`;
      const lost = slot.jobsInFlight + slot.queue.length;
      this.#failAll(slot, new WorkerLostError(`worker ${index} stopped (${why})`));
      if (this.#loadError) return; // every replacement would fail the same way
      this.restarts++;
      this.#o.logger.warn('worker stopped; replaced', { worker: index, reason: why, jobsLost: lost });
      this.#slots[index] = this.#spawn(index);
    });
    return slot;
  }
}

// A pool of worker threads that runs jobs through a job module given by the
// caller (a path or file: URL of a module exporting `runJob(job)`), so the pool
// knows nothing about simulations. Each worker takes the next job when it has
// finished one; outcomes come back in job order whatever the finishing order.
//
// Workers load TypeScript the way bin/chaff.js does: a tiny bootstrap calls
// tsx's `register()` (tsx/esm/api) inside the worker, then imports worker.ts,
// which imports the job module. That works whether the parent was started by
// bin/chaff.js (register(), nothing in execArgv) or by `node --import tsx`.
//
// A job that throws is an outcome with ok: false; the pool goes on. A worker
// that dies in a job (process.exit, an uncaught error in a stray callback)
// fails that job and is replaced. A job module that cannot be loaded fails
// the whole pool with SweepPoolError: every job would fail the same way.
// When the jobs are done a worker is ended by worker-end.ts, never by a plain
// terminate(): one still loading its modules would abort Node 24.
//
// Why no pool library (piscina 5, tinypool 2 were weighed for issue 10): they
// would replace the ~40 lines that hand the next job to a free worker, and
// nothing else the sweep relies on (test/simulator/sweep/pool.test.ts pins
// it): the worker's thread id in each outcome, one SweepPoolError when the
// job module cannot load (not one failure per job), a job that calls
// process.exit as one failed outcome naming the exit code while its worker
// is replaced, and TypeScript loaded in the worker through tsx's register().
// Each would be rebuilt around the library (a bootstrap file, a load probe,
// exit-code mapping), and piscina's own handling of process.exit in a task
// has been a bug (piscinajs/piscina#304). A dependency for no fewer lines is
// worse, so the pool stays hand-written.

import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JobErrorInfo } from './messages.js';
import { endWorker, exitOf } from './worker-end.js';

export type JobOutcome<R> = { index: number; ok: true; result: R; threadId: number; ms: number } | { index: number; ok: false; error: JobErrorInfo; threadId: number; ms: number };

export interface PoolOptions<R> {
  /** Path or file: URL of the job module (.ts or .js). */
  jobModule: string | URL;
  /** Worker threads; default os.availableParallelism(), never more than there are jobs. */
  size?: number;
  /** Called as each job settles (completion order), with the counts so far. */
  onSettled?: (outcome: JobOutcome<R>, settled: number, failed: number) => void;
}

export class SweepPoolError extends Error {
  constructor(message: string) {
    super(`sweep pool: ${message}`);
    this.name = 'SweepPoolError';
  }
}

export const MAX_POOL_SIZE = 256;

const WORKER_ENTRY = new URL('./worker.ts', import.meta.url).href;
const TSX_API = import.meta.resolve('tsx/esm/api');

// Runs as a CommonJS script in the new thread (Worker eval mode).
const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.tsxApi)
  .then((api) => { api.register(); return import(workerData.entry); })
  .catch((err) => parentPort.postMessage({ type: 'load-error', error: { name: (err && err.name) || 'Error', message: String((err && err.message) || err) } }));
`;

function moduleUrl(jobModule: string | URL): string {
  if (jobModule instanceof URL) return jobModule.href;
  return /^file:/.test(jobModule) ? jobModule : pathToFileURL(jobModule).href;
}

/** A worker thread that loads TypeScript, then worker.ts with `jobModule` (a file: URL); it posts 'ready' or 'load-error'. */
export function spawnJobWorker(jobModule: string | URL): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: { tsxApi: TSX_API, entry: WORKER_ENTRY, jobModule: moduleUrl(jobModule) } });
}

export function defaultPoolSize(): number {
  return availableParallelism();
}

interface WorkerState {
  worker: Worker;
  exited: Promise<number>;
  ready: boolean;
  /** Index of the job in flight, or -1. */
  current: number;
  started: number;
  error?: Error;
}

export type WorkerMessage =
  { type: 'ready' } | { type: 'load-error'; error: JobErrorInfo } | ({ type: 'done'; index: number; ms: number } & ({ ok: true; result: unknown } | { ok: false; error: JobErrorInfo }));

export function runPool<J, R>(jobs: readonly J[], options: PoolOptions<R>): Promise<Array<JobOutcome<R>>> {
  const size = options.size ?? defaultPoolSize();
  if (!Number.isInteger(size) || size < 1 || size > MAX_POOL_SIZE) {
    return Promise.reject(new SweepPoolError(`size ${size}: expected a whole number of workers from 1 to ${MAX_POOL_SIZE}`));
  }
  if (jobs.length === 0) return Promise.resolve([]);
  const jobModule = moduleUrl(options.jobModule);

  return new Promise((resolve, reject) => {
    const outcomes: Array<JobOutcome<R>> = new Array(jobs.length);
    const states = new Set<WorkerState>();
    let next = 0;
    let settled = 0;
    let failed = 0;
    let over = false;

    // Never a plain terminate(): a worker still loading its modules must not be terminated (worker-end.ts).
    const stopAll = (): Promise<unknown> => Promise.all([...states].map((s) => endWorker(s.worker, s.exited, s.ready && s.current !== -1)));

    const fail = (err: Error): void => {
      if (over) return;
      over = true;
      void stopAll().finally(() => reject(err));
    };

    const record = (outcome: JobOutcome<R>): void => {
      outcomes[outcome.index] = outcome;
      settled++;
      if (!outcome.ok) failed++;
      try {
        options.onSettled?.(outcome, settled, failed);
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (settled === jobs.length && !over) {
        over = true;
        void stopAll().then(() => resolve(outcomes), reject);
      }
    };

    const dispatch = (state: WorkerState): void => {
      if (over) return;
      if (next >= jobs.length) {
        // Nothing left for this worker: let it go now rather than idle.
        state.current = -1;
        states.delete(state);
        void endWorker(state.worker, state.exited, false);
        return;
      }
      const index = next++;
      state.current = index;
      state.started = performance.now();
      try {
        state.worker.postMessage({ type: 'job', index, job: jobs[index] });
      } catch (err) {
        state.current = -1;
        record({ index, ok: false, threadId: state.worker.threadId, ms: 0, error: { name: (err as Error).name, message: `the job cannot be sent to a worker: ${(err as Error).message}` } });
        dispatch(state);
      }
    };

    const spawn = (): void => {
      const worker = spawnJobWorker(jobModule);
      // Read now: a worker that has exited reports threadId -1.
      const threadId = worker.threadId;
      const state: WorkerState = { worker, exited: exitOf(worker), ready: false, current: -1, started: 0 };
      states.add(state);
      worker.on('message', (message: WorkerMessage) => {
        if (over) return;
        if (message.type === 'ready') {
          state.ready = true;
          dispatch(state);
        } else if (message.type === 'load-error') {
          fail(new SweepPoolError(`cannot load the job module ${jobModule}: ${message.error.message}`));
        } else if (message.type === 'done' && message.index === state.current) {
          state.current = -1;
          const base = { index: message.index, threadId, ms: message.ms };
          record(message.ok ? { ...base, ok: true, result: message.result as R } : { ...base, ok: false, error: message.error });
          dispatch(state);
        }
      });
      worker.on('error', (err) => {
        state.error = err;
      });
      worker.on('exit', (code) => {
        const wasListed = states.delete(state);
        if (over || !wasListed) return;
        if (!state.ready) {
          fail(new SweepPoolError(`a worker stopped while loading the job module ${jobModule}${state.error ? `: ${state.error.message}` : ` (exit code ${code})`}`));
          return;
        }
        const index = state.current;
        state.current = -1;
        // Replace the worker first, so the pool keeps its size (and never
        // runs out of workers while jobs remain).
        if (next < jobs.length) spawn();
        if (index >= 0) {
          const why = state.error ? `${state.error.name}: ${state.error.message}` : `exit code ${code}`;
          record({
            index,
            ok: false,
            threadId,
            ms: performance.now() - state.started,
            error: { name: 'WorkerExit', message: `the worker running this job stopped (${why})`, ...(state.error?.stack ? { stack: state.error.stack } : {}) },
          });
        }
      });
    };

    for (let i = 0; i < Math.min(size, jobs.length); i++) spawn();
  });
}

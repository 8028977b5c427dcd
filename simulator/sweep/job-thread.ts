// One long-lived worker thread that runs jobs of a job module one at a time
// (the protocol of worker.ts), for the queue worker (queue-worker.ts): a
// thread loads TypeScript and the simulator once, which takes seconds, so
// it is kept across jobs rather than started per job as the local pool's
// threads are per sweep. A thread that dies in a job fails that job and is
// replaced at the next one.

import type { Worker } from 'node:worker_threads';
import type { JobOutcome, WorkerMessage } from './pool.js';
import { spawnJobWorker } from './pool.js';
import { endWorker, exitOf } from './worker-end.js';

export class JobThread {
  readonly #jobModule: string | URL;
  #worker: Worker | null = null;
  #exited: Promise<number> = Promise.resolve(0);
  #threadId = -1;
  #ready: Promise<void> | null = null;
  #settle: ((message: WorkerMessage | { type: 'exit'; why: string }) => void) | null = null;
  #busy = false;
  /** A job has been handed to the thread and has not settled (unlike #busy, false while the thread loads). */
  #inJob = false;

  constructor(jobModule: string | URL) {
    this.#jobModule = jobModule;
  }

  get busy(): boolean {
    return this.#busy;
  }

  #spawn(): Promise<void> {
    const worker = spawnJobWorker(this.#jobModule);
    this.#worker = worker;
    this.#exited = exitOf(worker);
    this.#threadId = worker.threadId;
    let error: Error | undefined;
    return new Promise((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'load-error') reject(new Error(`cannot load the job module ${String(this.#jobModule)}: ${message.error.message}`));
        else this.#settle?.(message);
      });
      worker.on('error', (err) => {
        error = err;
      });
      worker.on('exit', (code) => {
        if (this.#worker === worker) {
          this.#worker = null;
          this.#ready = null;
        }
        const why = error ? `${error.name}: ${error.message}` : `exit code ${code}`;
        reject(new Error(`the job thread stopped while loading (${why})`));
        this.#settle?.({ type: 'exit', why });
      });
    });
  }

  /** Starts the thread and loads the job module now, so that the first job does not wait for it. */
  async warm(): Promise<void> {
    if (!this.#ready) this.#ready = this.#spawn();
    await this.#ready;
  }

  /** Runs one job; its outcome (ok or not) as the pool reports it. */
  async run<J, R>(index: number, job: J): Promise<JobOutcome<R>> {
    if (this.#busy) throw new Error('JobThread.run: a job is already running on this thread');
    this.#busy = true;
    try {
      await this.warm();
      const started = performance.now();
      const threadId = this.#threadId;
      this.#inJob = true;
      const message = await new Promise<WorkerMessage | { type: 'exit'; why: string }>((resolve) => {
        this.#settle = resolve;
        this.#worker?.postMessage({ type: 'job', index, job });
      });
      this.#settle = null;
      if (message.type === 'done')
        return message.ok ? { index, ok: true, result: message.result as R, threadId, ms: message.ms } : { index, ok: false, error: message.error, threadId, ms: message.ms };
      const why = message.type === 'exit' ? message.why : message.type;
      return { index, ok: false, threadId, ms: performance.now() - started, error: { name: 'WorkerExit', message: `the thread running this job stopped (${why})` } };
    } finally {
      this.#busy = false;
      this.#inJob = false;
    }
  }

  /** Ends the thread: terminated if it runs a job, otherwise asked to leave (never terminated while it loads: worker-end.ts). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#ready = null;
    if (worker) await endWorker(worker, this.#exited, this.#inJob);
  }
}

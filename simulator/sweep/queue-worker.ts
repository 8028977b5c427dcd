// `chaff sim worker --queue URL`: takes sweep jobs from the BullMQ queue
// and runs them until stopped (queue-connection.ts says why BullMQ). Jobs
// run in worker threads (job-thread.ts, one per concurrent job, kept from
// job to job), so this process's event loop stays free to renew the job's lock in Redis however long the
// simulation takes: a lock that is not renewed would make BullMQ think the
// worker dead and run the job twice. When a worker process does die, its
// lock expires after `lockDurationMs` and the stalled-job check of any
// live worker (every `stalledIntervalMs`) puts the job back in the queue.
//
// Jobs run with the job module this worker was started with (for the CLI,
// the simulator's), never one named in the queue: whoever can write to the
// queue cannot make a worker load code.

import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobThread } from './job-thread.js';
import { receiveFiles } from './queue-files.js';
import { connectRedis, DEFAULT_QUEUE_NAME, failureReason, type QueuedJobData, type QueuedJobResult } from './queue-connection.js';

export interface QueueWorkerInit {
  url: string;
  /** Module exporting `runJob(job)` (sim-job.ts for the CLI). */
  jobModule: string | URL;
  queueName?: string;
  /** Jobs run at once (default 1; the CLI: one per core). */
  concurrency?: number;
  /** How long a job's lock lasts unless renewed, ms (BullMQ's default 30 s): how soon a dead worker's job is taken over. */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs, ms (BullMQ's default 30 s). */
  stalledIntervalMs?: number;
  /** One line per job started, finished or failed. */
  log?: (line: string) => void;
}

export class SweepQueueWorker {
  readonly #init: QueueWorkerInit;
  readonly #name = `${hostname()}:${process.pid}`;
  #redis: Redis | null = null;
  #worker: Worker<QueuedJobData, QueuedJobResult> | null = null;
  #threads: JobThread[] = [];
  #completed = 0;
  #failed = 0;

  constructor(init: QueueWorkerInit) {
    this.#init = init;
  }

  /** host:pid, as recorded with each result. */
  get name(): string {
    return this.#name;
  }

  get counts(): { completed: number; failed: number } {
    return { completed: this.#completed, failed: this.#failed };
  }

  async start(): Promise<void> {
    const init = this.#init;
    const log = init.log ?? (() => {});
    this.#redis = await connectRedis(init.url);
    this.#threads = Array.from({ length: init.concurrency ?? 1 }, () => new JobThread(init.jobModule));
    // Load the simulator in every thread before taking jobs: a module that cannot load stops the worker here.
    try {
      await Promise.all(this.#threads.map((t) => t.warm()));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.#worker = new Worker<QueuedJobData, QueuedJobResult>(
      init.queueName ?? DEFAULT_QUEUE_NAME,
      async (job) => {
        const sweepJob = await receiveFiles(this.#redis as Redis, job.queueName, job.data.job, job.data.files);
        log(`job ${job.id}: ${JSON.stringify(sweepJob.params)}, repeat ${sweepJob.repeat}, seed ${sweepJob.seed}`);
        // BullMQ runs at most `concurrency` jobs at once: a thread is free.
        const thread = this.#threads.find((t) => !t.busy) as JobThread;
        const outcome = await thread.run(sweepJob.index, sweepJob);
        if (!outcome.ok) {
          const error = new Error(failureReason(outcome.error));
          if (outcome.error.stack) error.stack = outcome.error.stack;
          throw error;
        }
        return { result: outcome.result, worker: this.#name, threadId: outcome.threadId, ms: outcome.ms };
      },
      {
        connection: this.#redis,
        concurrency: init.concurrency ?? 1,
        lockDuration: init.lockDurationMs ?? 30_000,
        stalledInterval: init.stalledIntervalMs ?? 30_000,
        // A job stalls when its worker dies; one that kills two workers is failed rather than tried forever.
        maxStalledCount: 2,
      },
    );
    this.#worker.on('completed', (job) => {
      this.#completed++;
      log(`job ${job.id}: done in ${(job.returnvalue.ms / 1000).toFixed(1)} s`);
    });
    this.#worker.on('failed', (job, err) => {
      this.#failed++;
      log(`job ${job?.id ?? '?'}: FAILED: ${err.message}`);
    });
    this.#worker.on('stalled', (id) => log(`job ${id}: its worker stopped answering; back in the queue`));
    this.#worker.on('error', (err) => log(`queue error: ${err.message}`));
    await this.#worker.waitUntilReady();
  }

  /** Finishes the jobs in hand, then disconnects. */
  async stop(): Promise<void> {
    await this.#worker?.close();
    this.#worker = null;
    await Promise.all(this.#threads.map((t) => t.close()));
    this.#redis?.disconnect();
    this.#redis = null;
  }
}

// Distributed sweeps run on BullMQ over Redis (docs/simulator.md §Sweeps
// across machines): `chaff sim sweep --queue URL` puts the jobs on a queue
// and collects their results (queue-sweep.ts); `chaff sim worker --queue
// URL`, on any number of machines, runs them (queue-worker.ts). This file
// holds what both ends share: the queue's name, the job's data, and the
// Redis connection.
//
// Why BullMQ: it is the maintained Redis job queue for Node (the successor
// of Bull), and it already does what a sweep must not lose jobs over: a
// worker holds a lock on its job that it renews while the job runs; when a
// worker dies the lock expires and the stalled-job check of any other
// worker puts the job back in the queue (docs.bullmq.io, "Stalled Jobs").
// Redis is one apt-get away (Debian's redis-server).

import { Redis } from 'ioredis';
import type { JobErrorInfo } from './messages.js';
import type { SweepJob } from './jobs.js';

/** The queue both ends use unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'chaff-sim-sweep';

/** What a queued job carries: the sweep it belongs to and the job itself. */
export interface QueuedJobData {
  sweep: string;
  job: SweepJob;
  /** Configuration keys naming input files shipped through Redis → "sha256.ext" (queue-files.ts). */
  files?: Record<string, string>;
}

/** What a worker returns for a job that ran. */
export interface QueuedJobResult {
  result: unknown;
  /** The worker process, host:pid. */
  worker: string;
  threadId: number;
  ms: number;
}

export class SweepQueueError extends Error {
  constructor(message: string) {
    super(`sweep queue: ${message}`);
    this.name = 'SweepQueueError';
  }
}

/** The job id of job `index` of sweep `sweep` (BullMQ ids may not contain ':'). */
export function queuedJobId(sweep: string, index: number): string {
  return `${sweep}-${index}`;
}

/** A failed job's reason, as the worker writes it: "Name: message". */
export function failureReason(error: JobErrorInfo): string {
  return `${error.name}: ${error.message}`;
}

/** Back from failureReason. */
export function failureInfo(reason: string | undefined, stack?: string): JobErrorInfo {
  const m = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(reason ?? '');
  return { name: m ? m[1] : 'Error', message: m ? m[2] : (reason ?? 'the job failed without a reason'), ...(stack ? { stack } : {}) };
}

/**
 * A Redis connection for BullMQ from a redis:// or rediss:// URL, checked
 * with a PING within `timeoutMs`: an unreachable server is a clear error at
 * once, not a hang. BullMQ's workers need `maxRetriesPerRequest: null`.
 */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new SweepQueueError(`--queue ${JSON.stringify(url)}: expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379`);
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: timeoutMs });
  // Until the first PING answers, a failure is reported below, not retried forever.
  let lastError: Error | undefined;
  const onError = (err: Error): void => {
    lastError = err;
  };
  redis.on('error', onError);
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref())]);
  } catch (err) {
    redis.disconnect();
    throw new SweepQueueError(`cannot reach Redis at ${url}: ${(lastError ?? (err as Error)).message}`);
  }
  redis.off('error', onError);
  return redis;
}

// `chaff sim sweep --queue URL`: the sweep's jobs go onto a BullMQ queue in
// Redis, workers anywhere run them (queue-worker.ts), and this end waits
// for every job, then builds the same SweepResult as a local sweep
// (sweep.ts: sweepResult), so sweep.json, sweep.csv and the plots are
// those of `chaff sim sweep` on one machine with the same seeds.
//
// Each sweep has an id of its own; its jobs are `<id>-<index>` on the
// shared queue. A job runs once (attempts: 1; a failure is the job's, as in
// a local sweep); a worker that dies mid-job loses nothing, since BullMQ
// hands a stalled job to another worker. Once collected, the sweep's jobs
// are removed from Redis, so the queue does not grow with every sweep; a
// sweep that is stopped leaves results that expire after ORPHAN_AGE_S.

import { randomBytes } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { expandJobs, type SweepPlan } from './jobs.js';
import type { JobOutcome } from './pool.js';
import { ProgressReporter, type ProgressStream } from './progress.js';
import { connectRedis, DEFAULT_QUEUE_NAME, failureInfo, queuedJobId, SweepQueueError, type QueuedJobData, type QueuedJobResult } from './queue-connection.js';
import { shipFiles } from './queue-files.js';
import { sweepResult, type SweepResult } from './sweep.js';

export interface QueuedSweepOptions extends SweepPlan {
  /** redis://host:port[/db] */
  url: string;
  queueName?: string;
  /** Where the progress line goes (default process.stderr); null for none. */
  progress?: ProgressStream | null;
  /** How often to look for finished jobs, ms (default 500). */
  pollMs?: number;
  /** Dotted configuration keys that name input files to send to the workers through Redis (e.g. workload.path). */
  fileKeys?: readonly string[];
}

/** Results nobody collects (a sweep stopped while its jobs ran) are dropped from Redis after this long, s. */
export const ORPHAN_AGE_S = 7 * 86_400;

/** At most this many jobs are looked up per poll. */
const LOOKUPS_PER_POLL = 500;

export async function runQueuedSweep(options: QueuedSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const jobs = expandJobs(options);
  const redis = await connectRedis(options.url);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const queue = new Queue<QueuedJobData, QueuedJobResult>(queueName, { connection: redis });
  const sweep = randomBytes(8).toString('hex');
  const stream = options.progress === undefined ? process.stderr : options.progress;
  const progress = stream ? new ProgressReporter(stream, jobs.length) : null;
  const outcomes: Array<JobOutcome<unknown> & { worker?: string }> = new Array(jobs.length);
  const workers = new Set<string>();
  let stored: string[] = [];
  try {
    const shipped = await shipFiles(redis, queueName, jobs, options.fileKeys ?? [], ORPHAN_AGE_S);
    stored = shipped.stored;
    await queue.addBulk(
      jobs.map((job) => ({
        name: 'sim',
        data: { sweep, job, files: shipped.perJob[job.index] },
        opts: { jobId: queuedJobId(sweep, job.index), attempts: 1, removeOnComplete: { age: ORPHAN_AGE_S }, removeOnFail: { age: ORPHAN_AGE_S } },
      })),
    );
    progress?.update(0, 0);
    const pending = new Set(jobs.map((j) => j.index));
    let failed = 0;
    while (pending.size > 0) {
      for (const index of [...pending].slice(0, LOOKUPS_PER_POLL)) {
        const job = await Job.fromId<QueuedJobData, QueuedJobResult>(queue, queuedJobId(sweep, index));
        if (!job) throw new SweepQueueError(`job ${queuedJobId(sweep, index)} is no longer in the queue ${queue.name} (removed by someone else?)`);
        if (!job.finishedOn) continue;
        const ms = job.processedOn ? job.finishedOn - job.processedOn : 0;
        if (job.failedReason || !job.returnvalue) {
          outcomes[index] = { index, ok: false, threadId: -1, ms, error: failureInfo(job.failedReason, job.stacktrace?.[0]) };
          failed++;
        } else {
          const r = job.returnvalue;
          outcomes[index] = { index, ok: true, result: r.result, threadId: r.threadId, worker: r.worker, ms: r.ms };
          workers.add(r.worker);
        }
        pending.delete(index);
        progress?.update(jobs.length - pending.size, failed);
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
    for (const job of jobs) await queue.remove(queuedJobId(sweep, job.index));
  } finally {
    if (stored.length) await redis.del(...stored).catch(() => {});
    progress?.close();
    await queue.close();
    redis.disconnect();
  }
  return sweepResult(options, jobs, outcomes, workers.size, performance.now() - started);
}

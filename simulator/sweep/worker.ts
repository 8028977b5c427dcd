// The worker thread of the sweep pool (pool.ts). It imports the caller's job
// module once, then runs one job per message and answers with its outcome.
//
// Messages: pool → worker  { type: 'job', index, job }
//                          { type: 'stop' }  (leave once idle: worker-end.ts)
//           worker → pool  { type: 'ready' }
//                          { type: 'load-error', error }
//                          { type: 'done', index, ok: true, result, ms }
//                          { type: 'done', index, ok: false, error, ms }

import { parentPort, workerData } from 'node:worker_threads';
import { errorInfo, type JobModule } from './messages.js';

const port = parentPort;
if (!port) throw new Error('simulator/sweep/worker.ts runs only as a worker thread of the sweep pool');
const { jobModule } = workerData as { jobModule: string };

let runJob: JobModule['runJob'] | undefined;
try {
  const mod = (await import(jobModule)) as Partial<JobModule>;
  if (typeof mod.runJob !== 'function') throw new TypeError(`${jobModule} does not export a function runJob(job)`);
  runJob = mod.runJob;
} catch (err) {
  port.postMessage({ type: 'load-error', error: errorInfo(err) });
}

if (runJob) {
  const run = runJob;
  port.on('message', async (message: { type: 'job'; index: number; job: unknown } | { type: 'stop' }) => {
    if (message.type === 'stop') {
      // Nothing left to hold the event loop: the thread ends by itself.
      port.close();
      return;
    }
    const started = performance.now();
    let outcome: Record<string, unknown>;
    try {
      outcome = { type: 'done', index: message.index, ok: true, result: await run(message.job) };
    } catch (err) {
      outcome = { type: 'done', index: message.index, ok: false, error: errorInfo(err) };
    }
    outcome.ms = performance.now() - started;
    try {
      port.postMessage(outcome);
    } catch (err) {
      // The result holds something that cannot cross threads (a function, a socket …).
      port.postMessage({ type: 'done', index: message.index, ok: false, ms: outcome.ms, error: errorInfo(err, 'the job result cannot be sent to the main thread: ') });
    }
  });
  port.postMessage({ type: 'ready' });
}

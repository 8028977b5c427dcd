// How the sweep ends one of its worker threads (pool.ts, job-thread.ts)
// without taking the whole process down.
//
// On Node 24, worker.terminate() on a thread that is still evaluating its ES
// modules can abort the process: V8's "Check failed: (location_) != nullptr"
// (nodejs/node#60755; the class of #43182, a termination inside a module's
// evaluation). worker.ts has a top-level await, so a sweep worker is in a
// module evaluation until it posts 'ready'. CI's Node 24 pass aborted so in
// the sweep tests (stop 18); here, 3 runs in 5 of ten 4-job pools aborted,
// each time just after a worker that had not posted 'ready' was terminated.
//
// So a worker that is loading, or idle, is asked to stop ({type: 'stop'},
// read once its modules are loaded) and leaves by itself. Only a worker
// busy with a job is terminated: it is running the job, not a module
// evaluation. One that has not left within the grace is terminated anyway,
// so that a module load that never ends cannot hang the sweep.

import type { Worker } from 'node:worker_threads';

export const STOP_GRACE_MS = 30_000;

/** Resolves with the exit code; to be called when the worker is created, so that no exit is missed. */
export function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('exit', resolve));
}

/** Ends `worker`; `exited` is exitOf(worker). Resolves once it has exited. */
export async function endWorker(worker: Worker, exited: Promise<number>, busy: boolean, graceMs = STOP_GRACE_MS): Promise<void> {
  if (busy) {
    await worker.terminate();
    return;
  }
  worker.postMessage({ type: 'stop' });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first === 'late') await worker.terminate();
}

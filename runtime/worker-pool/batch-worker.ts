// The worker side of the batch pool (batch-pool.ts): a job module calls
// serveBatches() once with its handlers; each batch is answered with one
// message, its results in job order, their buffers transferred.

import { parentPort, workerData, type Transferable } from 'node:worker_threads';

export interface BatchHandlers<J, R> {
  /** A new state from the pool (it arrives before any job submitted after it). */
  onState(state: unknown): void;
  /** The result of one job; must not throw (return an error result instead). */
  run(job: J): R;
  /** Buffers of a result that may be transferred (owned by that result alone). */
  transferOf?(result: R): Transferable[];
}

/** The pool's `init` option, as given to this worker. */
export function workerInit<T>(): T {
  return (workerData as { init: T }).init;
}

export function serveBatches<J, R>(handlers: BatchHandlers<J, R>): void {
  const port = parentPort;
  if (!port) throw new Error('serveBatches runs only in a worker thread of a BatchPool');
  port.on('message', (m: { type: 'state'; state: unknown } | { type: 'batch'; id: number; jobs: J[] } | { type: 'stop' }) => {
    if (m.type === 'stop') {
      // The pool is stopping: with the port closed nothing holds the thread, which ends by itself.
      port.close();
      return;
    }
    if (m.type === 'state') {
      handlers.onState(m.state);
      return;
    }
    const results = m.jobs.map((j) => handlers.run(j));
    const transfer = handlers.transferOf ? results.flatMap((r) => handlers.transferOf!(r)) : [];
    port.postMessage({ type: 'results', id: m.id, results }, transfer);
  });
  port.postMessage({ type: 'ready' });
}

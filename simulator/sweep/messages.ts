// What the sweep pool and its workers exchange (see worker.ts for the
// messages), and the contract of a job module.

/** A job module exports `runJob`; it gets a job (structured-cloned) and returns a cloneable result. */
export interface JobModule<J = unknown, R = unknown> {
  runJob(job: J): R | Promise<R>;
}

/** An error as it crosses a thread boundary. */
export interface JobErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

export function errorInfo(err: unknown, prefix = ''): JobErrorInfo {
  if (err instanceof Error) return { name: err.name, message: `${prefix}${err.message}`, ...(err.stack ? { stack: err.stack } : {}) };
  return { name: 'Error', message: `${prefix}${String(err)}` };
}

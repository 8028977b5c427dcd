// The long-running commands (`chaff node`, `chaff client daemon`) run until
// SIGINT or SIGTERM, then stop cleanly.

/** Resolves with the name of the first SIGINT or SIGTERM, and stops listening. */
export function waitForStopSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveSignal(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

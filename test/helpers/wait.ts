// The one poll-until helper of the tests: polls `probe` until it returns a
// value other than undefined or false, failing after `timeoutMs` with what
// was awaited (and `detail`, to say where things stood).

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Appended to the timeout error (e.g. current counters, log paths). */
  detail?: () => Promise<string> | string;
  /** Checked before every poll: throw to fail at once (e.g. a process died). */
  check?: () => void;
  /** A probe that throws counts as "not yet" (default); false rethrows. */
  ignoreErrors?: boolean;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 10, ignoreErrors = true } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    options.check?.();
    let value: T | undefined | false;
    try {
      value = await probe();
    } catch (err) {
      if (!ignoreErrors) throw err;
      value = undefined;
    }
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const more = options.detail ? `: ${await options.detail()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more}`);
    }
    await sleep(intervalMs);
  }
}

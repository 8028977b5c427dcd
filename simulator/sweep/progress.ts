// Sweep progress on stderr. On a terminal one line is redrawn in place (at most
// ten times a second, and always at the end); in a log (not a TTY) a line is
// written each time another tenth of the jobs is done, and at the end.
// ETA = elapsed / done × (total − done): jobs of one sweep take similar time.

import { formatDuration as formatDurationIn } from '../../protocol/util/format-duration.js';

export interface ProgressState {
  done: number;
  total: number;
  failed: number;
  elapsedMs: number;
}

/** "0:07", "12:34", "1:02:03"; whole seconds, rounded (protocol/util/format-duration.ts, stopwatch style). */
export function formatDuration(ms: number): string {
  return formatDurationIn(ms, 'stopwatch');
}

/** Milliseconds left, or NaN before the first job is done. */
export function estimateRemainingMs(state: ProgressState): number {
  if (state.done <= 0) return Number.NaN;
  return (state.elapsedMs / state.done) * Math.max(0, state.total - state.done);
}

/** "[#########---------------]  12/32  38%  elapsed 0:12  ETA 0:20  1 failed" */
export function formatProgress(state: ProgressState, barWidth = 24): string {
  const fraction = state.total > 0 ? Math.min(1, state.done / state.total) : 1;
  const filled = Math.floor(fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const count = `${String(state.done).padStart(String(state.total).length)}/${state.total}`;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const eta = state.done >= state.total ? 'done' : `ETA ${formatDuration(estimateRemainingMs(state))}`;
  const failed = state.failed > 0 ? `  ${state.failed} failed` : '';
  return `${bar} ${count} ${percent}  elapsed ${formatDuration(state.elapsedMs)}  ${eta}${failed}`;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #now: () => number;
  readonly #started: number;
  #lastDraw = -Infinity;
  #lastTenth = 0;
  #finished = false;

  constructor(stream: ProgressStream, total: number, now: () => number = () => performance.now()) {
    this.#stream = stream;
    this.#total = total;
    this.#now = now;
    this.#started = now();
  }

  #state(done: number, failed: number): ProgressState {
    return { done, total: this.#total, failed, elapsedMs: this.#now() - this.#started };
  }

  /** Report `done` jobs finished (of which `failed` failed). */
  update(done: number, failed: number): void {
    if (this.#finished) return;
    const complete = done >= this.#total;
    if (this.#stream.isTTY) {
      const t = this.#now();
      if (!complete && t - this.#lastDraw < 100) return;
      this.#lastDraw = t;
      // \r returns to the line start, ESC[K clears what a longer line left.
      this.#stream.write(`\r${formatProgress(this.#state(done, failed))}\x1b[K`);
      if (complete) {
        this.#stream.write('\n');
        this.#finished = true;
      }
      return;
    }
    const tenth = this.#total > 0 ? Math.floor((done * 10) / this.#total) : 10;
    if (tenth > this.#lastTenth || complete) {
      this.#lastTenth = tenth;
      this.#stream.write(`${formatProgress(this.#state(done, failed))}\n`);
      if (complete) this.#finished = true;
    }
  }

  /** Ends the progress line early (the sweep stopped): a terminal gets its newline. */
  close(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#stream.isTTY && this.#lastDraw > -Infinity) this.#stream.write('\n');
  }
}

// `chaff client init`'s progress line while it waits for the network's
// document (client/document-wait.ts): on a terminal one line on stderr that
// updates in place and is cleared when the wait ends; elsewhere (a script, a
// log) the first report and then one line every 15 s.

import type { DocumentWaitProgress } from '../../client/document-wait.js';
import { formatDuration } from '../../protocol/util/format-duration.js';
import { parseDuration } from '../../protocol/config/typed-reader.js';
import { printable } from './format.js';

const PLAIN_EVERY_MS = 15_000;

/** The progress in words: "waiting for the network's document (epoch 1): not published yet… 12 s of at most 5m 0s (Ctrl-C stops)". */
export function documentWaitLine(p: DocumentWaitProgress): string {
  const what = p.epoch === null ? "waiting for the network's first epoch" : `waiting for the network's document (epoch ${p.epoch})`;
  return `${what}: ${printable(p.reason)}… ${Math.floor(p.waitedMs / 1000)} s of at most ${formatDuration(p.limitMs)} (Ctrl-C stops)`;
}

export interface WaitProgressLine {
  report(progress: DocumentWaitProgress): void;
  /** Ends the line (on a terminal: clears it). */
  done(): void;
}

/** A progress line on `stream` (stderr), updated in place when it is a terminal. */
export function waitProgressLine(stream: NodeJS.WriteStream = process.stderr): WaitProgressLine {
  const tty = stream.isTTY === true;
  let shown = false;
  let lastPlainMs = -Infinity;
  return {
    report(progress) {
      const line = `chaff client: ${documentWaitLine(progress)}`;
      if (tty) {
        const width = stream.columns > 1 ? stream.columns - 1 : line.length;
        stream.write(`\r\x1b[K${line.slice(0, width)}`);
        shown = true;
      } else if (progress.waitedMs - lastPlainMs >= PLAIN_EVERY_MS) {
        stream.write(`${line}\n`);
        lastPlainMs = progress.waitedMs;
      }
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** `--wait`: "90s", "5m", "0" (one try); null when it is none of these. */
export function parseWait(value: string): number | null {
  if (value.trim() === '0') return 0;
  return parseDuration(value);
}

export const WAIT_FLAG = '--wait <duration>';
export const WAIT_HELP = 'how long to wait for a network that has not published its document yet or does not answer yet (90s, 10m; 0: no wait; default 5m)';

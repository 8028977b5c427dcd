// Appends trace events (protocol/trace/events.ts) to a file as JSON lines.
// Writes are buffered and flushed every second and on close; a write error
// is reported once and tracing stops, the node or client goes on. The
// flush runs on the injected Clock (default: the wall clock).

import { createWriteStream, type WriteStream } from 'node:fs';
import type { Clock, TimerHandle } from '../protocol/traffic/clock.js';
import { encodeTraceEvent, type TraceEvent } from '../protocol/trace/events.js';
import { systemClock } from './clock.js';

const FLUSH_EVERY_MS = 1000;

export class TraceWriter {
  readonly path: string;
  #stream: WriteStream | null;
  #buffer: string[] = [];
  readonly #clock: Clock;
  #timer: TimerHandle | null = null;
  #failed = false;

  constructor(path: string, onError: (err: Error) => void = () => undefined, clock: Clock = systemClock) {
    this.path = path;
    this.#clock = clock;
    this.#stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.#stream.on('error', (err) => {
      if (!this.#failed) onError(err);
      this.#failed = true;
    });
    this.#arm();
  }

  #arm(): void {
    this.#timer = this.#clock.at(this.#clock.now() + FLUSH_EVERY_MS, () => {
      this.#flush();
      if (this.#stream) this.#arm();
    });
  }

  write(event: TraceEvent): void {
    if (this.#failed || !this.#stream) return;
    this.#buffer.push(encodeTraceEvent(event));
    if (this.#buffer.length >= 1000) this.#flush();
  }

  #flush(): void {
    if (this.#buffer.length === 0 || !this.#stream || this.#failed) return;
    this.#stream.write(`${this.#buffer.join('\n')}\n`);
    this.#buffer = [];
  }

  async close(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    this.#flush();
    const s = this.#stream;
    this.#stream = null;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
  }
}

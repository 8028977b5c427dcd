// Appends trace events (protocol/trace/events.ts) to a file as JSON lines.
// Writes are buffered and flushed every second and on close; a write error
// is reported once and tracing stops, the node or client goes on.

import { createWriteStream, type WriteStream } from 'node:fs';
import { encodeTraceEvent, type TraceEvent } from '../protocol/trace/events.js';

export class TraceWriter {
  readonly path: string;
  #stream: WriteStream | null;
  #buffer: string[] = [];
  readonly #timer: NodeJS.Timeout;
  #failed = false;

  constructor(path: string, onError: (err: Error) => void = () => undefined) {
    this.path = path;
    this.#stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.#stream.on('error', (err) => {
      if (!this.#failed) onError(err);
      this.#failed = true;
    });
    this.#timer = setInterval(() => this.#flush(), 1000);
    this.#timer.unref();
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
    clearInterval(this.#timer);
    this.#flush();
    const s = this.#stream;
    this.#stream = null;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
  }
}

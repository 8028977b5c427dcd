// Newline-delimited JSON framing of the client's local API (docs/client-api.md
// §Framing):
//
//   stream = *( line )
//   line   = UTF-8 JSON text without a raw newline ‖ 0x0A
//
// JSON escapes every newline inside strings, so 0x0A only ever ends a line;
// a 0x0D just before it is ignored. Lines are bounded: a peer that sends more
// than `maxLineBytes` without a newline is cut off (the caller closes the
// connection), so one connection can hold at most that much memory.

import { MAX_MESSAGE_BYTES } from '../api.js';

/**
 * The longest request line the daemon accepts. The largest valid request is
 * `send.text` with 1 MiB of UTF-8 text in which every byte is a control
 * character that JSON escapes as `\u00XX` (6 bytes per byte: 6 MiB); a
 * `send.file` carries base64 of 1 MiB (4·⌈2^20/3⌉ = 1,398,104 bytes), well
 * below. 64 KiB on top for the envelope, the contact and file names.
 */
export const MAX_REQUEST_LINE_BYTES = 6 * MAX_MESSAGE_BYTES + 64 * 1024;

/**
 * The longest line the command-line side accepts from the daemon. Responses
 * are not bounded by one message (a history holds many), and the daemon is
 * the same user; the bound only stops a runaway.
 */
export const MAX_RESPONSE_LINE_BYTES = 128 * MAX_MESSAGE_BYTES;

const NEWLINE = 0x0a;
const CR = 0x0d;

export interface LineHandlers {
  /** One whole line, decoded; `null` when it was not valid UTF-8. */
  onLine(line: string | null): void;
  /** More than the bound arrived without a newline; no more lines follow. */
  onOverflow(bytes: number): void;
}

/** Splits a byte stream into lines of at most `maxLineBytes` (newline excluded). */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;
  private overflowed = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly maxLineBytes: number,
    private readonly handlers: LineHandlers,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (!this.overflowed && at < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, at);
      const end = nl === -1 ? chunk.length : nl;
      if (this.pending + (end - at) > this.maxLineBytes) {
        this.overflowed = true;
        const seen = this.pending + (end - at);
        this.chunks = [];
        this.pending = 0;
        this.handlers.onOverflow(seen);
        return;
      }
      if (nl === -1) {
        this.chunks.push(chunk.subarray(at));
        this.pending += chunk.length - at;
        return;
      }
      this.chunks.push(chunk.subarray(at, nl));
      const line = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [];
      this.pending = 0;
      at = nl + 1;
      this.handlers.onLine(this.decode(line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line));
    }
  }

  private decode(bytes: Buffer): string | null {
    try {
      return this.decoder.decode(bytes);
    } catch {
      return null;
    }
  }
}

/** One message as a line. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

// A terminal double for the interactive chat (cli/client/repl.ts): an
// output stream that keeps a screen of `rows` × `columns` cells the way a
// VT100-style terminal would, for the few sequences readline and the chat
// write (cursor moves, erasing a line or the screen below, colours ignored),
// with automatic wrapping at the last column and scrolling at the bottom.
// The test reads the screen as the user would see it, and `written` for the
// raw bytes. Characters are taken as one column wide (tests use such text).
//
// Newlines are taken as a terminal with ONLCR (the default, kept in raw
// mode by libuv) sees them: carriage return and line feed.

import { PassThrough, Writable } from 'node:stream';

export class VtScreen extends Writable {
  readonly isTTY = true;
  readonly columns: number;
  readonly rows: number;
  /** Everything written, as written. */
  written = '';
  /** Rows scrolled off the top, oldest first. */
  readonly scrolledOff: string[] = [];
  #cells: string[][];
  #r = 0;
  #c = 0;
  #pendingWrap = false;

  constructor(columns: number, rows: number) {
    super({ decodeStrings: false });
    this.columns = columns;
    this.rows = rows;
    this.#cells = Array.from({ length: rows }, () => this.#blank());
  }

  /** The screen's rows, trailing spaces cut. */
  lines(): string[] {
    return this.#cells.map((row) => row.join('').trimEnd());
  }

  /** The cursor: row and column on the screen. */
  cursor(): { row: number; column: number } {
    return { row: this.#r, column: this.#c };
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = chunk.toString();
    this.written += text;
    this.#feed(text);
    done();
  }

  #blank(): string[] {
    return Array.from({ length: this.columns }, () => ' ');
  }

  #lineFeed(): void {
    if (this.#r === this.rows - 1) {
      this.scrolledOff.push(this.#cells.shift()!.join('').trimEnd());
      this.#cells.push(this.#blank());
    } else this.#r++;
  }

  #put(ch: string): void {
    if (this.#pendingWrap) {
      this.#c = 0;
      this.#lineFeed();
      this.#pendingWrap = false;
    }
    this.#cells[this.#r][this.#c] = ch;
    if (this.#c === this.columns - 1) this.#pendingWrap = true;
    else this.#c++;
  }

  #feed(text: string): void {
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (ch === '\r') {
        this.#c = 0;
        this.#pendingWrap = false;
      } else if (ch === '\n') {
        this.#c = 0;
        this.#pendingWrap = false;
        this.#lineFeed();
      } else if (ch === '\u001b') {
        if (chars[i + 1] !== '[') {
          i++; // a two-character sequence: not used by the chat
          continue;
        }
        let j = i + 2;
        let params = '';
        while (j < chars.length && /[0-9;?]/.test(chars[j])) params += chars[j++];
        this.#csi(params, chars[j]);
        i = j;
      } else if (ch >= ' ') {
        this.#put(ch);
      }
    }
  }

  #csi(params: string, final: string): void {
    const [a, b] = params.split(';').map((p) => (p === '' ? NaN : Number(p)));
    const n = Number.isNaN(a) || a === undefined ? 1 : a;
    const clear = (row: number, from: number, to: number): void => {
      for (let c = from; c < to; c++) this.#cells[row][c] = ' ';
    };
    if (final !== 'm') this.#pendingWrap = false;
    switch (final) {
      case 'A':
        this.#r = Math.max(0, this.#r - n);
        return;
      case 'B':
        this.#r = Math.min(this.rows - 1, this.#r + n);
        return;
      case 'C':
        this.#c = Math.min(this.columns - 1, this.#c + n);
        return;
      case 'D':
        this.#c = Math.max(0, this.#c - n);
        return;
      case 'G':
        this.#c = Math.min(this.columns - 1, n - 1);
        return;
      case 'H':
        this.#r = Math.min(this.rows - 1, n - 1);
        this.#c = Math.min(this.columns - 1, (Number.isNaN(b) || b === undefined ? 1 : b) - 1);
        return;
      case 'K': {
        const mode = Number.isNaN(a) || a === undefined ? 0 : a;
        if (mode === 0) clear(this.#r, this.#c, this.columns);
        else if (mode === 1) clear(this.#r, 0, this.#c + 1);
        else clear(this.#r, 0, this.columns);
        return;
      }
      case 'J': {
        const mode = Number.isNaN(a) || a === undefined ? 0 : a;
        if (mode === 0) {
          clear(this.#r, this.#c, this.columns);
          for (let r = this.#r + 1; r < this.rows; r++) clear(r, 0, this.columns);
        } else for (let r = 0; r < this.rows; r++) clear(r, 0, this.columns);
        return;
      }
      default:
        return; // colours and modes
    }
  }
}

/** Keyboard input for readline in terminal mode: what `type` is given arrives as keypresses. */
export class KeyboardInput extends PassThrough {
  readonly isTTY = true;
  setRawMode(): this {
    return this;
  }
  type(text: string): void {
    this.write(text);
  }
}

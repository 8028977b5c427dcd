// The terminal side of the interactive chats (`chaff client chat NAME`,
// `chaff client group chat GROUP`): printing a line without tearing the
// prompt or what is being typed, rewriting a line already printed (a
// message's delivery mark) while it is still on the screen, and reading
// lines one at a time, in order, until /quit, Ctrl-C, Ctrl-D, the end of
// piped input or the daemon's going away. Piped input is handled whole
// before the chat leaves at its end.
//
// On a terminal the line typed is taken off the screen once entered: the
// chat prints it back as a message line (`[12:03] you: …  ·`), so what you
// wrote and what your contact wrote read alike, and nothing is left behind
// a prompt. Not on a terminal (piped), every line is printed once, in order,
// with no cursor movement, so scripts can read it.

import { clearScreenDown, createInterface, cursorTo, moveCursor, type Interface } from 'node:readline';
import type { ClientApiConnection } from '../../client/rpc/client.js';
import { printable } from './format.js';
import { screenRows, typedRows } from './terminal-text.js';

/**
 * `task` run on demand, never twice at once: calls while it runs make one
 * more run after it (marking read is idempotent; the last call must count).
 */
export function coalescing(task: () => Promise<void>): { (): void; settled(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = task().finally(() => {
      running = null;
      if (again) {
        again = false;
        run();
      }
    });
  };
  return Object.assign(run, { settled: async (): Promise<void> => void (await running) });
}

/** Where the chat reads and writes: the process's own streams, or a test's. */
export interface ChatTerminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  env: NodeJS.ProcessEnv;
}

export function processTerminal(over: Partial<ChatTerminal> = {}): ChatTerminal {
  return { input: process.stdin, output: process.stdout, env: process.env, ...over };
}

/**
 * A line printed above the prompt: its first screen row (counted from the
 * chat's start), how many rows it takes, and whether it is the fallback
 * printed for a line that had scrolled away.
 */
interface Placed {
  row: number;
  rows: number;
  fallback: boolean;
}

export class Repl {
  readonly #input: ChatTerminal['input'];
  readonly #output: ChatTerminal['output'];
  /** Both ends are a terminal: the prompt is drawn and lines are rewritten in place. */
  readonly tty: boolean;
  #rl: Interface | null = null;
  #prompt = '> ';
  /** Screen rows printed above the prompt since the chat began. */
  #row = 0;
  /** Lines that may be rewritten, by key, while they can still be on the screen. */
  readonly #placed = new Map<string, Placed>();

  constructor(terminal: ChatTerminal = processTerminal()) {
    this.#input = terminal.input;
    this.#output = terminal.output;
    this.tty = Boolean(terminal.input.isTTY && terminal.output.isTTY);
  }

  get #columns(): number {
    return Math.max(1, this.#output.columns ?? 80);
  }
  get #screenHeight(): number {
    return Math.max(1, this.#output.rows ?? 24);
  }

  /** Prints a line; on a terminal, above the prompt and what is being typed. */
  readonly print = (line: string): void => {
    this.#printAbove(line);
  };

  /** Prints a line that `update(key, …)` may rewrite later. */
  show(key: string, line: string): void {
    this.#place(key, line, false);
  }

  #place(key: string, line: string, fallback: boolean): void {
    const row = this.#row;
    const rows = this.#printAbove(line);
    if (this.tty && rows !== null) this.#placed.set(key, { row, rows, fallback });
  }

  /**
   * The line shown under `key` now reads `line`. On a terminal it is
   * rewritten where it is, when it is still on the screen and takes as many
   * rows as before; else (and when not on a terminal) `fallback` is printed,
   * and on a terminal it becomes the line rewritten (with the next fallback)
   * at the next change.
   */
  update(key: string, line: string, fallback: string): void {
    const placed = this.#placed.get(key);
    if (this.tty && placed && this.#rewrite(placed, placed.fallback ? fallback : line)) return;
    if (this.tty) this.#place(key, fallback, true);
    else this.print(fallback);
  }

  /** Changes the prompt (drawn again at once on a terminal). */
  setPrompt(prompt: string): void {
    this.#prompt = prompt;
    if (this.#rl && this.tty) {
      this.#rl.setPrompt(prompt);
      this.#rl.prompt(true);
    }
  }

  /** Writes `text` above the prompt; returns the screen rows it took (null: unknown, which forgets every placed line). */
  #printAbove(text: string): number | null {
    const out = this.#output;
    const rl = this.#rl;
    if (!this.tty) {
      out.write(`${text}\n`);
      return null;
    }
    const rows = screenRows(text, this.#columns);
    if (rl) {
      // From the first row of the prompt: clear it and what is typed, print, draw them again below.
      const cursorRow = rl.getCursorPos().rows;
      moveCursor(out, 0, -cursorRow);
      cursorTo(out, 0);
      clearScreenDown(out);
      out.write(`${text}\n`);
      // readline redraws from `prevRows` rows above the cursor, where it
      // believes its prompt starts; the cursor is there now. (Pasted text is
      // written without updating prevRows, so it cannot be trusted as it is.)
      (rl as unknown as { prevRows: number }).prevRows = 0;
      rl.prompt(true);
    } else {
      out.write(`${text}\n`);
    }
    this.#advance(rows);
    return rows;
  }

  /** `rows` more rows were printed above the prompt (null: how many is unknown). */
  #advance(rows: number | null): void {
    if (rows === null) {
      this.#placed.clear();
      return;
    }
    this.#row += rows;
    // A line further up than the screen is high has scrolled away for good.
    for (const [key, placed] of this.#placed) if (this.#row - placed.row > this.#screenHeight) this.#placed.delete(key);
  }

  /** Rewrites a placed line in place, if it is on the screen and `line` fits its rows exactly. */
  #rewrite(placed: Placed, line: string): boolean {
    const rows = screenRows(line, this.#columns);
    if (rows !== placed.rows) return false;
    const rl = this.#rl;
    const cursor = rl ? rl.getCursorPos() : { rows: 0, cols: 0 };
    const inputRows = rl ? typedRows(this.#prompt + rl.line, this.#columns) : 1;
    if (inputRows === null) return false;
    // Rows from the line's first row down to the prompt's first row. The
    // prompt's last row is at most the screen's last, so the line is on the
    // screen when the line, the rows below it and the prompt fit.
    const distance = this.#row - placed.row;
    if (distance + inputRows > this.#screenHeight) return false;
    const out = this.#output;
    moveCursor(out, 0, -(cursor.rows + distance));
    cursorTo(out, 0);
    // Clear each of its rows first (clearing after writing would take a last column's character with it).
    for (let i = 0; i < rows; i++) {
      out.write('\u001b[2K');
      if (i < rows - 1) moveCursor(out, 0, 1);
    }
    if (rows > 1) moveCursor(out, 0, -(rows - 1));
    out.write(line.replace(/\n/g, '\r\n'));
    // Back to where the cursor was in what is being typed.
    moveCursor(out, 0, distance - (rows - 1) + cursor.rows);
    cursorTo(out, cursor.cols);
    return true;
  }

  /**
   * Pasted text is written as it comes, without readline's redraw: its
   * count of rows from the prompt's first row to the cursor (prevRows) falls
   * behind when the paste wraps, and a paste that fills its last row exactly
   * leaves the cursor on that row (a terminal wraps at the next character),
   * not below it as readline counts. Then the prompt is drawn again from
   * where it starts, so that what follows can go by readline's count.
   */
  #settleTyped(): void {
    const rl = this.#rl;
    if (!rl) return;
    const readline = rl as unknown as { prevRows?: number; cursor: number };
    const pos = rl.getCursorPos();
    if ((readline.prevRows ?? 0) === pos.rows) return;
    const pendingWrap = readline.cursor === rl.line.length && pos.cols === 0 && pos.rows > 0;
    moveCursor(this.#output, 0, -(pendingWrap ? pos.rows - 1 : pos.rows));
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
    readline.prevRows = 0;
    rl.prompt(true);
  }

  /** Forgets where lines are: the screen was cleared, resized or given to another program. */
  #forgetPlaces = (): void => {
    this.#placed.clear();
  };

  /** Reads lines until the user leaves; `handle` answers 'quit' to leave. Resolves with the exit status (1: the daemon went away). */
  async run(api: ClientApiConnection, handle: (line: string) => Promise<'quit' | void>): Promise<number> {
    const tty = this.tty;
    let status = 0;
    let settling = false;
    const onKey = (_: unknown, key: { ctrl?: boolean; name?: string } | undefined): void => {
      if (key?.ctrl && key.name === 'l') this.#forgetPlaces();
      // After the keys of one chunk (a paste arrives as one) are handled.
      if (!settling) {
        settling = true;
        setImmediate(() => {
          settling = false;
          this.#settleTyped();
        });
      }
    };
    await new Promise<void>((done) => {
      const reader = createInterface({ input: this.#input, output: this.#output, terminal: tty, prompt: tty ? this.#prompt : '' });
      this.#rl = reader;
      if (tty) {
        this.#input.on('keypress', onKey);
        this.#output.on('resize', this.#forgetPlaces);
        reader.on('SIGCONT', this.#forgetPlaces);
      }
      let work: Promise<void> = Promise.resolve();
      let quitRequested = false; // /quit, Ctrl-C or the daemon gone: later lines are dropped
      let inputEnded = false; // the reader closed (also at end of input: earlier lines still run)
      let finished = false;
      const quit = (): void => {
        quitRequested = true;
        if (!inputEnded) reader.close();
      };
      reader.on('line', (line) => {
        if (tty) this.#takeBackTyped(line);
        // One line at a time, in order; /quit and end of input wait for the sends before them.
        work = work
          .then(async () => {
            if (quitRequested) return;
            if ((await handle(line)) === 'quit') quit();
          })
          .catch((err: Error) => this.print(`! ${printable(err.message)}`));
      });
      reader.on('SIGINT', quit);
      reader.on('close', () => {
        inputEnded = true;
        this.#rl = null;
        if (tty) {
          // The prompt goes; the shell's comes back on a clean row.
          moveCursor(this.#output, 0, -reader.getCursorPos().rows);
          cursorTo(this.#output, 0);
          clearScreenDown(this.#output);
        }
        void work.then(() => {
          finished = true;
          done();
        });
      });
      void api.closed.then(() => {
        if (finished || quitRequested) return;
        this.print('the chaff client daemon stopped; leaving the chat');
        status = 1;
        quit();
        if (inputEnded) done();
      });
      if (tty) reader.prompt();
    });
    this.#input.removeListener('keypress', onKey);
    this.#output.removeListener('resize', this.#forgetPlaces);
    return status;
  }

  /**
   * readline has echoed the line entered, prompt and all, and moved below
   * it: take it off the screen (the chat prints it back as a message line)
   * and draw the prompt again for the next one.
   */
  #takeBackTyped(line: string): void {
    const rl = this.#rl;
    if (!rl) return;
    const rows = typedRows(this.#prompt + line, this.#columns);
    if (rows === null) {
      // Its height is unknown: leave it there, and forget what is placed above it.
      this.#placed.clear();
    } else {
      moveCursor(this.#output, 0, -rows);
      cursorTo(this.#output, 0);
      clearScreenDown(this.#output);
    }
    rl.prompt(true);
  }
}

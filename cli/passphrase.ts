// The profile passphrase for `chaff client init` and `chaff client daemon`
// (docs/client.md §Passphrase). Sources, first found wins:
//   1. --passphrase-file FILE: the file's content, one trailing newline removed;
//   2. the CHAFF_PASSPHRASE environment variable (removed from the
//      environment in any case, so children do not inherit it);
//   3. a prompt on the terminal with echo off (asked twice when creating).
// With none of these (no terminal), a PassphraseError says what to do: the
// client store's own (client/store/passphrase.ts), the one error the CLI
// reports as "fix the passphrase" (exit status 2) wherever it comes from.
// The passphrase is never printed. JavaScript strings cannot be wiped, so
// the caller should drop it as soon as the store is unlocked.

import { readFileSync, statSync } from 'node:fs';
import { PassphraseError } from '../client/store/passphrase.js';

/** The parts of a TTY input stream the prompt uses (process.stdin, or a test double). */
export interface PromptInput {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface PassphraseSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  input?: PromptInput;
  /** Where prompts and warnings go (stderr, so stdout stays clean). */
  output?: { write(text: string): unknown };
  /** Ask twice on the terminal (a new passphrase). */
  confirm?: boolean;
}

export const PASSPHRASE_ENV = 'CHAFF_PASSPHRASE';
const MAX_FILE_BYTES = 4096;

function fromFile(path: string, output: { write(text: string): unknown }): string {
  let size: number;
  let mode: number;
  try {
    ({ size, mode } = statSync(path));
  } catch (err) {
    throw new PassphraseError(`cannot read the passphrase file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (size > MAX_FILE_BYTES) throw new PassphraseError(`the passphrase file ${path} is ${size} bytes; a passphrase file holds only the passphrase (at most ${MAX_FILE_BYTES} bytes)`);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) output.write(`warning: ${path} can be read by other users (chmod 600 ${path})\n`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PassphraseError(`cannot read the passphrase file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text.replace(/\r?\n$/, '');
}

/**
 * Reads one line from a terminal without echo. Backspace edits; Ctrl-C and
 * Ctrl-D (on an empty line) cancel; escape sequences (arrow keys) are ignored.
 */
export function promptHidden(prompt: string, input: PromptInput, output: { write(text: string): unknown }): Promise<string> {
  return new Promise((resolve, reject) => {
    const chars: string[] = [];
    const finish = (error: PassphraseError | null): void => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) {
        chars.length = 0;
        reject(error);
      } else {
        resolve(chars.join(''));
        chars.length = 0;
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (text.startsWith('\u001b')) return; // an escape sequence: a cursor or function key
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003') return finish(new PassphraseError('cancelled'));
        if (ch === '\u0004') {
          if (chars.length === 0) return finish(new PassphraseError('cancelled'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') {
          chars.pop();
          continue;
        }
        if (ch < ' ') continue;
        chars.push(ch);
      }
    };
    output.write(prompt);
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}

/** The passphrase from the first source that has one. */
export async function readPassphrase(sources: PassphraseSources): Promise<string> {
  const output = sources.output ?? process.stderr;
  // Taken out of the environment whichever source wins, so no child inherits it.
  const fromEnv = sources.env?.[PASSPHRASE_ENV];
  if (sources.env) delete sources.env[PASSPHRASE_ENV];
  let passphrase: string | undefined;
  if (sources.file !== undefined) {
    passphrase = fromFile(sources.file, output);
  } else if (fromEnv !== undefined) {
    passphrase = fromEnv;
  } else if (sources.input?.isTTY && sources.input.setRawMode) {
    passphrase = await promptHidden(sources.confirm ? 'new passphrase: ' : 'passphrase: ', sources.input, output);
    if (passphrase !== '' && sources.confirm) {
      const again = await promptHidden('repeat the passphrase: ', sources.input, output);
      if (again !== passphrase) throw new PassphraseError('the two passphrases differ');
    }
  } else {
    throw new PassphraseError(`no passphrase: give --passphrase-file FILE, set ${PASSPHRASE_ENV}, or run on a terminal to be asked`);
  }
  if (passphrase === '') throw new PassphraseError('the passphrase is empty');
  return passphrase;
}

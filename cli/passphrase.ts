// The profile passphrase for `chaff client init`, `daemon`, `passphrase`,
// `export` and `import` (docs/client.md §Passphrase). Sources, first found wins:
//   1. --passphrase-file FILE: the file's content, one trailing newline removed;
//   2. the CHAFF_PASSPHRASE environment variable (removed from the
//      environment in any case, so children do not inherit it);
//   3. a prompt on the terminal with echo off (asked twice when creating,
//      and asked again, up to NEW_PASSPHRASE_TRIES times, when the two
//      differ or the strength check refuses it).
// With none of these (no terminal), a PassphraseError says what to do: the
// client store's own (client/store/passphrase.ts), the one error the CLI
// reports as "fix the passphrase" (exit status 2) wherever it comes from.
// A new passphrase can be checked for strength
// (client/store/passphrase-strength.ts): a refused one is never taken, a
// weak one only with the user's explicit consent (typed on the terminal, or
// --accept-weak-passphrase).
// The passphrase is never printed. JavaScript strings cannot be wiped, so
// the caller should drop it as soon as the store is unlocked.

import { readFileSync, statSync } from 'node:fs';
import { PassphraseError, type StrengthCheck } from '../client/store/passphrase.js';

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
  /** Check a new passphrase's strength (client/store/passphrase-strength.ts); without it, any non-empty one is taken. */
  strength?: StrengthCheck;
  /** The prompts' wording, default "new passphrase: " / "passphrase: " (e.g. "current passphrase: "). */
  prompt?: string;
}

/** The strength check of a new passphrase (its context words, and --accept-weak-passphrase): the client's, which the daemon's API applies too. */
export type { StrengthCheck } from '../client/store/passphrase.js';

export const PASSPHRASE_ENV = 'CHAFF_PASSPHRASE';
/** How many times the terminal asks for a new passphrase before giving up (like sudo's three tries). */
export const NEW_PASSPHRASE_TRIES = 3;
export const ACCEPT_WEAK_FLAG = '--accept-weak-passphrase';
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
 * Reads one line from a terminal without echo (with `echo`, shown as typed:
 * for a yes/no answer). Backspace edits; Ctrl-C and Ctrl-D (on an empty
 * line) cancel; escape sequences (arrow keys) are ignored.
 */
export function promptHidden(prompt: string, input: PromptInput, output: { write(text: string): unknown }, echo = false): Promise<string> {
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
          if (chars.pop() !== undefined && echo) output.write('\b \b');
          continue;
        }
        if (ch < ' ') continue;
        chars.push(ch);
        if (echo) output.write(ch);
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
  let passphrase: string;
  if (sources.file !== undefined) {
    passphrase = fromFile(sources.file, output);
  } else if (fromEnv !== undefined) {
    passphrase = fromEnv;
  } else if (sources.input?.isTTY && sources.input.setRawMode) {
    return sources.confirm ? askNew(sources, sources.input, output) : nonEmpty(await promptHidden(sources.prompt ?? 'passphrase: ', sources.input, output));
  } else {
    throw new PassphraseError(`no passphrase: give --passphrase-file FILE, set ${PASSPHRASE_ENV}, or run on a terminal to be asked`);
  }
  nonEmpty(passphrase);
  if (sources.strength) {
    // From a file or the environment nobody can be asked: a weak one needs the flag (the client's check, as the daemon's API applies it).
    const { checkNewPassphrase, describeStrength, PassphraseStrengthError } = await import('../client/store/passphrase-strength.js');
    try {
      const strength = checkNewPassphrase(passphrase, sources.strength);
      if (strength.verdict === 'weak') output.write(`warning: ${describeStrength(strength)}\n`);
    } catch (err) {
      if (!(err instanceof PassphraseStrengthError)) throw err;
      throw new PassphraseError(err.verdict === 'refused' ? `${err.message} Choose another.` : `${err.message} To use it anyway, pass ${ACCEPT_WEAK_FLAG}.`);
    }
  }
  return passphrase;
}

function nonEmpty(passphrase: string): string {
  if (passphrase === '') throw new PassphraseError('the passphrase is empty');
  return passphrase;
}

/**
 * A new passphrase on the terminal: asked, checked for strength, asked
 * again to confirm; a refused one, a weak one the user does not confirm,
 * or two that differ start over, NEW_PASSPHRASE_TRIES times at most.
 */
async function askNew(sources: PassphraseSources, input: PromptInput, output: { write(text: string): unknown }): Promise<string> {
  let failure = '';
  for (let attempt = 1; attempt <= NEW_PASSPHRASE_TRIES; attempt++) {
    const passphrase = nonEmpty(await promptHidden(sources.prompt ?? 'new passphrase: ', input, output));
    if (sources.strength) {
      const strength = await assess(passphrase, sources.strength);
      if (strength.verdict === 'refused') {
        output.write(`${strength.text}\n`);
        failure = 'no passphrase strong enough';
        continue;
      }
      if (strength.verdict === 'weak' && sources.strength.acceptWeak) output.write(`warning: ${strength.text}\n`);
      if (strength.verdict === 'weak' && !sources.strength.acceptWeak) {
        output.write(`${strength.text}\n`);
        const answer = await promptHidden('use it anyway? type yes, or press Enter to choose another: ', input, output, true);
        if (answer.trim().toLowerCase() !== 'yes') {
          failure = 'no passphrase chosen';
          continue;
        }
      }
    }
    const again = await promptHidden('repeat the passphrase: ', input, output);
    if (again === passphrase) return passphrase;
    failure = 'the two passphrases differ';
    if (attempt < NEW_PASSPHRASE_TRIES) output.write('the two passphrases differ; try again\n');
  }
  throw new PassphraseError(`${failure} (${NEW_PASSPHRASE_TRIES} tries)`);
}

/** The strength verdict and its explanation; the estimator is loaded only now (it is large). */
async function assess(passphrase: string, check: StrengthCheck): Promise<{ verdict: string; text: string }> {
  const { assessPassphrase, describeStrength } = await import('../client/store/passphrase-strength.js');
  const strength = assessPassphrase(passphrase, check.context);
  return { verdict: strength.verdict, text: describeStrength(strength) };
}

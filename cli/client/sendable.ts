// What may leave this machine as a message, checked before anything is
// sent (MAX_MESSAGE_BYTES, client/api.ts), and where a received file may
// land: a file name from a contact is made safe for the current folder.

import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ClientError, MAX_MESSAGE_BYTES } from '../../client/api.js';
import { formatBytes, UNSAFE } from './format.js';

/** Reads a file to send, refusing (before anything is sent) one above the limit. */
export function readSendableFile(path: string): { name: string; data: string; size: number } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ClientError('bad-request', `${path} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ClientError) throw err;
    throw new ClientError('not-found', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (size > MAX_MESSAGE_BYTES) {
    throw new ClientError('too-large', `${path} is ${formatBytes(size)} (${size} bytes); files up to ${formatBytes(MAX_MESSAGE_BYTES)} (${MAX_MESSAGE_BYTES} bytes) can be sent`);
  }
  const bytes = readFileSync(path);
  if (bytes.length > MAX_MESSAGE_BYTES) throw new ClientError('too-large', `${path} grew to ${bytes.length} bytes while being read; the limit is ${MAX_MESSAGE_BYTES}`);
  return { name: basename(path), data: bytes.toString('base64'), size: bytes.length };
}

export function checkTextSize(text: string): void {
  const size = Buffer.byteLength(text);
  if (size > MAX_MESSAGE_BYTES) throw new ClientError('too-large', `the text is ${formatBytes(size)} (${size} bytes); messages up to ${formatBytes(MAX_MESSAGE_BYTES)} can be sent`);
}

/**
 * What a send command was given: a text (its words joined) or a file
 * (`--file PATH`), never both; read and checked before anything is sent, so
 * nothing leaves when the file is too large. `verb` names the command in errors.
 */
export function sendableOf(
  command: { error(message: string): never },
  verb: string,
  words: readonly string[],
  path: string | undefined,
): { file: { name: string; data: string } | null; text: string } {
  if (path !== undefined && words.length > 0) command.error(`${verb} takes a text or --file PATH, not both`);
  if (path === undefined && words.length === 0) command.error(`${verb} needs a text or --file PATH`);
  const file = path !== undefined ? readSendableFile(path) : null;
  const text = words.join(' ');
  if (!file) checkTextSize(text);
  return { file, text };
}

/** A text (its size checked) or a file (read and checked) sent with the caller's calls: nothing is sent when it is too large. */
export function sendTextOrFile<T>(what: { text: string } | { path: string }, calls: { text(text: string): Promise<T>; file(name: string, data: string): Promise<T> }): Promise<T> {
  if ('path' in what) {
    const file = readSendableFile(what.path);
    return calls.file(file.name, file.data);
  }
  checkTextSize(what.text);
  return calls.text(what.text);
}

/** A file name from a contact, made safe to use in the current folder. */
export function safeFileName(name: string): string {
  const base = name.replace(/[/\\]/g, '_').replace(UNSAFE, '_').replace(/^\.+/, '_');
  return base === '' ? 'received-file' : base;
}

// A chat message's content, before fragmentation (docs/chat.md §Content).
// The encoded content is what the fragmenter splits into data fragments and
// the reassembler puts back together.
//
// Text (1 + n bytes):
//   0      1   kind = 1
//   1      n   the text, UTF-8, n ≤ MAX_MESSAGE_BYTES (to the end)
//
// File (2 + k + n bytes):
//   0      1   kind = 2
//   1      1   name length k, 0 … 255
//   2      k   file name, UTF-8 (sanitised on both sides, see sanitizeFileName)
//   2 + k  n   file bytes, n ≤ MAX_MESSAGE_BYTES (to the end)
//
// The limit counts user data only (text bytes or file bytes), so the largest
// encoded content is MAX_CONTENT_LENGTH = 2 + 255 + MAX_MESSAGE_BYTES.

import { abytes } from '../bytes.js';
import { ChatContentError, contentArgumentError } from './errors.js';

export const CONTENT_KIND_TEXT = 1;
export const CONTENT_KIND_FILE = 2;

/** The most user data one message carries: 1 MiB of text bytes or file bytes. */
export const MAX_MESSAGE_BYTES = 1 << 20;
/** The longest file name, in UTF-8 bytes (it has a one-byte length). */
export const MAX_FILE_NAME_BYTES = 255;
/** The longest encoded content: a file with the longest name and MAX_MESSAGE_BYTES of data. */
export const MAX_CONTENT_LENGTH = 2 + MAX_FILE_NAME_BYTES + MAX_MESSAGE_BYTES;

/** The name given to a file whose name sanitises to nothing (or to "." / ".."). */
export const DEFAULT_FILE_NAME = 'file';

export type ChatContent = { kind: 'text'; text: string } | { kind: 'file'; name: string; data: Uint8Array };

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// C0 controls, DEL, C1 controls, and the invisible direction/format marks
// that let "gpj.exe" display as "exe.jpg" (U+200E/F, U+202A–E, U+2066–9),
// plus the BOM / zero-width no-break space.
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const PATH_SEPARATOR = /[/\\]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The file name as both sides store and show it: lone surrogates become
 * U+FFFD, control and bidi-format characters are removed, `/` and `\` become
 * `_` (a name is never a path), surrounding white space is trimmed, and a
 * name left empty or made only of dots becomes DEFAULT_FILE_NAME.
 * Idempotent. Throws ChatContentError('bad-name') if the result is longer
 * than MAX_FILE_NAME_BYTES of UTF-8.
 */
export function sanitizeFileName(name: string): string {
  if (typeof name !== 'string') throw new ChatContentError('bad-argument', 'a file name must be a string');
  let clean = name.replace(LONE_SURROGATE, '\ufffd').replace(CONTROL_OR_BIDI, '').replace(PATH_SEPARATOR, '_').trim();
  if (clean === '' || /^\.+$/.test(clean)) clean = DEFAULT_FILE_NAME;
  const length = utf8.encode(clean).length;
  if (length > MAX_FILE_NAME_BYTES) {
    throw new ChatContentError('bad-name', `file name is ${length} bytes of UTF-8, at most ${MAX_FILE_NAME_BYTES} allowed`);
  }
  return clean;
}

function checkDataLength(length: number, what: string): void {
  if (length > MAX_MESSAGE_BYTES) {
    throw new ChatContentError('too-large', `${what} is ${length} bytes, at most ${MAX_MESSAGE_BYTES} allowed`);
  }
}

/** The encoded content (MAX_CONTENT_LENGTH bytes at most). A file's name is sanitised first. */
export function encodeContent(content: ChatContent): Uint8Array {
  if (content?.kind === 'text') {
    if (typeof content.text !== 'string') throw new ChatContentError('bad-argument', 'text must be a string');
    const text = utf8.encode(content.text);
    checkDataLength(text.length, 'text');
    const out = new Uint8Array(1 + text.length);
    out[0] = CONTENT_KIND_TEXT;
    out.set(text, 1);
    return out;
  }
  if (content?.kind === 'file') {
    abytes(content.data, undefined, 'file data', contentArgumentError);
    checkDataLength(content.data.length, 'file');
    const name = utf8.encode(sanitizeFileName(content.name));
    const out = new Uint8Array(2 + name.length + content.data.length);
    out[0] = CONTENT_KIND_FILE;
    out[1] = name.length;
    out.set(name, 2);
    out.set(content.data, 2 + name.length);
    return out;
  }
  throw new ChatContentError('bad-argument', 'content kind must be "text" or "file"');
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ChatContentError('bad-utf8', `${what} is not valid UTF-8`);
  }
}

/** Decodes encoded content; throws ChatContentError if it is malformed. The result does not share memory with `bytes`. */
export function decodeContent(bytes: Uint8Array): ChatContent {
  abytes(bytes, undefined, 'content', contentArgumentError);
  if (bytes.length === 0) throw new ChatContentError('truncated', 'empty content');
  const kind = bytes[0];
  if (kind === CONTENT_KIND_TEXT) {
    checkDataLength(bytes.length - 1, 'text');
    return { kind: 'text', text: decodeUtf8(bytes.subarray(1), 'text') };
  }
  if (kind === CONTENT_KIND_FILE) {
    if (bytes.length < 2) throw new ChatContentError('truncated', 'file content ends before the name length');
    const nameEnd = 2 + bytes[1];
    if (bytes.length < nameEnd) throw new ChatContentError('truncated', 'file content ends inside the name');
    checkDataLength(bytes.length - nameEnd, 'file');
    const name = sanitizeFileName(decodeUtf8(bytes.subarray(2, nameEnd), 'file name'));
    return { kind: 'file', name, data: bytes.slice(nameEnd) };
  }
  throw new ChatContentError('bad-kind', `unknown content kind ${kind}`);
}

// `/save` in the chats: the conversation written to a text file, as the
// chat shows it (a line per day, then `[12:03] you: hello  ✓✓ read` per
// message, marks as they are now), for the user to keep or search.
// It refuses to replace a file unless asked to (`/save! PATH`), and makes a
// new one readable by its owner alone: it is a private conversation.

import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { dayLine, isoDay, timeOfDay } from './format.js';
import { safeFileName } from './sendable.js';

/** What a chat saves: its name, the messages in order, and how a message reads as a line. */
export interface Conversation<T extends { sentMs: number }> {
  /** "chat with bob", "group book club". */
  title: string;
  items: readonly T[];
  /** Fewer than all: the history asked for had this many (the daemon's limit). */
  truncatedAt: number | null;
  line(item: T): string;
}

/** The conversation as text: a heading, then a line per day (full dates: it is read on other days) and per message. */
export function transcriptText<T extends { sentMs: number }>(c: Conversation<T>, now: number): string {
  const n = c.items.length;
  const count = c.truncatedAt !== null && n >= c.truncatedAt ? `the last ${n} messages` : `${n} message${n === 1 ? '' : 's'}`;
  const out = [`${c.title}, saved ${isoDay(now)} ${timeOfDay(now)} (${count})`];
  let day: string | null = null;
  for (const item of c.items) {
    if (isoDay(item.sentMs) !== day) {
      day = isoDay(item.sentMs);
      out.push('', dayLine(item.sentMs, null));
    }
    out.push(c.line(item));
  }
  return `${out.join('\n')}\n`;
}

/** `/save` without a path: chat-bob-2026-12-07.txt in the current folder. */
export function defaultSaveName(name: string, now: number): string {
  return `chat-${safeFileName(name).replace(/\s+/g, '-')}-${isoDay(now)}.txt`;
}

/** A path as typed in the chat: a leading ~ is the home folder (no shell expands it here). */
export function typedPath(path: string): string {
  if (path === '~') return homedir();
  return resolve(path.startsWith('~/') ? join(homedir(), path.slice(2)) : path);
}

/** Writes `text` to `path`; an existing file only when `overwrite`. Resolves to the full path; a failure is an Error saying what to do. */
export function writeTranscript(path: string, text: string, overwrite: boolean): string {
  const full = typedPath(path);
  try {
    writeFileSync(full, text, { flag: overwrite ? 'w' : 'wx', mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${full} exists; /save! ${path} replaces it, or give another name`);
    if (code === 'ENOENT') throw new Error(`cannot write ${full}: there is no folder ${dirname(full)}`);
    if (code === 'EISDIR') throw new Error(`cannot write ${full}: it is a folder`);
    if (code === 'EACCES' || code === 'EPERM') throw new Error(`cannot write ${full}: permission denied`);
    throw new Error(`cannot write ${full}: ${code ?? (err as Error).message}`);
  }
  return full;
}

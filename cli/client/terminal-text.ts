// How much room a line takes on a terminal, and the chat's colours.
//
// The chat rewrites a message's line in place when its delivery mark
// changes (repl.ts), so it must know how many screen rows each line it
// printed took. Terminals agree on most characters (one column; East Asian
// wide ones two, as Unicode's East Asian Width says: UAX #11) but not on
// emoji or tabs, so a width is a range: a line whose row count is the same
// at both ends of its range is safe to rewrite, any other is reprinted
// instead of being overwritten.

import { stripVTControlCharacters } from 'node:util';

/** The fewest and the most columns a text may take (no newlines in it). */
export interface WidthRange {
  min: number;
  max: number;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

// Zero width: combining marks, format characters (ZWJ, joiners), variation selectors.
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u{fe00}-\u{fe0f}]+$/u;
// Emoji drawn as pictures: two columns on today's terminals (Unicode 9 widths).
const EMOJI = /^\p{Emoji_Presentation}$/u;
// Emoji sequences (ZWJ, skin tones, VS16, flags): one picture on some terminals, one per part on others.
const PICTOGRAPHIC = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\u{1f1e6}-\u{1f1ff}]/gu;

/** East Asian Wide and Fullwidth ranges (UAX #11), the blocks terminals draw two columns wide. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** The columns one row of text takes (colour sequences take none). */
export function widthRange(row: string): WidthRange {
  let min = 0;
  let max = 0;
  for (const { segment } of graphemes.segment(stripVTControlCharacters(row))) {
    const pictures = segment.length > 1 ? (segment.match(PICTOGRAPHIC)?.length ?? 0) : 0;
    if (segment === '\t') {
      // To the next tab stop: somewhere between one and eight columns.
      min += 1;
      max += 8;
    } else if (ZERO_WIDTH.test(segment)) {
      continue;
    } else if (EMOJI.test(segment)) {
      min += 2;
      max += 2;
    } else if (pictures > 0) {
      min += 1;
      max += 2 * pictures;
    } else {
      const w = isWide(segment.codePointAt(0) ?? 0) ? 2 : 1;
      min += w;
      max += w;
    }
  }
  return { min, max };
}

function rowsFor(width: number, columns: number): number {
  return Math.max(1, Math.ceil(width / columns));
}

/**
 * The screen rows `text` (newlines allowed) takes on a terminal `columns`
 * wide, or null when that depends on how the terminal draws some of it.
 */
export function screenRows(text: string, columns: number): number | null {
  let rows = 0;
  for (const row of text.split('\n')) {
    const { min, max } = widthRange(row);
    const fewest = rowsFor(min, columns);
    if (fewest !== rowsFor(max, columns)) return null;
    rows += fewest;
  }
  return rows;
}

/**
 * The rows readline's prompt and typed line take (one row, no newlines):
 * readline keeps its cursor after the last character, so a line that fills
 * its last row exactly takes one more. Null when that depends on the terminal.
 */
export function typedRows(text: string, columns: number): number | null {
  const { min, max } = widthRange(text);
  const fewest = Math.floor(min / columns) + 1;
  return fewest === Math.floor(max / columns) + 1 ? fewest : null;
}

/** Colour for the chat's own parts (never for what a contact wrote: that stays as printable() left it). */
export interface Paint {
  dim(s: string): string;
  bold(s: string): string;
  /** Our own name. */
  own(s: string): string;
  /** Other people's names. */
  other(s: string): string;
  good(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
}

const sgr =
  (on: string, off: string) =>
  (s: string): string =>
    s === '' ? s : `\u001b[${on}m${s}\u001b[${off}m`;

export const PLAIN: Paint = { dim: (s) => s, bold: (s) => s, own: (s) => s, other: (s) => s, good: (s) => s, warn: (s) => s, bad: (s) => s };

export const COLOURED: Paint = {
  dim: sgr('2', '22'),
  bold: sgr('1', '22'),
  own: sgr('32', '39'),
  other: (s) => sgr('1', '22')(sgr('36', '39')(s)),
  good: sgr('32', '39'),
  warn: sgr('33', '39'),
  bad: sgr('31', '39'),
};

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function paintFor(output: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Paint {
  return output.isTTY === true && !env.NO_COLOR ? COLOURED : PLAIN;
}

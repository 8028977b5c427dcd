// CSV as RFC 4180 defines it, except that lines end in "\n" (as runs.csv from
// simulator/run.ts does): a field is quoted when it holds a comma, a double
// quote, a CR or a LF, and a quote inside a quoted field is doubled.
// Numbers that are not finite (NaN, ±Infinity), null and undefined become an
// empty field, which spreadsheets and data-frame readers take as missing.

import { ReportInputError } from './errors.js';

export type CsvValue = string | number | boolean | null | undefined;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row; every row must have the header's width. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<CsvValue>>): string {
  if (header.length === 0) throw new ReportInputError('toCsv', 'the header has no columns');
  const lines = [header.map(csvField).join(',')];
  rows.forEach((row, i) => {
    if (row.length !== header.length) {
      throw new ReportInputError('toCsv', `row ${i} has ${row.length} fields, the header has ${header.length}`);
    }
    lines.push(row.map(csvField).join(','));
  });
  return `${lines.join('\n')}\n`;
}

// A self-contained HTML report (index.html): inline CSS, every plot embedded
// as an <img> with a data: URI of its SVG, so the page works when opened from
// disk, mailed or attached. An SVG shown through <img> cannot run scripts or
// load anything, whatever the file holds. All text is HTML-escaped; links
// must be relative paths to files beside the report (results.json, CSVs).
//
// Layout: title; parameters (with the seed) as a key/value table; metric
// tables; plots with captions and a link to each SVG file; notes; data files.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ReportInputError } from './errors.js';

export type Cell = string | number | boolean | null | undefined;

export interface ReportTable {
  title: string;
  columns: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<Cell>>;
  caption?: string;
}

export interface ReportPlot {
  title: string;
  /** Path of the SVG, relative to the report's directory. */
  svgFile: string;
  caption?: string;
}

export interface ReportLink {
  /** Relative path of a file beside the report, e.g. "results.json". */
  href: string;
  label: string;
}

export interface ReportContent {
  title: string;
  /** Shown as key/value rows; arrays and tables are shown as JSON. */
  parameters: Readonly<Record<string, unknown>>;
  seed?: number | string;
  tables?: readonly ReportTable[];
  plots?: readonly ReportPlot[];
  notes?: readonly string[];
  links?: readonly ReportLink[];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Numbers with up to 6 significant digits (exact for whole numbers); NaN and missing as "–". */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? '–' : String(value);
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * A relative path inside the report's directory, percent-encoded per segment.
 * Refuses schemes (javascript:, http:), absolute paths and "..", so a link
 * can only point at a file that travels with the report.
 */
export function safeRelativeHref(href: string): string {
  if (typeof href !== 'string' || href === '') throw new ReportInputError('writeReport', 'a link has an empty href');
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/') || href.startsWith('\\') || isAbsolute(href)) {
    throw new ReportInputError('writeReport', `link ${JSON.stringify(href)} must be a relative path to a file beside the report`);
  }
  const segments = href.split(/[\\/]/);
  if (segments.some((s) => s === '..' || s === '')) throw new ReportInputError('writeReport', `link ${JSON.stringify(href)} must stay inside the report's directory`);
  return segments.map(encodeURIComponent).join('/');
}

function requireText(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ReportInputError('writeReport', `${what} must be a non-empty string`);
  return value;
}

const CSS = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: 13px; padding-top: .3rem; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 14px; } .muted { color: #666; font-size: 13px; }
code { font-size: 13px; }
`.trim();

function cellHtml(value: Cell): string {
  const cls = typeof value === 'number' ? ' class="num"' : '';
  return `<td${cls}>${escapeHtml(formatCell(value))}</td>`;
}

function tableHtml(t: ReportTable, index: number): string {
  requireText(`table ${index} title`, t.title);
  if (!t.columns?.length) throw new ReportInputError('writeReport', `table "${t.title}" has no columns`);
  t.rows.forEach((row, i) => {
    if (row.length !== t.columns.length) throw new ReportInputError('writeReport', `table "${t.title}" row ${i} has ${row.length} cells, expected ${t.columns.length}`);
  });
  return [
    `<h2>${escapeHtml(t.title)}</h2>`,
    '<table>',
    t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '',
    `<thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`,
    `<tbody>${t.rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

/**
 * The page as a string. `readSvg(file)` returns the SVG text of a plot's file
 * (writeReport reads it from disk).
 */
export function renderReportHtml(content: ReportContent, readSvg: (svgFile: string) => string): string {
  const title = requireText('the title', content.title);
  const params = Object.entries(content.parameters ?? {});
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing on the page may load from anywhere; images are data: URIs.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
  ];
  if (content.seed !== undefined) parts.push(`<p class="muted">seed ${escapeHtml(formatCell(content.seed))}</p>`);
  parts.push('<h2>Parameters</h2>');
  const paramRows: Array<[string, unknown]> = content.seed !== undefined && !('seed' in (content.parameters ?? {})) ? [['seed', content.seed], ...params] : params;
  parts.push(
    paramRows.length
      ? `<table><tbody>\n${paramRows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th>${cellHtml(typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as Cell))}</tr>`).join('\n')}\n</tbody></table>`
      : '<p class="muted">none</p>',
  );
  (content.tables ?? []).forEach((t, i) => parts.push(tableHtml(t, i)));
  if (content.plots?.length) {
    parts.push('<h2>Plots</h2>');
    content.plots.forEach((p, i) => {
      requireText(`plot ${i} title`, p.title);
      const href = safeRelativeHref(p.svgFile);
      const svg = readSvg(p.svgFile);
      if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg)) throw new ReportInputError('writeReport', `plot "${p.title}": ${p.svgFile} is not an SVG document`);
      const uri = `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
      parts.push(
        '<figure>',
        `<img src="${uri}" alt="${escapeHtml(p.title)}">`,
        `<figcaption><strong>${escapeHtml(p.title)}</strong>${p.caption ? ` ${escapeHtml(p.caption)}` : ''} <a class="muted" href="${escapeHtml(href)}">SVG</a></figcaption>`,
        '</figure>',
      );
    });
  }
  if (content.notes?.length) parts.push('<h2>Notes</h2>', `<ul>\n${content.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}\n</ul>`);
  if (content.links?.length) {
    parts.push(
      '<h2>Data files</h2>',
      `<ul>\n${content.links.map((l) => `<li><a href="${escapeHtml(safeRelativeHref(l.href))}">${escapeHtml(requireText('a link label', l.label))}</a> <code>${escapeHtml(l.href)}</code></li>`).join('\n')}\n</ul>`,
    );
  }
  parts.push('</body>', '</html>', '');
  return parts.join('\n');
}

/** Writes `dir/index.html` (creating `dir`) and returns its path. Plot files are read from `dir`. */
export function writeReport(dir: string, content: ReportContent): string {
  mkdirSync(dir, { recursive: true });
  const root = resolve(dir);
  const html = renderReportHtml(content, (svgFile) => {
    const path = resolve(root, svgFile);
    if (relative(root, path).startsWith(`..${sep}`)) throw new ReportInputError('writeReport', `plot file ${svgFile} is outside ${dir}`);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ReportInputError('writeReport', `cannot read plot file ${svgFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  });
  const out = join(dir, 'index.html');
  writeFileSync(out, html);
  return out;
}

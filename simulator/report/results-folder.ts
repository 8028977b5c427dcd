// One results folder, as `chaff sim run` and `chaff sim attack` write it:
// results.json, CSV tables, SVG plots and an index.html linking them all.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv, type CsvValue } from './csv.js';
import { writeReport, type ReportContent } from './html.js';
import type { PlotSpec } from './plots.js';
import { renderSvg } from './render.js';

export interface CsvTable {
  file: string;
  label: string;
  header: string[];
  rows: CsvValue[][];
}

export interface PlannedPlot {
  title: string;
  svgFile: string;
  caption: string;
  spec: PlotSpec;
}

export interface ResultsFolder {
  /** Serialised as results.json. */
  results: unknown;
  /** What results.json holds, for the report's link. */
  resultsLabel: string;
  tables: readonly CsvTable[];
  plots: readonly PlannedPlot[];
  /** index.html's content; its plots and links are filled in from the above. */
  report: Omit<ReportContent, 'plots' | 'links'>;
}

/** Writes the folder (created if needed); returns the paths written. */
export async function writeResultsFolder(outDir: string, folder: ResultsFolder): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string): void => {
    const path = join(outDir, name);
    writeFileSync(path, text);
    written.push(path);
  };
  write('results.json', `${JSON.stringify(folder.results, null, 2)}\n`);
  for (const t of folder.tables) write(t.file, toCsv(t.header, t.rows));
  for (const p of folder.plots) write(p.svgFile, await renderSvg(p.spec));
  written.push(
    writeReport(outDir, {
      ...folder.report,
      plots: folder.plots.map(({ title, svgFile, caption }) => ({ title, svgFile, caption })),
      links: [{ href: 'results.json', label: `results.json: ${folder.resultsLabel}` }, ...folder.tables.map((t) => ({ href: t.file, label: `${t.file}: ${t.label}` }))],
    }),
  );
  return written;
}

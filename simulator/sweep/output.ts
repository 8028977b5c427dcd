// What a sweep writes into its output directory:
//   sweep.json   everything: the plan, per-combination statistics, failures, every job's result
//   sweep.csv    one row per (combination, metric):
//                <varied keys…>,metric,n,mean,stddev,median,p10,p90,min,max
//   jobs.csv     one row per job: index,<varied keys…>,repeat,seed,status,error,<metric keys…>
//   plot-NN-<metric>.svg   each metric against the first varied key, error bars over the
//                repeats; the other varied keys, if any, make the series
//   index.html   the report (simulator/report/html.ts)
// A metric with the same value in every successful job (a constant such as a
// configured parameter echoed in the result) is not plotted; the page says so.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv, type CsvValue } from '../report/csv.js';
import { writeReport, type ReportTable } from '../report/html.js';
import { parameterPlot, type ParameterPoint } from '../report/plots.js';
import { renderSvg } from '../report/render.js';
import { flattenNumbers, type MetricStats } from './aggregate.js';
import { describeParams } from './jobs.js';
import { formatDuration } from './progress.js';
import type { SweepResult } from './sweep.js';
import { formatVaryValue, type VaryValue } from './vary.js';

export type ErrorBars = 'stddev' | 'p10-p90';

export interface SweepOutputOptions {
  /** Page and plot-set title; default "Sweep over KEY, …". */
  title?: string;
  /** Error bars: mean ± 1 sample stddev (default) or median with p10–p90. */
  errorBars?: ErrorBars;
  /** Units by varied key or metric key, e.g. { batch: 'messages', 'roundsToDisclosure.mean': 'rounds' }. */
  units?: Readonly<Record<string, string>>;
  /** Shown among the parameters, e.g. the --config path. */
  configFile?: string;
}

/** A file-name-safe form of a metric key. */
export function fileSlug(key: string): string {
  return (
    key
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 80) || 'metric'
  );
}

function cellValue(v: VaryValue): CsvValue {
  return Array.isArray(v) ? formatVaryValue(v) : v;
}

function bar(stats: MetricStats, errorBars: ErrorBars): { value: number; low: number; high: number } {
  if (errorBars === 'p10-p90') return { value: stats.median, low: stats.p10, high: stats.p90 };
  const sd = stats.stddev ?? 0;
  return { value: stats.mean, low: stats.mean - sd, high: stats.mean + sd };
}

/** The metrics whose value differs somewhere among the successful jobs. */
export function varyingMetrics(result: SweepResult): string[] {
  return result.metricKeys.filter((key) => {
    let min = Infinity;
    let max = -Infinity;
    for (const c of result.combinations) {
      const s = c.metrics[key];
      if (!s) continue;
      min = Math.min(min, s.min);
      max = Math.max(max, s.max);
    }
    return min < max;
  });
}

/** Points of one metric for parameterPlot: x = the first varied key, series = the others. */
export function metricPoints(result: SweepResult, key: string, errorBars: ErrorBars): ParameterPoint[] {
  const [first, ...rest] = result.axes;
  return result.combinations.flatMap((c) => {
    const stats = c.metrics[key];
    if (!stats) return [];
    const x = c.params[first.key];
    const others = Object.fromEntries(rest.map((a) => [a.key, c.params[a.key]]));
    return [{ x: typeof x === 'number' ? x : formatVaryValue(x), ...(rest.length ? { series: describeParams(others) } : {}), ...bar(stats, errorBars) }];
  });
}

export async function writeSweep(dir: string, result: SweepResult, options: SweepOutputOptions = {}): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const errorBars = options.errorBars ?? 'stddev';
  const units = options.units ?? {};
  const keys = result.axes.map((a) => a.key);
  const title = options.title ?? `Sweep over ${keys.join(', ')}`;
  const written: string[] = [];
  const write = (name: string, text: string): void => {
    const path = join(dir, name);
    writeFileSync(path, text);
    written.push(path);
  };

  write(
    'sweep.json',
    `${JSON.stringify(
      {
        kind: 'chaff-sweep',
        title,
        configFile: options.configFile ?? null,
        baseConfig: result.baseConfig,
        vary: result.axes,
        repeat: result.repeat,
        seedKey: result.seedKey,
        baseSeed: result.baseSeed,
        workers: result.workers,
        elapsedSeconds: result.elapsedMs / 1000,
        totalJobs: result.jobs.length,
        failedJobs: result.failures.length,
        metricKeys: result.metricKeys,
        combinations: result.combinations,
        failures: result.failures,
        jobs: result.jobs,
      },
      null,
      2,
    )}\n`,
  );

  const statColumns = ['n', 'mean', 'stddev', 'median', 'p10', 'p90', 'min', 'max'] as const;
  const aggregateRows = result.combinations.flatMap((c) =>
    result.metricKeys.flatMap((key) => {
      const s = c.metrics[key];
      return s ? [[...keys.map((k) => cellValue(c.params[k])), key, ...statColumns.map((col) => s[col])]] : [];
    }),
  );
  write('sweep.csv', toCsv([...keys, 'metric', ...statColumns], aggregateRows));

  const jobRows = result.jobs.map((j) => {
    const values = j.ok ? flattenNumbers(j.result) : new Map<string, number>();
    return [
      j.index,
      ...keys.map((k) => cellValue(j.params[k])),
      j.repeat,
      j.seed,
      j.ok ? 'ok' : 'failed',
      j.error ? `${j.error.name}: ${j.error.message}` : '',
      ...result.metricKeys.map((m) => values.get(m)),
    ];
  });
  write('jobs.csv', toCsv(['index', ...keys, 'repeat', 'seed', 'status', 'error', ...result.metricKeys], jobRows));

  const plotted = varyingMetrics(result);
  const constant = result.metricKeys.filter((k) => !plotted.includes(k));
  const band = errorBars === 'p10-p90' ? `median, bars p10–p90 over ${result.repeat} repeats` : `mean, bars ± 1 sd over ${result.repeat} repeats`;
  const plots: Array<{ title: string; svgFile: string; caption: string }> = [];
  for (const [i, key] of plotted.entries()) {
    const spec = parameterPlot({
      title: key,
      x: { title: keys[0], unit: units[keys[0]], scale: xScale(result) },
      y: { title: key, unit: units[key] },
      points: metricPoints(result, key, errorBars),
      band,
      seriesTitle: keys.slice(1).join(', ') || undefined,
    });
    const svgFile = `plot-${String(i + 1).padStart(2, '0')}-${fileSlug(key)}.svg`;
    write(svgFile, await renderSvg(spec));
    plots.push({ title: key, svgFile, caption: `against ${keys[0]}; ${band}.` });
  }

  const failed = result.failures.length;
  const tables: ReportTable[] = [
    {
      title: 'Metrics',
      caption: `Per combination, over the repeats that succeeded. stddev is the sample standard deviation; p10/p90 interpolate between order statistics.`,
      columns: [...keys, 'metric', ...statColumns],
      rows: aggregateRows,
    },
  ];
  if (failed) {
    tables.push({
      title: `Failed jobs (${failed})`,
      columns: ['job', 'parameters', 'repeat', 'seed', 'error'],
      rows: result.failures.map((f) => [f.index, describeParams(f.params), f.repeat, f.seed, `${f.error.name}: ${f.error.message}`]),
    });
  }
  const notes = [
    `${result.jobs.length} jobs (${result.combinations.length} combinations × ${result.repeat} repeats) on ${result.workers} worker threads in ${formatDuration(result.elapsedMs)}; ${failed ? `${failed} failed` : 'none failed'}.`,
    result.seedKey === null
      ? 'The job module seeds each job itself from its repeat number.'
      : result.baseSeed === null
        ? `The seed (${result.seedKey}) is one of the varied keys.`
        : `Repeat r of every combination uses the same seed (${result.seedKey} = ${result.baseSeed} + r × the seeds one run consumes), so parameter values are compared on common random numbers.`,
  ];
  if (constant.length) notes.push(`Not plotted, the same in every job: ${constant.join(', ')}.`);
  if (result.metricKeys.length === 0) notes.push('No job produced a numeric metric.');
  const parameters: Record<string, unknown> = {};
  if (options.configFile) parameters.config = options.configFile;
  for (const a of result.axes) parameters[`vary ${a.key}`] = a.values.map(formatVaryValue).join(', ');
  parameters.repeat = result.repeat;
  for (const [k, v] of Object.entries(result.baseConfig)) if (!keys.includes(k)) parameters[k] = v;
  written.push(
    writeReport(dir, {
      title,
      parameters,
      ...(result.baseSeed !== null ? { seed: result.baseSeed } : {}),
      tables,
      plots,
      notes,
      links: [
        { href: 'sweep.json', label: 'sweep.json: plan, statistics, failures and every job result' },
        { href: 'sweep.csv', label: 'sweep.csv: statistics per combination and metric' },
        { href: 'jobs.csv', label: 'jobs.csv: one row per job' },
      ],
    }),
  );
  return written;
}

/** Log x when the first varied key spans two or more decades of positive numbers. */
function xScale(result: SweepResult): 'linear' | 'log' {
  const values = result.axes[0].values;
  if (!values.every((v): v is number => typeof v === 'number' && v > 0)) return 'linear';
  return Math.max(...values) / Math.min(...values) >= 100 ? 'log' : 'linear';
}

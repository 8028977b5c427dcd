// Vega-Lite specifications for the simulator's four kinds of plot:
//   metricOverTimePlot  a metric against observation time, one line per series
//   parameterPlot(s)    a metric against a varied parameter, with error bars
//   tradeoffPlot        a labelled scatter of one cost against another
//   histogramPlot, cdfPlot   the distribution of a value over seeds
// Every builder validates its input and throws ReportInputError on empty data
// or a value that is not a finite number, so a bad run cannot produce a chart
// that looks plausible and is wrong. Data fields have fixed internal names
// (x, y, lo, hi, series, label): Vega-Lite reads a dot in a field name as a
// nested path, and metric names such as "roundsToDisclosure.mean" have dots.
// Render with renderSvg (render.ts).

import type { TopLevelSpec } from 'vega-lite';
import { ReportInputError } from './errors.js';

export type PlotSpec = TopLevelSpec;

export interface AxisSpec {
  /** What the axis measures, e.g. "observation time". */
  title: string;
  /** Shown in parentheses after the title, e.g. "s" or "rounds". */
  unit?: string;
  /** Default linear. A log axis refuses values ≤ 0. */
  scale?: 'linear' | 'log';
  /** Fixed [min, max], e.g. [0, 1] for an AUC; otherwise fitted to the data. */
  domain?: readonly [number, number];
}

export const PLOT_WIDTH = 480;
export const PLOT_HEIGHT = 280;

/** Shared look: white background, readable sizes, light grid. */
const CONFIG = {
  font: 'sans-serif',
  background: 'white',
  padding: 8,
  view: { stroke: '#ccc' },
  title: { fontSize: 14, anchor: 'start' as const, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
  range: { category: { scheme: 'tableau10' } },
};

export function axisTitle(axis: AxisSpec): string {
  return axis.unit ? `${axis.title} (${axis.unit})` : axis.title;
}

function text(source: string, what: string, value: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new ReportInputError(source, `${what} must be a non-empty string`);
}

function finite(source: string, what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ReportInputError(source, `${what} is ${String(value)}, expected a finite number`);
}

function checkAxis(source: string, name: string, axis: AxisSpec): void {
  text(source, `the ${name} axis title`, axis?.title);
  if (axis.domain !== undefined) {
    const [lo, hi] = axis.domain;
    finite(source, `the ${name} axis domain minimum`, lo);
    finite(source, `the ${name} axis domain maximum`, hi);
    if (!(lo < hi)) throw new ReportInputError(source, `the ${name} axis domain [${lo}, ${hi}] is empty`);
    if (axis.scale === 'log' && lo <= 0) throw new ReportInputError(source, `the ${name} axis is logarithmic but its domain starts at ${lo}`);
  }
}

/** A value plotted on `axis`: finite, and positive when the axis is logarithmic. */
function onAxis(source: string, what: string, value: number, axis: AxisSpec): void {
  finite(source, what, value);
  if (axis.scale === 'log' && value <= 0) throw new ReportInputError(source, `${what} is ${value}, but a logarithmic axis needs values above 0`);
}

function scaleOf(axis: AxisSpec, zero: boolean): Record<string, unknown> {
  const scale: Record<string, unknown> = { type: axis.scale ?? 'linear' };
  if (axis.domain) scale.domain = [...axis.domain];
  else {
    // Round ends (not on a log axis: it would stretch to whole decades) and a
    // few pixels of room, so marks at the extremes are not cut.
    if (axis.scale !== 'log') scale.zero = zero;
    scale.nice = axis.scale !== 'log';
    scale.padding = 8;
  }
  return scale;
}

function position(field: string, axis: AxisSpec, zero = false): Record<string, unknown> {
  return { field, type: 'quantitative', title: axisTitle(axis), scale: scaleOf(axis, zero) };
}

function colour(names: readonly string[], title: string): Record<string, unknown> {
  return { field: 'series', type: 'nominal', title, scale: { domain: [...names] }, legend: names.length > 1 ? {} : null };
}

function uniqueNames(source: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    text(source, 'a series name', name);
    if (seen.has(name)) throw new ReportInputError(source, `series "${name}" appears twice`);
    seen.add(name);
  }
}

function frame(title: string): { title: string; width: number; height: number; config: typeof CONFIG } {
  return { title, width: PLOT_WIDTH, height: PLOT_HEIGHT, config: CONFIG };
}

// (a) a metric over observation time ------------------------------------------

export interface TimeSeries {
  name: string;
  points: ReadonlyArray<{ t: number; value: number }>;
}

export interface MetricOverTimeInput {
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  series: readonly TimeSeries[];
  /** Legend title; default "series". */
  seriesTitle?: string;
}

/** One line with point markers per series, points in the order given. */
export function metricOverTimePlot(input: MetricOverTimeInput): PlotSpec {
  const source = 'metricOverTimePlot';
  text(source, 'the title', input.title);
  checkAxis(source, 'x', input.x);
  checkAxis(source, 'y', input.y);
  if (!input.series?.length) throw new ReportInputError(source, 'no series to plot');
  uniqueNames(
    source,
    input.series.map((s) => s.name),
  );
  const values = input.series.flatMap((s) => {
    if (!s.points?.length) throw new ReportInputError(source, `series "${s.name}" has no points`);
    return s.points.map((p, i) => {
      onAxis(source, `series "${s.name}" point ${i} time`, p.t, input.x);
      onAxis(source, `series "${s.name}" point ${i} value`, p.value, input.y);
      return { series: s.name, x: p.t, y: p.value, order: i };
    });
  });
  return {
    ...frame(input.title),
    data: { values },
    mark: { type: 'line', point: { filled: true, size: 36 }, strokeWidth: 2 },
    encoding: {
      x: position('x', input.x),
      y: position('y', input.y),
      color: colour(
        input.series.map((s) => s.name),
        input.seriesTitle ?? 'series',
      ),
      order: { field: 'order', type: 'quantitative' },
    },
  } as PlotSpec;
}

// (b) a metric against a varied parameter, with error bars ---------------------

export interface ParameterPoint {
  /** The parameter's value: numbers give a quantitative axis, otherwise the axis is categorical in the order given. */
  x: number | string;
  /** Which series (e.g. the other varied parameters) the point belongs to. */
  series?: string;
  /** The centre, e.g. the mean over repeats. */
  value: number;
  /** The error bar's ends, e.g. mean ∓ stddev or p10 and p90. */
  low: number;
  high: number;
}

export interface ParameterPlotInput {
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  points: readonly ParameterPoint[];
  /** What the error bars show, for the legend/subtitle, e.g. "mean ± 1 sd over 10 repeats". */
  band: string;
  seriesTitle?: string;
}

/**
 * Points at `value`, vertical error bars from `low` to `high`; on a numeric
 * axis the points of one series are joined by a line.
 */
export function parameterPlot(input: ParameterPlotInput): PlotSpec {
  const source = 'parameterPlot';
  text(source, 'the title', input.title);
  text(source, 'the error-bar description', input.band);
  checkAxis(source, 'x', input.x);
  checkAxis(source, 'y', input.y);
  if (!input.points?.length) throw new ReportInputError(source, 'no points to plot');
  const numeric = input.points.every((p) => typeof p.x === 'number');
  if (!numeric && input.x.scale === 'log') throw new ReportInputError(source, 'a categorical x axis cannot be logarithmic');
  const categories: string[] = [];
  const seriesNames: string[] = [];
  const values = input.points.map((p, i) => {
    if (typeof p.x === 'number') {
      if (numeric) onAxis(source, `point ${i} x`, p.x, input.x);
      else finite(source, `point ${i} x`, p.x);
    } else text(source, `point ${i} x`, p.x);
    onAxis(source, `point ${i} value`, p.value, input.y);
    onAxis(source, `point ${i} low`, p.low, input.y);
    onAxis(source, `point ${i} high`, p.high, input.y);
    if (!(p.low <= p.value && p.value <= p.high)) {
      throw new ReportInputError(source, `point ${i}: value ${p.value} is outside its error bar [${p.low}, ${p.high}]`);
    }
    const x = numeric ? p.x : String(p.x);
    if (!numeric && !categories.includes(x as string)) categories.push(x as string);
    const series = p.series ?? '';
    if (!seriesNames.includes(series)) seriesNames.push(series);
    return { x, series, y: p.value, lo: p.low, hi: p.high };
  });
  const seriesTitle = input.seriesTitle ?? 'series';
  if (seriesNames.length > 1 && seriesNames.includes('')) throw new ReportInputError(source, 'some points have a series and some do not');
  const x = numeric ? position('x', input.x) : { field: 'x', type: 'ordinal', title: axisTitle(input.x), sort: categories, axis: { labelAngle: 0 }, scale: { type: 'band', paddingInner: 0.2 } };
  // On a categorical axis the series sit side by side within a category.
  const offset = !numeric && seriesNames.length > 1 ? { xOffset: { field: 'series', type: 'nominal', scale: { domain: seriesNames, paddingOuter: 0.5 } } } : {};
  const color = colour(seriesNames, seriesTitle);
  const layer: unknown[] = [
    { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x, ...offset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    { mark: { type: 'point', filled: true, size: 50, opacity: 1 }, encoding: { x, ...offset, y: position('y', input.y), color } },
  ];
  if (numeric) layer.unshift({ mark: { type: 'line', strokeWidth: 1.5, opacity: 0.6 }, encoding: { x, y: { field: 'y', type: 'quantitative' }, color } });
  return {
    ...frame(input.title),
    title: { text: input.title, subtitle: input.band },
    data: { values },
    layer,
    // The error bars' y range joins the points' scale, so the axis covers both.
    resolve: { scale: { y: 'shared' } },
  } as PlotSpec;
}

export interface MetricSeries {
  title: string;
  y: AxisSpec;
  points: readonly ParameterPoint[];
}

/** Several metrics against the same parameter, one plot each (their units differ). */
export function parameterPlots(input: { x: AxisSpec; metrics: readonly MetricSeries[]; band: string; seriesTitle?: string }): PlotSpec[] {
  if (!input.metrics?.length) throw new ReportInputError('parameterPlots', 'no metrics to plot');
  return input.metrics.map((m) => parameterPlot({ title: m.title, x: input.x, y: m.y, points: m.points, band: input.band, seriesTitle: input.seriesTitle }));
}

// (c) a trade-off scatter -----------------------------------------------------

export interface TradeoffPoint {
  x: number;
  y: number;
  /** Written beside the point, e.g. "λ=2/s, μ=0.5 s". */
  label: string;
  series?: string;
}

export function tradeoffPlot(input: { title: string; x: AxisSpec; y: AxisSpec; points: readonly TradeoffPoint[]; seriesTitle?: string }): PlotSpec {
  const source = 'tradeoffPlot';
  text(source, 'the title', input.title);
  checkAxis(source, 'x', input.x);
  checkAxis(source, 'y', input.y);
  if (!input.points?.length) throw new ReportInputError(source, 'no points to plot');
  const seriesNames: string[] = [];
  const values = input.points.map((p, i) => {
    onAxis(source, `point ${i} x`, p.x, input.x);
    onAxis(source, `point ${i} y`, p.y, input.y);
    if (typeof p.label !== 'string') throw new ReportInputError(source, `point ${i} label must be a string`);
    const series = p.series ?? '';
    if (!seriesNames.includes(series)) seriesNames.push(series);
    return { x: p.x, y: p.y, label: p.label, series };
  });
  if (seriesNames.length > 1 && seriesNames.includes('')) throw new ReportInputError(source, 'some points have a series and some do not');
  const x = position('x', input.x);
  const y = position('y', input.y);
  const color = colour(seriesNames, input.seriesTitle ?? 'series');
  return {
    ...frame(input.title),
    data: { values },
    layer: [
      { mark: { type: 'point', filled: true, size: 60, opacity: 1 }, encoding: { x, y, color } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 }, encoding: { x, y, text: { field: 'label' }, color: { value: '#333' } } },
    ],
  } as PlotSpec;
}

// (d) distributions over seeds ------------------------------------------------

function checkSample(source: string, what: string, values: readonly number[], axis: AxisSpec): void {
  if (!values?.length) throw new ReportInputError(source, `${what} has no values`);
  values.forEach((v, i) => onAxis(source, `${what} value ${i}`, v, axis));
}

export interface HistogramBin {
  start: number;
  end: number;
  count: number;
}

/**
 * Equal-width bins from the minimum to the maximum; the last bin includes the
 * maximum. Whole-number data get whole-number edges (bin [a, b) holds a … b−1),
 * so a bar never straddles a value. Default count: Sturges, ⌈log2 n⌉ + 1.
 */
export function histogramBins(values: readonly number[], bins?: number): HistogramBin[] {
  const source = 'histogramBins';
  checkSample(source, 'the sample', values, { title: 'value' });
  const wanted = bins ?? Math.min(50, Math.ceil(Math.log2(values.length)) + 1);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 1000) throw new ReportInputError(source, `bins = ${bins} must be a whole number from 1 to 1000`);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const integers = values.every(Number.isInteger);
  let width: number;
  let count: number;
  if (integers) {
    width = Math.max(1, Math.ceil((max - min + 1) / wanted));
    count = Math.ceil((max - min + 1) / width);
  } else if (max === min) {
    // One distinct value: a single unit-wide bin centred on it.
    return [{ start: min - 0.5, end: min + 0.5, count: values.length }];
  } else {
    width = (max - min) / wanted;
    count = wanted;
  }
  const out = Array.from({ length: count }, (_, k) => ({ start: min + k * width, end: k === count - 1 && !integers ? max : min + (k + 1) * width, count: 0 }));
  for (const v of values) out[Math.min(count - 1, Math.floor((v - min) / width))].count++;
  return out;
}

/** One bar per bin (empty bins included), y = number of values. */
export function histogramPlot(input: { title: string; x: AxisSpec; y?: AxisSpec; values: readonly number[]; bins?: number }): PlotSpec {
  const source = 'histogramPlot';
  text(source, 'the title', input.title);
  checkAxis(source, 'x', input.x);
  if (input.x.scale === 'log') throw new ReportInputError(source, 'equal-width bins on a logarithmic axis would mislead; bin the logarithms instead');
  const y = input.y ?? { title: 'count' };
  checkAxis(source, 'y', y);
  checkSample(source, 'the sample', input.values, input.x);
  const bins = histogramBins(input.values, input.bins);
  // Whole numbers: bin [a, b) holds a … b−1, so the bar spans a − ½ … b − ½ and
  // sits centred on the values it counts.
  const shift = input.values.every(Number.isInteger) ? 0.5 : 0;
  return {
    ...frame(input.title),
    data: { values: bins.map((b) => ({ x: b.start - shift, x2: b.end - shift, y: b.count })) },
    mark: { type: 'bar', color: '#4e79a7', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { ...position('x', input.x), bin: { binned: true } },
      x2: { field: 'x2' },
      y: { field: 'y', type: 'quantitative', title: axisTitle(y), scale: { zero: true } },
    },
  } as PlotSpec;
}

/** Empirical CDF points: (v, fraction ≤ v) per distinct v, starting at (min, 0). */
export function empiricalCdf(values: readonly number[]): Array<{ x: number; y: number }> {
  const sorted = [...values].sort((a, b) => a - b);
  const points = [{ x: sorted[0], y: 0 }];
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && sorted[i + 1] === sorted[i]) continue;
    points.push({ x: sorted[i], y: (i + 1) / sorted.length });
  }
  return points;
}

/** One step line per series: the fraction of runs at or below each value. */
export function cdfPlot(input: { title: string; x: AxisSpec; series: ReadonlyArray<{ name: string; values: readonly number[] }>; seriesTitle?: string }): PlotSpec {
  const source = 'cdfPlot';
  text(source, 'the title', input.title);
  checkAxis(source, 'x', input.x);
  if (!input.series?.length) throw new ReportInputError(source, 'no series to plot');
  uniqueNames(
    source,
    input.series.map((s) => s.name),
  );
  const values = input.series.flatMap((s) => {
    checkSample(source, `series "${s.name}"`, s.values, input.x);
    return empiricalCdf(s.values).map((p, order) => ({ series: s.name, x: p.x, y: p.y, order }));
  });
  return {
    ...frame(input.title),
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: position('x', input.x),
      y: { field: 'y', type: 'quantitative', title: 'fraction of runs ≤ x', scale: { domain: [0, 1] } },
      color: colour(
        input.series.map((s) => s.name),
        input.seriesTitle ?? 'series',
      ),
      order: { field: 'order', type: 'quantitative' },
    },
  } as PlotSpec;
}

// The simulator's report toolkit: plot specs, headless SVG rendering, the
// HTML report page and CSV writing.

export { ReportInputError } from './errors.js';
export { csvField, toCsv, type CsvValue } from './csv.js';
export {
  axisTitle,
  cdfPlot,
  empiricalCdf,
  histogramBins,
  histogramPlot,
  metricOverTimePlot,
  parameterPlot,
  parameterPlots,
  tradeoffPlot,
  PLOT_HEIGHT,
  PLOT_WIDTH,
  type AxisSpec,
  type HistogramBin,
  type MetricOverTimeInput,
  type MetricSeries,
  type ParameterPlotInput,
  type ParameterPoint,
  type PlotSpec,
  type TimeSeries,
  type TradeoffPoint,
} from './plots.js';
export { renderSvg, type RenderOptions } from './render.js';
export { escapeHtml, formatCell, renderReportHtml, safeRelativeHref, writeReport, type Cell, type ReportContent, type ReportLink, type ReportPlot, type ReportTable } from './html.js';

// The one error type of the report module: the input cannot make a correct
// plot, table or page (empty data, NaN, a link that is not a relative path).
// Refusing is better than drawing a misleading chart.

export class ReportInputError extends Error {
  /** Which builder refused, e.g. "parameterPlot". */
  readonly source: string;
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'ReportInputError';
    this.source = source;
  }
}

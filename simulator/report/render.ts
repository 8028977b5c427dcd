// Headless rendering of a Vega-Lite spec to an SVG string (no browser, no
// canvas: Vega's "none" renderer estimates text widths). External resources
// are refused (the render fails): the plots here carry their data inline, and
// a report must not depend on, or reach out to, anything but its inputs.

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ReportInputError } from './errors.js';

export interface RenderOptions {
  /** Called with each Vega-Lite/Vega warning; by default warnings are dropped. */
  onWarning?: (message: string) => void;
}

export async function renderSvg(spec: TopLevelSpec, options: RenderOptions = {}): Promise<string> {
  const warn = options.onWarning ?? (() => {});
  const errors: string[] = [];
  const logger = vega.logger(vega.Warn);
  // Route warnings to the caller instead of the console. Vega logs (rather
  // than throws) errors met while the dataflow runs, e.g. a refused load:
  // collect them and fail the render, so no half-drawn SVG comes out.
  logger.warn = (...args: readonly unknown[]) => {
    warn(args.map(String).join(' '));
    return logger;
  };
  logger.error = (...args: readonly unknown[]) => {
    errors.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    return logger;
  };
  let runtime;
  try {
    runtime = vega.parse(compile(spec, { logger }).spec);
  } catch (err) {
    throw new ReportInputError('renderSvg', `not a valid Vega-Lite spec: ${(err as Error).message}`);
  }
  const loader = vega.loader();
  // Vega reports a failed load as a warning and draws on without the data.
  const refuse = (uri: string): Promise<never> => {
    errors.push(`the spec asks to load ${JSON.stringify(uri)}; plots must carry their data inline`);
    return Promise.reject(new Error('external resources are not loaded'));
  };
  loader.load = refuse;
  loader.sanitize = refuse;
  const view = new vega.View(runtime, { renderer: 'none', loader, logger });
  try {
    const svg = await view.toSVG();
    if (errors.length) throw new ReportInputError('renderSvg', errors[0].replace(/^renderSvg: /, ''));
    return svg;
  } finally {
    view.finalize();
  }
}

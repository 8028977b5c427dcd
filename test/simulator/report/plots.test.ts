import assert from 'node:assert/strict';
import { ReportInputError } from '../../../simulator/report/errors.js';
import { cdfPlot, empiricalCdf, histogramBins, histogramPlot, metricOverTimePlot, parameterPlot, parameterPlots, tradeoffPlot, type PlotSpec } from '../../../simulator/report/plots.js';
import { renderSvg } from '../../../simulator/report/render.js';

/** Data marks Vega drew, by their ARIA role description ("point", "line mark", "rule mark", "bar", "text mark"). */
function marks(svg: string, kind: string): number {
  return svg.split(`role="graphics-symbol" aria-roledescription="${kind}"`).length - 1;
}

async function render(spec: PlotSpec): Promise<string> {
  const warnings: string[] = [];
  const svg = await renderSvg(spec, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(warnings, [], 'Vega-Lite warned about the spec');
  assert.match(svg, /^<svg [^>]*width="\d+" height="\d+"/);
  assert.match(svg, /<\/svg>$/);
  return svg;
}

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ReportInputError && pattern.test(e.message);

describe('simulator/report: plots', function () {
  it('metric over time: one line per series, one point per sample, titled axes with units', async function () {
    const svg = await render(
      metricOverTimePlot({
        title: 'AUC against observation time',
        x: { title: 'observation time', unit: 's' },
        y: { title: 'AUC', domain: [0, 1] },
        seriesTitle: 'cover rate',
        series: [
          {
            name: 'λL = 1/s',
            points: [
              { t: 10, value: 0.52 },
              { t: 20, value: 0.61 },
              { t: 40, value: 0.74 },
            ],
          },
          {
            name: 'λL = 4/s',
            points: [
              { t: 10, value: 0.5 },
              { t: 20, value: 0.53 },
            ],
          },
        ],
      }),
    );
    assert.equal(marks(svg, 'line mark'), 2);
    assert.equal(marks(svg, 'point'), 5);
    for (const text of ['AUC against observation time', 'observation time (s)', '>AUC<', 'λL = 4/s', 'cover rate']) assert.ok(svg.includes(text), text);
  });

  it('metric against a parameter: a point and an error bar per value, joined by a line on a numeric axis', async function () {
    const svg = await render(
      parameterPlot({
        title: 'Rounds to disclosure',
        x: { title: 'batch', unit: 'messages' },
        y: { title: 'rounds to disclosure', unit: 'rounds' },
        band: 'mean ± 1 sd over 10 repeats',
        points: [
          { x: 10, value: 50, low: 40, high: 60 },
          { x: 20, value: 80, low: 70, high: 95 },
          { x: 40, value: 120, low: 100, high: 150 },
          { x: 80, value: 200, low: 180, high: 230 },
        ],
      }),
    );
    assert.equal(marks(svg, 'point'), 4);
    assert.equal(marks(svg, 'rule mark'), 4);
    assert.equal(marks(svg, 'line mark'), 1);
    for (const text of ['batch (messages)', 'rounds to disclosure (rounds)', 'mean ± 1 sd over 10 repeats']) assert.ok(svg.includes(text), text);
  });

  it('metric against a categorical parameter: categories in the given order, series side by side, no line', async function () {
    const points = ['pool', 'loopix', 'direct'].flatMap((mode, i) => [
      { x: mode, series: 'N=100', value: i + 1, low: i, high: i + 2 },
      { x: mode, series: 'N=1000', value: i + 2, low: i + 1, high: i + 3 },
    ]);
    const svg = await render(parameterPlot({ title: 'Entropy by model', x: { title: 'model' }, y: { title: 'entropy', unit: 'bits' }, band: 'p10–p90', points, seriesTitle: 'users' }));
    assert.equal(marks(svg, 'point'), 6);
    assert.equal(marks(svg, 'rule mark'), 6);
    assert.equal(marks(svg, 'line mark'), 0);
    const at = (label: string) => svg.indexOf(`>${label}</text>`);
    assert.ok(at('pool') > 0 && at('pool') < at('loopix') && at('loopix') < at('direct'), 'category order');
    assert.ok(svg.includes('entropy (bits)') && svg.includes('N=1000'));
  });

  it('several metrics make several plots, one per metric', function () {
    const points = [{ x: 1, value: 1, low: 1, high: 1 }];
    const specs = parameterPlots({
      x: { title: 'batch' },
      band: 'mean',
      metrics: [
        { title: 'a', y: { title: 'a' }, points },
        { title: 'b', y: { title: 'b', unit: 's' }, points },
      ],
    });
    assert.equal(specs.length, 2);
    assert.throws(() => parameterPlots({ x: { title: 'batch' }, band: 'mean', metrics: [] }), refused(/no metrics/));
  });

  it('trade-off scatter: a point and a label per configuration', async function () {
    const svg = await render(
      tradeoffPlot({
        title: 'Leakage against latency',
        x: { title: 'median latency', unit: 's' },
        y: { title: 'leakage', unit: 'bits' },
        points: [
          { x: 0.4, y: 2.1, label: 'μ=0.1 s' },
          { x: 1.5, y: 0.9, label: 'μ=0.5 s' },
          { x: 4.2, y: 0.2, label: 'μ=2 s' },
        ],
      }),
    );
    assert.equal(marks(svg, 'point'), 3);
    assert.equal(marks(svg, 'text mark'), 3);
    for (const text of ['median latency (s)', 'leakage (bits)', 'μ=0.5 s']) assert.ok(svg.includes(text), text);
  });

  it('histogram bins: whole-number edges for whole numbers, every value counted once, Sturges by default', function () {
    const bins = histogramBins([1, 2, 2, 3, 3, 3, 9], 4);
    assert.deepEqual(bins, [
      { start: 1, end: 4, count: 6 },
      { start: 4, end: 7, count: 0 },
      { start: 7, end: 10, count: 1 },
    ]);
    const real = histogramBins([0, 0.25, 0.5, 1], 2);
    assert.deepEqual(real, [
      { start: 0, end: 0.5, count: 2 },
      { start: 0.5, end: 1, count: 2 },
    ]);
    const values = Array.from({ length: 100 }, (_, i) => (i * 37) % 101);
    const sturges = histogramBins(values);
    assert.ok(sturges.length <= 8 && sturges.length >= 7, `${sturges.length} bins`);
    assert.equal(
      sturges.reduce((a, b) => a + b.count, 0),
      100,
    );
    assert.deepEqual(histogramBins([5, 5, 5]), [{ start: 5, end: 6, count: 3 }]);
    assert.deepEqual(histogramBins([0.5, 0.5]), [{ start: 0, end: 1, count: 2 }]);
  });

  it('histogram plot: one bar per bin, including empty ones', async function () {
    const svg = await render(
      histogramPlot({
        title: 'Rounds to disclosure over 30 seeds',
        x: { title: 'rounds to disclosure', unit: 'rounds' },
        y: { title: 'seeds' },
        values: [180, 190, 195, 200, 230, 260, 333, 420],
        bins: 5,
      }),
    );
    const expected = histogramBins([180, 190, 195, 200, 230, 260, 333, 420], 5).length;
    assert.equal(marks(svg, 'bar'), expected);
    assert.ok(svg.includes('rounds to disclosure (rounds)') && svg.includes('>seeds<'));
  });

  it('CDF: steps at each distinct value, one line per series', async function () {
    assert.deepEqual(empiricalCdf([3, 1, 2, 2]), [
      { x: 1, y: 0 },
      { x: 1, y: 0.25 },
      { x: 2, y: 0.75 },
      { x: 3, y: 1 },
    ]);
    const svg = await render(
      cdfPlot({
        title: 'CDF',
        x: { title: 'rounds', unit: 'rounds' },
        series: [
          { name: 'b=20', values: [1, 2, 3] },
          { name: 'b=50', values: [4, 5] },
          { name: 'b=80', values: [9] },
        ],
      }),
    );
    assert.equal(marks(svg, 'line mark'), 3);
    assert.ok(svg.includes('fraction of runs ≤ x') && svg.includes('rounds (rounds)'));
  });

  it('escapes text in titles (Vega writes it as SVG text)', async function () {
    const svg = await render(tradeoffPlot({ title: 'a <script>alert(1)</script> & b', x: { title: 'x' }, y: { title: 'y' }, points: [{ x: 1, y: 1, label: '<b>' }] }));
    assert.ok(!svg.includes('<script>') && !svg.includes('<b>'));
    assert.ok(svg.includes('a &lt;script&gt;alert(1)&lt;/script&gt; &amp; b'));
  });

  it('refuses empty data, NaN and values a log axis cannot show, naming what is wrong', function () {
    const x = { title: 'x' };
    const y = { title: 'y' };
    assert.throws(() => metricOverTimePlot({ title: 't', x, y, series: [] }), refused(/no series/));
    assert.throws(() => metricOverTimePlot({ title: 't', x, y, series: [{ name: 'a', points: [] }] }), refused(/series "a" has no points/));
    assert.throws(() => metricOverTimePlot({ title: 't', x, y, series: [{ name: 'a', points: [{ t: 1, value: Number.NaN }] }] }), refused(/series "a" point 0 value is NaN/));
    assert.throws(
      () =>
        metricOverTimePlot({
          title: 't',
          x,
          y,
          series: [
            { name: 'a', points: [{ t: 1, value: 1 }] },
            { name: 'a', points: [{ t: 1, value: 1 }] },
          ],
        }),
      refused(/appears twice/),
    );
    assert.throws(() => parameterPlot({ title: 't', x, y, band: 'b', points: [] }), refused(/no points/));
    assert.throws(() => parameterPlot({ title: 't', x, y, band: 'b', points: [{ x: 1, value: 1, low: 0, high: Infinity }] }), refused(/point 0 high is Infinity/));
    assert.throws(() => parameterPlot({ title: 't', x, y, band: 'b', points: [{ x: 1, value: 5, low: 0, high: 2 }] }), refused(/outside its error bar/));
    assert.throws(() => parameterPlot({ title: 't', x: { title: 'x', scale: 'log' }, y, band: 'b', points: [{ x: 0, value: 1, low: 1, high: 1 }] }), refused(/logarithmic/));
    assert.throws(() => tradeoffPlot({ title: 't', x, y, points: [{ x: Number.NaN, y: 1, label: 'a' }] }), refused(/point 0 x is NaN/));
    assert.throws(() => histogramPlot({ title: 't', x, values: [] }), refused(/no values/));
    assert.throws(() => histogramPlot({ title: 't', x, values: [1, Number.NaN] }), refused(/value 1 is NaN/));
    assert.throws(() => histogramPlot({ title: 't', x, values: [1], bins: 0 }), refused(/bins/));
    assert.throws(() => cdfPlot({ title: 't', x, series: [{ name: 'a', values: [] }] }), refused(/series "a" has no values/));
    assert.throws(() => metricOverTimePlot({ title: '', x, y, series: [{ name: 'a', points: [{ t: 1, value: 1 }] }] }), refused(/title/));
    assert.throws(() => metricOverTimePlot({ title: 't', x: { title: 'x', domain: [1, 1] }, y, series: [{ name: 'a', points: [{ t: 1, value: 1 }] }] }), refused(/domain/));
  });

  it('renderSvg refuses a spec that loads external data, and reports an invalid spec as a typed error', async function () {
    await assert.rejects(renderSvg({ data: { url: 'https://example.org/x.csv' }, mark: 'point' } as PlotSpec), refused(/load "https:\/\/example.org\/x.csv"; plots must carry their data inline/));
    await assert.rejects(renderSvg({ mark: 'no-such-mark' } as unknown as PlotSpec), refused(/not a valid Vega-Lite spec/));
  });
});

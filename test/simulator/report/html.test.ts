import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportInputError } from '../../../simulator/report/errors.js';
import { escapeHtml, formatCell, renderReportHtml, safeRelativeHref, writeReport, type ReportContent } from '../../../simulator/report/html.js';
import { tradeoffPlot } from '../../../simulator/report/plots.js';
import { renderSvg } from '../../../simulator/report/render.js';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';

function content(overrides: Partial<ReportContent> = {}): ReportContent {
  return {
    title: 'Threshold mix sweep',
    parameters: { model: 'threshold', recipients: 20000, checkpoints: [250, 500] },
    seed: 7,
    tables: [
      {
        title: 'Metrics',
        columns: ['batch', 'metric', 'mean'],
        rows: [
          [20, 'roundsToDisclosure.mean', 233.8123456789],
          [50, 'roundsToDisclosure.mean', Number.NaN],
        ],
        caption: 'over 10 repeats',
      },
    ],
    plots: [{ title: 'Rounds against batch', svgFile: 'plot-1.svg', caption: 'mean ± 1 sd' }],
    notes: ['24 jobs, none failed.'],
    links: [
      { href: 'results.json', label: 'results.json' },
      { href: 'runs.csv', label: 'runs.csv' },
    ],
    ...overrides,
  };
}

describe('simulator/report: HTML report', function () {
  it('escapes text and formats cells', function () {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.deepEqual([formatCell(233.8123456789), formatCell(20000), formatCell(Number.NaN), formatCell(null), formatCell([1, 2]), formatCell(true)], ['233.812', '20000', '–', '–', '[1,2]', 'true']);
  });

  it('writes a self-contained index.html: parameters, seed, metrics table, inline plots with captions, data links', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-report-'));
    const svg = await renderSvg(tradeoffPlot({ title: 'Leakage against latency', x: { title: 'latency', unit: 's' }, y: { title: 'leakage', unit: 'bits' }, points: [{ x: 1, y: 2, label: 'a' }] }));
    writeFileSync(join(dir, 'plot-1.svg'), svg);
    const path = writeReport(dir, content());
    assert.equal(path, join(dir, 'index.html'));
    const html = readFileSync(path, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>Threshold mix sweep<\/title>/);
    assert.match(html, /<tr><th>recipients<\/th><td class="num">20000<\/td><\/tr>/);
    assert.match(html, /<tr><th>checkpoints<\/th><td>\[250,500\]<\/td><\/tr>/);
    assert.match(html, /<tr><th>seed<\/th><td class="num">7<\/td><\/tr>/);
    assert.match(html, /<td class="num">233\.812<\/td>/);
    assert.match(html, /<caption>over 10 repeats<\/caption>/);
    // The plot is inside the page (a data: URI of the very SVG), and its file is linked.
    const embedded = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="Rounds against batch">/.exec(html);
    assert.ok(embedded, 'inline plot');
    assert.equal(Buffer.from(embedded[1], 'base64').toString('utf8'), svg);
    assert.match(html, /<figcaption><strong>Rounds against batch<\/strong> mean ± 1 sd <a class="muted" href="plot-1.svg">SVG<\/a><\/figcaption>/);
    assert.match(html, /<li><a href="results.json">results.json<\/a>/);
    assert.match(html, /<li><a href="runs.csv">runs.csv<\/a>/);
    assert.match(html, /<li>24 jobs, none failed.<\/li>/);
    // Self-contained: no external stylesheet, script or remote URL.
    assert.ok(!/<script|<link |src="http|href="http/i.test(html));
  });

  it('escapes an injection attempt in every place text goes', function () {
    const evil = '"><script>alert(1)</script>';
    const html = renderReportHtml(
      content({
        title: evil,
        parameters: { [evil]: evil, nested: { x: evil } },
        seed: evil,
        tables: [{ title: evil, columns: [evil], rows: [[evil]], caption: evil }],
        plots: [{ title: evil, svgFile: 'p.svg', caption: evil }],
        notes: [evil],
        links: [{ href: 'a b&c.csv', label: evil }],
      }),
      () => SVG,
    );
    assert.ok(!html.includes('<script>'), 'raw script tag');
    assert.ok(!html.includes('"><'), 'attribute break-out');
    assert.ok(html.includes('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.match(html, /href="a%20b%26c.csv"/);
  });

  it('refuses links that leave the report (schemes, absolute paths, ..) and plots that are not SVG', function () {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:x', 'https://example.org/x', '/etc/passwd', '../secret.json', 'a/../../b', 'data:text/html,x', '']) {
      assert.throws(() => safeRelativeHref(href), ReportInputError, href);
    }
    assert.equal(safeRelativeHref('runs/seed 1.csv'), 'runs/seed%201.csv');
    assert.throws(() => renderReportHtml(content({ links: [{ href: 'javascript:alert(1)', label: 'x' }] }), () => SVG), ReportInputError);
    assert.throws(
      () => renderReportHtml(content(), () => '<html><script>alert(1)</script></html>'),
      (e: unknown) => e instanceof ReportInputError && /not an SVG document/.test(e.message),
    );
    assert.throws(
      () => renderReportHtml(content({ title: ' ' }), () => SVG),
      (e: unknown) => e instanceof ReportInputError && /title/.test(e.message),
    );
    assert.throws(() => renderReportHtml(content({ tables: [{ title: 't', columns: ['a', 'b'], rows: [[1]] }] }), () => SVG), /row 0 has 1 cells, expected 2/);
  });

  it('a missing plot file is a clear error, not a broken page', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-report-'));
    assert.throws(
      () => writeReport(dir, content()),
      (e: unknown) => e instanceof ReportInputError && /cannot read plot file plot-1.svg \(ENOENT\)/.test(e.message),
    );
  });
});

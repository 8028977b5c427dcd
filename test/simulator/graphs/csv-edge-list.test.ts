import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeListFormatError, loadEdgeListCsv, parseEdgeListCsv } from '../../../simulator/graphs/csv-edge-list.js';

function failsOnLine(text: string, line: number, pattern: RegExp, options = {}): void {
  assert.throws(
    () => parseEdgeListCsv(text, options),
    (e: unknown) => e instanceof EdgeListFormatError && e.line === line && pattern.test(e.message) && e.message.includes(`line ${line}`),
    `${JSON.stringify(text)} should fail on line ${line} with ${pattern}`,
  );
}

describe('simulator graphs: CSV edge list', function () {
  it('maps names to ids in order of first appearance, with a header, comments, blank lines and weights', function () {
    const text = '\uFEFFsource,target,weight\n# a comment\nalice, bob ,2\n\r\ncarol,alice\n"dave, jr",bob,0.5\r\n';
    const { graph, selfLoopsSkipped, duplicatesMerged } = parseEdgeListCsv(text);
    assert.deepEqual(graph.names, ['alice', 'bob', 'carol', 'dave, jr']);
    assert.equal(graph.n, 4);
    assert.equal(graph.edgeCount, 3);
    assert.equal(graph.weight(0, 1), 2);
    assert.equal(graph.weight(2, 0), 1);
    assert.equal(graph.weight(3, 1), 0.5);
    assert.equal(graph.directed, false);
    assert.deepEqual([selfLoopsSkipped, duplicatesMerged], [0, 0]);
  });

  it('without a header the first line is an edge; header: true skips any first line', function () {
    assert.equal(parseEdgeListCsv('a,b\nb,c\n').graph.edgeCount, 2);
    assert.equal(parseEdgeListCsv('from,to\nb,c\n', { header: true }).graph.edgeCount, 1);
    assert.equal(parseEdgeListCsv('Source,Target\nb,c\n').graph.edgeCount, 1);
    assert.equal(parseEdgeListCsv('source,target\n', { header: false }).graph.edgeCount, 1);
  });

  it('skips and counts self-loops by default, or refuses them', function () {
    const r = parseEdgeListCsv('a,b\nc,c\nb,c\n');
    assert.equal(r.selfLoopsSkipped, 1);
    assert.equal(r.graph.edgeCount, 2);
    failsOnLine('a,b\nc,c\n', 2, /self-loop/, { selfLoops: 'error' });
  });

  it('merges duplicates (undirected: b,a repeats a,b): sum by default, or max, first, or an error', function () {
    const text = 'a,b,2\nb,a,3\na,b\n';
    const sum = parseEdgeListCsv(text);
    assert.equal(sum.graph.edgeCount, 1);
    assert.equal(sum.graph.weight(0, 1), 6);
    assert.equal(sum.duplicatesMerged, 2);
    assert.equal(parseEdgeListCsv(text, { duplicates: 'max' }).graph.weight(0, 1), 3);
    assert.equal(parseEdgeListCsv(text, { duplicates: 'first' }).graph.weight(0, 1), 2);
    failsOnLine(text, 2, /duplicate of the edge on line 1/, { duplicates: 'error' });
    // Directed: a→b and b→a are different edges.
    const directed = parseEdgeListCsv(text, { directed: true });
    assert.equal(directed.graph.edgeCount, 2);
    assert.equal(directed.graph.weight(0, 1), 3);
    assert.equal(directed.graph.weight(1, 0), 3);
  });

  it('refuses bad lines with the line number', function () {
    failsOnLine('a,b\nc\n', 2, /expected source,target\[,weight\], got 1 field/);
    failsOnLine('a,b\nc,d,1,2\n', 2, /got 4 fields/);
    failsOnLine('a,b\n\n# x\nc,d,heavy\n', 4, /weight "heavy" is not a positive number/);
    failsOnLine('a,b,0\n', 1, /not a positive number/);
    failsOnLine('a,b,-1\n', 1, /not a positive number/);
    failsOnLine('a,b,Infinity\n', 1, /not a positive number/);
    failsOnLine('a,b,0x10\n', 1, /not a positive number/);
    failsOnLine('a, ,1\n', 1, /empty user name/);
    failsOnLine('a,b\n"c,d\n', 2, /unterminated quoted field/);
    failsOnLine('"a"x,b\n', 1, /after a quoted field/);
    failsOnLine('a"b,c\n', 1, /quote inside an unquoted field/);
  });

  it('loads from a file, and names the file it cannot read', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-graph-'));
    const path = join(dir, 'edges.csv');
    writeFileSync(path, 'x,y\ny,z\n');
    assert.equal(loadEdgeListCsv(path).graph.edgeCount, 2);
    assert.throws(
      () => loadEdgeListCsv(join(dir, 'missing.csv')),
      (e: unknown) => e instanceof EdgeListFormatError && /ENOENT/.test(e.message),
    );
  });
});

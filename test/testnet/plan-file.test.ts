// testnet.json (testnet/plan-file.ts): what planTestnet records is read back
// as it was written; a damaged, half-written or other-format plan is refused
// with an error that names the file and says how to start over.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SHAPE, planTestnet } from '../../testnet/plan.js';
import { decodePlanFile, encodePlanFile, PLAN_FILE, readPlanFile } from '../../testnet/plan-file.js';
import { refused } from './folder-error.js';

/** testnet.json as parsed, for editing one field. */
interface RawPlan {
  genesis: unknown;
  shape: Record<string, unknown>;
  nodes: Array<Record<string, unknown>>;
}

const GENESIS = Date.parse('2026-11-22T00:00:00Z');

describe('testnet plan file (testnet.json)', function () {
  let dir: string;
  let text: string;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'chaff-plan-file-'));
    await planTestnet(dir, { ...DEFAULT_SHAPE, family: { 'mix-1': ['mix-2'] } }, GENESIS);
    text = readFileSync(join(dir, PLAN_FILE), 'utf8');
  });

  it('records the genesis, the shape and every node, and reads them back', async function () {
    const recorded = readPlanFile(dir);
    assert.equal(recorded.genesisMs, GENESIS);
    assert.deepEqual(recorded.shape, { ...DEFAULT_SHAPE, family: { 'mix-1': ['mix-2'] } });
    assert.equal(recorded.nodes.length, 11);
    assert.deepEqual(
      recorded.nodes.slice(0, 1).map((n) => [n.name, n.role]),
      [['authority-1', 'authority']],
    );
    // Paths are not recorded: the folder may move.
    assert.doesNotMatch(text, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(encodePlanFile(recorded), text, 'encoding what was read gives the same bytes');
  });

  it('refuses a half-written file', function () {
    const path = join(dir, 'cut.json');
    assert.throws(() => decodePlanFile(text.slice(0, text.length / 2), path), refused('corrupt', /cut\.json is damaged or half-written: not valid JSON.*--fresh/));
    assert.throws(() => decodePlanFile('', path), refused('corrupt', /not valid JSON/));
  });

  it('refuses a plan of another format, naming both formats', function () {
    const other = JSON.stringify({ ...JSON.parse(text), format: 2 });
    assert.throws(() => decodePlanFile(other, 'p.json'), refused('other-format', /p\.json is of format 2, and this chaff reads format 1: the folder was made by another version of chaff.*--fresh/));
  });

  it('refuses a file that is not a testnet plan', function () {
    assert.throws(() => decodePlanFile('[1, 2]', 'p.json'), refused('corrupt', /not a JSON object/));
    assert.throws(() => decodePlanFile(JSON.stringify({ kind: 'something-else', format: 1 }), 'p.json'), refused('corrupt', /"kind" is "something-else"/));
  });

  it('refuses a plan whose fields are wrong, naming the field', function () {
    const edit = (change: (raw: RawPlan) => void): string => {
      const raw = JSON.parse(text);
      change(raw);
      return JSON.stringify(raw);
    };
    const cases: Array<[string, (raw: RawPlan) => void, RegExp]> = [
      ['genesis', (r) => (r.genesis = 'yesterday'), /"genesis" is "yesterday", not a date/],
      ['a count', (r) => (r.shape.layers = 0), /shape\.layers is 0, not a whole number from 1 to 16/],
      ['a rate', (r) => (r.shape.lambdaP = -1), /shape\.lambdaP is -1, not a positive number/],
      ['a missing node', (r) => r.nodes.pop(), /10 nodes listed, and the shape has 11/],
      ['nodes out of order', (r) => ([r.nodes[0], r.nodes[1]] = [r.nodes[1], r.nodes[0]]), /node 1 is "authority-2" \("authority"\), expected authority-1 \(authority\)/],
      ['a port', (r) => (r.nodes[4].port = 70_000), /mix-2's port is 70000, not a TCP port/],
      ['a port twice', (r) => (r.nodes[4].metricsPort = r.nodes[3].port), /port \d+ is listed twice/],
      ['a key', (r) => (r.nodes[10].identityKey = 'abc'), /gateway-b's identityKey is not 64 lowercase hex characters/],
      ['the family', (r) => (r.shape.family = { 'mix-1': 'mix-2' }), /shape\.family is not an object of lists of node names/],
    ];
    for (const [what, change, pattern] of cases) assert.throws(() => decodePlanFile(edit(change), 'p.json'), refused('corrupt', pattern), what);
  });

  it('is written whole (a temporary file renamed over it): none is left beside it', function () {
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes(PLAN_FILE)),
      [PLAN_FILE],
    );
  });
});

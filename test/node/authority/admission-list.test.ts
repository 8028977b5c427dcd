// The authority's admission list file: format, validation, atomic edits by
// the CLI's functions, and re-reading while the authority runs.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../protocol/bytes.js';
import { AdmissionFileError, AdmissionList, editAdmission, formatAdmissions, parseAdmissions, readAdmissions } from '../../../node/authority/admission-list.js';
import { keyFor } from '../../helpers/pki-fixtures.js';

const K1 = toHex(keyFor(1).publicKey);
const K2 = toHex(keyFor(2).publicKey);
const NOW = new Date('2026-12-06T19:00:00.000Z');

describe('node/authority/admission-list', function () {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaff-admissions-'));
    path = join(dir, 'admissions.toml');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('pins the file format and round-trips it', function () {
    const text = formatAdmissions([
      { identity: K1, status: 'admitted', role: 'mix', note: "alice's mix", changed: NOW.toISOString() },
      { identity: K2, status: 'revoked', role: null, note: '', changed: '' },
    ]);
    assert.equal(
      text,
      [
        '# Chaff authority admission list (docs/operators.md §Admitting nodes).',
        '# Edit with `chaff node admit|suspend|revoke --config <authority.toml> <identity>`;',
        '# the running authority re-reads this file when it changes.',
        '',
        '[[admission]]',
        `identity = "${K1}"`,
        'status = "admitted"',
        'role = "mix"',
        'note = "alice\'s mix"',
        'changed = "2026-12-06T19:00:00.000Z"',
        '',
        '[[admission]]',
        `identity = "${K2}"`,
        'status = "revoked"',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      parseAdmissions(text).map((r) => [r.identity, r.status, r.role]),
      [
        [K1, 'admitted', 'mix'],
        [K2, 'revoked', null],
      ],
    );
  });

  it('refuses a broken file with the entry and field named', function () {
    const bad = (text: string, re: RegExp) =>
      assert.throws(
        () => parseAdmissions(text),
        (e: unknown) => e instanceof AdmissionFileError && re.test(e.message),
      );
    bad('[[admission]]\nidentity = "xyz"\n', /admission #1.*|not an identity key/);
    bad(`[[admission]]\nidentity = "${K1}"\nstatus = "maybe"\n`, /admission #1: status/);
    bad(`[[admission]]\nidentity = "${K1}"\nrole = "authority"\n`, /role/);
    bad(`[[admission]]\nidentity = "${K1}"\n[[admission]]\nidentity = "${K1.toUpperCase()}"\n`, /listed twice/);
    bad(`[[admission]]\nidentity = "${K1}"\ncolour = "red"\n`, /unknown key "colour"/);
    bad('nodes = 1\n', /unknown key "nodes"/);
    bad('[[admission]\n', /not valid TOML/);
  });

  it('edits atomically: admit, suspend, revoke (final unless forced), keeping role and note', async function () {
    assert.deepEqual(await readAdmissions(path), [], 'a missing file admits nobody');
    await editAdmission(path, K1.toUpperCase(), { status: 'admitted', role: 'gateway', note: 'bob' }, NOW);
    await editAdmission(path, K2, { status: 'admitted' }, NOW);
    await editAdmission(path, K1, { status: 'suspended' }, NOW);
    let list = await readAdmissions(path);
    assert.deepEqual(
      list.map((r) => [r.identity, r.status, r.role, r.note]),
      [
        [K1, 'suspended', 'gateway', 'bob'],
        [K2, 'admitted', null, ''],
      ],
    );
    await editAdmission(path, K2, { status: 'revoked', note: 'key lost' }, NOW);
    await assert.rejects(editAdmission(path, K2, { status: 'admitted' }, NOW), /revoked; revocation is final/);
    await editAdmission(path, K2, { status: 'admitted', force: true }, NOW);
    list = await readAdmissions(path);
    assert.deepEqual(
      list.map((r) => r.status),
      ['suspended', 'admitted'],
    );
    await assert.rejects(editAdmission(path, 'abc', { status: 'admitted' }, NOW), AdmissionFileError);
    assert.equal((await readFile(path, 'utf8')).split('[[admission]]').length, 3);
  });

  it('a running list re-reads the file when it changes, and keeps the last good list when it breaks', async function () {
    const list = new AdmissionList(path);
    assert.deepEqual(await list.refresh(), { changed: true });
    assert.equal(list.size, 0);
    await editAdmission(path, K1, { status: 'admitted', role: 'mix' }, NOW);
    assert.deepEqual(await list.refresh(), { changed: true });
    assert.ok(list.admits(keyFor(1).publicKey, 'mix'));
    assert.ok(!list.admits(keyFor(1).publicKey, 'gateway'), 'the role is bound');
    assert.ok(!list.admits(keyFor(2).publicKey, 'mix'));
    assert.deepEqual(await list.refresh(), { changed: false }, 'unchanged file, nothing re-read');
    await writeFile(path, 'this is not toml [[[');
    const broken = await list.refresh();
    assert.equal(broken.changed, false);
    assert.match(broken.error!, /not valid TOML/);
    assert.ok(list.admits(keyFor(1).publicKey, 'mix'), 'the previous list stays in force');
    assert.equal(list.errors, 1);
    await editAdmission(path, K2, { status: 'admitted' }, NOW).catch(() => undefined); // the broken file cannot be edited
    await writeFile(path, formatAdmissions([{ identity: K1, status: 'suspended', role: null, note: '', changed: '' }]));
    await list.refresh();
    assert.ok(!list.admits(keyFor(1).publicKey, 'mix'), 'suspended: no longer admitted');
    assert.deepEqual(list.entries(), []);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../protocol/bytes.js';
import { EpochKeyError, EpochKeyring } from '../../../node/keys/epoch-keys.js';

const epochs = { genesisMs: 1_000_000, epochDurationMs: 60_000 };
const at = (epoch: number, offsetMs = 0) => epochs.genesisMs + epoch * epochs.epochDurationMs + offsetMs;

function ring(dir = mkdtempSync(join(tmpdir(), 'chaff-keys-')), graceMs = 5_000) {
  return { dir, keys: new EpochKeyring({ dir, epochs, graceMs }) };
}

describe('epoch Sphinx keys', function () {
  it('creates keys for the current and next epochs, files readable only by the node', function () {
    const { dir, keys } = ring();
    assert.deepEqual(keys.rotate(at(3, 10)), { created: [3, 4], deleted: [] });
    assert.deepEqual(keys.epochs(), [3, 4]);
    assert.deepEqual(readdirSync(dir).sort(), ['sphinx-3.key', 'sphinx-4.key']);
    for (const f of readdirSync(dir)) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600);
    assert.deepEqual([...keys.publicKeys(3, 2).keys()], [3, 4]);
    assert.throws(() => keys.publicKeys(3, 3), EpochKeyError);
  });

  it('a restarted node keeps the keys it published', function () {
    const { dir, keys } = ring();
    keys.rotate(at(3));
    const before = toHex(keys.publicKeys(3, 2).get(4)!);
    keys.close();
    const again = new EpochKeyring({ dir, epochs, graceMs: 5_000 });
    assert.deepEqual(again.rotate(at(3, 30_000)).created, []);
    assert.equal(toHex(again.publicKeys(3, 2).get(4)!), before);
  });

  it('tries the previous key during the grace window and the next one just before its epoch', function () {
    const { keys } = ring();
    keys.rotate(at(3));
    keys.rotate(at(4));
    assert.deepEqual(
      keys.unwrapKeys(at(4, 1_000)).map((k) => k.epoch),
      [4, 3],
    );
    assert.deepEqual(
      keys.unwrapKeys(at(4, 5_000)).map((k) => k.epoch),
      [4],
    );
    assert.deepEqual(
      keys.unwrapKeys(at(4, 56_000)).map((k) => k.epoch),
      [4, 5],
    );
  });

  it('deletes a key once its grace window has passed', function () {
    const { dir, keys } = ring();
    keys.rotate(at(3));
    keys.rotate(at(4));
    assert.deepEqual(keys.rotate(at(4, 4_999)).deleted, []);
    assert.deepEqual(keys.rotate(at(4, 5_000)).deleted, [3]);
    assert.deepEqual(readdirSync(dir).sort(), ['sphinx-4.key', 'sphinx-5.key']);
  });

  it('the oldest live epoch moves on when a grace window ends, as rotate() deletes the key', function () {
    const { keys } = ring();
    assert.equal(keys.liveFrom(epochs.genesisMs), 0);
    assert.equal(keys.liveFrom(at(4, 4_999)), 3);
    assert.equal(keys.liveFrom(at(4, 5_000)), 4);
    assert.equal(keys.nextRetirementMs(at(4, 4_999)), at(4, 5_000));
    assert.equal(keys.nextRetirementMs(at(4, 5_000)), at(5, 5_000));
    keys.rotate(at(3));
    keys.rotate(at(4, 5_000));
    assert.deepEqual(keys.epochs()[0], keys.liveFrom(at(4, 5_000)));
  });

  it('refuses a damaged key file instead of silently replacing it', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-keys-'));
    writeFileSync(join(dir, 'sphinx-3.key'), new Uint8Array(7));
    assert.throws(
      () => new EpochKeyring({ dir, epochs, graceMs: 0 }),
      (e: unknown) => e instanceof EpochKeyError && /sphinx-3\.key is 7 bytes/.test(e.message),
    );
  });
});

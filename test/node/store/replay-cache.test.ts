// The mix's replay cache on a real LevelDB.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreClosedError } from '../../../node/store/database.js';
import { ReplayCache, ReplayInputError } from '../../../node/store/replay-cache.js';

const tag = () => new Uint8Array(randomBytes(32));

describe('node/store/replay-cache', () => {
  let dir: string;
  let cache: ReplayCache;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-replay-'));
    cache = await ReplayCache.open(dir);
  });
  afterEach(async () => {
    await cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a new tag once and refuses its replay', async () => {
    const t = tag();
    assert.equal(await cache.checkAndInsert(5, t), true);
    assert.equal(await cache.checkAndInsert(5, t), false);
    assert.equal(await cache.checkAndInsert(5, Uint8Array.from(t)), false);
    assert.equal(cache.size(5), 1);
    assert.deepEqual(cache.counters, { inserted: 1, replays: 2, staleEpoch: 0, corruptEntries: 0 });
  });

  it('gives exactly one true to concurrent calls for one tag', async () => {
    const t = tag();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.checkAndInsert(1, Uint8Array.from(t))));
    assert.equal(results.filter((r) => r).length, 1);
    // and many distinct tags concurrently are all new
    const many = await Promise.all(Array.from({ length: 200 }, () => cache.checkAndInsert(1, tag())));
    assert.ok(many.every((r) => r));
    assert.equal(cache.size(1), 201);
  });

  it('keeps epochs independent', async () => {
    const t = tag();
    assert.equal(await cache.checkAndInsert(1, t), true);
    assert.equal(await cache.checkAndInsert(2, t), true);
    assert.equal(await cache.checkAndInsert(2, t), false);
    assert.deepEqual([...cache.sizes()].sort(), [
      [1, 1],
      [2, 1],
    ]);
  });

  it('still refuses replays after close and reopen', async () => {
    const tags = Array.from({ length: 50 }, tag);
    for (const t of tags) assert.equal(await cache.checkAndInsert(7, t), true);
    await cache.checkAndInsert(8, tags[0]);
    await cache.close();
    cache = await ReplayCache.open(dir);
    assert.equal(cache.size(7), 50);
    assert.equal(cache.size(8), 1);
    for (const t of tags) assert.equal(await cache.checkAndInsert(7, t), false);
    assert.equal(await cache.checkAndInsert(7, tag()), true);
  });

  it('prunes whole epochs, refuses them afterwards, and remembers the floor', async () => {
    const old = tag();
    await cache.checkAndInsert(1, old);
    await cache.checkAndInsert(2, tag());
    await cache.checkAndInsert(3, tag());
    await cache.pruneBefore(3);
    assert.deepEqual([...cache.sizes().keys()], [3]);
    assert.equal(await cache.checkAndInsert(1, tag()), false);
    assert.equal(cache.counters.staleEpoch, 1);
    await cache.close();
    cache = await ReplayCache.open(dir);
    assert.equal(cache.liveFrom, 3);
    assert.deepEqual([...cache.sizes()], [[3, 1]]);
    assert.equal(await cache.checkAndInsert(2, tag()), false);
  });

  it('gives the disk back when it prunes, without waiting for LevelDB to fill its write buffer', async () => {
    const folderBytes = () => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    await Promise.all(Array.from({ length: 10_000 }, () => cache.checkAndInsert(1, tag())));
    await cache.checkAndInsert(2, tag());
    const before = folderBytes();
    assert.ok(before > 10_000 * 41, `10,000 tags take ${before} bytes`);
    await cache.pruneBefore(2);
    const after = folderBytes();
    assert.ok(after < before / 10, `${after} bytes left of ${before} after pruning`);
    assert.deepEqual([...cache.sizes()], [[2, 1]]);
  });

  it('prunes on open with liveFrom', async () => {
    await cache.checkAndInsert(1, tag());
    await cache.checkAndInsert(4, tag());
    await cache.close();
    cache = await ReplayCache.open(dir, { liveFrom: 4 });
    assert.deepEqual([...cache.sizes()], [[4, 1]]);
  });

  it('rejects bad input with typed errors, and calls after close', async () => {
    await assert.rejects(cache.checkAndInsert(1, new Uint8Array(31)), ReplayInputError);
    await assert.rejects(cache.checkAndInsert(-1, tag()), ReplayInputError);
    await assert.rejects(cache.checkAndInsert(1.5, tag()), ReplayInputError);
    await cache.close();
    await assert.rejects(cache.checkAndInsert(1, tag()), StoreClosedError);
    cache = await ReplayCache.open(dir);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchPool, WorkerLostError } from '../../../runtime/worker-pool/batch-pool.js';
import { memoryLogger } from '../../../runtime/log/logger.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

describe('runtime/worker-pool: stopping a batch pool', function () {
  this.timeout(30_000);

  it('a worker still loading when the pool stops is not terminated: it leaves once loaded (Node 24 aborts on a termination mid-load); its jobs fail as lost', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-batch-load-'));
    const pool = new BatchPool<number, number>({ module: fixture('slow-load-batch.ts'), size: 2, init: { dir }, logger: memoryLogger() });
    const lost = assert.rejects(pool.run(21), WorkerLostError);
    await pool.stop();
    await lost;
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('loaded-')).length, 2, 'both workers finished loading before they ended');
  });

  it('answers jobs, then a worker that stays after the stop request is terminated once the grace is over, and logged', async function () {
    const logger = memoryLogger();
    const pool = new BatchPool<number, number>({ module: fixture('lingering-batch.ts'), size: 1, logger });
    await pool.ready();
    assert.equal(await pool.run(21), 42);
    await pool.stop(200);
    assert.ok(logger.records.some((r) => r.level === 'warn' && /did not stop within the grace/.test(r.msg)));
    await assert.rejects(pool.run(1), WorkerLostError);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPool, spawnJobWorker, SweepPoolError, type JobOutcome } from '../../../simulator/sweep/pool.js';
import { endWorker, exitOf } from '../../../simulator/sweep/worker-end.js';
import type { SweepJob } from '../../../simulator/sweep/jobs.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

function job(index: number, config: Record<string, unknown>): SweepJob {
  return { index, combination: index, params: {}, repeat: 0, seed: 100 + index, config };
}

describe('simulator/sweep: worker pool', function () {
  this.timeout(30_000);

  it('runs jobs in parallel on more than one worker thread (a barrier only two concurrent jobs can pass)', async function () {
    const shared = new SharedArrayBuffer(4);
    const outcomes = await runPool<{ shared: SharedArrayBuffer; parties: number }, { together: boolean; threadId: number }>(
      [
        { shared, parties: 2 },
        { shared, parties: 2 },
      ],
      { jobModule: fixture('barrier-job.ts'), size: 2 },
    );
    assert.ok(outcomes.every((o) => o.ok));
    const results = outcomes.map((o) => (o.ok ? o.result : null));
    assert.deepEqual(
      results.map((r) => r?.together),
      [true, true],
    );
    assert.notEqual(results[0]?.threadId, results[1]?.threadId);
    // The pool records the same thread ids the jobs saw.
    assert.deepEqual(
      outcomes.map((o) => o.threadId),
      results.map((r) => r?.threadId),
    );
  });

  it('returns outcomes in job order; a job that throws, kills its worker or returns something unsendable fails alone', async function () {
    const jobs = [
      job(0, { param: 1 }),
      job(1, { param: 13 }),
      job(2, { param: 2, exit: true }),
      job(3, { param: 3, unsendable: true }),
      job(4, { param: 4 }),
      job(5, { param: 5 }),
      job(6, { param: 6 }),
    ];
    const settled: Array<[number, number, number]> = [];
    // jobModule as a plain path this time (the other tests pass a file: URL).
    const outcomes = await runPool(jobs, {
      jobModule: fileURLToPath(fixture('noisy-double-job.ts')),
      size: 2,
      onSettled: (o, n, failed) => settled.push([o.index, n, failed]),
    });
    assert.deepEqual(
      outcomes.map((o) => o.index),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, false, false, false, true, true, true],
    );
    const error = (o: JobOutcome<unknown>) => (o.ok ? null : o.error);
    assert.deepEqual([error(outcomes[1])?.name, error(outcomes[1])?.message], ['RangeError', 'param 13 is unlucky']);
    assert.equal(error(outcomes[2])?.name, 'WorkerExit');
    assert.match(error(outcomes[2])?.message ?? '', /exit code 7/);
    assert.match(error(outcomes[3])?.message ?? '', /cannot be sent to the main thread/);
    const result = outcomes[6].ok ? (outcomes[6].result as { x: number }) : null;
    assert.ok(result && Math.abs(result.x - 12) <= 0.5, 'x = 2·param + noise');
    assert.equal(settled.length, 7);
    assert.deepEqual(settled[6].slice(1), [7, 3]);
    assert.deepEqual(
      settled.map((s) => s[1]),
      [1, 2, 3, 4, 5, 6, 7],
    );
    // The thread that died in job 2 ran nothing after it; the others carried on.
    assert.ok(outcomes[2].threadId > 0);
    assert.ok(!outcomes.slice(3).some((o) => o.threadId === outcomes[2].threadId));
  });

  it('replaces a worker that died, so a pool of one goes on', async function () {
    const outcomes = await runPool([job(0, { param: 1, exit: true }), job(1, { param: 2 }), job(2, { param: 3 })], { jobModule: fixture('noisy-double-job.ts'), size: 1 });
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [false, true, true],
    );
    assert.notEqual(outcomes[1].threadId, outcomes[0].threadId);
  });

  it('a job module that cannot be loaded fails the whole pool with a clear error', async function () {
    await assert.rejects(runPool([job(0, {})], { jobModule: fixture('no-run-job.ts') }), (e: unknown) => e instanceof SweepPoolError && /does not export a function runJob/.test(e.message));
    await assert.rejects(
      runPool([job(0, {}), job(1, {})], { jobModule: fixture('no-such-module.ts'), size: 2 }),
      (e: unknown) => e instanceof SweepPoolError && /cannot load the job module .*no-such-module\.ts/.test(e.message),
    );
  });

  it('a worker still loading when the jobs are done is not terminated: it leaves once loaded (Node 24 aborts on a termination mid-load)', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-pool-load-'));
    const jobModule = new URL(`${fixture('slow-load-job.ts').href}?dir=${encodeURIComponent(dir)}`);
    // Two jobs, two workers: the fast one runs both while the other still loads.
    const outcomes = await runPool([job(0, { param: 1 }), job(1, { param: 2 })], { jobModule, size: 2 });
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, true],
    );
    assert.equal(new Set(outcomes.map((o) => o.threadId)).size, 1, 'the slow worker ran no job');
    // runPool resolved after both threads ended; the slow one finished loading first.
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('loaded-')).length, 2);
  });

  it('endWorker: an idle worker leaves by itself (exit 0); one that stays past the grace is terminated (exit 1)', async function () {
    const idle = spawnJobWorker(fixture('noisy-double-job.ts'));
    const idleExit = exitOf(idle);
    await new Promise((resolve) => idle.once('message', resolve));
    await endWorker(idle, idleExit, false, 10_000);
    assert.equal(await idleExit, 0);

    const lingering = spawnJobWorker(fixture('lingering-job.ts'));
    const lingeringExit = exitOf(lingering);
    await new Promise((resolve) => lingering.once('message', resolve));
    await endWorker(lingering, lingeringExit, false, 200);
    assert.equal(await lingeringExit, 1);
  });

  it('refuses a bad size and needs no worker for no jobs', async function () {
    await assert.rejects(runPool([job(0, {})], { jobModule: fixture('noisy-double-job.ts'), size: 0 }), SweepPoolError);
    await assert.rejects(runPool([job(0, {})], { jobModule: fixture('noisy-double-job.ts'), size: 1.5 }), SweepPoolError);
    assert.deepEqual(await runPool([], { jobModule: fixture('no-such-module.ts') }), []);
  });
});

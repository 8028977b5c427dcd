import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { SIM_FILE_KEYS, SIM_JOB_MODULE, SIM_SWEEP_HOOKS } from '../../../simulator/sweep/sim-adapter.js';
import { receiveFiles, shipFiles } from '../../../simulator/sweep/queue-files.js';
import { runSweep } from '../../../simulator/sweep/index.js';
import { connectRedis, SweepQueueError } from '../../../simulator/sweep/queue-connection.js';
import { runQueuedSweep } from '../../../simulator/sweep/queue-sweep.js';
import { parseVary } from '../../../simulator/sweep/vary.js';
import { waitFor } from '../../helpers/wait.js';

// A real Redis: .ci/run installs and starts Debian's redis-server; elsewhere
// start one (apt-get install redis-server; redis-server --daemonize yes) or
// point CHAFF_TEST_REDIS at one. Without it this test fails: it does not skip.
const REDIS_URL = process.env.CHAFF_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const WORKER = new URL('./fixtures/queue-worker-process.ts', import.meta.url);

/** A worker process; `lines` collects what it prints. */
function startWorker(queueName: string): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER.pathname, REDIS_URL, queueName], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  return { child, lines };
}

describe('simulator/sweep: a sweep across machines on BullMQ and a real Redis', function () {
  this.timeout(90_000);
  const children: ChildProcess[] = [];

  before(async function () {
    try {
      (await connectRedis(REDIS_URL, 3000)).disconnect();
    } catch (err) {
      throw new Error(`this test needs a Redis server at ${REDIS_URL} (set CHAFF_TEST_REDIS, or: apt-get install redis-server && redis-server --daemonize yes): ${(err as Error).message}`);
    }
  });

  after(function () {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('refuses a URL that is not redis:// and names an unreachable server', async function () {
    await assert.rejects(connectRedis('http://127.0.0.1:6379'), (e: unknown) => e instanceof SweepQueueError && /expected a redis:\/\//.test(e.message));
    await assert.rejects(connectRedis('redis://127.0.0.1:1', 1000), (e: unknown) => e instanceof SweepQueueError && /cannot reach Redis at redis:\/\/127.0.0.1:1/.test(e.message));
  });

  it('sends the input files a job names through Redis: a worker gets a hash-checked copy, no shared file system', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-queue-files-'));
    const trace = join(dir, 'log.csv');
    writeFileSync(trace, 'sender,recipient,time\na,b,1\nb,c,2\nc,a,3\n');
    const queueName = `chaff-test-${randomBytes(4).toString('hex')}`;
    const jobs = [0, 1].map((index) => ({ index, combination: 0, params: {}, repeat: index, seed: index + 1, config: { model: 'direct', seed: index + 1, workload: { kind: 'trace', path: trace } } }));
    const redis = await connectRedis(REDIS_URL);
    try {
      const shipped = await shipFiles(redis, queueName, jobs, SIM_FILE_KEYS, 60);
      assert.equal(shipped.stored.length, 1, 'one file, stored once');
      assert.match(shipped.perJob[0]['workload.path'], /^[0-9a-f]{64}\.csv$/);
      rmSync(trace);
      const cache = join(dir, 'cache');
      const received = await receiveFiles(redis, queueName, jobs[1], shipped.perJob[1], cache);
      const local = (received.config.workload as { path: string }).path;
      assert.equal(local, join(cache, shipped.perJob[1]['workload.path']));
      assert.equal(readFileSync(local, 'utf8'), 'sender,recipient,time\na,b,1\nb,c,2\nc,a,3\n');
      assert.equal((jobs[1].config.workload as { path: string }).path, trace, 'the queued job itself is left as it was');
      await redis.del(...shipped.stored);
      await assert.rejects(receiveFiles(redis, queueName, jobs[0], shipped.perJob[0], join(dir, 'other-cache')), /no longer in Redis/);
    } finally {
      redis.disconnect();
    }
  });

  it('two workers, one killed mid-job: no job is lost, and the statistics are those of a local sweep with the same seeds', async function () {
    const queueName = `chaff-test-${randomBytes(4).toString('hex')}`;
    const plan = {
      baseConfig: { model: 'threshold', recipients: 300, batch: 10, friends: 3, seeds: 2, seed: 7 },
      axes: parseVary(['batch=10,20,40']),
      repeat: 2,
      ...SIM_SWEEP_HOOKS,
    };
    const a = startWorker(queueName);
    const b = startWorker(queueName);
    children.push(a.child, b.child);
    // The local sweep of the same plan, while the workers load.
    const local = await runSweep({ ...plan, jobModule: SIM_JOB_MODULE, workers: 1, progress: null });
    await waitFor('both workers ready', () => a.lines.some((l) => l.startsWith('ready')) && b.lines.some((l) => l.startsWith('ready')), { timeoutMs: 60_000 });

    const queued = runQueuedSweep({ ...plan, url: REDIS_URL, queueName, progress: null, pollMs: 100 });
    // Kill worker a while it holds a job (the job pauses 1.2 s before it runs).
    await waitFor('worker a takes a job', () => a.lines.some((l) => /^job \S+: \{/.test(l)), { timeoutMs: 30_000 });
    const lost = (a.lines.find((l) => /^job \S+: \{/.test(l)) as string).split(':')[0];
    a.child.kill('SIGKILL');
    const result = await queued;

    assert.equal(result.failures.length, 0, JSON.stringify(result.failures));
    assert.equal(result.jobs.length, 6);
    assert.deepEqual(result.metricKeys, local.metricKeys);
    assert.deepEqual(result.combinations, local.combinations);
    assert.deepEqual(
      result.jobs.map((j) => j.result),
      local.jobs.map((j) => j.result),
    );
    // The job worker a held when it died was finished by worker b.
    assert.ok(!a.lines.some((l) => l.startsWith(`${lost}: done`)), a.lines.join('\n'));
    assert.ok(
      b.lines.some((l) => l.startsWith(`${lost}: done`)),
      `${lost} not finished by b:\n${b.lines.join('\n')}`,
    );
    assert.ok(result.workers >= 1 && result.jobs.every((j) => typeof j.worker === 'string'));

    // The sweep's jobs are gone from Redis once collected.
    const redis = await connectRedis(REDIS_URL);
    const queue = new Queue(queueName, { connection: redis });
    const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
    assert.deepEqual(counts, { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 });
    b.child.kill('SIGTERM');
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });
});

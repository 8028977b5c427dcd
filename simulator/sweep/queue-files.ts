// The input files a queued sweep's jobs name (a trace, a CSV graph) travel
// with the sweep through Redis, so a worker on another machine needs no
// shared file system. The sweep stores each file once, under its SHA-256,
// and tells each job which configuration keys name which file; a worker
// fetches a file it does not have yet into a cache directory, checks its
// hash, and points the job's configuration at the copy. The sweep deletes
// the files from Redis once its jobs are collected.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { getKey, setKey, type SweepJob } from './jobs.js';
import { SweepQueueError } from './queue-connection.js';

/** Most bytes one input file may have (Redis strings stop at 512 MiB; a sweep's inputs are far smaller). */
export const MAX_QUEUED_FILE_BYTES = 256 * 1024 * 1024;

/** The Redis key of a file's content on `queueName`. */
export function fileKey(queueName: string, sha256: string): string {
  return `${queueName}:file:${sha256}`;
}

/**
 * Stores the files the jobs name at `fileKeys` (dotted configuration keys,
 * e.g. workload.path) for `expireS` seconds at most, and returns, per job, which key names which file
 * (key → "sha256.ext"), and the Redis keys written.
 */
export async function shipFiles(
  redis: Redis,
  queueName: string,
  jobs: readonly SweepJob[],
  fileKeys: readonly string[],
  expireS: number,
): Promise<{ perJob: Array<Record<string, string>>; stored: string[] }> {
  const byPath = new Map<string, string>();
  const stored = new Set<string>();
  const perJob: Array<Record<string, string>> = [];
  for (const job of jobs) {
    const files: Record<string, string> = {};
    for (const key of fileKeys) {
      const path = getKey(job.config, key);
      if (typeof path !== 'string' || path === '') continue;
      let name = byPath.get(path);
      if (name === undefined) {
        let content: Buffer;
        try {
          content = readFileSync(path);
        } catch (err) {
          throw new SweepQueueError(`${key} = ${JSON.stringify(path)}: cannot read the file to send it to the workers (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        if (content.length > MAX_QUEUED_FILE_BYTES) throw new SweepQueueError(`${key} = ${JSON.stringify(path)}: ${content.length} bytes, more than ${MAX_QUEUED_FILE_BYTES} to send through Redis`);
        const sha = createHash('sha256').update(content).digest('hex');
        name = `${sha}${extname(path)}`;
        byPath.set(path, name);
        const redisKey = fileKey(queueName, sha);
        if (!stored.has(redisKey)) {
          // Deleted when the sweep ends; the expiry covers a sweep that is stopped.
          await redis.set(redisKey, content, 'EX', expireS);
          stored.add(redisKey);
        }
      }
      files[key] = name;
    }
    perJob.push(files);
  }
  return { perJob, stored: [...stored] };
}

/** The worker's side: `job` with each shipped file's key pointing at a local, hash-checked copy (fetched once per worker). */
export async function receiveFiles(
  redis: Redis,
  queueName: string,
  job: SweepJob,
  files: Readonly<Record<string, string>> | undefined,
  cacheDir = join(tmpdir(), 'chaff-sim-sweep-files'),
): Promise<SweepJob> {
  if (!files || Object.keys(files).length === 0) return job;
  const config = structuredClone(job.config);
  for (const [key, name] of Object.entries(files)) {
    const sha = name.slice(0, 64);
    if (!/^[0-9a-f]{64}(\.[A-Za-z0-9]{1,10})?$/.test(name)) throw new SweepQueueError(`job ${job.index}: a shipped file is named ${JSON.stringify(name)}, not sha256[.ext]`);
    const local = join(cacheDir, name);
    if (!existsSync(local)) {
      const content = await redis.getBuffer(fileKey(queueName, sha));
      if (content === null) throw new SweepQueueError(`job ${job.index}: the file for ${key} is no longer in Redis (its sweep has ended?)`);
      if (createHash('sha256').update(content).digest('hex') !== sha) throw new SweepQueueError(`job ${job.index}: the file for ${key} does not match its SHA-256`);
      mkdirSync(cacheDir, { recursive: true });
      // Written whole, then renamed: a job running at the same time never reads half a file.
      const partial = `${local}.${process.pid}.partial`;
      writeFileSync(partial, content);
      renameSync(partial, local);
    }
    setKey(config, key, local);
  }
  return { ...job, config };
}

// What the client itself costs the machine it runs on (issue 12), on a whole
// test network of real processes (test/helpers/chat.ts) at the network's
// default rates:
//
//   client.startup  the round trip of a CLI command, `chaff client status`
//                   against a running daemon, as a user types it: bin/chaff.js
//                   running the prebuilt bundle (dist/, `npm run build`, which
//                   this benchmark runs first) and running the sources through
//                   tsx (CHAFF_FROM_SOURCES=1), against a bare `node -e 0` in
//                   the same run (the floor no command can go below);
//   client.idle     an idle daemon's share of one core and its resident memory
//                   in its steady state (its second minute), against an idle
//                   Node process holding a 1 s timer, measured over the same
//                   minute; and what that comes to per day (CPU time, which is
//                   what a battery pays for beside the radio). The first
//                   minute is reported beside it: it carries one-off work
//                   (V8 compiling hot code, the memory reducer's full
//                   collections about 40 s after start) that a daemon left
//                   running all day does not repeat.
//
// CPU time is read from /proc/<pid>/stat (utime + stime), so other load on
// the machine changes it little; wall times (startup) do move with load.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CLIENT_SETTINGS } from '../client/config.js';
import { median } from '../protocol/stats/quantile.js';
import { sleep, type ChatNetwork } from '../test/helpers/chat.js';
import { CHAFF_JS } from '../testnet/chaff-entry.js';
import { defaultRatesShape, networkDefaults, withChat } from './client.bench.js';
import { round, type Benchmark } from './harness.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());

/** A chat network at the network's default rates and the default mailbox pull interval. */
function withDefaultChat<T>(fn: (chat: ChatNetwork) => Promise<T>): Promise<T> {
  return withChat({ shape: defaultRatesShape(), fetchIntervalMs: DEFAULT_CLIENT_SETTINGS.fetchIntervalMs }, fn);
}

/** The pid of the `chaff client daemon` serving `profileDir` (found in /proc: the test helper keeps its child private). */
function daemonPid(profileDir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('daemon') && args.includes(profileDir)) return Number(entry);
    } catch {
      // The process ended while the list was read.
    }
  }
  throw new Error(`no daemon process for ${profileDir}`);
}

/** /proc/<pid>/stat's fields from the state on (the command name before them may hold spaces). */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds (user + system) of this process's children that ended and were waited for. */
function childrenCpuSeconds(): number {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

function rssMiB(pid: number): number {
  const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return (pages * PAGE_BYTES) / 2 ** 20;
}

// ------------------------------------------------------------------ startup

const STARTUP_RUNS = 11;

interface RunTimes {
  /** Median wall ms. */
  ms: number;
  /** Median CPU ms (user + system; less sensitive to the machine's other load than wall time). */
  cpuMs: number;
}

/** Medians of `node ARGS` over STARTUP_RUNS runs (after one untimed run), each checked to succeed. */
function medianRun(args: string[], env: NodeJS.ProcessEnv = process.env): RunTimes {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i <= STARTUP_RUNS; i++) {
    const c0 = childrenCpuSeconds();
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
    if (i === 0) continue;
    wall.push(ms);
    cpu.push((childrenCpuSeconds() - c0) * 1000);
  }
  return { ms: round(median(wall)), cpuMs: round(median(cpu)) };
}

/** `npm run build`: the bundle in dist/ that bin/chaff.js runs, as an installed `chaff` does (npm's prepare builds it). */
function buildBundle(): void {
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build.ts')], { cwd: ROOT, stdio: 'ignore' });
}

async function startup(): Promise<Record<string, unknown>> {
  buildBundle();
  return withDefaultChat(async (chat) => {
    const status = [CHAFF_JS, 'client', 'status', '--profile', chat.alice.profileDir, '--json'];
    const node = medianRun(['-e', '0']);
    const bundle = medianRun(status);
    const sources = medianRun(status, { ...process.env, CHAFF_FROM_SOURCES: '1' });
    const version = medianRun([CHAFF_JS, '--version']);
    return {
      runs: STARTUP_RUNS,
      command: 'chaff client status --json (a running daemon answers over its socket)',
      node,
      bundle,
      sources,
      versionFromBundle: version,
      // The aim: status answers in under 300 ms.
      bundleUnder300Ms: bundle.ms < 300,
      sourcesOverBundle: { wall: round(sources.ms / bundle.ms), cpu: round(sources.cpuMs / bundle.cpuMs) },
      bundleOverNode: { wall: round(bundle.ms / node.ms), cpu: round(bundle.cpuMs / node.cpuMs) },
    };
  });
}

// --------------------------------------------------------------------- idle

const IDLE_SETTLE_MS = 10_000;
const IDLE_WINDOW_MS = 60_000;

interface IdleSample {
  name: string;
  cpuShare: number;
  rssMiB: number;
}

/** Each process's CPU share over the next `ms`, and its resident memory at the end. */
async function sampleWindow(processes: ReadonlyArray<{ name: string; pid: number }>, ms: number): Promise<{ seconds: number; samples: IdleSample[] }> {
  const before = processes.map((p) => cpuSeconds(p.pid));
  const t0 = Date.now();
  await sleep(ms);
  const seconds = (Date.now() - t0) / 1000;
  return { seconds, samples: processes.map((p, i) => ({ name: p.name, cpuShare: (cpuSeconds(p.pid) - before[i]) / seconds, rssMiB: rssMiB(p.pid) })) };
}

const meanOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function idle(): Promise<Record<string, unknown>> {
  // The daemons run the bundle, as installed: from stale sources they would run through tsx, whose loader thread alone holds tens of MiB.
  buildBundle();
  return withDefaultChat(async (chat) => {
    await sleep(IDLE_SETTLE_MS);
    const baseline = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const clients = [chat.alice, chat.bob].map((c) => ({ name: c.name, pid: daemonPid(c.profileDir) }));
      const all = [...clients, { name: 'baseline', pid: baseline.pid! }];
      await sleep(1000);
      const first = await sampleWindow(all, IDLE_WINDOW_MS);
      const steady = await sampleWindow(all, IDLE_WINDOW_MS);
      const daemons = steady.samples.slice(0, clients.length);
      const node = steady.samples[steady.samples.length - 1];
      const cpuShare = meanOf(daemons.map((d) => d.cpuShare));
      const firstMinuteShare = meanOf(first.samples.slice(0, clients.length).map((d) => d.cpuShare));
      const rss = meanOf(daemons.map((d) => d.rssMiB));
      const seconds = steady.seconds;
      const d = networkDefaults();
      return {
        rates: { lambdaP: d.lambdaP, lambdaL: d.lambdaL, lambdaD: d.lambdaD, fetchIntervalMs: DEFAULT_CLIENT_SETTINGS.fetchIntervalMs },
        windowSeconds: round(seconds),
        perDaemon: daemons.map((m) => ({ client: m.name, cpuPercent: round(100 * m.cpuShare, 2), rssMiB: round(m.rssMiB, 1) })),
        cpuPercent: round(100 * cpuShare, 2),
        cpuPercentFirstMinute: round(100 * firstMinuteShare, 2),
        rssMiB: round(rss, 1),
        cpuSecondsPerDay: round(cpuShare * 86_400, 0),
        baselineNode: { cpuPercent: round(100 * node.cpuShare, 3), rssMiB: round(node.rssMiB, 1) },
        // The aims: under 1 % of a core and 120 MB.
        cpuOverAim: round(cpuShare / 0.01),
        rssOverAim: round((rss * 2 ** 20) / 120e6),
        rssOverBaseline: round(rss / node.rssMiB),
      };
    } finally {
      baseline.kill();
    }
  });
}

export const benchmarks: Benchmark[] = [
  {
    name: 'client.startup',
    description: 'ms for `chaff client status` against a running daemon, from the prebuilt bundle and from the sources through tsx, against a bare `node -e 0`',
    run: startup,
  },
  {
    name: 'client.idle',
    description: "an idle daemon's share of a core and resident memory in its second minute (its first minute beside it) at the network's default rates, against an idle Node process",
    run: idle,
  },
];

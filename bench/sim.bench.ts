// The simulator at scale (issue 13, "Speed and scale"):
//
// sim.events  the engine's events per second on one thread: the classic
//             "hold" workload of priority-queue studies (Jones, "An
//             empirical comparison of priority-queue and event-set
//             implementations", CACM 1986): PENDING events queued (and
//             SMALL_PENDING, a queue that fits in the caches), each
//             event, when run, schedules one more an exponential time
//             later, so the queue keeps its size while time moves on. The
//             engine runs them through VirtualClock.schedule (a long-lived
//             handler and a number, as the loopix model schedules packet
//             hops) and through VirtualClock.at (a closure and a handle per
//             event, as ClientStreams does). Baseline in the same run: the
//             same workload on protocol/util/min-heap.ts, the generic
//             binary heap the engine used before; `ratio` = engine /
//             baseline. The increments come from a precomputed table, so
//             the figure is the queue's and the clock's, not the random
//             generator's. Rates are per CPU second of this process
//             (the engine's own speed on a shared machine); the wall rate
//             and the 1-minute load average before and after are beside
//             them.
// sim.scale   the loopix model at Chaff's production defaults, every attack
//             and metric, one seed, each run in its own process
//             (bench/sim-scale-child.ts) so its peak memory is its own:
//             wall time and peak RSS at the headline size, and how both
//             grow with users (at a fixed duration) and with simulated
//             time (at a fixed number of users), as the slope of log(cost)
//             against log(size) fitted by least squares over 3 points (1 =
//             linear). The default sizes keep `npm run bench` to a minute
//             or two; `npm run bench -- sim.scale --full` measures the
//             issue's headline, 10,000 users for one simulated hour.

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MinHeap } from '../protocol/util/min-heap.js';
import { VirtualClock } from '../simulator/engine/virtual-clock.js';
import { seededUniform } from '../simulator/random.js';
import { round, type Benchmark, type BenchOptions } from './harness.js';

/** The order of what a 10,000-user loopix run keeps queued (about 150,000: packets held at nodes, every client's three stream timers). */
const PENDING = 100_000;
/** A 1,000-user run's queue, which fits in the caches. */
const SMALL_PENDING = 10_000;
const WARMUP_EVENTS = 1_000_000;
const TIMED_EVENTS = 5_000_000;
const REPEATS = 3;
/** Exponential increments (mean 1 s), cycled. */
const INCREMENTS = (() => {
  const uniform = seededUniform(13);
  return Float64Array.from({ length: 1 << 16 }, () => -Math.log(1 - uniform()) * 1000);
})();
const MASK = INCREMENTS.length - 1;

/**
 * A timed span's CPU seconds (user + system, all of this process's threads,
 * so GC helper threads count against the engine) and wall seconds. On a
 * machine shared with other work the CPU time is the engine's own speed;
 * the wall time is reported beside it with the load it ran under.
 */
interface Span {
  cpu: number;
  wall: number;
}

function timeSpan(f: () => void): Span {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  f();
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1e6, wall: Number(process.hrtime.bigint() - wall) / 1e9 };
}

/** Timed events through VirtualClock.schedule, with `pending` events queued. */
function scheduleRate(pending = PENDING): Span {
  const clock = new VirtualClock(0);
  let i = 0;
  const handler = {
    fire(arg: number): void {
      clock.schedule(clock.now() + INCREMENTS[i++ & MASK], handler, arg);
    },
  };
  for (let k = 0; k < pending; k++) clock.schedule(INCREMENTS[i++ & MASK], handler, k);
  clock.run(Infinity, WARMUP_EVENTS);
  return timeSpan(() => clock.run(Infinity, TIMED_EVENTS));
}

/** Timed events through VirtualClock.at (a closure per event). */
function closureRate(): Span {
  const clock = new VirtualClock(0);
  let i = 0;
  const tick = (): void => {
    clock.at(clock.now() + INCREMENTS[i++ & MASK], tick);
  };
  for (let k = 0; k < PENDING; k++) clock.at(INCREMENTS[i++ & MASK], tick);
  clock.run(Infinity, WARMUP_EVENTS);
  return timeSpan(() => clock.run(Infinity, TIMED_EVENTS));
}

/** The same workload on the generic binary heap of closures (the engine's queue before). */
function baselineRate(): Span {
  const heap = new MinHeap<() => void>();
  let now = 0;
  let i = 0;
  const tick = (): void => {
    heap.push(now + INCREMENTS[i++ & MASK], tick);
  };
  for (let k = 0; k < PENDING; k++) heap.push(INCREMENTS[i++ & MASK], tick);
  const runEvents = (n: number): void => {
    for (let e = 0; e < n; e++) {
      now = heap.peekKey()!;
      heap.pop()!();
    }
  };
  runEvents(WARMUP_EVENTS);
  return timeSpan(() => runEvents(TIMED_EVENTS));
}

/** The fastest of REPEATS runs, as events per CPU second and per wall second. */
function best(f: () => Span): { cpu: number; wall: number } {
  const spans = Array.from({ length: REPEATS }, f);
  return { cpu: TIMED_EVENTS / Math.min(...spans.map((x) => x.cpu)), wall: TIMED_EVENTS / Math.min(...spans.map((x) => x.wall)) };
}

const loadAverage = (): number => round(loadavg()[0]);

const CHILD = fileURLToPath(new URL('./sim-scale-child.ts', import.meta.url));

interface ScaleRun {
  users: number;
  durationS: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  counts: Record<string, number>;
  gsdaLinkageAuc: number | null;
  entropyBits: number;
}

function measure(users: number, durationS: number): ScaleRun {
  const out = spawnSync(process.execPath, ['--import', 'tsx', CHILD, String(users), String(durationS)], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.status !== 0) throw new Error(`sim.scale: the run of ${users} users for ${durationS} s failed (exit ${out.status ?? out.signal})`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as ScaleRun;
}

/** Least-squares slope of log(y) against log(x). */
export function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
  }
  return sxy / sxx;
}

interface ScalePlan {
  headline: { users: number; durationS: number };
  /** Users at `durationS` for the growth in users. */
  users: { sizes: number[]; durationS: number };
  /** Durations at `users` for the growth in simulated time. */
  durations: { sizes: number[]; users: number };
}

const QUICK: ScalePlan = {
  headline: { users: 200, durationS: 240 },
  users: { sizes: [50, 100, 200], durationS: 60 },
  durations: { sizes: [60, 120, 240], users: 100 },
};

const FULL: ScalePlan = {
  headline: { users: 10_000, durationS: 3600 },
  users: { sizes: [1000, 2000, 4000], durationS: 300 },
  durations: { sizes: [300, 600, 1200], users: 1000 },
};

/** wallExponent<what>, cpuExponent<what> and rssExponent<what>: the log-log slopes of wall time, CPU time and peak memory against `sizes`. */
function growth(what: string, sizes: readonly number[], runs: readonly ScaleRun[]): Record<string, number> {
  const slope = (ys: number[]): number => round(logLogSlope(sizes, ys));
  return {
    [`wallExponent${what}`]: slope(runs.map((r) => r.wallSeconds)),
    [`cpuExponent${what}`]: slope(runs.map((r) => r.cpuSeconds)),
    [`rssExponent${what}`]: slope(runs.map((r) => r.peakRssMiB)),
  };
}

function scale(plan: ScalePlan): Record<string, unknown> {
  const brief = (r: ScaleRun) => ({ users: r.users, durationS: r.durationS, wallSeconds: round(r.wallSeconds), cpuSeconds: round(r.cpuSeconds), peakRssMiB: round(r.peakRssMiB, 0) });
  const loadBefore = loadAverage();
  const byUsers = plan.users.sizes.map((u) => measure(u, plan.users.durationS));
  const byTime = plan.durations.sizes.map((d) => measure(plan.durations.users, d));
  const headline = measure(plan.headline.users, plan.headline.durationS);
  return {
    users: headline.users,
    durationS: headline.durationS,
    wallSeconds: round(headline.wallSeconds),
    cpuSeconds: round(headline.cpuSeconds),
    peakRssMiB: round(headline.peakRssMiB, 0),
    counts: headline.counts,
    ...growth('Users', plan.users.sizes, byUsers),
    ...growth('Time', plan.durations.sizes, byTime),
    byUsers: byUsers.map(brief),
    byTime: byTime.map(brief),
    load: [loadBefore, loadAverage()],
  };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'sim.events',
    description: `simulator engine: events per second on one thread, hold workload with ${PENDING} pending events (baseline: the generic binary heap)`,
    async run() {
      const loadBefore = loadAverage();
      const engine = best(() => scheduleRate(PENDING));
      const small = best(() => scheduleRate(SMALL_PENDING));
      const closures = best(closureRate);
      const baseline = best(baselineRate);
      return {
        pending: PENDING,
        eventsPerSecond: Math.round(engine.cpu),
        smallPending: SMALL_PENDING,
        smallEventsPerSecond: Math.round(small.cpu),
        closureEventsPerSecond: Math.round(closures.cpu),
        baselineEventsPerSecond: Math.round(baseline.cpu),
        ratio: round(engine.cpu / baseline.cpu),
        closureRatio: round(closures.cpu / baseline.cpu),
        wallEventsPerSecond: Math.round(engine.wall),
        load: [loadBefore, loadAverage()],
      };
    },
  },
  {
    name: 'sim.scale',
    description: 'loopix at production defaults, every attack and metric: wall time and peak memory, and their growth with users and simulated time (--full: 10,000 users, one hour)',
    async run(options: BenchOptions) {
      return scale(options.full ? FULL : QUICK);
    },
  },
];

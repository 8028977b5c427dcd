// `chaff sim run|sweep|attack`: the leakage simulator's actions
// (docs/simulator.md); their command line is cli/commands/sim.ts.

import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { loadSimConfig, resolveConfigPaths, SimConfigError } from '../simulator/config.js';
import { MODEL_UNITS } from '../simulator/models/units.js';
import { runSimulation, writeResults, type SimResults } from '../simulator/run.js';
import { loadSimSweepBase, SIM_FILE_KEYS, SIM_JOB_MODULE, SIM_SWEEP_HOOKS, SIM_UNITS } from '../simulator/sweep/sim-adapter.js';
import { formatDuration, parseVary, runSweep, SweepPlanError, SweepPoolError, VaryError, writeSweep, type ErrorBars } from '../simulator/sweep/index.js';
import { DEFAULT_QUEUE_NAME, SweepQueueError } from '../simulator/sweep/queue-connection.js';
import { runQueuedSweep } from '../simulator/sweep/queue-sweep.js';
import { SweepQueueWorker } from '../simulator/sweep/queue-worker.js';
import { ACTIVITY_SOURCES, attackTrace, DEFAULT_WINDOW_S, gatewayName, TraceAttackError, type ActivitySource } from '../simulator/trace/attack.js';
import { readTraces, TraceReadError } from '../simulator/trace/read.js';
import { describeTraceResults, writeTraceResults } from '../simulator/trace/report.js';

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(digits))) : '–';
}

/** A few lines for the terminal; everything is in results.json. */
export function describeResults(results: SimResults): string {
  switch (results.model) {
    case 'threshold': {
      const r = results.metrics.roundsToDisclosure;
      return (
        `threshold: N=${results.parameters.recipients} b=${results.parameters.batch} m=${results.parameters.friends}\n` +
        `rounds to disclosure: median ${r.median}, mean ${r.mean.toFixed(1)}, p10 ${r.p10.toFixed(1)}, p90 ${r.p90.toFixed(1)}` +
        (r.undisclosed ? `, ${r.undisclosed} runs not disclosed within ${results.parameters.maxRounds} rounds` : '') +
        `\nDanezis 2003 estimate: ${results.metrics.danezisBound.l2.toFixed(0)} (l=2), ${results.metrics.danezisBound.l3.toFixed(0)} (l=3)\n`
      );
    }
    case 'population': {
      const l = results.metrics.lsda;
      return (
        `population: U=${results.parameters.users} b=${results.parameters.batch} m=${results.parameters.friends}\n` +
        `LSDA profile error: ${l.curve.map((c) => `${c.rounds} rounds ${c.mse.toExponential(2)}`).join(', ')}\n` +
        `log-log slope ${l.logLogSlope.toFixed(2)} (1/rounds is −1)\n`
      );
    }
    case 'pool': {
      const p = results.parameters;
      const r = results.metrics.roundsToDisclosure;
      const a = results.metrics.anonymity;
      return (
        `pool (${p.mix}): N=${p.recipients} b=${p.batch} f=${p.pool} m=${p.friends} p_t=${p.targetProbability}\n` +
        `rounds to disclosure: median ${fmt(r.median, 4)}, p10 ${fmt(r.p10, 4)}, p90 ${fmt(r.p90, 4)}` +
        (r.undisclosed ? `, ${r.undisclosed} runs not disclosed within ${p.maxRounds} rounds` : '') +
        `\nper-message entropy ${fmt(a.entropyBits)} bits (2^H ≈ ${fmt(a.effectiveSetSize)} of ${p.senders} senders); rounds in the mix: mean ${fmt(results.metrics.latencyRounds.mean)}, p99 ${fmt(results.metrics.latencyRounds.p99)}\n`
      );
    }
    case 'loopix':
    case 'direct': {
      const m = results.metrics;
      const rec = (key: 'auc' | 'linkageAuc') =>
        Object.entries(m.recovery)
          .map(([name, x]) => `${name} ${fmt(x[key])}`)
          .join(', ');
      const lines = [
        `${results.model}: ${results.counts.users} users, ${fmt(results.counts.messages, 4)} messages per run, ${results.parameters.durationS} s observed`,
        `ROC AUC at the end: ${rec('auc')}`,
        `linkage AUC (per recipient; 0.5 = no link found): ${rec('linkageAuc')}`,
      ];
      if (m.presence) {
        const groups = Object.entries(m.presence.linkageAuc)
          .map(([name, g]) => `${name} ${fmt(g.partTime)}/${fmt(g.alwaysOnline)}`)
          .join(', ');
        lines.push(`presence: links up ${fmt(100 * m.presence.onlineShare)} % of the time; linkage of part-time/always-online users: ${groups}`);
      }
      if (results.model === 'loopix') {
        lines.push(
          `per-message entropy ${fmt(m.anonymity.entropyBits.mean)} bits (2^H ≈ ${fmt(m.anonymity.effectiveSetSize)} of ${results.counts.users}); ε median ${fmt(m.anonymity.epsilon.median)}`,
          `latency ms: delivery mean ${fmt(m.latencyMs.delivery.mean)}, p99 ${fmt(m.latencyMs.delivery.p99)}; read mean ${fmt(m.latencyMs.read.mean)}`,
          `traffic per user: ${fmt(m.traffic.packetsPerUserPerSecond)} packets/s, ${fmt(m.traffic.bytesPerUserPerSecond / 1000)} kB/s up, ${fmt(m.traffic.pullBytesPerUserPerSecond / 1000)} kB/s pulls; real share ${fmt(m.traffic.realShare)}`,
        );
      }
      return `${lines.join('\n')}\n`;
    }
  }
}

/** `chaff sim run`. */
export async function runSim(config: string, out: string): Promise<number> {
  return reportingSimErrors(async () => {
    const parsed = loadSimConfig(config);
    const started = process.hrtime.bigint();
    const results = runSimulation(parsed);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const files = await writeResults(results, out);
    process.stdout.write(`${describeResults(results)}${results.seeds} seeds in ${seconds.toFixed(2)} s\nwrote ${files.join(', ')}\n`);
    return 0;
  });
}

export interface SweepOptions {
  config: string;
  out: string;
  vary: string[];
  repeat: string | undefined;
  workers: string | undefined;
  errorBars: string | undefined;
  /** redis:// URL: enqueue the jobs for `chaff sim worker`s instead of running them here. */
  queue?: string;
  queueName?: string;
}

/** `chaff sim sweep`. */
export async function sweepSim({ config, out, vary, repeat: repeatText, workers: workersText, errorBars: errorBarsText, queue, queueName }: SweepOptions): Promise<number> {
  return reportingSimErrors(async () => {
    const whole = (what: string, text: string | undefined, fallback: number | undefined): number | undefined => {
      if (text === undefined) return fallback;
      const n = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new SweepPlanError(`${what} ${JSON.stringify(text)}: expected a whole number ≥ 1`);
      return n;
    };
    const repeat = whole('--repeat', repeatText, 1) as number;
    const workers = whole('--workers', workersText, undefined);
    if (errorBarsText !== undefined && errorBarsText !== 'stddev' && errorBarsText !== 'p10-p90') throw new SweepPlanError(`--error-bars ${JSON.stringify(errorBarsText)}: expected stddev or p10-p90`);
    const axes = parseVary(vary);
    const base = resolveConfigPaths(loadSimSweepBase(config), dirname(resolve(config)));
    if (queue !== undefined && workers !== undefined) throw new SweepPlanError('--workers and --queue: with a queue, the workers are the `chaff sim worker` processes');
    const result =
      queue === undefined
        ? await runSweep({ baseConfig: base, axes, repeat, workers, jobModule: SIM_JOB_MODULE, ...SIM_SWEEP_HOOKS })
        : await runQueuedSweep({ baseConfig: base, axes, repeat, url: queue, queueName, fileKeys: SIM_FILE_KEYS, ...SIM_SWEEP_HOOKS });
    const files = await writeSweep(out, result, { units: { ...SIM_UNITS, ...MODEL_UNITS }, configFile: config, errorBars: errorBarsText as ErrorBars | undefined });
    process.stdout.write(
      `${result.jobs.length} jobs (${result.combinations.length} combinations × ${repeat} repeats) on ${result.workers} ${queue === undefined ? 'workers' : 'queue workers'} in ${formatDuration(result.elapsedMs)}` +
        `${result.failures.length ? `; ${result.failures.length} FAILED (see index.html)` : ''}\nwrote ${files.length} files into ${out} (open ${out}/index.html)\n`,
    );
    for (const f of result.failures.slice(0, 5))
      process.stderr.write(`chaff sim sweep: job ${f.index} (${JSON.stringify(f.params)}, repeat ${f.repeat}) failed: ${f.error.name}: ${f.error.message}\n`);
    return result.failures.length ? 1 : 0;
  });
}

/** A bad configuration or sweep plan: one line, exit status 2. */
async function reportingSimErrors(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SimConfigError || err instanceof VaryError || err instanceof SweepPlanError || err instanceof SweepPoolError || err instanceof SweepQueueError) {
      process.stderr.write(`chaff sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export interface WorkerOptions {
  queue: string;
  queueName?: string;
  concurrency?: string;
}

/** `chaff sim worker`: runs queued sweep jobs until SIGINT or SIGTERM, then finishes the jobs in hand. */
export async function workerSim({ queue, queueName, concurrency: concurrencyText }: WorkerOptions): Promise<number> {
  return reportingSimErrors(async () => {
    const concurrency = concurrencyText === undefined ? availableParallelism() : Number(concurrencyText);
    if (concurrencyText !== undefined && (!/^\d+$/.test(concurrencyText) || concurrency < 1 || concurrency > 256))
      throw new SweepPlanError(`--concurrency ${JSON.stringify(concurrencyText)}: expected a whole number from 1 to 256`);
    const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    const worker = new SweepQueueWorker({ url: queue, queueName, concurrency, jobModule: SIM_JOB_MODULE, log });
    await worker.start();
    log(`chaff sim worker ${worker.name}: taking jobs from ${queueName ?? DEFAULT_QUEUE_NAME} at ${queue}, ${concurrency} at a time (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log('stopping: finishing the jobs in hand');
    await worker.stop();
    const { completed, failed } = worker.counts;
    log(`stopped after ${completed} jobs done, ${failed} failed`);
    return 0;
  });
}

export interface AttackOptions {
  trace?: string[];
  truth?: string[];
  corrupt?: string[];
  out?: string;
  window?: string;
  activity?: string;
  curvePoints?: string;
}

/** `chaff sim attack`. */
export async function attackSim(options: AttackOptions): Promise<number> {
  const missing = !options.trace?.length ? 'missing --trace PATH' : !options.out ? 'missing --out DIR' : null;
  if (missing) {
    process.stderr.write(`chaff sim attack: ${missing} (usage: chaff sim --help)\n`);
    return 2;
  }
  const args = { ...options, trace: options.trace as string[], truth: options.truth ?? [], out: options.out as string };
  const fail = (message: string): number => {
    process.stderr.write(`chaff sim attack: ${message}\n`);
    return 2;
  };
  const windowS = args.window === undefined ? DEFAULT_WINDOW_S : Number(args.window);
  if (args.window !== undefined && (!/^\d*\.?\d+(e[+-]?\d+)?$/i.test(args.window) || !(windowS > 0) || !Number.isFinite(windowS)))
    return fail(`--window ${JSON.stringify(args.window)}: expected a number of seconds above 0`);
  const curvePoints = args.curvePoints === undefined ? undefined : Number(args.curvePoints);
  if (args.curvePoints !== undefined && (!/^\d+$/.test(args.curvePoints) || !Number.isSafeInteger(curvePoints) || (curvePoints as number) < 1))
    return fail(`--curve-points ${JSON.stringify(args.curvePoints)}: expected a whole number ≥ 1`);
  if (args.activity !== undefined && !(ACTIVITY_SOURCES as readonly string[]).includes(args.activity))
    return fail(`--activity ${JSON.stringify(args.activity)}: expected ${ACTIVITY_SOURCES.join(' or ')}`);
  try {
    const set = readTraces([...args.trace, ...args.truth]);
    let corruptFiles: number[] | undefined;
    if (args.corrupt) {
      corruptFiles = [];
      for (const name of args.corrupt) {
        const wanted = name.replace(/\.jsonl$/, '').replace(/^.*[\\/]/, '');
        const i = set.files.findIndex((f) => f.role === 'observer' && (gatewayName(f) === wanted || gatewayName(f) === `observer-${wanted}`));
        if (i < 0)
          return fail(
            `--corrupt ${JSON.stringify(name)}: no gateway trace of that name; traced gateways: ${
              set.files
                .filter((f) => f.role === 'observer')
                .map(gatewayName)
                .join(', ') || 'none'
            }`,
          );
        corruptFiles.push(i);
      }
    }
    const results = attackTrace(set, { windowS, curvePoints, corruptFiles, activity: args.activity as ActivitySource | undefined });
    const files = await writeTraceResults(results, args.out);
    process.stdout.write(`${describeTraceResults(results)}wrote ${files.length} files into ${args.out} (open ${args.out}/index.html)\n`);
    return 0;
  } catch (err) {
    if (err instanceof TraceReadError || err instanceof TraceAttackError) return fail(err.message);
    throw err;
  }
}

// `chaff sim`: the leakage simulator (docs/simulator.md).

import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSimConfig, MODELS, resolveConfigPaths, SimConfigError } from '../simulator/config.js';
import { MODEL_UNITS } from '../simulator/models/units.js';
import { runSimulation, writeResults, type SimResults } from '../simulator/run.js';
import { loadSimSweepBase, SIM_JOB_MODULE, SIM_SWEEP_HOOKS, SIM_UNITS } from '../simulator/sweep/sim-adapter.js';
import { formatDuration, parseVary, runSweep, SweepPlanError, SweepPoolError, VaryError, writeSweep, type ErrorBars } from '../simulator/sweep/index.js';

const USAGE = `usage: chaff sim run --config FILE --out DIR
       chaff sim sweep --config FILE --vary KEY=V1,V2,… [--vary …] [--repeat R]
                       --out DIR [--workers N] [--error-bars stddev|p10-p90]

run    runs the simulation described by FILE (TOML) and writes results.json,
       CSV tables, SVG plots and index.html into DIR.
sweep  runs FILE once per combination of the varied values (several --vary
       make a cartesian product), R times each with its own seeds (default
       1), on N worker threads (default: one per core), and writes
       sweep.json, sweep.csv, jobs.csv, one plot per metric against the
       first varied key, and index.html into DIR.

Models in this build: ${MODELS.join(', ')}. Presets: simulator/presets/*.toml.
See docs/simulator.md.
`;

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

async function runCommand(config: string, out: string): Promise<number> {
  const parsed = loadSimConfig(config);
  const started = process.hrtime.bigint();
  const results = runSimulation(parsed);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const files = await writeResults(results, out);
  process.stdout.write(`${describeResults(results)}${results.seeds} seeds in ${seconds.toFixed(2)} s\nwrote ${files.join(', ')}\n`);
  return 0;
}

async function sweepCommand(config: string, out: string, vary: string[], repeatText: string | undefined, workersText: string | undefined, errorBarsText: string | undefined): Promise<number> {
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
  const result = await runSweep({ baseConfig: base, axes, repeat, workers, jobModule: SIM_JOB_MODULE, ...SIM_SWEEP_HOOKS });
  const files = await writeSweep(out, result, { units: { ...SIM_UNITS, ...MODEL_UNITS }, configFile: config, errorBars: errorBarsText as ErrorBars | undefined });
  process.stdout.write(
    `${result.jobs.length} jobs (${result.combinations.length} combinations × ${repeat} repeats) on ${result.workers} workers in ${formatDuration(result.elapsedMs)}` +
      `${result.failures.length ? `; ${result.failures.length} FAILED (see index.html)` : ''}\nwrote ${files.length} files into ${out} (open ${out}/index.html)\n`,
  );
  for (const f of result.failures.slice(0, 5)) process.stderr.write(`chaff sim sweep: job ${f.index} (${JSON.stringify(f.params)}, repeat ${f.repeat}) failed: ${f.error.name}: ${f.error.message}\n`);
  return result.failures.length ? 1 : 0;
}

export async function simCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        out: { type: 'string' },
        vary: { type: 'string', multiple: true },
        repeat: { type: 'string' },
        workers: { type: 'string' },
        'error-bars': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`chaff sim: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [sub] = parsed.positionals;
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const sweepOnly = v.vary !== undefined || v.repeat !== undefined || v.workers !== undefined || v['error-bars'] !== undefined;
  const ok = parsed.positionals.length === 1 && v.config && v.out && (sub === 'sweep' || (sub === 'run' && !sweepOnly));
  if (!ok) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    if (sub === 'run') return await runCommand(v.config as string, v.out as string);
    return await sweepCommand(v.config as string, v.out as string, v.vary ?? [], v.repeat, v.workers, v['error-bars']);
  } catch (err) {
    if (err instanceof SimConfigError || err instanceof VaryError || err instanceof SweepPlanError || err instanceof SweepPoolError) {
      process.stderr.write(`chaff sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

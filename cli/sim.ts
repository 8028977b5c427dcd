// `chaff sim`: the leakage simulator (docs/simulator.md).

import { parseArgs } from 'node:util';
import { loadSimConfig, MODELS, SimConfigError } from '../simulator/config.js';
import { runSimulation, writeResults } from '../simulator/run.js';

const USAGE = `usage: chaff sim run --config FILE --out DIR

Runs the simulation described by FILE (TOML) and writes results.json and
runs.csv into DIR. Models in this build: ${MODELS.join(', ')} (docs/simulator.md).
`;

export async function simCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`chaff sim: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [sub] = parsed.positionals;
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (sub !== 'run' || !parsed.values.config || !parsed.values.out || parsed.positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    const config = loadSimConfig(parsed.values.config);
    const started = process.hrtime.bigint();
    const results = runSimulation(config);
    const files = writeResults(results, parsed.values.out);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const took = `${results.seeds} seeds in ${seconds.toFixed(2)} s`;
    if (results.model === 'threshold') {
      const r = results.metrics.roundsToDisclosure;
      process.stdout.write(
        `threshold: N=${results.parameters.recipients} b=${results.parameters.batch} m=${results.parameters.friends}, ${took}\n` +
          `rounds to disclosure: median ${r.median}, mean ${r.mean.toFixed(1)}, p10 ${r.p10.toFixed(1)}, p90 ${r.p90.toFixed(1)}` +
          (r.undisclosed ? `, ${r.undisclosed} runs not disclosed within ${results.parameters.maxRounds} rounds` : '') +
          `\nDanezis 2003 estimate: ${results.metrics.danezisBound.l2.toFixed(0)} (l=2), ${results.metrics.danezisBound.l3.toFixed(0)} (l=3)\n`,
      );
    } else {
      const l = results.metrics.lsda;
      process.stdout.write(
        `population: U=${results.parameters.users} b=${results.parameters.batch} m=${results.parameters.friends}, ${took}\n` +
          `LSDA profile error: ${l.curve.map((c) => `${c.rounds} rounds ${c.mse.toExponential(2)}`).join(', ')}\n` +
          `log-log slope ${l.logLogSlope.toFixed(2)} (1/rounds is −1)\n`,
      );
    }
    process.stdout.write(`wrote ${files.join(', ')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof SimConfigError) {
      process.stderr.write(`chaff sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

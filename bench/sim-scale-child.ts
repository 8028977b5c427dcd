// One measured run for the sim.scale benchmark (bench/sim.bench.ts), in a
// process of its own so its peak memory is its own: `node --import tsx
// bench/sim-scale-child.ts USERS DURATION_S [ATTACKS]` runs the loopix
// model at Chaff's production defaults (simulator/models/continuous-config.ts)
// on a Barabási–Albert graph (m = 3), every attack and metric included (or
// only the comma-separated ATTACKS, e.g. `sda,gsda` to leave out lsda's
// U × U solve when measuring a size it does not fit), one seed, and prints
// one JSON line: wall and CPU time, peak RSS, counts.
//
// The configuration is built as `chaff sim run` builds it (defaults filled
// by the one reader), then the graph's size and the duration are set
// directly: the reader's per-run limits guard interactive use, and this
// benchmark exists to measure beyond them.

import { resourceUsage } from 'node:process';
import { ATTACKS, type AttackName } from '../simulator/models/attack-suite.js';
import { readContinuousConfig, type LoopixConfig } from '../simulator/models/continuous-config.js';
import { simConfigReader } from '../simulator/models/config-reader.js';
import { runLoopix } from '../simulator/models/loopix.js';

function main(): void {
  const users = Number(process.argv[2]);
  const durationS = Number(process.argv[3]);
  const attacks = (process.argv[4] ?? ATTACKS.join(',')).split(',') as AttackName[];
  if (!Number.isInteger(users) || users < 3 || !(durationS > 0) || !attacks.every((a) => ATTACKS.includes(a))) {
    process.stderr.write(`usage: sim-scale-child.ts USERS DURATION_S [ATTACKS: a comma-separated subset of ${ATTACKS.join(',')}]\n`);
    process.exitCode = 2;
    return;
  }
  const base = readContinuousConfig(simConfigReader({ model: 'loopix', graph: { kind: 'barabasi-albert', users: 100, m: 3 }, seeds: 1 }), 'loopix') as LoopixConfig;
  const epochS = Math.min(base.epochS, durationS);
  const config: LoopixConfig = {
    ...base,
    graph: { kind: 'barabasi-albert', users, m: 3 },
    durationS,
    epochS,
    attacks,
    curvePoints: Math.min(base.curvePoints, Math.floor(durationS / epochS + 1e-9)),
  };
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const run = runLoopix(config, config.seed);
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  // maxRSS is in KiB (getrusage), the whole process's peak.
  const peakRssMiB = resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ users, durationS, attacks, wallSeconds, cpuSeconds, peakRssMiB, counts: run.counts, gsdaLinkageAuc: run.metrics.recovery.gsda?.linkageAuc ?? null, entropyBits: run.metrics.anonymity.entropyBits.mean })}\n`,
  );
}

main();

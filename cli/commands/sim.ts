// `chaff sim run|sweep|attack`: the leakage simulator's command line; the
// actions are cli/sim.ts (docs/simulator.md).

import { MODELS } from '../../simulator/models/model-names.js';
import { ChaffCommand } from '../command.js';

/** --vary and the attack's lists may be given several times: the values add up. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The models `model = …` may name, and where the presets are. */
const MODELS_TEXT = `models in this build (a configuration's \`model\`): ${MODELS.join(', ')}\npresets: simulator/presets/*.toml`;

export function simProgram(): ChaffCommand {
  const sim = new ChaffCommand('sim')
    .summary('leakage simulations, sweeps, attacks on testnet traces')
    .description('The leakage simulator; the guide is docs/simulator.md.')
    .usage('run|sweep|worker|attack [options]')
    .addHelpText('after', `\n${MODELS_TEXT}`);

  sim
    .command('run')
    .description('run the simulation described by FILE (TOML) and write results.json, CSV tables, SVG plots and index.html into DIR')
    .usage('--config FILE --out DIR')
    .requiredOption('--config <file>', `the simulation (TOML: model = ${MODELS.join(' | ')}; presets in simulator/presets/)`)
    .requiredOption('--out <dir>', 'where the results go')
    .runs(async (cmd) => {
      const o = cmd.opts<{ config: string; out: string }>();
      return (await import('../sim.js')).runSim(o.config, o.out);
    });

  sim
    .command('sweep')
    .description(
      'run FILE once per combination of the varied values (several --vary make a cartesian product), R times each with its own seeds, ' +
        'on N worker threads, and write sweep.json, sweep.csv, jobs.csv, one plot per metric against the first varied key, and index.html into DIR',
    )
    .usage('--config FILE --vary KEY=V1,V2,… [--vary …] [--repeat R] --out DIR [--workers N | --queue URL] [--error-bars stddev|p10-p90]')
    .requiredOption('--config <file>', 'the base simulation (TOML)')
    .option('--vary <key=values>', 'a key and its values, KEY=V1,V2,…; repeat for more keys', collect)
    .requiredOption('--out <dir>', 'where the results go')
    .option('--repeat <r>', 'runs of each combination, each with its own seeds (default 1)')
    .option('--workers <n>', 'worker threads (default: one per core)')
    .option('--error-bars <kind>', 'stddev or p10-p90 (default stddev)')
    .option('--queue <url>', 'put the jobs on a BullMQ queue in Redis (redis://host:port) for `chaff sim worker`s anywhere, and collect their results')
    .option('--queue-name <name>', 'the queue (default chaff-sim-sweep)')
    .runs(async (cmd) => {
      const o = cmd.opts<{ config: string; out: string; vary?: string[]; repeat?: string; workers?: string; errorBars?: string; queue?: string; queueName?: string }>();
      return (await import('../sim.js')).sweepSim({
        config: o.config,
        out: o.out,
        vary: o.vary ?? [],
        repeat: o.repeat,
        workers: o.workers,
        errorBars: o.errorBars,
        queue: o.queue,
        queueName: o.queueName,
      });
    });

  sim
    .command('worker')
    .description(
      'run the jobs of `chaff sim sweep --queue URL` from the queue in Redis, on any number of machines, until Ctrl-C or SIGTERM (then finish the jobs in hand); ' +
        'a worker that dies mid-job loses nothing: another takes its job over. The files a configuration names (a trace, a CSV graph) come through Redis with the jobs',
    )
    .usage('--queue URL [--concurrency N] [--queue-name NAME]')
    .requiredOption('--queue <url>', 'the Redis server, redis://host:port[/db]')
    .option('--concurrency <n>', 'jobs at once (default: one per core)')
    .option('--queue-name <name>', 'the queue (default chaff-sim-sweep)')
    .runs(async (cmd) => (await import('../sim.js')).workerSim(cmd.opts<{ queue: string; queueName?: string; concurrency?: string }>()));

  sim
    .command('attack')
    .description(
      'run the same attacks on traces of a real network (chaff testnet --trace DIR): PATHs are trace files or folders of *.jsonl, ' +
        "gateways' observer traces and clients' truth told apart by their events. Also scores, per user and window, whether the " +
        'SURB-ACKs or the packets tell when a user writes (activity AUC; 0.5 = they do not). Writes results.json, users.csv, ' +
        'edges.csv, curves.csv, SVG plots and index.html into DIR',
    )
    .usage('--trace PATH… [--truth PATH…] --out DIR [--window SECONDS] [--corrupt GATEWAY…] [--activity sends|acks] [--curve-points N]')
    // Variadic: a bare word after --trace, --truth or --corrupt belongs to it, as a shell glob expands (--trace a b).
    .option('--trace <paths...>', 'trace files or folders of *.jsonl (required)')
    .option('--truth <paths...>', "the clients' truth files, if not among the traces")
    .option('--out <dir>', 'where the results go (required)')
    .option('--window <seconds>', 'observation window, s (default 10)')
    .option('--corrupt <gateways...>', 'the gateways (observer file names, e.g. observer-gateway-a) whose deposits the observer sees (default: every gateway traced)')
    .option('--activity <source>', 'acks: count SURB-ACKs instead of packets for users behind a corrupt gateway (default sends)')
    .option('--curve-points <n>', 'points on the curves over time')
    .runs(async (cmd) => (await import('../sim.js')).attackSim(cmd.opts()));

  return sim;
}

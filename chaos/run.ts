// `npm run chaos -- NAME… [--keep]` (docs/chaos.md): runs chaos scenarios
// (chaos/scenarios/) one after the other and prints one JSON summary per
// scenario on stdout (progress on stderr). `all` runs every scenario,
// `--list` lists them. Exit status: 0 if every scenario passed, 1 if one
// failed, 2 if a scenario could not run (e.g. namespaces without root).

import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { cannotRun, runAndSummarise } from './runner.js';
import { SCENARIOS, scenario } from './scenarios/index.js';
import type { Scenario } from './scenario.js';

export async function main(argv: string[], write: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { list: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
  if (values.list || positionals.length === 0) {
    for (const s of SCENARIOS) write(`${s.name.padEnd(22)} ${s.network.padEnd(8)} ${s.description.split('. ')[0]}.\n`);
    if (positionals.length === 0 && !values.list) {
      err('usage: npm run chaos -- NAME… | all [--keep]\n');
      return 2;
    }
    return 0;
  }
  const chosen: Scenario[] = [];
  for (const name of positionals) {
    if (name === 'all') chosen.push(...SCENARIOS);
    else {
      const s = scenario(name);
      if (!s) {
        err(`chaos: no scenario ${JSON.stringify(name)}; --list lists them\n`);
        return 2;
      }
      chosen.push(s);
    }
  }
  for (const s of chosen) {
    const why = cannotRun(s);
    if (why) {
      err(`chaos: ${s.name} cannot run here: ${why}\n`);
      return 2;
    }
  }
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(130);
    err('chaos: interrupted; stopping the scenario and tearing down (Ctrl-C again to leave at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let status = 0;
  try {
    for (const s of chosen) {
      if (abort.signal.aborted) break;
      try {
        const summary = await runAndSummarise(s, { out: (l) => err(`${l}\n`), keep: values.keep, signal: abort.signal });
        write(`${JSON.stringify(summary)}\n`);
        err(`chaos: ${s.name}: ${summary.pass ? 'PASS' : `FAIL (${summary.failures.join('; ')})`}\n`);
        if (!summary.pass) status = 1;
      } catch (e) {
        err(`chaos: ${s.name} could not run: ${(e as Error).stack ?? e}\n`);
        write(`${JSON.stringify({ scenario: s.name, pass: false, failures: [`could not run: ${(e as Error).message}`] })}\n`);
        status = Math.max(status, 1);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return status;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`chaos: ${(e as Error).stack ?? e}\n`);
      process.exit(2);
    },
  );
}

// The `chaff` command line: every sub-command is declared once, with
// commander (https://github.com/tj/commander.js), and its help, its usage
// lines and its errors come from that declaration.
//
// Why commander: it is the de-facto standard parser for Node command lines
// (maintained since 2011, no dependencies, types shipped), and it does
// nested sub-commands (`chaff node admit`, `chaff client contacts add`),
// per-command options and arguments, variadic options (`chaff sim attack
// --trace a b`) and generated help, which node:util's parseArgs does not:
// on parseArgs this CLI had grown five hand-made dispatchers, option tables
// and usage texts kept apart from the code. cli/command.ts holds the few
// conventions set on top (exit statuses, one-line errors, positional options).
//
// The definitions load nothing heavy: each action imports its implementation
// (libp2p, the simulator, the testnet) when it runs, so `chaff client send`
// starts as fast as before.

import { ChaffCommand, EXIT_USAGE } from './command.js';
import { clientProgram } from './client/commands.js';
import { demoProgram } from './commands/demo.js';
import { nodeProgram } from './commands/node.js';
import { simProgram } from './commands/sim.js';
import { sphinxProgram } from './commands/sphinx.js';
import { testnetProgram } from './commands/testnet.js';
import { versionLine } from './version.js';

export function chaffProgram(): ChaffCommand {
  return new ChaffCommand('chaff')
    .usage('<command> [options]')
    .description('Chaff: a metadata-resistant messaging network (docs/)')
    .version(versionLine(), '-V, --version', 'print the version and the format versions it speaks (docs/compatibility.md)')
    .addCommand(demoProgram())
    .addCommand(sphinxProgram())
    .addCommand(simProgram())
    .addCommand(nodeProgram())
    .addCommand(testnetProgram())
    .addCommand(clientProgram());
}

/** Runs `chaff argv…` and returns the exit status (bin/chaff.js sets it). */
export async function main(argv: string[]): Promise<number> {
  const program = chaffProgram();
  // A call without a command is a usage error: the help goes to stderr (--help is the way to ask for it on stdout).
  if (argv.length === 0) {
    process.stderr.write(program.helpInformation());
    return EXIT_USAGE;
  }
  return program.runProgram(argv);
}

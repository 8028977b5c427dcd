// `chaff node …`: a relay's command line. Running the node, its identity and
// invites are cli/node.ts; the authority's admission list is
// cli/node-admission.ts (docs/operators.md).

import { ChaffCommand } from '../command.js';
import type { AdmissionCommand } from '../node-admission.js';

const CONFIG_FLAGS = '--config <file>';
const CONFIG_HELP = "the node's config (TOML, docs/operators.md)";

const AFTER_HELP = `
The config is described in docs/operators.md.

Authorities: the admission list (docs/operators.md §Admitting nodes); the
running authority re-reads it when it changes, no restart needed. IDENTITY
is the 64-hex-digit "identity" that \`chaff node identity\` prints on the
node's machine. A node enters the document only when a majority of the
authorities admit it. A revocation is final (admit --force undoes it).`;

/** The --config given before or after the sub-command's name. */
function configOf(command: ChaffCommand): string {
  const config = command.optsWithGlobals<{ config?: string }>().config;
  return config ?? command.error('--config FILE is required');
}

export function nodeProgram(): ChaffCommand {
  const node = new ChaffCommand('node')
    .summary('run a relay node: authority, mix or gateway')
    .description('Run a relay node (authority, mix or gateway) until SIGINT/SIGTERM, or manage it.')
    .usage('--config node.toml [--trace FILE] | <command> --config FILE [options]')
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .option(
      '--trace <file>',
      '(gateways, test networks only) append what a link observer and this gateway would see to FILE, for `chaff sim attack` (docs/simulator.md §Trace mode). Never on a real network.',
    )
    .addHelpText('after', AFTER_HELP)
    .runs(async (cmd) => (await import('../node.js')).runNodeCommand(configOf(cmd), cmd.opts<{ trace?: string }>().trace));

  node
    .command('init')
    .description("create a node folder: a commented config (every key explained) and the node's identity key; prints the identity to send to the authorities")
    .usage('--role mix|gateway|authority [--dir DIR] [--network network.toml] [--announce IP] [--name NAME] [--listen MULTIADDR] [--metrics HOST:PORT]')
    .option('--role <role>', 'mix, gateway or authority')
    .option('--dir <dir>', 'the node folder to create: DIR/node.toml and DIR/data (default ./chaff-ROLE); an existing non-empty folder is refused')
    .option('--network <file>', "the network file the authorities' operators publish (required for a mix or gateway)")
    .option('--announce <address>', 'the public IP address (or multiaddr) other nodes and clients dial; required when listening on 0.0.0.0')
    .option('--name <name>', 'the name shown in the topology document (default ROLE-HOST-IDPREFIX)')
    .option('--listen <multiaddr>', 'where to listen (default /ip4/0.0.0.0/tcp/30000 authority, 30001 mix, 30002 gateway)')
    .option('--metrics <host:port>', 'where to serve Prometheus metrics (default 127.0.0.1:9464)')
    .runs(async (cmd) => (await import('../node-init.js')).initNodeCommand(cmd.opts()));

  node
    .command('identity')
    .description("print the node's identity key and peer id (creates the identity on first use)")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .runs(async (cmd) => (await import('../node.js')).printIdentity(configOf(cmd)));

  node
    .command('invite')
    .description('mint N single-use invite tokens for a gateway with registration = "invite" (works while it runs); give one to each new user: chaff client init --invite TOKEN')
    .usage('--config gateway.toml [--count N] [--valid 7d]')
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .option('--count <n>', 'how many tokens, 1 … 10000 (default 1)')
    .option('--valid <duration>', 'how long they stay valid, e.g. "7d" or "12h" (default 7d)')
    .runs(async (cmd) => {
      const o = cmd.opts<{ count?: string; valid?: string }>();
      return (await import('../node.js')).mintInvites(configOf(cmd), o.count, o.valid);
    });

  const admission = (name: AdmissionCommand, about: string): ChaffCommand =>
    node
      .command(name)
      .description(about)
      .option(CONFIG_FLAGS, "the authority's config")
      .runs(async (cmd) => (await import('../node-admission.js')).admissionCommand(name, cmd.args, cmd.optsWithGlobals()));
  admission('admit', 'admit a node to the authority’s admission list')
    .usage('--config authority.toml IDENTITY [--role mix|gateway] [--note TEXT] [--force]')
    .argument('<identity>')
    .option('--role <role>', 'admit it only as a mix or only as a gateway')
    .option('--note <text>', 'a note kept with the record')
    .option('--force', 'admit a revoked node again');
  admission('suspend', 'suspend a node: it leaves the next documents until admitted again')
    .usage('--config authority.toml IDENTITY [--note TEXT]')
    .argument('<identity>')
    .option('--note <text>', 'a note kept with the record');
  admission('revoke', 'revoke a node, for good (admit --force undoes it)')
    .usage('--config authority.toml IDENTITY [--note TEXT]')
    .argument('<identity>')
    .option('--note <text>', 'a note kept with the record');
  admission('admissions', 'list the admission list').usage('--config authority.toml [--json]').option('--json', 'one JSON line');

  return node;
}

// `chaff sphinx`: the Sphinx interop and debugging tool's command line; the
// tool itself is cli/sphinx.ts (docs/sphinx.md §Interop tool).

import { PRODUCTION_GEOMETRY_PARAMS } from '../../protocol/sphinx/geometry.js';
import { ChaffCommand } from '../command.js';

const GEOMETRY_FLAGS = '--geometry <json|file>';
const GEOMETRY_HELP = `a JSON object or a file holding one, e.g. {"nike":"X25519","nrHops":5,"userForwardPayloadLength":103,"withSURB":false} (default: Chaff's production geometry, ${JSON.stringify(PRODUCTION_GEOMETRY_PARAMS)})`;

/** Each subcommand and what it reads and writes. */
const SUBCOMMANDS = [
  ['geometry', 'print the computed geometry (no input)'],
  ['unwrap', '{"key": hex, "packet": hex} -> {"commands": [hex…], "payload": hex|null, "packet": hex|null, "replayTag": hex}'],
  ['new-packet', '{"path": [{"id": hex, "publicKey": hex, "commands": [hex…]}…], "payload": hex} -> {"packet": hex}'],
  ['new-surb', '{"path": [...]} -> {"surb": hex, "surbKeys": hex, "firstHop": hex}'],
  ['new-packet-from-surb', '{"surb": hex, "payload": hex} -> {"packet": hex, "firstHop": hex}'],
  ['decrypt-surb-payload', '{"surbKeys": hex, "payload": hex} -> {"payload": hex}'],
] as const;

export function sphinxProgram(): ChaffCommand {
  const sphinx = new ChaffCommand('sphinx')
    .summary('Sphinx interop and debugging tool')
    .description('Sphinx interop and debugging tool. Reads one JSON object per line on stdin, writes one JSON line per input.')
    .usage('<subcommand> [--geometry JSON|FILE]')
    .option(GEOMETRY_FLAGS, GEOMETRY_HELP)
    .callsSubcommands('subcommand');
  for (const [name, about] of SUBCOMMANDS) {
    sphinx
      .command(name)
      .description(about)
      .option(GEOMETRY_FLAGS, GEOMETRY_HELP)
      .runs(async (cmd) => (await import('../sphinx.js')).runSphinxTool(name, cmd.optsWithGlobals<{ geometry?: string }>().geometry));
  }
  return sphinx;
}

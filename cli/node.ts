// `chaff node`: run a relay (authority, mix or gateway) from a TOML config.

import { parseArgs } from 'node:util';
import { toHex } from '../protocol/bytes.js';
import { ConfigError, loadConfig } from '../node/config.js';
import { runNode } from '../node/daemon.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';
import { createLogger } from '../node/ops/log.js';

const USAGE = `usage: chaff node --config node.toml            run the node until SIGINT/SIGTERM
       chaff node identity --config node.toml   print the node's identity key and peer id
                                                (creates the identity on first use)

The config is described in docs/operators.md.

--trace FILE   (gateways, test networks only) append what a link observer and
               this gateway would see to FILE, for \`chaff sim attack\`
               (docs/simulator.md §Trace mode). Never on a real network.
`;

export async function nodeCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, trace: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`chaff node: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [sub] = parsed.positionals;
  if (!parsed.values.config || (sub !== undefined && sub !== 'identity') || parsed.positionals.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfig(parsed.values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chaff node: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (sub === 'identity') {
    const id = await loadOrCreateIdentity(config.node.dataDir);
    process.stdout.write(`${JSON.stringify({ name: config.node.name, identity: toHex(id.publicKey), peerId: id.peerId.toString() })}\n`);
    return 0;
  }
  const log = createLogger(config.log.level, config.node.name);
  const node = await runNode(config, log, parsed.values.trace ? { tracePath: parsed.values.trace } : {});
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info('stopping', { signal });
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await node.stop();
  log.info('stopped');
  return 0;
}

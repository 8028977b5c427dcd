// `chaff node`: run a relay (authority, mix or gateway) from a TOML config.

import { parseArgs } from 'node:util';
import { toHex } from '../protocol/bytes.js';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseDuration, type NodeConfig } from '../node/config.js';
import { formatInviteToken, InviteStore } from '../node/gateway/invite-store.js';
import { runNode } from '../node/daemon.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';
import { createLogger } from '../runtime/log/logger.js';
import { ADMISSION_COMMANDS, ADMISSION_OPTIONS, ADMISSION_USAGE, admissionCommand } from './node-admission.js';

const USAGE = `usage: chaff node --config node.toml            run the node until SIGINT/SIGTERM
       chaff node identity --config node.toml   print the node's identity key and peer id
                                                (creates the identity on first use)
       chaff node invite --config gateway.toml [--count N] [--valid 7d]
                                                mint N single-use invite tokens for a gateway
                                                with registration = "invite" (works while it runs);
                                                give one to each new user: chaff client init --invite TOKEN

The config is described in docs/operators.md.

--trace FILE   (gateways, test networks only) append what a link observer and
               this gateway would see to FILE, for \`chaff sim attack\`
               (docs/simulator.md §Trace mode). Never on a real network.
`;

export async function nodeCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, trace: { type: 'string' }, count: { type: 'string' }, valid: { type: 'string' }, ...ADMISSION_OPTIONS, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`chaff node: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE + ADMISSION_USAGE);
    return 0;
  }
  const [sub] = parsed.positionals;
  if (sub !== undefined && ADMISSION_COMMANDS.has(sub)) return admissionCommand(sub, parsed.positionals.slice(1), parsed.values);
  if (!parsed.values.config || (sub !== undefined && sub !== 'identity' && sub !== 'invite') || parsed.positionals.length > 1) {
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
  if (sub === 'invite') return mintInvites(config, parsed.values.count, parsed.values.valid);
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

/** `chaff node invite`: tokens into the gateway's data folder (node/gateway/invite-store.ts), one per line on stdout. */
async function mintInvites(config: NodeConfig, countText: string | undefined, validText: string | undefined): Promise<number> {
  if (config.node.role !== 'gateway') {
    process.stderr.write(`chaff node invite: ${config.node.name} is a ${config.node.role}; invites are for gateways\n`);
    return 2;
  }
  const count = countText === undefined ? 1 : Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    process.stderr.write(`chaff node invite: --count takes a whole number 1 … 10000, got "${countText}"\n`);
    return 2;
  }
  const validMs = parseDuration(validText ?? '7d');
  if (validMs === null || validMs <= 0) {
    process.stderr.write(`chaff node invite: --valid takes a duration such as "7d" or "12h", got "${validText}"\n`);
    return 2;
  }
  const now = Date.now();
  const tokens = await new InviteStore(join(config.node.dataDir, 'invites')).mint(count, now, now + validMs);
  for (const token of tokens) process.stdout.write(`${formatInviteToken(token)}\n`);
  if (config.gateway.registration !== 'invite') {
    process.stderr.write(`note: ${config.node.name} has registration = "${config.gateway.registration}"; invites are only asked for with registration = "invite"\n`);
  }
  process.stderr.write(`${count} invite${count === 1 ? '' : 's'}, single-use, valid until ${new Date(now + validMs).toISOString()}\n`);
  return 0;
}

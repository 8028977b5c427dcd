// `chaff node`, `chaff node identity` and `chaff node invite`: run a relay
// (authority, mix or gateway) from a TOML config, show its identity, mint
// invites. The command line is cli/commands/node.ts; `chaff node init` is
// cli/node-init.ts.
//
// Signals: SIGINT or SIGTERM stop the node now; SIGUSR2 drains it (refuses
// new packets, delivers what it holds, then stops: node/ops/drain.ts). A
// signal, rather than a `chaff node drain` command, because it needs no
// control socket and works the same under systemd (`systemctl kill -s
// SIGUSR2 UNIT`), a container runtime or a shell; SIGUSR1 is Node's
// debugger signal. SIGINT or SIGTERM during a drain stops at once.

import { toHex } from '../protocol/bytes.js';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseDuration, type NodeConfig } from '../node/config.js';
import { formatInviteToken, InviteStore } from '../node/gateway/invite-store.js';
import { runNode } from '../node/daemon.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';
import { createLogger } from '../runtime/log/logger.js';
import { CLOCK_OFFSET_ENV, clockFromEnv } from '../runtime/clock.js';
import { waitForStopSignal } from './signals.js';

/** Reads the node's config; a bad one is one line on stderr and exit status 2 (null). */
function readConfig(path: string): NodeConfig | null {
  try {
    return loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chaff node: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}

/** Resolves with "SIGUSR2" the first time the process gets it; later ones are ignored (a second one must not kill a draining node). */
function waitForDrainSignal(): Promise<string> {
  return new Promise((resolve) => process.on('SIGUSR2', () => resolve('SIGUSR2')));
}

/** `chaff node --config FILE`: runs the node until SIGINT or SIGTERM, or drains it on SIGUSR2. */
export async function runNodeCommand(configPath: string, tracePath: string | undefined): Promise<number> {
  const config = readConfig(configPath);
  if (!config) return 2;
  const log = createLogger(config.log.level, config.node.name);
  // Listening before the node starts: a SIGUSR2 during the start drains it once started, instead of
  // killing the process (SIGUSR2's default action). SIGINT and SIGTERM keep theirs until then.
  const drainSignal = waitForDrainSignal();
  // A test network's chaos runs skew one node's clock (docs/chaos.md); unset, this is the system clock.
  let skew: ReturnType<typeof clockFromEnv>;
  try {
    skew = clockFromEnv();
  } catch (err) {
    process.stderr.write(`chaff node: ${(err as Error).message}\n`);
    return 2;
  }
  if (skew.offsetMs !== 0) log.warn('clock skewed for a test network', { env: CLOCK_OFFSET_ENV, offsetMs: skew.offsetMs });
  const node = await runNode(config, log, { ...(tracePath ? { tracePath } : {}), ...(skew.offsetMs !== 0 ? { clock: skew.clock } : {}) });
  const stopSignal = waitForStopSignal();
  const signal = await Promise.race([stopSignal, drainSignal]);
  if (signal === 'SIGUSR2') {
    log.info('drain requested', { signal });
    const outcome = await Promise.race([node.drain().then(() => 'drained'), stopSignal]);
    if (outcome !== 'drained') {
      log.info('stopping', { signal: outcome });
      await node.stop();
    }
  } else {
    log.info('stopping', { signal });
    await node.stop();
  }
  log.info('stopped');
  return 0;
}

/** `chaff node identity`: the node's identity key and peer id, created on first use. */
export async function printIdentity(configPath: string): Promise<number> {
  const config = readConfig(configPath);
  if (!config) return 2;
  const id = await loadOrCreateIdentity(config.node.dataDir);
  process.stdout.write(`${JSON.stringify({ name: config.node.name, identity: toHex(id.publicKey), peerId: id.peerId.toString() })}\n`);
  return 0;
}

/** `chaff node invite`: tokens into the gateway's data folder (node/gateway/invite-store.ts), one per line on stdout. */
export async function mintInvites(configPath: string, countText: string | undefined, validText: string | undefined): Promise<number> {
  const config = readConfig(configPath);
  if (!config) return 2;
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

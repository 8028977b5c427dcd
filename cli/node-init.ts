// `chaff node init --role mix|gateway|authority`: a new node folder, as a
// volunteer setting up a relay expects it (docs/operators.md §First start):
// DIR/node.toml, a commented config with every key the role reads
// (node/config-template.ts), and DIR/data with the node's identity key
// (libp2p.key, mode 0600; the Sphinx keys are made per epoch when it runs).
// It prints the identity to send to the authorities' operators on stdout
// (the JSON line `chaff node identity` prints) and the next steps, the
// admission step included, on stderr. An existing, non-empty folder is
// refused: a node folder holds an identity that is admitted by name, and
// writing over it would lose it.

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { loadNetworkFile } from '../client/config.js';
import { ConfigError, loadConfig, NODE_ROLES, type NodeRole } from '../node/config.js';
import { nodeConfigTemplate, type ConfigTemplateAuthority } from '../node/config-template.js';
import { toHex } from '../protocol/bytes.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';

export const NODE_CONFIG_FILE = 'node.toml';
export const NODE_DATA_DIR = 'data';

/** The port each role listens on unless told otherwise (one per role, so one host may run several). */
export const DEFAULT_PORTS: Record<NodeRole, number> = { authority: 30000, mix: 30001, gateway: 30002 };
const DEFAULT_METRICS = '127.0.0.1:9464';

export interface NodeInitFlags {
  role?: string;
  dir?: string;
  name?: string;
  network?: string;
  listen?: string;
  announce?: string;
  metrics?: string;
}

export class NodeInitError extends Error {}

/** `/ip4/…/tcp/PORT` for an IP address, or the multiaddr given as is. */
function announceAddress(value: string, port: number): string {
  if (value.startsWith('/')) return value;
  const family = isIP(value);
  if (family === 0) throw new NodeInitError(`--announce takes an IP address or a multiaddr such as /ip4/203.0.113.5/tcp/${port}, got "${value}"`);
  return `/ip${family}/${value}/tcp/${port}`;
}

/** The TCP port of a listen multiaddr, if it names one. */
function portOf(multiaddr: string): number | null {
  const m = /\/tcp\/(\d+)/.exec(multiaddr);
  return m ? Number(m[1]) : null;
}

const UNSPECIFIED = /^\/ip[46]\/(0\.0\.0\.0|::)\//;

/** null: no such folder; else how many entries it holds. */
async function entriesIn(dir: string): Promise<number | null> {
  try {
    return (await readdir(dir)).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** "20m", "90s" or "1500ms", as node/config.ts reads durations. */
function durationText(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export interface InitializedNode {
  dir: string;
  configPath: string;
  name: string;
  role: NodeRole;
  identity: string;
  peerId: string;
  announce: string[];
}

/** Writes the node folder; throws NodeInitError (a usage problem) or ConfigError (the network file). */
export async function initNode(flags: NodeInitFlags): Promise<InitializedNode> {
  const role = flags.role as NodeRole;
  if (!NODE_ROLES.includes(role)) throw new NodeInitError(`--role is one of ${NODE_ROLES.join(', ')}${flags.role === undefined ? '' : `, got "${flags.role}"`}`);
  const dir = resolve(flags.dir ?? `chaff-${role}`);
  const existing = await entriesIn(dir);
  if (existing !== null && existing > 0) throw new NodeInitError(`${dir} exists and is not empty: a node folder is never overwritten (it holds the node's identity); choose another --dir`);
  const network = flags.network === undefined ? null : loadNetworkFile(flags.network);
  if (network === null && role !== 'authority') {
    throw new NodeInitError("--network FILE is required for a mix or gateway: the network file the authorities' operators publish ([network] and [[authorities]])");
  }
  const listen = flags.listen ?? `/ip4/0.0.0.0/tcp/${DEFAULT_PORTS[role]}`;
  const port = portOf(listen);
  if (port === null) throw new NodeInitError(`--listen takes a TCP multiaddr such as /ip4/0.0.0.0/tcp/${DEFAULT_PORTS[role]}, got "${listen}"`);
  let announce: string[];
  if (flags.announce !== undefined) announce = [announceAddress(flags.announce, port)];
  else if (!UNSPECIFIED.test(listen)) announce = [listen];
  else throw new NodeInitError(`--announce is required: the public IP address other nodes and clients dial (e.g. --announce 203.0.113.5, published as /ip4/203.0.113.5/tcp/${port})`);
  const metrics = flags.metrics ?? DEFAULT_METRICS;

  await mkdir(dir, { recursive: true, mode: 0o755 });
  const dataDir = join(dir, NODE_DATA_DIR);
  const configPath = join(dir, NODE_CONFIG_FILE);
  try {
    await mkdir(dataDir, { mode: 0o700 });
    const id = await loadOrCreateIdentity(dataDir);
    const identity = toHex(id.publicKey);
    const name = flags.name ?? `${role}-${hostname().split('.')[0].toLowerCase()}-${identity.slice(0, 6)}`;
    const authorities: ConfigTemplateAuthority[] = [...(network?.authorities ?? [])];
    // An authority lists itself: the authorities of a network all list the same set.
    if (role === 'authority' && !authorities.some((a) => a.identity === identity)) authorities.push({ name, identity, addresses: announce });
    const text = nodeConfigTemplate({
      role,
      name,
      dataDir: NODE_DATA_DIR,
      listen: [listen],
      announce,
      authorities,
      genesis: new Date(network?.genesisMs ?? Date.parse('2026-01-01T00:00:00Z')).toISOString(),
      epochDuration: durationText(network?.epochDurationMs ?? 20 * 60_000),
      metricsListen: metrics,
    });
    await writeFile(configPath, text, { mode: 0o644, flag: 'wx' });
    // What was written must load: a node folder that `chaff node` refuses is worse than none.
    loadConfig(configPath);
    return { dir, configPath, name, role, identity, peerId: id.peerId.toString(), announce };
  } catch (err) {
    // Leave the folder as found: gone if this made it, empty if it was (a systemd StateDirectory, say).
    if (existing === null) await rm(dir, { recursive: true, force: true });
    else await Promise.all([rm(dataDir, { recursive: true, force: true }), rm(configPath, { force: true })]);
    throw err;
  }
}

/** What the operator does next, by role (stderr). */
export function nextSteps(node: InitializedNode): string {
  const config = node.configPath;
  const lines = [`Wrote ${config} and ${join(node.dir, NODE_DATA_DIR)}/libp2p.key (the node's identity: back it up, never share it).`, 'Read the config once: every key is explained there.', ''];
  if (node.role === 'authority') {
    lines.push(
      "This authority is one of the network's authorities. Give the other authority operators its entry, to add to their configs and to the network file:",
      '',
      '  [[authorities]]',
      `  name = ${JSON.stringify(node.name)}`,
      `  identity = ${JSON.stringify(node.identity)}`,
      `  addresses = ${JSON.stringify(node.announce)}`,
      '',
      `and add theirs to ${config}. Admit mixes and gateways with`,
      `  chaff node admit --config ${config} IDENTITY --role mix --note "who, how to reach them"`,
      '(docs/operators.md §Admitting nodes). With no admission list it admits nobody.',
    );
  } else {
    lines.push(
      "Admission: send the line printed above (name, identity, peerId), the role, the announced address and how to reach you to each of the network's authority operators. Each of them runs:",
      `  chaff node admit --config authority.toml ${node.identity} --role ${node.role} --note "${node.name}, <your contact>"`,
      'The node enters the topology document once a majority of them admitted it (docs/operators.md §Joining a network).',
    );
  }
  lines.push('', `Start it: chaff node --config ${config}   (or the systemd unit in deploy/, docs/operators.md §Running under systemd)`);
  return `${lines.join('\n')}\n`;
}

/** `chaff node init`: exit status 0, 2 for a usage error (one line on stderr), 1 for a network file that does not load. */
export async function initNodeCommand(flags: NodeInitFlags): Promise<number> {
  let node: InitializedNode;
  try {
    node = await initNode(flags);
  } catch (err) {
    if (err instanceof NodeInitError) {
      process.stderr.write(`chaff node init: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`chaff node init: ${flags.network}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stdout.write(`${JSON.stringify({ name: node.name, identity: node.identity, peerId: node.peerId })}\n`);
  process.stderr.write(nextSteps(node));
  return 0;
}

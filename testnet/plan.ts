// The local test network's layout: which nodes, their folders, ports and
// TOML configs (docs/testnet.md). Identities are created here first, so every
// config can list the authorities' keys, and every authority's admission
// list can admit the testnet's own mixes and gateways, before any node starts.
// The plan is recorded in testnet.json (plan-file.ts) so the same network can
// be started again (testnet-folder.ts).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { toHex } from '../protocol/bytes.js';
import { ADMISSIONS_FILE, formatAdmissions, type AdmissionRecord } from '../node/authority/admission-list.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';
import { writePlanFile } from './plan-file.js';
import { nodeNames, type NodeRole, type TestnetShape } from './shape.js';

export { DEFAULT_SHAPE, nodeNames, type NodeRole, type TestnetShape } from './shape.js';

export interface PlannedNode {
  name: string;
  role: NodeRole;
  dataDir: string;
  configPath: string;
  port: number;
  metricsPort: number;
  identityKey: string;
  peerId: string;
  /**
   * Chaos runs only (chaos/netns.ts, docs/chaos.md): the node in a network
   * namespace of its own listens (libp2p and metrics) on `host` instead of
   * 127.0.0.1, and is dialled at `dialHost` when set (a delaying forwarder
   * there), which its descriptor then announces. Not recorded in testnet.json.
   */
  net?: { host: string; dialHost?: string };
}

/** The address a node listens on: 127.0.0.1 unless a chaos run put it in a namespace of its own. */
export function listenHost(n: Pick<PlannedNode, 'net'>): string {
  return n.net?.host ?? '127.0.0.1';
}

/** The address others dial the node at (its announced address). */
export function dialHost(n: Pick<PlannedNode, 'net'>): string {
  return n.net?.dialHost ?? listenHost(n);
}

export interface TestnetPlan {
  dir: string;
  genesisMs: number;
  shape: TestnetShape;
  nodes: PlannedNode[];
  /** network.toml: the authorities and epoch clock, for clients. */
  networkFile: string;
}

/** Whether 127.0.0.1:`port` can be listened on now. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const PORT_RANGE = { from: 20_000, size: 12_000 };
const taken = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, below the ephemeral range (Linux
 * 32768–60999): the node listens on it seconds later, and a port from the
 * ephemeral range could meanwhile become the local port of an outgoing
 * connection (EADDRINUSE). Never one of `exclude` (a resumed plan's own ports,
 * free now only because their nodes are not started yet).
 */
export async function freePort(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * PORT_RANGE.size);
    if (taken.has(port) || exclude.has(port) || !(await canListen(port))) continue;
    taken.add(port);
    return port;
  }
  throw new Error(`no free port in ${PORT_RANGE.from}–${PORT_RANGE.from + PORT_RANGE.size - 1} on 127.0.0.1`);
}

function toml(value: string | number | string[]): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** Where a node of the network in `dir` keeps its data and its config. */
export function nodePaths(dir: string, name: string): { dataDir: string; configPath: string } {
  return { dataDir: join(dir, name), configPath: join(dir, `${name}.toml`) };
}

/**
 * Creates the folders, identities and configs of a test network under `dir`,
 * and last its plan (testnet.json, testnet/plan-file.ts): a folder with a
 * plan is complete, so `chaff testnet --dir` can resume it.
 */
export async function planTestnet(dir: string, shape: TestnetShape, genesisMs: number): Promise<TestnetPlan> {
  const nodes: PlannedNode[] = [];
  for (const { name, role } of nodeNames(shape)) {
    const paths = nodePaths(dir, name);
    mkdirSync(paths.dataDir, { recursive: true });
    const identity = await loadOrCreateIdentity(paths.dataDir);
    nodes.push({
      name,
      role,
      ...paths,
      port: await freePort(),
      metricsPort: await freePort(),
      identityKey: toHex(identity.publicKey),
      peerId: identity.peerId.toString(),
    });
  }
  const plan: TestnetPlan = { dir, genesisMs, shape, nodes, networkFile: join(dir, 'network.toml') };
  writeAdmissions(plan);
  writeNodeFiles(plan);
  await writePlanFile(plan);
  return plan;
}

/**
 * Each authority admits the testnet's own relays, each in its role
 * (docs/operators.md §Admitting nodes): a node started beside the testnet is
 * admitted by nobody. `onlyMissing`: leave an existing list alone (a resumed
 * network: its operator may have admitted more nodes since).
 */
export function writeAdmissions(plan: TestnetPlan, onlyMissing = false): string[] {
  const changed = new Date(plan.genesisMs).toISOString();
  const admitted: AdmissionRecord[] = plan.nodes
    .filter((n) => n.role !== 'authority')
    .map((n) => ({ identity: n.identityKey, status: 'admitted', role: n.role as 'mix' | 'gateway', note: `${n.name} (chaff testnet)`, changed }));
  const written: string[] = [];
  for (const a of plan.nodes.filter((n) => n.role === 'authority')) {
    const path = join(a.dataDir, ADMISSIONS_FILE);
    if (onlyMissing && existsSync(path)) continue;
    writeFileSync(path, formatAdmissions(admitted));
    written.push(path);
  }
  return written;
}

/**
 * Writes every node's TOML config and the network file from the plan. They
 * are derived from it and written again at each start, so a resumed network
 * runs exactly what testnet.json records.
 */
export function writeNodeFiles(plan: TestnetPlan): void {
  const { shape, nodes, genesisMs } = plan;
  const authorities = nodes.filter((n) => n.role === 'authority');
  const keyOf = (name: string): string => {
    const n = nodes.find((x) => x.name === name);
    if (!n || n.role === 'authority') throw new RangeError(`testnet family: no mix or gateway named ${JSON.stringify(name)}`);
    return n.identityKey;
  };
  for (const name of Object.keys(shape.family ?? {})) keyOf(name);
  const authorityTables = authorities.flatMap((a) => [
    '[[authorities]]',
    `name = ${toml(a.name)}`,
    `identity = ${toml(a.identityKey)}`,
    `addresses = ${toml([`/ip4/${dialHost(a)}/tcp/${a.port}`])}`,
    '',
  ]);
  for (const n of nodes) {
    const family = (shape.family?.[n.name] ?? []).map(keyOf);
    const lines = [
      '# Generated by chaff testnet from testnet.json (written again at each start).',
      '[node]',
      `name = ${toml(n.name)}`,
      `role = ${toml(n.role)}`,
      `data_dir = ${toml(n.dataDir)}`,
      `listen = ${toml([`/ip4/${listenHost(n)}/tcp/${n.port}`])}`,
      ...(dialHost(n) !== listenHost(n) ? [`announce = ${toml([`/ip4/${dialHost(n)}/tcp/${n.port}`])}`] : []),
      ...(family.length > 0 ? [`family = ${toml(family)}`] : []),
      '',
      ...authorityTables,
      '[authority]',
      `epoch_duration = ${toml(`${shape.epochDurationMs}ms`)}`,
      `genesis = ${toml(new Date(genesisMs).toISOString())}`,
      `layers = ${shape.layers}`,
      `mu = ${shape.mu}`,
      `lambda_p = ${shape.lambdaP}`,
      `lambda_l = ${shape.lambdaL}`,
      `lambda_d = ${shape.lambdaD}`,
      `lambda_m = ${shape.lambdaM}`,
      '',
      '[mix]',
      `key_grace = ${toml(`${Math.round(shape.epochDurationMs / 4)}ms`)}`,
      // Every node of a test network shares this host's cores: one unwrap worker each (the default is cores − 1).
      'workers = 1',
      '',
      '[metrics]',
      `listen = ${toml(`${listenHost(n)}:${n.metricsPort}`)}`,
      '',
    ];
    writeFileSync(n.configPath, `${lines.join('\n')}\n`);
  }
  // The network file clients are initialised from (`chaff client init --network`): the same bytes at every start.
  writeFileSync(
    plan.networkFile,
    [
      '# Generated by chaff testnet: give it to `chaff client init --network`.',
      '[network]',
      `genesis = ${toml(new Date(genesisMs).toISOString())}`,
      `epoch_duration = ${toml(`${shape.epochDurationMs}ms`)}`,
      '',
      ...authorityTables,
    ].join('\n'),
  );
}

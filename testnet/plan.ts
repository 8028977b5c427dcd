// The local test network's layout: which nodes, their folders, ports and
// TOML configs (docs/testnet.md). Identities are created here first, so every
// config can list the authorities' keys, and every authority's admission
// list can admit the testnet's own mixes and gateways, before any node starts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { toHex } from '../protocol/bytes.js';
import { ADMISSIONS_FILE, formatAdmissions, type AdmissionRecord } from '../node/authority/admission-list.js';
import { loadOrCreateIdentity } from '../runtime/net/identity.js';

export interface TestnetShape {
  authorities: number;
  layers: number;
  mixesPerLayer: number;
  gateways: number;
  epochDurationMs: number;
  /** μ, λ's for the network (per second). */
  mu: number;
  lambdaP: number;
  lambdaL: number;
  lambdaD: number;
  lambdaM: number;
  /**
   * Family declarations (docs/operators.md §Declaring a family): node name →
   * the names of the nodes it declares as its family. A family counts only
   * where its members declare each other; one-sided claims are allowed here
   * so tests can show they steer nothing. Default: none.
   */
  family?: Readonly<Record<string, readonly string[]>>;
}

export const DEFAULT_SHAPE: TestnetShape = {
  authorities: 3,
  layers: 3,
  mixesPerLayer: 2,
  gateways: 2,
  epochDurationMs: 15_000,
  // Testnet rates: short delays (mean 50 ms per hop) so a demo shows
  // messages within a second; production defaults are in docs/parameters.md.
  mu: 20,
  lambdaP: 4,
  lambdaL: 1,
  lambdaD: 1,
  lambdaM: 2,
};

export interface PlannedNode {
  name: string;
  role: 'authority' | 'mix' | 'gateway';
  dataDir: string;
  configPath: string;
  port: number;
  metricsPort: number;
  identityKey: string;
  peerId: string;
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
function canListen(port: number): Promise<boolean> {
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
 * connection (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * PORT_RANGE.size);
    if (taken.has(port) || !(await canListen(port))) continue;
    taken.add(port);
    return port;
  }
  throw new Error(`no free port in ${PORT_RANGE.from}–${PORT_RANGE.from + PORT_RANGE.size - 1} on 127.0.0.1`);
}

function toml(value: string | number | string[]): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** Creates the folders, identities and configs of a test network under `dir`. */
export async function planTestnet(dir: string, shape: TestnetShape, genesisMs: number): Promise<TestnetPlan> {
  const names: Array<[string, PlannedNode['role']]> = [
    ...Array.from({ length: shape.authorities }, (_, i) => [`authority-${i + 1}`, 'authority'] as [string, PlannedNode['role']]),
    ...Array.from({ length: shape.layers * shape.mixesPerLayer }, (_, i) => [`mix-${i + 1}`, 'mix'] as [string, PlannedNode['role']]),
    ...Array.from({ length: shape.gateways }, (_, i) => [`gateway-${String.fromCharCode(97 + i)}`, 'gateway'] as [string, PlannedNode['role']]),
  ];
  const nodes: PlannedNode[] = [];
  for (const [name, role] of names) {
    const dataDir = join(dir, name);
    mkdirSync(dataDir, { recursive: true });
    const identity = await loadOrCreateIdentity(dataDir);
    nodes.push({
      name,
      role,
      dataDir,
      configPath: join(dir, `${name}.toml`),
      port: await freePort(),
      metricsPort: await freePort(),
      identityKey: toHex(identity.publicKey),
      peerId: identity.peerId.toString(),
    });
  }
  const authorities = nodes.filter((n) => n.role === 'authority');
  // Each authority admits the testnet's own relays, each in its role (docs/operators.md
  // §Admitting nodes): a node started beside the testnet is admitted by nobody.
  const changed = new Date(genesisMs).toISOString();
  const admitted: AdmissionRecord[] = nodes
    .filter((n) => n.role !== 'authority')
    .map((n) => ({ identity: n.identityKey, status: 'admitted', role: n.role as 'mix' | 'gateway', note: `${n.name} (chaff testnet)`, changed }));
  for (const a of authorities) writeFileSync(join(a.dataDir, ADMISSIONS_FILE), formatAdmissions(admitted));
  const keyOf = (name: string): string => {
    const n = nodes.find((x) => x.name === name);
    if (!n || n.role === 'authority') throw new RangeError(`testnet family: no mix or gateway named ${JSON.stringify(name)}`);
    return n.identityKey;
  };
  for (const name of Object.keys(shape.family ?? {})) keyOf(name);
  for (const n of nodes) {
    const family = (shape.family?.[n.name] ?? []).map(keyOf);
    const lines = [
      '# Generated by chaff testnet.',
      '[node]',
      `name = ${toml(n.name)}`,
      `role = ${toml(n.role)}`,
      `data_dir = ${toml(n.dataDir)}`,
      `listen = ${toml([`/ip4/127.0.0.1/tcp/${n.port}`])}`,
      ...(family.length > 0 ? [`family = ${toml(family)}`] : []),
      '',
      ...authorities.flatMap((a) => ['[[authorities]]', `name = ${toml(a.name)}`, `identity = ${toml(a.identityKey)}`, `addresses = ${toml([`/ip4/127.0.0.1/tcp/${a.port}`])}`, '']),
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
      '',
      '[metrics]',
      `listen = ${toml(`127.0.0.1:${n.metricsPort}`)}`,
      '',
    ];
    writeFileSync(n.configPath, `${lines.join('\n')}\n`);
  }
  // The network file clients are initialised from (`chaff client init --network`).
  const networkFile = join(dir, 'network.toml');
  writeFileSync(
    networkFile,
    [
      '# Generated by chaff testnet: give it to `chaff client init --network`.',
      '[network]',
      `genesis = ${toml(new Date(genesisMs).toISOString())}`,
      `epoch_duration = ${toml(`${shape.epochDurationMs}ms`)}`,
      '',
      ...authorities.flatMap((a) => ['[[authorities]]', `name = ${toml(a.name)}`, `identity = ${toml(a.identityKey)}`, `addresses = ${toml([`/ip4/127.0.0.1/tcp/${a.port}`])}`, '']),
    ].join('\n'),
  );
  return { dir, genesisMs, shape, nodes, networkFile };
}

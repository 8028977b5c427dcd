// testnet.json: the record of a local test network (docs/testnet.md §The
// plan file), written last when the network is created, so that `chaff
// testnet --dir DIR` can start the same network again: the same genesis,
// shape and rates, and for each node its port, metrics port and identity key.
// Paths are not recorded (they follow from the folder, which may move).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../runtime/fs/atomic-write.js';
import type { PlannedNode, TestnetPlan } from './plan.js';
import { nodeNames, type TestnetShape } from './shape.js';

export const PLAN_FILE = 'testnet.json';
/** What `kind` says: this file is a chaff testnet's plan. */
export const PLAN_KIND = 'chaff-testnet';
/** The version of this file's layout; a plan of another format is refused, never rewritten. */
export const PLAN_FORMAT = 1;

/** Why a testnet folder cannot be resumed (or created): each with a message that says what to do. */
export type TestnetFolderErrorCode = 'corrupt' | 'other-format' | 'incomplete' | 'missing-key' | 'key-mismatch' | 'port-taken' | 'running';

export class TestnetFolderError extends Error {
  override readonly name = 'TestnetFolderError';
  constructor(
    readonly code: TestnetFolderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A node as testnet.json records it. */
export type RecordedNode = Pick<PlannedNode, 'name' | 'role' | 'port' | 'metricsPort' | 'identityKey'>;

export interface RecordedPlan {
  genesisMs: number;
  shape: TestnetShape;
  nodes: RecordedNode[];
}

/** The text of testnet.json for `plan`. */
export function encodePlanFile(plan: RecordedPlan): string {
  const file = {
    kind: PLAN_KIND,
    format: PLAN_FORMAT,
    genesis: new Date(plan.genesisMs).toISOString(),
    shape: plan.shape,
    nodes: plan.nodes.map((n) => ({ name: n.name, role: n.role, port: n.port, metricsPort: n.metricsPort, identityKey: n.identityKey })),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Writes `<plan.dir>/testnet.json` atomically (a crash leaves the old file or the new one, never half of it). */
export async function writePlanFile(plan: TestnetPlan): Promise<void> {
  await writeFileAtomic(join(plan.dir, PLAN_FILE), new TextEncoder().encode(encodePlanFile(plan)), 0o644);
}

/** Reads and checks `<dir>/testnet.json`. Throws TestnetFolderError ('corrupt', 'other-format'); ENOENT as is. */
export function readPlanFile(dir: string): RecordedPlan {
  const path = join(dir, PLAN_FILE);
  return decodePlanFile(readFileSync(path, 'utf8'), path);
}

/** How to start over in the folder of `path`, for the end of an error message. */
const startOver = (path: string): string => `start over with \`chaff testnet --dir ${dirname(path)} --fresh\` (the network and the profiles made against it are lost) or choose another folder`;

/** Parses and checks the text of a testnet.json (`path` names it in errors). */
export function decodePlanFile(text: string, path: string): RecordedPlan {
  const corrupt = (what: string): never => {
    throw new TestnetFolderError('corrupt', `${path} is damaged or half-written: ${what}; ${startOver(path)}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return corrupt(`not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(raw)) return corrupt('not a JSON object');
  if (raw.kind !== PLAN_KIND) return corrupt(`"kind" is ${JSON.stringify(raw.kind)}, not "${PLAN_KIND}"`);
  if (raw.format !== PLAN_FORMAT) {
    throw new TestnetFolderError(
      'other-format',
      `${path} is of format ${JSON.stringify(raw.format)}, and this chaff reads format ${PLAN_FORMAT}: the folder was made by another version of chaff; run that version, or ${startOver(path)}`,
    );
  }
  const genesisMs = typeof raw.genesis === 'string' ? Date.parse(raw.genesis) : NaN;
  if (!Number.isSafeInteger(genesisMs) || genesisMs < 0) return corrupt(`"genesis" is ${JSON.stringify(raw.genesis)}, not a date`);
  const shape = decodeShape(raw.shape, corrupt);
  if (!Array.isArray(raw.nodes)) return corrupt('"nodes" is not a list');
  const expected = nodeNames(shape);
  if (raw.nodes.length !== expected.length) return corrupt(`${raw.nodes.length} nodes listed, and the shape has ${expected.length}`);
  const ports = new Set<number>();
  const keys = new Set<string>();
  const nodes = raw.nodes.map((n: unknown, i): RecordedNode => {
    const want = expected[i];
    if (!isRecord(n)) return corrupt(`node ${i + 1} is not an object`);
    if (n.name !== want.name || n.role !== want.role) return corrupt(`node ${i + 1} is ${JSON.stringify(n.name)} (${JSON.stringify(n.role)}), expected ${want.name} (${want.role})`);
    for (const field of ['port', 'metricsPort'] as const) {
      const port = n[field];
      if (!isPort(port)) return corrupt(`${want.name}'s ${field} is ${JSON.stringify(port)}, not a TCP port`);
      if (ports.has(port)) return corrupt(`port ${port} is listed twice`);
      ports.add(port);
    }
    if (typeof n.identityKey !== 'string' || !/^[0-9a-f]{64}$/.test(n.identityKey)) return corrupt(`${want.name}'s identityKey is not 64 lowercase hex characters`);
    if (keys.has(n.identityKey)) return corrupt(`${want.name}'s identityKey is listed twice`);
    keys.add(n.identityKey);
    return { name: want.name, role: want.role, port: n.port as number, metricsPort: n.metricsPort as number, identityKey: n.identityKey };
  });
  return { genesisMs, shape, nodes };
}

function decodeShape(raw: unknown, corrupt: (what: string) => never): TestnetShape {
  if (!isRecord(raw)) return corrupt('"shape" is not an object');
  const count = (field: string, max: number): number => {
    const v = raw[field];
    if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > max) return corrupt(`shape.${field} is ${JSON.stringify(v)}, not a whole number from 1 to ${max}`);
    return v as number;
  };
  const rate = (field: string): number => {
    const v = raw[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return corrupt(`shape.${field} is ${JSON.stringify(v)}, not a positive number`);
    return v;
  };
  const shape: TestnetShape = {
    authorities: count('authorities', 64),
    layers: count('layers', 16),
    mixesPerLayer: count('mixesPerLayer', 64),
    // Gateways are named gateway-a … gateway-z.
    gateways: count('gateways', 26),
    epochDurationMs: count('epochDurationMs', 7 * 86_400_000),
    mu: rate('mu'),
    lambdaP: rate('lambdaP'),
    lambdaL: rate('lambdaL'),
    lambdaD: rate('lambdaD'),
    lambdaM: rate('lambdaM'),
  };
  if (raw.family !== undefined) {
    const family = raw.family;
    if (!isRecord(family) || !Object.values(family).every((v) => Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      return corrupt('shape.family is not an object of lists of node names');
    }
    shape.family = family as Record<string, string[]>;
  }
  return shape;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPort(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 65_535;
}

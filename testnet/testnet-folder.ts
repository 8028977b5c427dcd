// What `chaff testnet --dir DIR` finds in its folder, and what it does about
// it (docs/testnet.md §A long-lived network):
//
//   no testnet.json, nothing of a testnet  create a new network (genesis now)
//   testnet.json                           resume it: the same genesis, shape and
//                                          node keys, the recorded ports
//   a testnet's files but no testnet.json refuse: made by an older chaff, or its
//                                          creation was interrupted
//   --fresh                                remove the testnet's own files (only
//                                          those), then create a new network
//
// Resuming never creates a key: a node whose key file is missing or differs
// from the one recorded stops the start, since its peer id is its name in
// every document and, for an authority, in every profile's network file.
// Ports: an authority's port is in network.toml, which profiles copied at
// `chaff client init`, so a taken one stops the start; a mix's or gateway's
// port, and any metrics port, moves to a free one (announced, and recorded),
// since relays publish their addresses in their descriptors every epoch.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../protocol/bytes.js';
import { IDENTITY_FILE, loadOrCreateIdentity } from '../runtime/net/identity.js';
import { canListen, freePort, nodePaths, planTestnet, writeAdmissions, writeNodeFiles, type PlannedNode, type TestnetPlan } from './plan.js';
import { PLAN_FILE, readPlanFile, TestnetFolderError, writePlanFile, type RecordedPlan } from './plan-file.js';
import type { TestnetShape } from './shape.js';

/**
 * The names of what a testnet writes into its folder: node folders, configs
 * and logs, the network file, the plan (and its temporary file while it is
 * written), the lock, and the demo clients' profiles, passphrase files and
 * logs. `--fresh` removes these and nothing else.
 */
const TESTNET_ENTRY = /^(?:(?:authority-\d+|mix-\d+|gateway-[a-z])(?:\.toml|\.log)?|network\.toml|testnet\.json(?:\.\d+\.\d+\.tmp)?|client-(?:alice|bob)(?:\.passphrase|\.log)?)$/;

export interface OpenTestnetOptions {
  /** The shape of a new network (a resumed one keeps its recorded shape). */
  shape: TestnetShape;
  /** Genesis of a new network. */
  nowMs: number;
  /** Remove the network in the folder, if any, and create a new one. */
  fresh?: boolean;
}

export interface OpenedTestnet {
  plan: TestnetPlan;
  /** Whether the folder held the network already. */
  resumed: boolean;
  /** Lines for the operator: what was removed, moved or restored. */
  notes: string[];
}

/** The entries of `dir` a testnet writes (none if `dir` does not exist). */
export function testnetEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => TESTNET_ENTRY.test(name))
    .sort();
}

/**
 * Creates or resumes the network in `dir` (the caller holds its lock,
 * folder-lock.ts). Throws TestnetFolderError for a folder it cannot use.
 */
export async function openTestnet(dir: string, options: OpenTestnetOptions): Promise<OpenedTestnet> {
  mkdirSync(dir, { recursive: true });
  const notes: string[] = [];
  if (options.fresh) {
    const removed = testnetEntries(dir);
    for (const name of removed) rmSync(join(dir, name), { recursive: true, force: true });
    if (removed.length > 0) notes.push(`--fresh: removed the previous network (${removed.length} files and folders); profiles made against it will not work with the new one`);
  }
  if (!existsSync(join(dir, PLAN_FILE))) {
    const found = testnetEntries(dir);
    if (found.length > 0) {
      throw new TestnetFolderError(
        'incomplete',
        `${dir} holds a testnet's files (${found.slice(0, 4).join(', ')}${found.length > 4 ? ', …' : ''}) but no ${PLAN_FILE}: it was made by an older chaff, or its creation was interrupted, so it cannot be resumed; start over with \`chaff testnet --dir ${dir} --fresh\` or choose another folder`,
      );
    }
    return { plan: await planTestnet(dir, options.shape, options.nowMs), resumed: false, notes };
  }
  const { plan, notes: resumeNotes } = await resumeTestnet(dir, readPlanFile(dir));
  return { plan, resumed: true, notes: [...notes, ...resumeNotes] };
}

/** Checks the recorded network against its folder and this host's ports, and writes its configs again. */
export async function resumeTestnet(dir: string, recorded: RecordedPlan): Promise<{ plan: TestnetPlan; notes: string[] }> {
  const notes: string[] = [];
  const nodes: PlannedNode[] = [];
  for (const r of recorded.nodes) {
    const paths = nodePaths(dir, r.name);
    const keyFile = join(paths.dataDir, IDENTITY_FILE);
    // Never loadOrCreate on a missing file: a new key would be a new node.
    if (!existsSync(keyFile)) {
      throw new TestnetFolderError(
        'missing-key',
        `${keyFile} is missing: ${r.name} cannot start again with its identity (restore the file, or start over with \`chaff testnet --dir ${dir} --fresh\`)`,
      );
    }
    const identity = await loadOrCreateIdentity(paths.dataDir);
    if (toHex(identity.publicKey) !== r.identityKey) {
      throw new TestnetFolderError(
        'key-mismatch',
        `${keyFile} holds another key than ${PLAN_FILE} records for ${r.name} (${r.identityKey.slice(0, 16)}…): restore that node's folder, or start over with --fresh`,
      );
    }
    nodes.push({ ...r, ...paths, peerId: identity.peerId.toString() });
  }
  const plan: TestnetPlan = { dir, genesisMs: recorded.genesisMs, shape: recorded.shape, nodes, networkFile: join(dir, 'network.toml') };
  const leftovers = processesOf(plan);
  if (leftovers.length > 0) {
    throw new TestnetFolderError(
      'running',
      `processes of an earlier run of this testnet still run (${leftovers.map((p) => `${p.what}: pid ${p.pid}`).join(', ')}); stop them first: kill ${leftovers.map((p) => p.pid).join(' ')}`,
    );
  }
  const moved = await claimPorts(plan);
  notes.push(...moved);
  if (moved.length > 0) await writePlanFile(plan);
  for (const path of writeAdmissions(plan, true)) notes.push(`${path} was missing: written again (the testnet's own mixes and gateways)`);
  writeNodeFiles(plan);
  return { plan, notes };
}

/**
 * Checks that every recorded port can be listened on. A taken authority port
 * stops the start (the network file names it); other ports move, in `plan`.
 * Returns a line per moved port.
 */
async function claimPorts(plan: TestnetPlan): Promise<string[]> {
  const recorded = new Set(plan.nodes.flatMap((n) => [n.port, n.metricsPort]));
  const blocked: string[] = [];
  const moved: string[] = [];
  for (const n of plan.nodes) {
    if (!(await canListen(n.port))) {
      if (n.role === 'authority') {
        blocked.push(`${n.name}'s port ${n.port}`);
      } else {
        const port = await freePort(recorded);
        moved.push(`${n.name}: port ${n.port} is in use by another program; it listens on ${port} now (a relay announces its address in every descriptor)`);
        n.port = port;
      }
    }
    if (!(await canListen(n.metricsPort))) {
      const port = await freePort(recorded);
      moved.push(`${n.name}: metrics port ${n.metricsPort} is in use by another program; metrics on ${port} now`);
      n.metricsPort = port;
    }
  }
  if (blocked.length > 0) {
    throw new TestnetFolderError(
      'port-taken',
      `${blocked.join(', ')} ${blocked.length === 1 ? 'is' : 'are'} in use by another program (perhaps a node of an earlier run of this testnet that is still running: \`pgrep -af ${plan.dir}\`). ` +
        `The authorities' addresses are in network.toml and in every profile made from it, so they cannot move: free the port, or start over with --fresh`,
    );
  }
  return moved;
}

/**
 * Node and demo-client processes of this network still running (a testnet
 * killed with SIGKILL leaves its detached children behind), found by the
 * config or profile path on their command lines. Empty where /proc is not.
 */
function processesOf(plan: TestnetPlan): Array<{ pid: number; what: string }> {
  const marks = [
    ...plan.nodes.map((n) => ({ what: n.name, mark: `\0${n.configPath}\0` })),
    ...['alice', 'bob'].map((name) => ({ what: `client ${name}`, mark: `\0${join(plan.dir, `client-${name}`)}\0` })),
  ];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  const found: Array<{ pid: number; what: string }> = [];
  for (const pid of pids) {
    let cmdline: string;
    try {
      cmdline = `\0${readFileSync(`/proc/${pid}/cmdline`, 'utf8')}`;
    } catch {
      continue; // gone meanwhile
    }
    const hit = marks.find((m) => cmdline.includes(m.mark));
    if (hit) found.push({ pid: Number(pid), what: hit.what });
  }
  return found;
}

// Network namespaces for chaos runs (docs/chaos.md §Namespaces): every
// process of the network (each node, and each chat client daemon) in a Linux
// network namespace of its own, with its own address on a bridge, and its
// faults applied with nftables inside that namespace:
//
//   bridge chaffchaos0 (root namespace)   10.231.0.1/24, and 10.231.1.<i>/32 per member
//   namespace chaffchaos-<name>           eth0 10.231.0.<i>/24 (veth pair, peer ccv<i> on the bridge)
//
// Loss: every namespace drops that share of the packets arriving on its eth0
// (nft `numgen random mod 1000 < ‰`), so each direction of every link loses
// it once: a link A→B is dropped at B's door, B→A at A's. A partition drops
// everything in and out of a namespace's eth0. Delay and jitter: netem when
// the kernel has sch_netem (`tc qdisc … netem` on each eth0), otherwise the
// delaying TCP forwarder of chaos/delay-forwarder.ts on 10.231.1.<i>.
//
// Everything is named with the chaffchaos prefix, so a crashed run's
// leftovers are found and removed at the next start (removeLeftovers), and
// teardown() removes what this run made: call it from finally, and on
// SIGINT/SIGTERM (the runner does). One chaos run per machine at a time.

import { spawnSync } from 'node:child_process';

export const PREFIX = 'chaffchaos';
export const BRIDGE = `${PREFIX}0`;
export const BRIDGE_IP = '10.231.0.1';
const SUBNET = '10.231.0';
const DIAL_SUBNET = '10.231.1';

export interface Member {
  /** Node or client name, e.g. "mix-3", "alice". */
  name: string;
  /** Namespace name. */
  ns: string;
  /** Its address inside the namespace (eth0). */
  ip: string;
  /** The address of its forwarder in the root namespace (when the forwarder delays links). */
  dialIp: string;
  /** Host side of its veth pair. */
  veth: string;
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

function tryRun(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
}

/** Why namespaces cannot be used here, or null. Needs root, `ip` (iproute2) and `nft` (nftables). */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0)
    return 'chaos scenarios with namespaces need root (they create network namespaces, veth pairs, a bridge and nftables rules); run as root, e.g. `sudo npm run chaos -- NAME`';
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
  ]) {
    const r = spawnSync(tool, ['-V'], { encoding: 'utf8' });
    if (r.error) return `chaos scenarios with namespaces need \`${tool}\` (${pkg}): apt-get install -y ${pkg}`;
  }
  return null;
}

/** Whether this kernel has netem (sch_netem): checked by adding it to a throwaway namespace's loopback. */
export function kernelHasNetem(): boolean {
  const ns = `${PREFIX}-netem-probe`;
  tryRun('ip', ['netns', 'del', ns]);
  if (!tryRun('ip', ['netns', 'add', ns])) return false;
  try {
    return tryRun('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
  } finally {
    tryRun('ip', ['netns', 'del', ns]);
  }
}

/** Kills every process in a namespace (SIGKILL). */
function killNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Removes the namespaces, veths and bridge a chaos run left behind (a run that was killed). Returns what it removed. */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  const namespaces = (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${PREFIX}-`));
  for (const ns of namespaces) {
    killNamespace(ns);
    if (tryRun('ip', ['netns', 'del', ns])) removed.push(`namespace ${ns}`);
  }
  const links = (spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && (n.startsWith('ccv') || n === BRIDGE));
  for (const link of links) if (tryRun('ip', ['link', 'del', link])) removed.push(`link ${link}`);
  return removed;
}

export class Namespaces {
  readonly members = new Map<string, Member>();
  #torn = false;

  private constructor(readonly netem: boolean) {}

  /** Creates the bridge and one namespace per name (after removing a crashed run's leftovers). */
  static create(names: string[], options: { dialAddresses: boolean }): Namespaces {
    const why = netnsUnavailable();
    if (why) throw new Error(why);
    if (names.length > 200) throw new RangeError('at most 200 namespaces');
    removeLeftovers();
    const n = new Namespaces(kernelHasNetem());
    try {
      run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
      run('ip', ['addr', 'add', `${BRIDGE_IP}/24`, 'dev', BRIDGE]);
      run('ip', ['link', 'set', BRIDGE, 'up']);
      names.forEach((name, i) => n.#add(name, i + 10, options.dialAddresses));
    } catch (err) {
      n.teardown();
      throw err;
    }
    return n;
  }

  #add(name: string, index: number, dialAddresses: boolean): void {
    const ns = `${PREFIX}-${name}`;
    const veth = `ccv${index}`;
    const m: Member = { name, ns, ip: `${SUBNET}.${index}`, dialIp: `${DIAL_SUBNET}.${index}`, veth };
    run('ip', ['netns', 'add', ns]);
    this.members.set(name, m);
    run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run('ip', ['link', 'set', veth, 'master', BRIDGE]);
    run('ip', ['link', 'set', veth, 'up']);
    const inNs = (...args: string[]) => run('ip', ['netns', 'exec', ns, ...args]);
    inNs('ip', 'link', 'set', 'lo', 'up');
    inNs('ip', 'addr', 'add', `${m.ip}/24`, 'dev', 'eth0');
    inNs('ip', 'link', 'set', 'eth0', 'up');
    inNs('ip', 'route', 'add', 'default', 'via', BRIDGE_IP);
    if (dialAddresses) run('ip', ['addr', 'add', `${m.dialIp}/32`, 'dev', BRIDGE]);
    // The table every fault goes into (flushed and refilled by setFaults).
    inNs('nft', 'add', 'table', 'inet', 'chaos');
  }

  member(name: string): Member {
    const m = this.members.get(name);
    if (!m) throw new Error(`no namespace for ${name}`);
    return m;
  }

  /** Wraps a command to run inside `name`'s namespace. */
  wrap(name: string, command: string, args: string[]): { command: string; args: string[] } {
    return { command: 'ip', args: ['netns', 'exec', this.member(name).ns, command, ...args] };
  }

  /**
   * Sets the faults of `name`'s namespace (replacing any): `lossPermille` of
   * the packets arriving on eth0 dropped, or everything in and out dropped
   * (`partitioned`).
   */
  setFaults(name: string, f: { lossPermille?: number; partitioned?: boolean }): void {
    const m = this.member(name);
    const rules: string[] = [];
    if (f.partitioned) rules.push('iifname "eth0" drop', 'oifname "eth0" drop');
    else if (f.lossPermille && f.lossPermille > 0) rules.push(`iifname "eth0" numgen random mod 1000 < ${Math.round(f.lossPermille)} counter drop`);
    const script = [
      'flush table inet chaos',
      'table inet chaos {',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      ...rules.filter((r) => !r.startsWith('oifname')).map((r) => `    ${r}`),
      '  }',
      '  chain output {',
      '    type filter hook output priority 0; policy accept;',
      ...rules.filter((r) => r.startsWith('oifname')).map((r) => `    ${r}`),
      '  }',
      '}',
      '',
    ].join('\n');
    run('ip', ['netns', 'exec', m.ns, 'nft', '-f', '-'], script);
  }

  /** netem delay ± jitter on `name`'s eth0 (egress), when the kernel has netem. */
  setNetemDelay(name: string, delayMs: number, jitterMs: number): void {
    if (!this.netem) throw new Error('this kernel has no sch_netem');
    const m = this.member(name);
    run('ip', ['netns', 'exec', m.ns, 'tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', 'delay', `${delayMs}ms`, `${jitterMs}ms`]);
  }

  /** Packets the loss rules dropped so far in `name`'s namespace. */
  dropped(name: string): number {
    const out = spawnSync('ip', ['netns', 'exec', this.member(name).ns, 'nft', 'list', 'table', 'inet', 'chaos'], { encoding: 'utf8' }).stdout ?? '';
    let n = 0;
    for (const m of out.matchAll(/counter packets (\d+)/g)) n += Number(m[1]);
    return n;
  }

  /** Kills what still runs in the namespaces and removes them, their veths and the bridge. Idempotent. */
  teardown(): void {
    if (this.#torn) return;
    this.#torn = true;
    for (const m of this.members.values()) {
      killNamespace(m.ns);
      tryRun('ip', ['netns', 'del', m.ns]);
      tryRun('ip', ['link', 'del', m.veth]);
    }
    tryRun('ip', ['link', 'del', BRIDGE]);
  }
}

/** For tests and `--list`: whether namespaces can be made here (root, ip, nft). */
export function canUseNamespaces(): boolean {
  return netnsUnavailable() === null;
}

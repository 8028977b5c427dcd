// `npm run soak [-- --epochs 50 --epoch-ms 3000 --rate 40]`: a mix and a
// gateway under steady load across many short epochs, to show that nothing
// a relay keeps per packet or per epoch grows without bound (issue 9 §2:
// replay tags of retired epochs, delay-queue entries, mailbox entries).
//
// The network is the one `chaff testnet` plans (testnet/plan.ts), run as
// real `chaff node` processes on 127.0.0.1 (test/helpers/network.ts): three
// authorities, one mix, one gateway, with real LevelDB folders in a temp
// folder. A probe client (testnet/probe-client.ts) sends `rate` Sphinx
// packets a second, each gateway → mix → gateway into its own mailbox with
// Exp(μ) delays, and fetches and acknowledges them, so the mailbox is
// emptied as it fills; the mix also sends its own loops (λM).
//
// Per epoch, sampled late in the epoch, for the mix and the gateway: resident
// memory and V8 heap (the node's chaff_process_* gauges), replay tags held
// and the memory of their tables, and the disk used by the replay and
// mailbox folders. At the end it checks every figure levels off: the maximum
// over the last `window` epochs may exceed the maximum over the `window`
// epochs before them by at most `tolerance` (plus a small absolute slack for
// figures that start near zero). Exit status 0: levelled off; 1: something
// grew; 2: the run itself failed. It is a script, not part of `npm test`;
// all traffic stays on 127.0.0.1 and the load is bounded in rate and time.

import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { epochEnd } from '../protocol/pki/epoch.js';
import type { NodeEntry } from '../protocol/pki/document.js';
import { Topology } from '../protocol/pki/routes.js';
import { ProbeClient } from '../testnet/probe-client.js';
import { parseMetric, sleep, TestNetwork } from '../test/helpers/network.js';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '50' },
    'epoch-ms': { type: 'string', default: '3000' },
    rate: { type: 'string', default: '40' },
    window: { type: 'string', default: '10' },
    tolerance: { type: 'string', default: '0.15' },
    keep: { type: 'boolean', default: false },
  },
});
const EPOCHS = Number(args.epochs);
const EPOCH_MS = Number(args['epoch-ms']);
const RATE = Number(args.rate);
const WINDOW = Number(args.window);
const TOLERANCE = Number(args.tolerance);
if (!(EPOCHS >= 2 * WINDOW) || !(EPOCH_MS >= 1000) || !(RATE > 0 && RATE <= 500)) {
  process.stderr.write('soak: need --epochs ≥ 2·--window, --epoch-ms ≥ 1000 and 0 < --rate ≤ 500\n');
  process.exit(2);
}

const RELAYS = { mix: 'mix-1', gateway: 'gateway-a' } as const;
type Relay = keyof typeof RELAYS;

interface Sample {
  rss: number;
  heap: number;
  tags: number;
  tagBytes: number;
  /** The replay folder without LevelDB's info log and manifest (below). */
  replayDisk: number;
  /** LevelDB's LOG and MANIFEST in the replay folder: a few lines per compaction, started afresh at every open. */
  replayLevelDbLog: number;
  mailboxDisk: number;
  packetsIn: number;
}

/** What each figure is, and the absolute slack its check allows (figures that start near zero). */
const FIGURES: Array<{ key: keyof Sample; label: string; slack: number }> = [
  { key: 'rss', label: 'RSS', slack: 8 << 20 },
  { key: 'heap', label: 'heap used', slack: 8 << 20 },
  { key: 'tags', label: 'replay tags', slack: 2 * RATE * (EPOCH_MS / 1000) },
  { key: 'tagBytes', label: 'replay table bytes', slack: 64 << 10 },
  { key: 'replayDisk', label: 'replay folder (without LOG, MANIFEST)', slack: 256 << 10 },
  { key: 'mailboxDisk', label: 'mailbox folder', slack: 4 << 20 },
];

/** Bytes of the files in `dir` (recursively) whose name `only` accepts. */
function folderBytes(dir: string, only: (name: string) => boolean = () => true): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue; // removed by a compaction meanwhile
    total += st.isDirectory() ? folderBytes(path, only) : only(name) ? st.size : 0;
  }
  return total;
}

async function sample(net: TestNetwork, relay: Relay): Promise<Sample> {
  const name = RELAYS[relay];
  // A busy machine can make one scrape miss its 2-second deadline: try a few times.
  let text = '';
  for (let attempt = 0; attempt < 5 && !text; attempt++) text = await net.metricsText(name);
  if (!text) throw new Error(`${name} does not answer on its metrics port`);
  const m = (metric: string) => parseMetric(text, metric) ?? 0;
  const dataDir = net.node(name).dataDir;
  return {
    rss: m('chaff_process_resident_bytes'),
    heap: m('chaff_process_heap_used_bytes'),
    tags: m('chaff_replay_cache_tags'),
    tagBytes: m('chaff_replay_cache_bytes'),
    replayDisk: folderBytes(join(dataDir, 'replay'), (f) => !isLevelDbLog(f)),
    replayLevelDbLog: folderBytes(join(dataDir, 'replay'), isLevelDbLog),
    mailboxDisk: folderBytes(join(dataDir, 'mailbox')),
    packetsIn: m('chaff_packets_in_total'),
  };
}

const isLevelDbLog = (name: string) => name === 'LOG' || name === 'LOG.old' || name.startsWith('MANIFEST-');
const MiB = (n: number) => (n / 2 ** 20).toFixed(1);
const KiB = (n: number) => (n / 1024).toFixed(0);

/** The current epoch's document once it lists the mix and the gateway. */
async function documentNow(net: TestNetwork, timeoutMs: number): Promise<Topology> {
  return net.waitFor('a document with the mix and the gateway', timeoutMs, async () => {
    const v = await net.pki.fetchDocument(net.epochNow());
    return v.document.layers.every((l) => l.length > 0) && v.document.gateways.length > 0 ? new Topology(v.document) : undefined;
  });
}

/** Sends probes at `RATE`/s (evenly spaced) and fetches them back, until `stop()`; the document is renewed every epoch. */
function startLoad(net: TestNetwork, client: ProbeClient, first: Topology): { sent: () => number; received: () => number; failures: () => number; stop: () => Promise<void> } {
  let topology = first;
  let gateway: NodeEntry = first.document.gateways[0];
  let running = true;
  let sent = 0;
  let received = 0;
  let failures = 0;
  const renew = async () => {
    while (running) {
      await sleep(Math.max(50, epochEnd(topology.epoch, net.epochs) - Date.now() + 50));
      try {
        topology = await documentNow(net, EPOCH_MS);
        gateway = topology.document.gateways.find((g) => g.name === gateway.name) ?? topology.document.gateways[0];
      } catch {
        failures++; // keep the old document: its keys stay usable for key_grace
      }
    }
  };
  const send = async () => {
    const start = Date.now();
    for (let seq = 0; running; seq++) {
      try {
        await client.send(topology, gateway, gateway, client.mailboxId, seq);
        sent++;
      } catch {
        failures++;
      }
      await sleep(Math.max(0, start + ((seq + 1) * 1000) / RATE - Date.now()));
    }
  };
  const fetch = async () => {
    let acks: bigint[] = [];
    while (running) {
      try {
        const messages = await client.fetch(gateway, topology, acks);
        acks = messages.map((m) => m.id).slice(0, 32);
        received += messages.filter((m) => m.seq !== null).length;
        if (messages.length === 0) await sleep(100);
      } catch {
        failures++;
        await sleep(200);
      }
    }
  };
  const loops = [renew(), send(), fetch()];
  return {
    sent: () => sent,
    received: () => received,
    failures: () => failures,
    stop: async () => {
      running = false;
      await Promise.allSettled(loops);
    },
  };
}

async function main(): Promise<number> {
  const net = await TestNetwork.start({
    shape: { authorities: 3, layers: 1, mixesPerLayer: 1, gateways: 1, epochDurationMs: EPOCH_MS, mu: 20, lambdaP: RATE, lambdaL: 1, lambdaD: 1, lambdaM: 2 },
  });
  // Interrupted (Ctrl-C, a timeout): stop the node processes too.
  const interrupted = () => void net.stop().finally(() => process.exit(2));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const client = await ProbeClient.create();
  let load: ReturnType<typeof startLoad> | undefined;
  try {
    const first = await documentNow(net, 120_000); // processes start slowly on a busy machine
    await client.register(first.document.gateways[0], first);
    load = startLoad(net, client, first);
    process.stdout.write(
      `soak: ${EPOCHS} epochs of ${EPOCH_MS} ms, ${RATE} probes/s gateway → mix → gateway (μ = 20/s, λM = 2/s); data in ${net.dir}\n` +
        'epoch | relay   | RSS MiB | heap MiB | replay tags | tables KiB | replay disk KiB (+ LOG, MANIFEST) | mailbox disk KiB | packets in/s | sent | received\n',
    );
    const samples: Record<Relay, Sample[]> = { mix: [], gateway: [] };
    let lastIn: Record<Relay, number> = { mix: 0, gateway: 0 };
    let epoch = first.epoch;
    for (let i = 0; i < EPOCHS; i++) {
      // Late in the epoch: the previous epoch's key has retired (key_grace is a quarter epoch).
      await sleep(Math.max(0, epochEnd(epoch, net.epochs) - EPOCH_MS / 10 - Date.now()));
      net.checkAlive();
      for (const relay of Object.keys(RELAYS) as Relay[]) {
        const s = await sample(net, relay);
        samples[relay].push(s);
        const rate = i === 0 ? 0 : (s.packetsIn - lastIn[relay]) / (EPOCH_MS / 1000);
        lastIn = { ...lastIn, [relay]: s.packetsIn };
        process.stdout.write(
          `${String(epoch).padStart(5)} | ${relay.padEnd(7)} | ${MiB(s.rss).padStart(7)} | ${MiB(s.heap).padStart(8)} | ${String(s.tags).padStart(11)} | ${KiB(s.tagBytes).padStart(10)} | ${KiB(s.replayDisk).padStart(15)} ${`(+ ${KiB(s.replayLevelDbLog)})`.padStart(18)} | ${KiB(s.mailboxDisk).padStart(16)} | ${rate.toFixed(0).padStart(12)} | ${String(load.sent()).padStart(4)} | ${load.received()}\n`,
        );
      }
      epoch++;
    }
    const failures = load.failures();
    await load.stop();
    return verdict(samples, load.sent(), load.received(), failures);
  } finally {
    await load?.stop();
    await client.stop().catch(() => undefined);
    await net.stop();
    if (!args.keep) rmSync(net.dir, { recursive: true, force: true });
  }
}

/** Levelled off: for every figure, max(last window) ≤ max(window before) · (1 + tolerance) + slack. */
function verdict(samples: Record<Relay, Sample[]>, sent: number, received: number, failures: number): number {
  let ok = true;
  process.stdout.write(`\nload: ${sent} probes sent, ${received} received (${((100 * received) / Math.max(1, sent)).toFixed(1)} %), ${failures} client errors\n`);
  if (received < sent / 2) {
    process.stdout.write('FAIL: less than half the probes came back: the relays were not under the intended load\n');
    ok = false;
  }
  for (const relay of Object.keys(RELAYS) as Relay[]) {
    const s = samples[relay];
    const last = s.slice(-WINDOW);
    const before = s.slice(-2 * WINDOW, -WINDOW);
    for (const f of FIGURES) {
      const a = Math.max(...before.map((x) => x[f.key]));
      const b = Math.max(...last.map((x) => x[f.key]));
      const limit = a * (1 + TOLERANCE) + f.slack;
      const pass = b <= limit;
      ok &&= pass;
      process.stdout.write(`${pass ? 'ok  ' : 'FAIL'} ${relay} ${f.label}: max of the last ${WINDOW} epochs ${b.toFixed(0)}, of the ${WINDOW} before ${a.toFixed(0)} (limit ${limit.toFixed(0)})\n`);
    }
    // Not a failure: LevelDB appends to these on every compaction and starts them afresh at open (docs/storage.md §Replay cache).
    const logGrowth = (s[s.length - 1].replayLevelDbLog - s[s.length - 1 - WINDOW].replayLevelDbLog) / WINDOW;
    process.stdout.write(
      `info ${relay} LevelDB LOG + MANIFEST of the replay folder: ${KiB(s[s.length - 1].replayLevelDbLog)} KiB, +${(logGrowth / 1024).toFixed(1)} KiB per epoch (reset at every start)\n`,
    );
  }
  process.stdout.write(ok ? 'soak: levelled off\n' : 'soak: something grew\n');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`soak failed: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  },
);

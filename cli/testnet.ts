// `chaff testnet` (npm start): a local network in separate processes, with
// probe traffic and two chatting clients. docs/testnet.md.

import { parseArgs } from 'node:util';
import { runTestnet } from '../testnet/run.js';

const USAGE = `usage: chaff testnet [--duration SECONDS] [--json] [--dir DIR] [--trace DIR]

Starts 3 authorities, 3 mix layers × 2 mixes and 2 gateways on 127.0.0.1,
each as its own process, waits for a threshold-signed topology document,
prints it, then sends probe packets through the network and starts two chat
clients, alice and bob (each a \`chaff client daemon\` with cover traffic),
that exchange messages; it reports what it measured. Without --duration it runs until Ctrl-C. With --json the last
line is a JSON summary (routed, dropped by reason, delivered, lost, and
messages: sent, delivered, retransmitted, lost, latencyMs). With --trace DIR
the gateways write what a link observer and a corrupt gateway would see, and
the clients who wrote to whom, into DIR for \`chaff sim attack\`.
`;

export async function testnetCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { duration: { type: 'string' }, json: { type: 'boolean' }, dir: { type: 'string' }, trace: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`chaff testnet: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const duration = parsed.values.duration === undefined ? undefined : Number(parsed.values.duration);
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) {
    process.stderr.write(`chaff testnet: --duration must be a positive number of seconds, got "${parsed.values.duration}"\n`);
    return 2;
  }
  const json = parsed.values.json === true;
  // With --json, progress goes to stderr so stdout's last line is the summary.
  const out = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
  try {
    const s = await runTestnet({ dir: parsed.values.dir, durationS: duration, json, out, ...(parsed.values.trace ? { traceDir: parsed.values.trace } : {}) });
    if (json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
    } else {
      out('');
      out(`summary: ${s.sent} probes sent, ${s.delivered} delivered, ${s.lost} lost`);
      out(`  routed by the mixes: ${s.routed} packets (probes and mix loop cover); mix loops ${s.mixLoops.returned}/${s.mixLoops.sent} returned`);
      out(`  dropped: ${Object.keys(s.dropped).length ? Object.entries(s.dropped).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);
      if (s.latencyMs) out(`  end-to-end latency: mean ${s.latencyMs.mean.toFixed(0)} ms, p50 ${s.latencyMs.p50.toFixed(0)} ms, p99 ${s.latencyMs.p99.toFixed(0)} ms; added per hop beyond the chosen delays: ${s.meanHopLatencyMs!.toFixed(1)} ms`);
      const m = s.messages;
      out(`chat: ${m.sent} messages sent, ${m.delivered} delivered, ${m.retransmitted} retransmissions, ${m.lost} lost` + (m.latencyMs ? `; latency mean ${m.latencyMs.mean.toFixed(0)} ms, p50 ${m.latencyMs.p50.toFixed(0)} ms, p99 ${m.latencyMs.p99.toFixed(0)} ms` : ''));
      out(`  logs: ${s.dataDir}`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`chaff testnet: ${(err as Error).message}\n`);
    return 1;
  }
}

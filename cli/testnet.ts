// `chaff testnet` (npm start): a local network in separate processes, with
// probe traffic and two chatting clients. docs/testnet.md. Its command line:
// cli/commands/testnet.ts.

import { runTestnet } from '../testnet/run.js';

export interface TestnetCommandOptions {
  durationS: number | undefined;
  json: boolean;
  dir: string | undefined;
  traceDir: string | undefined;
  fresh: boolean;
}

/** Runs the testnet and prints its summary (the command line: cli/commands/testnet.ts). */
export async function runTestnetCommand({ durationS, json, dir, traceDir, fresh }: TestnetCommandOptions): Promise<number> {
  // With --json, progress goes to stderr so stdout's last line is the summary.
  const out = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
  try {
    const s = await runTestnet({ dir, durationS, json, out, fresh, ...(traceDir ? { traceDir } : {}) });
    if (json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
    } else {
      out('');
      out(`summary: ${s.sent} probes sent, ${s.delivered} delivered, ${s.lost} lost`);
      out(`  routed by the mixes: ${s.routed} packets (probes and mix loop cover); mix loops ${s.mixLoops.returned}/${s.mixLoops.sent} returned`);
      out(
        `  dropped: ${
          Object.keys(s.dropped).length
            ? Object.entries(s.dropped)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')
            : 'none'
        }`,
      );
      if (s.latencyMs)
        out(
          `  end-to-end latency: mean ${s.latencyMs.mean.toFixed(0)} ms, p50 ${s.latencyMs.p50.toFixed(0)} ms, p99 ${s.latencyMs.p99.toFixed(0)} ms; added per hop beyond the chosen delays: ${s.meanHopLatencyMs!.toFixed(1)} ms`,
        );
      const m = s.messages;
      out(
        `chat: ${m.sent} messages sent, ${m.delivered} delivered, ${m.retransmitted} retransmissions, ${m.lost} lost` +
          (m.latencyMs ? `; latency mean ${m.latencyMs.mean.toFixed(0)} ms, p50 ${m.latencyMs.p50.toFixed(0)} ms, p99 ${m.latencyMs.p99.toFixed(0)} ms` : ''),
      );
      out(`  logs: ${s.dataDir}`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`chaff testnet: ${(err as Error).message}\n`);
    return 1;
  }
}

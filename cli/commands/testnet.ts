// `chaff testnet` (npm start): a local network in separate processes, with
// probe traffic and two chatting clients (cli/testnet.ts, docs/testnet.md).

import { ChaffCommand, EXIT_USAGE } from '../command.js';

const ABOUT = `Starts 3 authorities, 3 mix layers × 2 mixes and 2 gateways on 127.0.0.1,
each as its own process, waits for a threshold-signed topology document,
prints it, then sends probe packets through the network and starts two chat
clients, alice and bob (each a \`chaff client daemon\` with cover traffic),
that exchange messages; it reports what it measured. Without --duration it runs until Ctrl-C. With --json the last
line is a JSON summary (routed, dropped by reason, delivered, lost, and
messages: sent, delivered, retransmitted, lost, latencyMs). With --trace DIR
the gateways write what a link observer and a corrupt gateway would see, and
the clients who wrote to whom, into DIR for \`chaff sim attack\`.

With --dir DIR the network lives in DIR: run again on the same folder (after
Ctrl-C or a reboot), it starts the same network again (testnet.json: the same
genesis, node keys and ports, the nodes' stores, and alice's and bob's
profiles), so profiles made from DIR/network.toml keep working. --fresh
removes the network in DIR (only the testnet's own files) and makes a new one.`;

export function testnetProgram(): ChaffCommand {
  const testnet = new ChaffCommand('testnet')
    .summary('a local network with two chatting clients (npm start)')
    .description(ABOUT)
    .usage('[--duration SECONDS] [--json] [--dir DIR [--fresh]] [--trace DIR]')
    .option('--duration <seconds>', 'stop after this many seconds (default: run until Ctrl-C)')
    .option('--json', "progress on stderr, and stdout's last line a JSON summary")
    .option('--dir <dir>', 'where the nodes and clients keep their data and logs; a folder holding a testnet resumes it (default: a new temporary folder)')
    .option('--fresh', 'with --dir: remove the network in DIR (its own files only) and create a new one')
    .option('--trace <dir>', "write the gateways' and clients' traces into DIR, for `chaff sim attack`");
  return testnet.runs(async (cmd) => {
    const options = cmd.opts<{ duration?: string; json?: boolean; dir?: string; trace?: string; fresh?: boolean }>();
    const duration = options.duration === undefined ? undefined : Number(options.duration);
    if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) {
      process.stderr.write(`chaff testnet: --duration must be a positive number of seconds, got "${options.duration}"\n`);
      return EXIT_USAGE;
    }
    if (options.fresh && options.dir === undefined) {
      process.stderr.write('chaff testnet: --fresh needs --dir (without it every run makes a new network in a new temporary folder)\n');
      return EXIT_USAGE;
    }
    return (await import('../testnet.js')).runTestnetCommand({ durationS: duration, json: options.json === true, dir: options.dir, traceDir: options.trace, fresh: options.fresh === true });
  });
}

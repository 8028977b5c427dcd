// A `chaff` entry that runs the real one inside a network namespace (chaos
// runs, docs/chaos.md): the chat client daemons are spawned as
// `node $CHAFF_BIN client daemon …` (testnet/chat-clients.ts), so the runner
// points CHAFF_BIN here while it starts them, with the namespace and the real
// entry in CHAFF_CHAOS_NETNS and CHAFF_CHAOS_BIN. Signals are passed on; the
// namespace's teardown kills whatever a SIGKILL of this process leaves.

const { spawn } = require('node:child_process');

const ns = process.env.CHAFF_CHAOS_NETNS;
const real = process.env.CHAFF_CHAOS_BIN;
if (!ns || !real) {
  process.stderr.write('chaos/netns-entry.cjs: CHAFF_CHAOS_NETNS and CHAFF_CHAOS_BIN must be set\n');
  process.exit(2);
}
const env = { ...process.env, CHAFF_BIN: real };
delete env.CHAFF_CHAOS_NETNS;
delete env.CHAFF_CHAOS_BIN;
const child = spawn('ip', ['netns', 'exec', ns, process.execPath, real, ...process.argv.slice(2)], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGUSR2']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exit(signal ? 128 + (require('node:os').constants.signals[signal] ?? 0) : (code ?? 1));
});

// `chaff` subcommand dispatch. Each subcommand lives in its own module and
// returns the process exit status.

const USAGE = `usage: chaff <command> [options]

commands:
  demo                 build a 5-hop Sphinx packet and unwrap it hop by hop
  sphinx <subcommand>  Sphinx interop and debugging tool (chaff sphinx --help)
  sim run|sweep|attack leakage simulations, sweeps, attacks on testnet traces (chaff sim --help)
  node --config FILE   run a relay node: authority, mix or gateway (chaff node --help)
  testnet              a local network with two chatting clients (npm start; chaff testnet --help)
  client <command>     the messaging client: init, daemon, chat, send… (chaff client --help)
  help                 this text
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./demo.js')).demoCommand,
  sphinx: async () => (await import('./sphinx.js')).sphinxCommand,
  sim: async () => (await import('./sim.js')).simCommand,
  node: async () => (await import('./node.js')).nodeCommand,
  testnet: async () => (await import('./testnet.js')).testnetCommand,
  client: async () => (await import('./client.js')).clientCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`chaff: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
}

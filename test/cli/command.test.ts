// cli/command.ts: the conventions every `chaff` command shares, in process.

import assert from 'node:assert/strict';
import { ChaffCommand } from '../../cli/command.js';
import { chaffProgram, main } from '../../cli/main.js';
import { MODELS } from '../../simulator/models/model-names.js';

/** Runs `program argv…`, capturing what it writes. */
function run(program: ChaffCommand, argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return capture(() => program.runProgram(argv));
}

/** Runs `body`, capturing what it writes to stdout and stderr; its result is the exit status. */
async function capture(body: () => Promise<number>): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const status = await body();
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/** A group with two commands, as `chaff client` is built. */
function sample(seen: Array<{ args: string[]; options: Record<string, unknown> }>): ChaffCommand {
  const root = new ChaffCommand('tool');
  const group = root.command('group').reportAs('tool group').option('--profile <dir>');
  group.describeUnknownOption((flag, command) => (flag === '--json' && command !== group ? `${command.name()} does not take ${flag}` : `Unknown option '${flag}'`));
  group
    .command('say')
    .usage('NAME TEXT…')
    .argument('<name>')
    .argument('[text...]')
    .option('--profile <dir>')
    .runs(async (cmd) => {
      seen.push({ args: cmd.args, options: cmd.optsWithGlobals() });
      return cmd.args.length > 3 ? 1 : 0;
    });
  group
    .command('show')
    .option('--json')
    .runs(async (cmd) => {
      seen.push({ args: cmd.args, options: cmd.optsWithGlobals() });
      return 0;
    });
  return root;
}

describe('chaff command conventions (cli/command.ts)', function () {
  it("an action's result is the exit status; -- keeps its meaning for the sub-command", async function () {
    const seen: Array<{ args: string[]; options: Record<string, unknown> }> = [];
    assert.equal((await run(sample(seen), ['group', 'say', 'bob', '--', '-1', 'is', 'a'])).status, 1);
    assert.deepEqual(seen[0].args, ['bob', '-1', 'is', 'a']);
  });

  it('an option of the whole group works before or after the command', async function () {
    const seen: Array<{ args: string[]; options: Record<string, unknown> }> = [];
    await run(sample(seen), ['group', '--profile', 'a', 'say', 'bob']);
    await run(sample(seen), ['group', 'say', 'bob', '--profile', 'b']);
    assert.deepEqual(
      seen.map((s) => s.options.profile),
      ['a', 'b'],
    );
  });

  it('an option only some commands take, declared on the group too, works before the command; a command that does not take it refuses it there too', async function () {
    const seen: Array<{ args: string[]; options: Record<string, unknown> }> = [];
    const group = (sample(seen).commands[0] as ChaffCommand).option('--json');
    const root = group.parent as ChaffCommand;
    assert.equal((await run(root, ['group', '--json', 'show'])).status, 0);
    assert.equal(seen[0].options.json, true);
    const refused = await run(root, ['group', '--json', 'say', 'bob']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^tool group: say does not take --json\n/);
    assert.equal(seen.length, 1, 'say did not run');
  });

  it('a usage error is one line with the prefix, then the usage; exit status 2', async function () {
    const seen: Array<{ args: string[]; options: Record<string, unknown> }> = [];
    const missing = await run(sample(seen), ['group', 'say']);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, "tool group: missing required argument 'name'\nusage: tool group say NAME TEXT…\n");
    const other = await run(sample(seen), ['group', 'say', 'bob', '--json']);
    assert.equal(other.status, 2);
    assert.match(other.stderr, /^tool group: say does not take --json\n/);
    const unknown = await run(sample(seen), ['group', 'show', '--colour']);
    assert.match(unknown.stderr, /^tool group: Unknown option '--colour'\n/);
    const command = await run(sample(seen), ['group', 'frob']);
    assert.equal(command.status, 2);
    assert.match(command.stderr, /^tool group: unknown command "frob"\n\nusage: tool group/);
    assert.equal(seen.length, 0, 'no action ran');
  });

  it('help is exit status 0 on stdout; a group without its command, 2', async function () {
    const seen: Array<{ args: string[]; options: Record<string, unknown> }> = [];
    const help = await run(sample(seen), ['group', 'say', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: tool group say NAME TEXT…\n/);
    assert.equal((await run(sample(seen), ['group', 'help', 'show'])).status, 0);
    assert.equal((await run(sample(seen), ['group'])).status, 2);
  });

  it('chaff --help lists every command, from the same definitions', async function () {
    const r = await run(chaffProgram(), ['--help']);
    assert.equal(r.status, 0);
    for (const name of ['demo', 'sphinx', 'sim', 'node', 'testnet', 'client']) assert.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'));
  });

  it("a group's --help is on stdout with exit status 0; chaff without a command is its usage on stderr, exit status 2", async function () {
    for (const group of ['client', 'sim', 'sphinx', 'node', 'testnet']) {
      const help = await run(chaffProgram(), [group, '--help']);
      assert.equal(help.status, 0, group);
      assert.match(help.stdout, new RegExp(`^usage: chaff ${group} `), group);
      assert.equal(help.stderr, '', group);
    }
    const bare = await capture(() => main([]));
    assert.equal(bare.status, 2);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /^usage: chaff <command>/);
  });

  it('chaff demo takes no arguments: an extra one is a usage error, and the demo does not run', async function () {
    const r = await run(chaffProgram(), ['demo', 'extra-arg']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^chaff demo: too many arguments for 'demo'\. Expected 0 arguments but got 1\.\nusage: chaff demo/);
  });

  it('chaff sim --help lists the models this build implements', async function () {
    const r = await run(chaffProgram(), ['sim', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`models in this build .*: ${MODELS.join(', ')}\n`));
    assert.match(r.stdout, /presets: simulator\/presets\/\*\.toml/);
  });
});

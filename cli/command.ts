// The `Command` every `chaff` command is built from: commander's, with the
// conventions of this CLI (cli/main.ts says why commander):
//   - exit statuses: 0 ok (and --help), 1 an error at run time, 2 a usage error;
//   - a usage error is one line on stderr, `PREFIX: message`, then a reminder:
//     the usage line of a command, or the whole help of a command group;
//   - help titles in lower case ("usage:", "options:", "commands:"), as
//     the rest of the CLI writes;
//   - positional options: a command group reads its own options only before
//     the sub-command's name and hands the rest over untouched, so `--` keeps
//     its meaning for the sub-command (`chaff client send bob -- -1`); an
//     option a whole group takes (--profile, --config) is declared on the
//     group and on each of its commands, so it works on either side. An
//     option only some commands take (--json) may be declared on the group
//     too: given before the command's name, it is refused for a command that
//     does not declare it, as it would be after the name.
//   - an action returns its exit status, which `runProgram` hands back.

import { Command, CommanderError, type ErrorOptions } from 'commander';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Commander's codes for "the help was asked for": not an error. */
const HELP_SHOWN = new Set(['commander.helpDisplayed', 'commander.version']);

export class ChaffCommand extends Command {
  /** The exit status of the action that ran (kept on the root command). */
  #status = EXIT_OK;
  /** Errors of this command and its sub-commands start with this, else with the command's path. */
  #reportAs: string | undefined;
  /** How this group names what follows it ("command", or "subcommand" for `chaff sphinx`). */
  #subcommandWord = 'command';
  /** Rewrites commander's "unknown option" message, for a group that knows its sub-commands' options. */
  #unknownOption: ((flag: string, command: ChaffCommand) => string) | undefined;

  constructor(name?: string) {
    super(name);
    this.exitOverride();
    this.enablePositionalOptions();
    this.configureHelp({ styleTitle: (title) => title.toLowerCase() });
  }

  override createCommand(name?: string): ChaffCommand {
    return new ChaffCommand(name);
  }

  /** Runs `handler` for this command; its result is the process's exit status. */
  runs(handler: (command: this) => Promise<number>): this {
    return this.action(async () => {
      this.#refuseGroupOptionsNotTaken();
      this.#root().#status = await handler(this);
    });
  }

  /** Errors of this command and of every sub-command start with `prefix`. */
  reportAs(prefix: string): this {
    this.#reportAs = prefix;
    return this;
  }

  /** The word errors use for this group's sub-commands ("unknown subcommand …"). */
  callsSubcommands(word: string): this {
    this.#subcommandWord = word;
    return this;
  }

  /** How this group names an option that one of its commands does not know. */
  describeUnknownOption(describe: (flag: string, command: ChaffCommand) => string): this {
    this.#unknownOption = describe;
    return this;
  }

  /** `chaff client send`: the command's name and its parents'. */
  path(): string {
    const names = [this.name()];
    for (let c = this.parent; c; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  }

  /** One line on stderr, then the usage; throws (commander's exitOverride) with exit status 2 unless told otherwise. */
  override error(message: string, options?: ErrorOptions): never {
    const code = options?.code ?? 'chaff.usage';
    let text = message.replace(/^error: /, '');
    // commander's texts: "unknown command 'x'" and "unknown option '--x'", perhaps with "(Did you mean …?)".
    if (code === 'commander.unknownCommand') text = text.replace(/^unknown command '([^']*)'/, `unknown ${this.#subcommandWord} "$1"`);
    const unknownFlag = code === 'commander.unknownOption' ? /^unknown option '([^']*)'(.*)$/s.exec(text) : null;
    if (unknownFlag) {
      const [, flag, suggestion] = unknownFlag;
      const owner = this.#lineage().find((c) => c.#unknownOption !== undefined);
      const describe = owner ? owner.#unknownOption : undefined;
      text = (describe ? describe(flag, this) : `Unknown option '${flag}'`) + suggestion;
    }
    const reminder = this.commands.length > 0 ? `\n${this.helpInformation()}` : `usage: ${this.createHelp().commandUsage(this)}\n`;
    process.stderr.write(`${this.#prefix()}: ${text}\n${reminder}`);
    throw new CommanderError(options?.exitCode ?? EXIT_USAGE, code, text);
  }

  /** Parses `argv` (without node and script), runs the chosen action and returns its exit status. */
  async runProgram(argv: readonly string[]): Promise<number> {
    try {
      await this.parseAsync([...argv], { from: 'user' });
      return this.#status;
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      if (HELP_SHOWN.has(err.code)) return EXIT_OK;
      // commander.help: `help COMMAND` (exit code 0), or a group called without its sub-command (its help on stderr, a usage error).
      if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return err.exitCode;
    }
  }

  /** `chaff client --json init`: a group's option given before a command that does not take it is the usage error it would be after the name. */
  #refuseGroupOptionsNotTaken(): void {
    for (const group of this.#lineage().slice(1)) {
      for (const option of group.options) {
        if (group.getOptionValueSource(option.attributeName()) !== 'cli') continue;
        if (this.options.some((o) => o.long === option.long)) continue;
        this.error(`error: unknown option '${option.long ?? option.flags}'`, { code: 'commander.unknownOption' });
      }
    }
  }

  #lineage(): ChaffCommand[] {
    const chain: ChaffCommand[] = [this];
    for (let c = this.parent; c; c = c.parent) if (c instanceof ChaffCommand) chain.push(c);
    return chain;
  }

  #root(): ChaffCommand {
    return this.#lineage().at(-1) ?? this;
  }

  #prefix(): string {
    const reporter = this.#lineage().find((c) => c.#reportAs !== undefined);
    return reporter ? (reporter.#reportAs as string) : this.path();
  }
}

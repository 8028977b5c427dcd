// What every `chaff client …` command shares (cli/client/commands.ts,
// group-commands.ts): the --profile and --json flags, how a command reaches
// its profile and socket, how a failure becomes one line on stderr and an
// exit status, and how results are printed.

import { CommanderError } from 'commander';
import { PassphraseError } from '../../client/store/passphrase.js';
import { clientSocketPath } from '../../client/rpc/socket-path.js';
import { ChaffCommand, EXIT_FAILURE, EXIT_USAGE } from '../command.js';
import { resolveProfileDir } from './daemon-connection.js';
import { printable } from './format.js';

export const PROFILE_FLAGS = '--profile <dir>';
export const PROFILE_HELP = 'the profile folder (default $CHAFF_PROFILE, else ~/.chaff/profile)';
/** --json may also come before the command's name (`chaff client --json status`): declared on the groups as well (cli/command.ts). */
export const JSON_FLAG = '--json';
export const JSON_GROUP_HELP = 'one JSON line, for the commands that take --json (address, contacts list, send, inbox, history, verify, status, handle, group create|send|list|show)';
export const PASSPHRASE_FILE_HELP = 'read the passphrase from FILE (else $CHAFF_PASSPHRASE, else ask on the terminal)';

/** What a client command's action gets. */
export interface Context<Options> {
  command: ChaffCommand;
  profileDir: string;
  socketPath: string;
  options: Options;
  /** The positionals after the command's name(s). */
  args: string[];
}

/** A client command: the --profile every one takes, its action, and errors turned into exit statuses. */
export function clientCommand<Options extends object = Record<string, never>>(parent: ChaffCommand, name: string, run: (ctx: Context<Options>) => Promise<number>): ChaffCommand {
  const command = parent.command(name).option(PROFILE_FLAGS, PROFILE_HELP);
  return command.runs(async (cmd) => {
    const options = cmd.optsWithGlobals<Options & { profile?: string }>();
    const profileDir = resolveProfileDir(options.profile);
    try {
      return await run({ command: cmd, profileDir, socketPath: clientSocketPath(profileDir), options, args: cmd.args });
    } catch (err) {
      return reportFailure(err);
    }
  });
}

/** One line on stderr: 2 for an unusable passphrase (the user's to fix), 1 for everything else at run time. */
function reportFailure(err: unknown): number {
  if (err instanceof CommanderError) throw err; // a usage error, already reported
  if (err instanceof PassphraseError) {
    process.stderr.write(`chaff client: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`chaff client: ${printable(message.split('\n')[0])}\n`);
  return EXIT_FAILURE;
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// `chaff client passphrase`, `export` and `import`: the profile's own
// commands, which work on the profile folder itself rather than through the
// daemon (docs/client.md §Changing the passphrase, §Backup).
//
// passphrase  rewraps the master key in profile.json (client/store/profile-key.ts):
//             the records are sealed under keys derived from the master key, not
//             from the passphrase, so nothing else is re-encrypted, and a running
//             daemon is unaffected. profile.json is replaced atomically.
// export      the whole profile in one file encrypted under a passphrase
//             (client/store/backup.ts); it reads the database, so the daemon must
//             be stopped.
// import      a backup into a new profile folder, never over an existing one.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ClientError } from '../../client/api.js';
import { PassphraseError, profilePassphraseContext } from '../../client/store/passphrase.js';
import { EXIT_OK, type ChaffCommand } from '../command.js';
import { ACCEPT_WEAK_FLAG, PASSPHRASE_ENV, readPassphrase, type StrengthCheck } from '../passphrase.js';
import { clientCommand, out, PASSPHRASE_FILE_HELP } from './client-command.js';
import { daemonAnswers } from './daemon-connection.js';
import { formatBytes, printable } from './format.js';

export const ACCEPT_WEAK_HELP = 'take a weak passphrase without asking (a very weak one is refused anyway; docs/client.md §Passphrase strength)';

/** `s` as one word for a POSIX shell: as is when safe, else single-quoted. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `--profile DIR ` for a hint, unless DIR is the default folder (~/.chaff/profile) a bare command finds anyway. */
export function profileArg(profileDir: string): string {
  return resolve(profileDir) === resolve(join(homedir(), '.chaff', 'profile')) ? '' : ` --profile ${shellWord(profileDir)}`;
}

/** The strength check of a new passphrase for the profile in `profileDir` (the client's context words, as the daemon's API uses them). */
export function newPassphraseCheck(profileDir: string, acceptWeak: boolean | undefined): StrengthCheck {
  return { context: profilePassphraseContext(profileDir), acceptWeak: acceptWeak === true };
}

async function refuseWhileDaemonRuns(socketPath: string, profileDir: string, what: string): Promise<void> {
  if (await daemonAnswers(socketPath)) {
    throw new ClientError('unavailable', `a chaff client daemon is running for profile ${profileDir}; stop it first: ${what} reads the profile's database, which the daemon holds`);
  }
}

function recordsLine(records: Record<string, number>): string {
  const count = (name: string, one: string, many: string) => `${records[name] ?? 0} ${(records[name] ?? 0) === 1 ? one : many}`;
  return [count('contacts', 'contact', 'contacts'), count('messages', 'message', 'messages'), count('files', 'file', 'files'), count('groups', 'group', 'groups')].join(', ');
}

export function addProfileCommands(client: ChaffCommand): void {
  clientCommand<{ passphraseFile?: string; newPassphraseFile?: string; acceptWeakPassphrase?: boolean }>(client, 'passphrase', async ({ profileDir, socketPath, options }) => {
    const [{ unlockProfileKey }, { changeProfilePassphrase }] = await Promise.all([import('../../client/store/profile-key.js'), import('../../client/store/profile-passphrase.js')]);
    const { zeroize } = await import('../../protocol/bytes.js');
    const current = await readPassphrase({ file: options.passphraseFile, env: process.env, input: process.stdin, prompt: 'current passphrase: ' });
    // Checked before the new one is asked for: typing a new passphrase twice for nothing helps no one.
    zeroize(await unlockProfileKey(profileDir, current));
    if (options.newPassphraseFile === undefined && !(process.stdin.isTTY && process.stdin.setRawMode)) {
      throw new PassphraseError('no new passphrase: give --new-passphrase-file FILE, or run on a terminal to be asked');
    }
    const next = await readPassphrase({ file: options.newPassphraseFile, input: process.stdin, confirm: true, strength: newPassphraseCheck(profileDir, options.acceptWeakPassphrase) });
    // The library code the daemon's API (profile.passphrase) runs too; readPassphrase took a weak one only with the user's consent.
    await changeProfilePassphrase(profileDir, current, next, { acceptWeak: true });
    out(`changed the passphrase of the profile ${profileDir}; the old one no longer opens it.`);
    if (await daemonAnswers(socketPath)) {
      out(`The running daemon goes on. If it reads its passphrase from a file or ${PASSPHRASE_ENV}, update that before it restarts.`);
    }
    out('Copies of the folder made before (backups of profile.json) still open with the old passphrase: see docs/client-storage.md §Limits.');
    return EXIT_OK;
  })
    .description('change the passphrase of the profile (the daemon may keep running)')
    .usage(`[--passphrase-file FILE] [--new-passphrase-file FILE] [${ACCEPT_WEAK_FLAG}]`)
    .option('--passphrase-file <file>', `the current passphrase from FILE (else $${PASSPHRASE_ENV}, else asked)`)
    .option('--new-passphrase-file <file>', 'the new passphrase from FILE (else asked twice on the terminal)')
    .option(ACCEPT_WEAK_FLAG, ACCEPT_WEAK_HELP);

  clientCommand<{ passphraseFile?: string; backupPassphraseFile?: string; acceptWeakPassphrase?: boolean }>(client, 'export', async ({ profileDir, socketPath, options, args }) => {
    const file = args[0];
    if (existsSync(file)) throw new ClientError('bad-request', `${file} exists; export writes a new file (choose another name, or remove that one)`);
    await refuseWhileDaemonRuns(socketPath, profileDir, 'export');
    const passphrase = await readPassphrase({ file: options.passphraseFile, env: process.env, input: process.stdin });
    const backupPassphrase =
      options.backupPassphraseFile === undefined ? undefined : await readPassphrase({ file: options.backupPassphraseFile, strength: newPassphraseCheck(profileDir, options.acceptWeakPassphrase) });
    if (backupPassphrase === undefined) {
      const { assessPassphrase, describeStrength } = await import('../../client/store/passphrase-strength.js');
      const strength = assessPassphrase(passphrase, newPassphraseCheck(profileDir, true).context);
      if (strength.verdict !== 'good') process.stderr.write(`warning: the backup opens with the profile's passphrase, and ${describeStrength(strength)} (chaff client passphrase changes it)\n`);
    }
    const [{ exportProfile }, { COLLECTIONS }] = await Promise.all([import('../../client/store/backup.js'), import('../../client/state.js')]);
    const summary = await exportProfile(profileDir, passphrase, file, { collections: COLLECTIONS, ...(backupPassphrase !== undefined ? { backupPassphrase } : {}) });
    out(`wrote the backup ${printable(file)} (${formatBytes(summary.bytes)}): ${recordsLine(summary.records)}, your keys and settings.`);
    if (summary.skippedCorrupt > 0) out(`warning: ${summary.skippedCorrupt} damaged record${summary.skippedCorrupt === 1 ? ' was' : 's were'} left out (the daemon's log names their collections)`);
    out(`It opens with ${backupPassphrase === undefined ? "the profile's passphrase" : 'the backup passphrase'}. Restore it with: chaff client import ${shellWord(file)} --profile NEW-FOLDER`);
    return EXIT_OK;
  })
    .description('write the whole profile to one encrypted file (stop the daemon first)')
    .usage(`FILE [--passphrase-file FILE] [--backup-passphrase-file FILE [${ACCEPT_WEAK_FLAG}]]`)
    .argument('<file>')
    .option('--passphrase-file <file>', PASSPHRASE_FILE_HELP)
    .option('--backup-passphrase-file <file>', "encrypt the backup under the passphrase in FILE instead of the profile's")
    .option(ACCEPT_WEAK_FLAG, ACCEPT_WEAK_HELP);

  clientCommand<{ passphraseFile?: string }>(client, 'import', async ({ profileDir, options, args }) => {
    const file = args[0];
    if (!existsSync(file)) throw new ClientError('bad-request', `there is no backup at ${file}`);
    const passphrase = await readPassphrase({ file: options.passphraseFile, env: process.env, input: process.stdin, prompt: 'backup passphrase: ' });
    const { importProfile } = await import('../../client/store/backup.js');
    const summary = await importProfile(file, passphrase, profileDir);
    out(`restored the profile ${profileDir} from ${printable(file)}, made ${new Date(summary.createdMs).toISOString()}: ${recordsLine(summary.records)}, your keys and settings.`);
    out("It opens with the backup's passphrase. Never run a daemon on it while one runs on the original: both would use the same keys and sessions.");
    out(`\nnext: chaff client daemon${profileArg(profileDir)}`);
    return EXIT_OK;
  })
    .description('restore a backup into a new profile folder (--profile DIR; never over an existing profile)')
    .usage('FILE [--passphrase-file FILE]')
    .argument('<file>')
    .option('--passphrase-file <file>', `the backup's passphrase from FILE (else $${PASSPHRASE_ENV}, else asked)`);
}

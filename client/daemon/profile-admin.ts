// The profile's own operations through the daemon's API (docs/client-api.md
// §Methods: passphrase.strength, profile.passphrase, profile.backup), for a
// front end that cannot run `chaff client passphrase` or `export` (the web
// app). They use the same library code as those commands: the strength
// check (client/store/passphrase-strength.ts), the passphrase change
// (client/store/profile-passphrase.ts) and the backup of an open store
// (client/store/backup.ts backupStore, the bytes `export` writes).
//
// Passphrases pass through in memory: never logged, never kept, never
// returned; the errors carry the verdict, never the passphrase. The calls
// run one at a time, so whoever holds the socket tries at most one
// passphrase per key derivation. The strength estimator (7 MiB of
// dictionaries) is loaded on the first call that needs it.

import { toBase64 } from '../../protocol/util/base64.js';
import type { Logger } from '../../runtime/log/logger.js';
import { ClientError, type PassphraseStrengthInfo, type ProfileBackup } from '../api.js';
import { MAX_RESPONSE_LINE_BYTES } from '../rpc/framing.js';
import type { PassphraseStrength } from '../store/passphrase-strength.js';
import type { SealedStore } from '../store/sealed-store.js';

/**
 * The largest backup the API hands out: its base64 (4/3 of it) and the
 * answer's envelope fit one response line (client/rpc/framing.ts). A larger
 * profile is exported with the daemon stopped (`chaff client export FILE`).
 */
export const MAX_API_BACKUP_BYTES = Math.floor(((MAX_RESPONSE_LINE_BYTES - 64 * 1024) * 3) / 4);

export interface ProfileAdminComponents {
  logger: Logger;
  /** The daemon's open profile store (the backup reads it while the daemon runs). */
  store: SealedStore;
}

export interface ProfileAdminInit {
  profileDir: string;
}

export class ProfileAdmin {
  readonly #c: ProfileAdminComponents;
  readonly #init: ProfileAdminInit;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(components: ProfileAdminComponents, init: ProfileAdminInit) {
    this.#c = components;
    this.#init = init;
  }

  /** The strength check's estimate of `passphrase` as a new passphrase of this profile. */
  async strength(passphrase: string): Promise<PassphraseStrengthInfo> {
    if (typeof passphrase !== 'string') throw new ClientError('bad-request', 'the passphrase must be a string');
    const { assessPassphrase, describeStrength, profilePassphraseContext } = await import('../store/passphrase-strength.js');
    const strength = assessPassphrase(passphrase, profilePassphraseContext(this.#init.profileDir));
    return strengthInfo(strength, describeStrength(strength));
  }

  /** `chaff client passphrase`: the profile then opens with `next` only. */
  changePassphrase(current: string, next: string, acceptWeak: boolean): Promise<{ verdict: PassphraseStrengthInfo['verdict'] }> {
    return this.#serial(async () => {
      const { changeProfilePassphrase } = await import('../store/profile-passphrase.js');
      try {
        const strength = await changeProfilePassphrase(this.#init.profileDir, current, next, { acceptWeak });
        this.#c.logger.info('the profile passphrase was changed through the API', { strength: strength.verdict });
        return { verdict: strength.verdict };
      } catch (err) {
        throw asClientError(err);
      }
    });
  }

  /** The bytes `chaff client export --backup-passphrase-file` would write, under `passphrase`. */
  backup(passphrase: string, acceptWeak: boolean): Promise<ProfileBackup> {
    return this.#serial(async () => {
      const [{ checkNewPassphrase, profilePassphraseContext }, { backupStore }] = await Promise.all([import('../store/passphrase-strength.js'), import('../store/backup.js')]);
      try {
        checkNewPassphrase(passphrase, { context: profilePassphraseContext(this.#init.profileDir), acceptWeak });
        const { sealed, summary } = await backupStore(this.#c.store, this.#init.profileDir, { backupPassphrase: passphrase });
        if (sealed.length > MAX_API_BACKUP_BYTES) {
          throw new ClientError(
            'too-large',
            `the backup is ${Math.round(sealed.length / 2 ** 20)} MiB, more than the API carries (${Math.floor(MAX_API_BACKUP_BYTES / 2 ** 20)} MiB): stop the daemon and run chaff client export FILE --profile ${this.#init.profileDir}`,
          );
        }
        this.#c.logger.info('a backup of the profile was made through the API', { bytes: sealed.length });
        return { data: toBase64(sealed), bytes: sealed.length, records: summary.records, createdMs: summary.createdMs };
      } catch (err) {
        throw asClientError(err);
      }
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(task);
    this.#busy = run.catch(() => undefined);
    return run;
  }
}

function strengthInfo(s: PassphraseStrength, text: string): PassphraseStrengthInfo {
  return { verdict: s.verdict, score: s.score, guessesLog10: s.guessesLog10, crackTime: s.crackTime, warning: s.warning, suggestions: [...s.suggestions], text };
}

/**
 * The API's error for a failed passphrase change or backup: the verdict, a
 * wrong passphrase, a bad request. The store's errors are told apart by
 * name, not class: they come from modules imported on demand, which a test
 * runner's loader may instantiate a second time (so their classes would not
 * be the ones imported here).
 */
function asClientError(err: unknown): unknown {
  if (err instanceof ClientError || !(err instanceof Error)) return err;
  switch (err.name) {
    case 'PassphraseStrengthError':
      return (err as Error & { verdict: string }).verdict === 'refused'
        ? new ClientError('refused-passphrase', `${err.message} Choose another.`)
        : new ClientError('weak-passphrase', `${err.message} It is taken only if you accept a weak passphrase (acceptWeak).`);
    case 'WrongPassphraseError':
      return new ClientError('wrong-passphrase', 'the current passphrase is wrong: it does not open this profile');
    case 'PassphraseError':
      return new ClientError('bad-request', err.message);
    case 'ProfileNotFoundError':
    case 'ProfileCorruptError':
      return new ClientError('unavailable', err.message);
    default:
      return err;
  }
}

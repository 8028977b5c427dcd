// Changing a profile's passphrase as a user does it (docs/client.md
// §Changing the passphrase): the new one goes through the strength check
// (passphrase-strength.ts), may not be the current one, and then rewraps the
// master key (profile-key.ts changePassphrase, which checks the current one).
// `chaff client passphrase` (cli/client/profile-commands.ts) and the daemon's
// API (profile.passphrase, client/daemon/profile-admin.ts) both call it.
// It loads the strength estimator (7 MiB of dictionaries): import it when a
// passphrase is changed, not before.

import { passphraseBytes, PassphraseError } from './passphrase.js';
import { checkNewPassphrase, profilePassphraseContext, type PassphraseStrength } from './passphrase-strength.js';
import { changePassphrase, type ProfileKeyOptions } from './profile-key.js';

export interface ChangeProfilePassphraseOptions extends ProfileKeyOptions {
  /** Take a weak (not a refused) new passphrase: the user said so. */
  acceptWeak?: boolean;
}

/**
 * Rewraps the master key of the profile in `dir` under `next`. Throws
 * PassphraseError for an empty `next` or one equal to `current` (as the key
 * derivation sees them, NFC), PassphraseStrengthError when the strength
 * check does not take it, and the errors of changePassphrase
 * (WrongPassphraseError for a wrong `current`). Returns the new one's strength.
 */
export async function changeProfilePassphrase(dir: string, current: string, next: string, opts: ChangeProfilePassphraseOptions = {}): Promise<PassphraseStrength> {
  passphraseBytes(next);
  const { acceptWeak, ...keyOptions } = opts;
  const strength = checkNewPassphrase(next, { context: profilePassphraseContext(dir), acceptWeak: acceptWeak === true });
  if (next.normalize('NFC') === current.normalize('NFC')) throw new PassphraseError('the new passphrase is the current one');
  await changePassphrase(dir, current, next, keyOptions);
  return strength;
}

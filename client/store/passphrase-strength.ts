// How hard a new passphrase is to guess, and whether the client takes it
// (docs/client.md §Passphrase strength). The estimate is zxcvbn's
// (Wheeler, "zxcvbn: Low-Budget Password Strength Estimation", USENIX
// Security 2016), through the maintained TypeScript port @zxcvbn-ts with its
// common (passwords, keyboard layouts) and English (words, names) lists: it
// counts the guesses an attacker who tries common passwords, words, names,
// dates, keyboard walks, repeats and l33t spellings first would need.
//
// Why guesses decide: whoever copies profile.json or a backup can guess
// offline, at the cost of one scrypt derivation per guess (128 MiB by
// default). zxcvbn's "offline, slow hash" rate, 10^4 guesses a second, is
// the attacker this policy is sized for:
//   refused   fewer than 10^6 guesses (zxcvbn score 0-1): under two minutes;
//   weak      10^6 to 10^10 (score 2-3): minutes to 12 days; taken only when
//             the user says so;
//   good      10^10 or more (score 4): 12 days to centuries.
// The dictionaries are large (about 7 MiB of JavaScript), so the estimator
// is built on first use only: commands that never make a passphrase do not
// load it.

import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { PassphraseError, type StrengthCheck } from './passphrase.js';

export { profilePassphraseContext, type StrengthCheck } from './passphrase.js';

export type PassphraseVerdict = 'refused' | 'weak' | 'good';

/** Below this many guesses (log10) a passphrase is refused. */
export const REFUSED_BELOW_LOG10 = 6;
/** Below this many guesses (log10) a passphrase is weak: taken only with the user's explicit consent. */
export const WEAK_BELOW_LOG10 = 10;
/** zxcvbn checks this many characters; a longer passphrase is judged by its start (and is long enough anyway). */
const MAX_CHECKED_LENGTH = 256;

export interface PassphraseStrength {
  verdict: PassphraseVerdict;
  /** zxcvbn's score, 0 (guessed at once) to 4 (very hard). */
  score: number;
  /** log10 of the estimated guesses. */
  guessesLog10: number;
  /** How long 10^4 guesses a second take to find it, in words ("3 hours", "centuries"). */
  crackTime: string;
  /** What makes it weak, if zxcvbn names it ("This is a top-10 common password."); may be empty. */
  warning: string;
  /** zxcvbn's advice ("Add more words that are less common."). */
  suggestions: string[];
}

let estimator: ZxcvbnFactory | undefined;

function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    maxLength: MAX_CHECKED_LENGTH,
  });
  return estimator;
}

/** The verdict for an estimate of 10^guessesLog10 guesses. */
export function verdictOf(guessesLog10: number): PassphraseVerdict {
  if (guessesLog10 < REFUSED_BELOW_LOG10) return 'refused';
  if (guessesLog10 < WEAK_BELOW_LOG10) return 'weak';
  return 'good';
}

/**
 * Estimates `passphrase` (NFC, as the key derivation sees it). `context`
 * lists words an attacker would try first for this user (the program's name,
 * the profile folder's name): a passphrase made of them scores lower.
 */
export function assessPassphrase(passphrase: string, context: readonly string[] = []): PassphraseStrength {
  const result: ZxcvbnResult = zxcvbn().check(passphrase.normalize('NFC'), [...context]);
  return {
    verdict: verdictOf(result.guessesLog10),
    score: result.score,
    guessesLog10: result.guessesLog10,
    crackTime: result.crackTimes.offlineSlowHashingXPerSecond.display,
    warning: result.feedback.warning ?? '',
    suggestions: result.feedback.suggestions,
  };
}

/** One paragraph for the user: what is wrong and what to do (never the passphrase itself). */
export function describeStrength(strength: PassphraseStrength): string {
  const what = strength.verdict === 'refused' ? 'too easy to guess' : strength.verdict === 'weak' ? 'weak' : 'good';
  const parts = [`this passphrase is ${what}: someone who copies your profile could find it in ${strength.crackTime} (at 10,000 guesses a second).`];
  if (strength.warning) parts.push(strength.warning);
  if (strength.verdict !== 'good') {
    parts.push(...strength.suggestions);
    parts.push('Four or five random words, or a sentence only you would write, make a good one.');
  }
  return parts.join(' ');
}

/** A new passphrase the strength check does not take: `verdict` 'refused' (never), or 'weak' without the user's consent. The message is describeStrength's (never the passphrase). */
export class PassphraseStrengthError extends PassphraseError {
  constructor(readonly strength: PassphraseStrength) {
    super(describeStrength(strength));
    this.name = 'PassphraseStrengthError';
  }

  get verdict(): 'refused' | 'weak' {
    return this.strength.verdict === 'refused' ? 'refused' : 'weak';
  }
}

/**
 * The strength check of a new passphrase (docs/client.md §Passphrase
 * strength): its estimate when it is taken (good, or weak with
 * `acceptWeak`); PassphraseStrengthError when it is refused, or weak
 * without `acceptWeak`.
 */
export function checkNewPassphrase(passphrase: string, check: StrengthCheck = {}): PassphraseStrength {
  const strength = assessPassphrase(passphrase, check.context);
  if (strength.verdict === 'refused' || (strength.verdict === 'weak' && check.acceptWeak !== true)) throw new PassphraseStrengthError(strength);
  return strength;
}

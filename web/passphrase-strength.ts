// A new passphrase's strength as the user types it, for the meters of the
// Settings screen and the first run: the estimate comes from the server
// (zxcvbn runs in the daemon, or in the UI server before there is one: it
// stays out of the browser bundle), asked a moment after the typing stops,
// and an answer to an older text is dropped.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { PassphraseStrengthInfo } from '../client/api.js';

/** How long after the last keystroke the strength is asked. */
const STRENGTH_DELAY_MS = 250;

/** The verdicts in words, as the meters show them. */
export const VERDICT_WORDS: Record<PassphraseStrengthInfo['verdict'], string> = { refused: 'Too easy to guess', weak: 'Weak', good: 'Good' };

/** The meter's line: the verdict and why (the server's text without its opening clause), or nothing for an empty passphrase. */
export function strengthLine(passphrase: string, strength: PassphraseStrengthInfo | null): string {
  if (passphrase === '') return '';
  if (strength === null) return 'Checking…';
  return `${VERDICT_WORDS[strength.verdict]}: ${strength.text.replace(/^this passphrase is [^:]*: /, '')}`;
}

/** The estimate of `passphrase` that `ask` gives, asked STRENGTH_DELAY_MS after it last changed; null while empty or not known yet. */
export function useStrength(passphrase: string, ask: (passphrase: string) => Promise<PassphraseStrengthInfo>): PassphraseStrengthInfo | null {
  const [strength, setStrength] = useState<PassphraseStrengthInfo | null>(null);
  const asked = useRef(0);
  useEffect(() => {
    const seq = ++asked.current;
    setStrength(null);
    if (passphrase === '') return;
    const timer = setTimeout(() => {
      ask(passphrase).then(
        (s) => {
          if (seq === asked.current) setStrength(s);
        },
        () => undefined,
      );
    }, STRENGTH_DELAY_MS);
    return () => clearTimeout(timer);
    // Not on `ask`: a module-level function at every call site.
  }, [passphrase]);
  return strength;
}

// How `chaff client init` gets the network's document of the epoch now when
// the network has just started (docs/client.md §Creating a profile): a
// testnet prints its network file before its authorities have signed a first
// document, and a network being set up may not answer yet. Waiting fixes
// both, so init retries, with a growing pause (0.5 s doubling to 5 s),
// reporting its progress about once a second, up to a bound. What waiting
// cannot fix fails at once: documents that do not verify against the
// network file's authority keys (a wrong or outdated network file).

import { epochAt, type EpochClock } from '../protocol/pki/epoch.js';
import type { Clock } from '../protocol/traffic/clock.js';
import type { DocumentSource } from '../runtime/pki/document-watcher.js';
import { PkiFetchError, type VerifiedDocument } from '../runtime/pki/pki-client.js';
import { ClientError } from './api.js';

/** What init reports while it waits. */
export interface DocumentWaitProgress {
  /** The epoch whose document is wanted (null: the network's genesis is still to come). */
  epoch: number | null;
  waitedMs: number;
  /** The longest wait, ms. */
  limitMs: number;
  /** Why, in words: "not published yet", "the authorities do not answer (…)", "the network starts in 12 s". */
  reason: string;
}

export interface DocumentWaitOptions {
  /** The longest wait; 0: one try. */
  limitMs: number;
  /** Called about once a second while waiting. */
  onWaiting?: (progress: DocumentWaitProgress) => void;
}

/** Default bound of init's wait (`--wait`): a testnet signs its first document within a few epochs. */
export const DEFAULT_DOCUMENT_WAIT_MS = 5 * 60_000;

const FIRST_PAUSE_MS = 500;
const LONGEST_PAUSE_MS = 5000;
const REPORT_EVERY_MS = 1000;

/** Why a failed fetch may succeed later, or null when waiting cannot help. */
export function waitReason(err: unknown): string | null {
  if (!(err instanceof PkiFetchError) || err.attempts.length === 0) return (err as Error)?.message ?? String(err);
  const attempts = err.attempts;
  if (attempts.every((a) => a.error.startsWith('rejected:'))) return null;
  if (attempts.some((a) => /not published/.test(a.error))) return 'not published yet';
  const failed = attempts.filter((a) => !a.error.startsWith('rejected:'));
  return `the authorities do not answer (${failed.map((a) => `${a.authority}: ${a.error}`).join('; ')})`;
}

/**
 * The verified document of the epoch now (at each try), waiting for it as
 * above. ClientError 'unavailable' when the bound passes, or at once when
 * waiting cannot help.
 */
export async function waitForDocument(source: DocumentSource, epochs: EpochClock, clock: Clock, options: DocumentWaitOptions): Promise<VerifiedDocument> {
  const startedMs = clock.now();
  const deadlineMs = startedMs + options.limitMs;
  const report = (epoch: number | null, reason: string): void => options.onWaiting?.({ epoch, waitedMs: clock.now() - startedMs, limitMs: options.limitMs, reason });
  for (let pauseMs = FIRST_PAUSE_MS; ; pauseMs = Math.min(2 * pauseMs, LONGEST_PAUSE_MS)) {
    const now = clock.now();
    let epoch: number | null = null;
    let reason: string;
    let lastError: string;
    if (now < epochs.genesisMs) {
      reason = `the network starts in ${Math.ceil((epochs.genesisMs - now) / 1000)} s`;
      lastError = `the network's genesis (${new Date(epochs.genesisMs).toISOString()}) is still to come`;
    } else {
      epoch = epochAt(now, epochs);
      try {
        return await source.fetchDocument(epoch);
      } catch (err) {
        const why = waitReason(err);
        lastError = (err as Error).message;
        if (why === null)
          throw new ClientError('unavailable', `the network's document for epoch ${epoch} does not verify against the authorities in the network file (is it the right, current one?): ${lastError}`);
        reason = why;
      }
    }
    if (clock.now() >= deadlineMs) {
      const waited = options.limitMs > 0 ? ` after waiting ${Math.round(options.limitMs / 1000)} s` : '';
      throw new ClientError('unavailable', `could not get a verified network document${epoch === null ? '' : ` for epoch ${epoch}`}${waited}: ${lastError}`);
    }
    // Wait for the pause (or the genesis), telling the caller once a second.
    const untilMs = Math.min(deadlineMs, epoch === null ? Math.max(epochs.genesisMs, clock.now() + FIRST_PAUSE_MS) : clock.now() + pauseMs);
    while (clock.now() < untilMs) {
      report(epoch, reason);
      await sleepOn(clock, Math.min(REPORT_EVERY_MS, untilMs - clock.now()));
    }
  }
}

function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.at(clock.now() + ms, resolve));
}

// When a relay uploads its descriptor (docs/pki.md §Descriptors): once at
// start, then at 5 % of every epoch, for the next epoch; the authorities
// share what they hold at 50 %. An upload some authorities did not take
// (unreachable, overloaded), or that an authority refused as `wrong-epoch`
// (its clock and this node's disagree about the epoch: this node is ahead,
// and the authority takes it once its own epoch has turned), is retried with
// exponential backoff until 40 % of the epoch: a node missing from every
// authority drops out of the next document, and a document without gateways
// stops every client for an epoch. docs/pki.md §Clock skew. A Startable built from its components (a Clock, a Logger, the PKI
// client it uploads through) and its init options.

import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import { epochAt, epochStart, type EpochClock } from '../../protocol/pki/epoch.js';
import type { SignedDescriptor } from '../../protocol/pki/descriptor.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { PkiClient } from '../../runtime/pki/pki-client.js';

export interface DescriptorUploaderComponents {
  clock: Clock;
  logger: Logger;
  /** Where descriptors go: every authority (PkiClient.uploadDescriptor). */
  pki: Pick<PkiClient, 'uploadDescriptor'>;
}

export interface DescriptorUploaderInit {
  epochs: EpochClock;
  /** A freshly signed descriptor for the epoch after the current one. */
  descriptor: () => SignedDescriptor;
}

/** Fractions of an epoch. */
const UPLOAD_AT = 0.05;
const RETRY_UNTIL = 0.4;
const FIRST_BACKOFF_MS = 500;

export class DescriptorUploader implements Startable {
  readonly #c: DescriptorUploaderComponents;
  readonly #o: DescriptorUploaderInit;
  #schedule: TimerHandle | null = null;
  #retry: TimerHandle | null = null;
  #stopped = false;
  /** Upload attempts made (first tries and retries). */
  attempts = 0;

  constructor(components: DescriptorUploaderComponents, options: DescriptorUploaderInit) {
    this.#c = components;
    this.#o = options;
  }

  /** Uploads now (awaiting the first attempt), then every epoch. */
  async start(): Promise<void> {
    await this.#attempt(FIRST_BACKOFF_MS);
    this.#scheduleNext();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#schedule?.cancel();
    this.#retry?.cancel();
  }

  #scheduleNext(): void {
    if (this.#stopped) return;
    const { clock } = this.#c;
    const { epochs } = this.#o;
    const at = epochStart(epochAt(clock.now(), epochs) + 1, epochs) + epochs.epochDurationMs * UPLOAD_AT;
    this.#schedule = clock.at(at, () => {
      this.#retry?.cancel();
      void this.#attempt(FIRST_BACKOFF_MS);
      this.#scheduleNext();
    });
  }

  async #attempt(backoffMs: number): Promise<void> {
    if (this.#stopped) return;
    const { clock, logger: log, pki } = this.#c;
    const { epochs } = this.#o;
    this.attempts++;
    const epoch = epochAt(clock.now(), epochs) + 1;
    const result = await pki.uploadDescriptor(this.#o.descriptor()).catch((err: unknown) => {
      log.warn('descriptor upload failed', { epoch, error: (err as Error).message });
      return null;
    });
    if (result) log.info('descriptor uploaded', { epoch, accepted: result.accepted, refused: result.refused.length, failed: result.failed.length });
    const wrongEpoch = result?.refused.filter((r) => r.reason === 'wrong-epoch').length ?? 0;
    if ((result && result.failed.length === 0 && wrongEpoch === 0) || this.#stopped) return;
    const now = clock.now();
    const deadline = epochStart(epochAt(now, epochs), epochs) + epochs.epochDurationMs * RETRY_UNTIL;
    if (now + backoffMs > deadline) {
      if (!result || result.accepted === 0) {
        log.warn('descriptor not accepted by any authority this epoch; this node will be missing from the next document', {
          epoch,
          ...(wrongEpoch > 0 ? { hint: "refused as wrong-epoch: this node's clock is probably off; check its time synchronisation (NTP)" } : {}),
        });
      }
      return;
    }
    this.#retry = clock.at(now + backoffMs, () => void this.#attempt(Math.min(backoffMs * 2, epochs.epochDurationMs / 20)));
  }
}

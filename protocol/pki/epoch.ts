// Epoch arithmetic. Epoch e covers [genesisMs + e·durationMs, genesisMs + (e+1)·durationMs).
// Pure: the time is an argument, never read from a clock.

export interface EpochClock {
  /** Unix time in ms at which epoch 0 starts. */
  genesisMs: number;
  /** Length of one epoch in ms. */
  epochDurationMs: number;
}

/** Bad epoch arguments: non-integer, negative, before genesis, or beyond safe integers. */
export class EpochError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EpochError';
  }
}

function checkClock(clock: EpochClock): void {
  if (clock === null || typeof clock !== 'object') throw new EpochError('epoch: expected {genesisMs, epochDurationMs}');
  const { genesisMs, epochDurationMs } = clock;
  if (!Number.isSafeInteger(genesisMs) || genesisMs < 0) throw new EpochError('epoch: genesisMs must be a non-negative integer');
  if (!Number.isSafeInteger(epochDurationMs) || epochDurationMs <= 0) throw new EpochError('epoch: epochDurationMs must be a positive integer');
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new EpochError('epoch: epoch must be a non-negative integer');
}

/** The epoch containing time `nowMs`. Throws EpochError before genesis. */
export function epochAt(nowMs: number, clock: EpochClock): number {
  checkClock(clock);
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new EpochError('epoch: time must be a finite number');
  if (nowMs < clock.genesisMs) throw new EpochError('epoch: time is before genesis');
  return Math.floor((nowMs - clock.genesisMs) / clock.epochDurationMs);
}

/** The first ms of `epoch`. */
export function epochStart(epoch: number, clock: EpochClock): number {
  checkClock(clock);
  checkEpoch(epoch);
  const start = clock.genesisMs + epoch * clock.epochDurationMs;
  if (!Number.isSafeInteger(start + clock.epochDurationMs)) throw new EpochError('epoch: epoch too large');
  return start;
}

/** The first ms after `epoch` (exclusive end; the start of epoch + 1). */
export function epochEnd(epoch: number, clock: EpochClock): number {
  return epochStart(epoch, clock) + clock.epochDurationMs;
}

/** Ms from `nowMs` until the next epoch starts (always > 0). */
export function msUntilNextEpoch(nowMs: number, clock: EpochClock): number {
  return epochEnd(epochAt(nowMs, clock), clock) - nowMs;
}

// Where a mix unwraps its packets: in the event loop (InlineUnwrapStage: the
// simulator, tests, `workers = 0`) or on worker threads (UnwrapPool,
// unwrap-pool.ts). Either way the MixProcessor checks replays itself, on the
// event loop, in arrival order, once per packet.

import type { Geometry } from '../../protocol/sphinx/index.js';
import { unwrapWithKeys, type UnwrapKey, type UnwrapOutcome } from './unwrap-with-keys.js';

export interface UnwrapStage {
  /** The outcome for one packet, with the keys `keys()` gives now. Rejects only for a bug (counted by the processor). */
  unwrap(packet: Uint8Array): UnwrapOutcome | Promise<UnwrapOutcome>;
  /** Stops: outcomes not given yet resolve as 'shutdown' drops. */
  stop(): Promise<void>;
}

/** Unwraps in the caller's thread, synchronously. */
export class InlineUnwrapStage implements UnwrapStage {
  readonly #geometry: Geometry;
  readonly #keys: () => readonly UnwrapKey[];

  constructor(geometry: Geometry, keys: () => readonly UnwrapKey[]) {
    this.#geometry = geometry;
    this.#keys = keys;
  }

  unwrap(packet: Uint8Array): UnwrapOutcome {
    return unwrapWithKeys(this.#geometry, this.#keys(), packet);
  }

  async stop(): Promise<void> {}
}

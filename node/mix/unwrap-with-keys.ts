// One packet through Sphinx unwrap with the keys a mix holds: the same code
// in the event loop (InlineUnwrapStage) and in the unwrap workers
// (unwrap-worker.ts). A refusal becomes a drop reason; anything but a
// SphinxError (a bug) is thrown, and the processor counts it.

import type { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { isSphinxError, type Geometry, type SphinxErrorCode, unwrap, type UnwrapResult } from '../../protocol/sphinx/index.js';
import type { MixDropReason } from './drop-reason.js';

/** A key to try, with the epoch it belongs to. */
export interface UnwrapKey {
  readonly epoch: number;
  readonly key: X25519PrivateKey;
}

/** What the unwrap stage says about one packet. */
export type UnwrapOutcome = { readonly ok: true; readonly epoch: number; readonly result: UnwrapResult } | { readonly ok: false; readonly reason: MixDropReason };

/**
 * The drop reason for each Sphinx error code; null for the codes unwrap never
 * throws (they come from building packets and SURBs). Exhaustive: a new code
 * does not compile until it is given a reason here.
 */
const ERROR_REASON = {
  'wrong-size': 'wrong-size',
  'bad-version': 'bad-version',
  'low-order-point': 'low-order-point',
  'mac-mismatch': 'mac-failure',
  'bad-command': 'bad-command',
  'payload-tag': 'payload-tag',
  'invalid-path': null,
  'invalid-geometry': null,
  'invalid-surb-keys': null,
} as const satisfies Record<SphinxErrorCode, MixDropReason | null>;

/** Tries `keys` in order (most likely first); a MAC failure moves on to the next key, any other refusal stops. */
export function unwrapWithKeys(geometry: Geometry, keys: readonly UnwrapKey[], packet: Uint8Array): UnwrapOutcome {
  let reason: MixDropReason = 'mac-failure';
  for (const k of keys) {
    try {
      return { ok: true, epoch: k.epoch, result: unwrap(geometry, k.key, packet) };
    } catch (err) {
      if (!isSphinxError(err)) throw err;
      const r = ERROR_REASON[err.code];
      if (r === null) throw err;
      reason = r;
      // A MAC failure may only mean another epoch's key: try the next one.
      if (err.code !== 'mac-mismatch') break;
    }
  }
  return { ok: false, reason };
}

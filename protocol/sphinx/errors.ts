// Typed Sphinx failures. Every rejection of a packet, SURB or argument is a
// SphinxError whose `code` says why, so a node can count drops by reason.

/** Why a Sphinx operation failed. */
export type SphinxErrorCode =
  /** A packet, SURB, payload or key has the wrong length for the geometry. */
  | 'wrong-size'
  /** The packet's additional data (version) is not 0x0000. */
  | 'bad-version'
  /** α is a small-order point (the shared secret would be all zeros). */
  | 'low-order-point'
  /** The header MAC does not verify under this node's key. */
  | 'mac-mismatch'
  /** The per-hop routing commands do not parse (unknown tag, truncated, non-zero padding, duplicates), or a last hop names no recipient. */
  | 'bad-command'
  /** The payload's 32-byte zero tag is not zero: the payload was modified in transit. */
  | 'payload-tag'
  /** The path given to packet creation is empty, too long or has invalid hops. */
  | 'invalid-path'
  /** The geometry parameters are invalid. */
  | 'invalid-geometry'
  /** SURB decryption keys are malformed. */
  | 'invalid-surb-keys';

export class SphinxError extends Error {
  readonly code: SphinxErrorCode;
  /** The packet's replay tag, when the failure happened after it was computed. */
  readonly replayTag: Uint8Array | undefined;

  constructor(code: SphinxErrorCode, message: string, replayTag?: Uint8Array) {
    super(message);
    this.name = 'SphinxError';
    this.code = code;
    this.replayTag = replayTag;
  }
}

/** The SphinxError for an argument of the wrong size or type (for abytes). */
export const wrongSize = (message: string): SphinxError => new SphinxError('wrong-size', message);

export function isSphinxError(err: unknown): err is SphinxError {
  return err instanceof SphinxError;
}

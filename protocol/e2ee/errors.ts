// Typed end-to-end encryption failures. Every rejection of an envelope, a
// ratchet message or a stored state is an E2eeError whose `code` says why, so
// the client can count drops by reason and never crashes on bad input.

/** Why an end-to-end operation failed. */
export type E2eeErrorCode =
  /** No key we hold opens it: addressed to someone else, from a session we no longer have, or random bytes (cover). */
  | 'undecryptable'
  /** It belongs to one of our sessions but its message key is gone: already received (replay/duplicate) or evicted. */
  | 'replay'
  /** It belongs to one of our sessions (or was sealed to us) but fails authentication: modified or forged. */
  | 'tampered'
  /** Accepting it would derive more skipped message keys than the bound allows (Double Ratchet §3.5 MAX_SKIP). */
  | 'too-many-skipped'
  /** Wrong length, bad encoding or an inconsistent stored state. */
  | 'malformed';

export class E2eeError extends Error {
  readonly code: E2eeErrorCode;

  constructor(code: E2eeErrorCode, message: string) {
    super(message);
    this.name = 'E2eeError';
    this.code = code;
  }
}

export function isE2eeError(err: unknown): err is E2eeError {
  return err instanceof E2eeError;
}

// Fixed-size plaintext padding inside the encryption, so that no ciphertext
// length ever reveals the message length (docs/e2ee.md §Padding).
//
//   padded (exactly `capacity` bytes):
//     offset  size            field
//          0     2            plaintext length ℓ, u16 big-endian
//          2     ℓ            plaintext
//        2+ℓ     capacity−2−ℓ zero bytes
//
// The padding is authenticated with the message (it is inside the AEAD), and
// unpad rejects non-zero padding, so every byte has exactly one meaning.

import { abytes, ctIsZero } from '../bytes.js';
import { E2eeError } from './errors.js';

export const PADDING_LENGTH_FIELD = 2;
export const MAX_PADDED_PLAINTEXT = 0xffff;

/** The plaintext padded to exactly `capacity` bytes. Throws RangeError if it does not fit. */
export function pad(plaintext: Uint8Array, capacity: number): Uint8Array {
  abytes(plaintext, undefined, 'pad: plaintext', (message) => new RangeError(message));
  if (!Number.isInteger(capacity) || capacity < PADDING_LENGTH_FIELD) throw new RangeError('pad: invalid capacity');
  if (plaintext.length > Math.min(capacity - PADDING_LENGTH_FIELD, MAX_PADDED_PLAINTEXT)) {
    throw new RangeError(`pad: ${plaintext.length} bytes do not fit in ${capacity}`);
  }
  const out = new Uint8Array(capacity);
  out[0] = plaintext.length >>> 8;
  out[1] = plaintext.length & 0xff;
  out.set(plaintext, PADDING_LENGTH_FIELD);
  return out;
}

/** The plaintext of a padded buffer; E2eeError('malformed') if the length field or the padding is wrong. */
export function unpad(padded: Uint8Array): Uint8Array {
  if (padded.length < PADDING_LENGTH_FIELD) throw new E2eeError('malformed', 'padding: shorter than the length field');
  const length = (padded[0] << 8) | padded[1];
  const end = PADDING_LENGTH_FIELD + length;
  if (end > padded.length) throw new E2eeError('malformed', 'padding: length field exceeds the padded size');
  if (!ctIsZero(padded.subarray(end))) throw new E2eeError('malformed', 'padding: non-zero padding bytes');
  return padded.slice(PADDING_LENGTH_FIELD, end);
}

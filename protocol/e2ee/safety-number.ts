// Safety numbers: a 60-digit number two users compare (read aloud or side by
// side) to rule out a man in the middle, as in Signal's
// NumericFingerprintGenerator (libsignal, "fingerprint" module; docs/e2ee.md
// §Safety numbers).
//
//   per party:  key   = Ed25519 identity key (32) ‖ X25519 identity DH key (32)
//               h_0   = version (u16 big-endian, 0) ‖ key
//               h_i   = SHA-512(h_{i−1} ‖ key),  i = 1 … 5200
//               digits = for each 5-byte chunk c_j = h_5200[5j .. 5j+5), j = 0 … 5:
//                        (c_j as a 40-bit big-endian integer) mod 100000, as 5 digits
//                      → 30 digits
//   safety number = the two parties' 30 digits, the smaller string first (60 digits)
//
// Differences from Signal: the key is our two 32-byte identity keys instead of
// one 33-byte type-prefixed key, and there is no stable identifier (Chaff has
// no phone number or account id; the address's gateway and mailbox may change
// without changing who the user is).

import { hash as oneShotHash } from 'node:crypto';
import { concatBytes, toHex } from '../bytes.js';
import type { PublicIdentity } from './identity.js';

export const SAFETY_NUMBER_ITERATIONS = 5200;
export const SAFETY_NUMBER_VERSION = 0;
export const SAFETY_NUMBER_DIGITS = 60;

function chunk(hash: Uint8Array, offset: number): string {
  let value = 0;
  for (let i = 0; i < 5; i++) value = value * 256 + hash[offset + i]; // < 2^40: exact in a double
  return String(value % 100000).padStart(5, '0');
}

// The 5,200 hashes cost milliseconds, and the same party's digits are asked
// for again and again (one's own in every safety number; every contact's each
// time the list is shown; each stranger's request in its event and in every
// listing). They depend on the keys alone, so they are kept, a bounded number.
const MEMO_SIZE = 1024;
const memo = new Map<string, string>();

/** One party's 30 digits. */
export function fingerprintDigits(party: PublicIdentity): string {
  const key = concatBytes(party.identityKey, party.identityDhKey);
  const id = toHex(key);
  const known = memo.get(id);
  if (known !== undefined) return known;
  // h_i = SHA-512(h_{i−1} ‖ key), computed in place: the buffer holds h_{i−1} ‖ key, and each digest
  // overwrites its first 64 bytes (h_0, of 2 + 64 bytes, is hashed from its own buffer).
  const buffer = new Uint8Array(64 + key.length);
  buffer.set(key, 64);
  buffer.set(oneShotHash('sha512', concatBytes(Uint8Array.of(SAFETY_NUMBER_VERSION >>> 8, SAFETY_NUMBER_VERSION & 0xff), key, key), 'buffer'));
  for (let i = 1; i < SAFETY_NUMBER_ITERATIONS; i++) buffer.set(oneShotHash('sha512', buffer, 'buffer'));
  let digits = '';
  for (let j = 0; j < 6; j++) digits += chunk(buffer, 5 * j);
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
  memo.set(id, digits);
  return digits;
}

/** The 60-digit safety number of two parties; the same whichever side computes it. */
export function safetyNumber(local: PublicIdentity, remote: PublicIdentity): string {
  const a = fingerprintDigits(local);
  const b = fingerprintDigits(remote);
  return a <= b ? a + b : b + a;
}

/** The 60 digits as twelve groups of five separated by spaces. */
export function formatSafetyNumber(digits: string): string {
  if (!/^\d{60}$/.test(digits)) throw new RangeError('safety number: expected 60 digits');
  return digits.match(/\d{5}/g)!.join(' ');
}

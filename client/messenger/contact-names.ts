// Checks and parsing of what the user types for a contact: its name and its
// address (ClientError with a code the CLI and the API show).

import { AddressError, decodeAddress, type Address } from '../../protocol/e2ee/address.js';
import { ClientError } from '../api.js';

/**
 * 1–64 letters, digits, spaces, dots, dashes or underscores, starting with a
 * letter or digit: so never with the "?" of a stranger's message rows
 * (sender-resolution.ts).
 */
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;

export function checkContactName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ClientError('bad-name', `a contact name is 1–64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit: ${JSON.stringify(name)}`);
  }
}

export function parseAddress(text: string): Address {
  try {
    return decodeAddress(text.trim());
  } catch (err) {
    if (err instanceof AddressError) throw new ClientError('bad-address', err.message);
    throw err;
  }
}

/** Whether a stored address still decodes (a version 1 address no longer does). */
export function isReadableAddress(text: string): boolean {
  try {
    decodeAddress(text);
    return true;
  } catch {
    return false;
  }
}

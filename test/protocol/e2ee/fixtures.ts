// Shared fixtures for the e2ee tests: seeded identities and addresses.
// (Not a *.test.ts file, so mocha does not run it.)

import { deterministicRandom } from '../../helpers/drbg.js';
import { addressOf, type Address } from '../../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';

export interface User {
  readonly identity: Identity;
  readonly address: Address;
}

/** A user with seeded keys and gateway/mailbox ids filled with `tag` and `tag + 1`. */
export function seededUser(seed: string, tag = 0x10): User {
  const identity = generateIdentity(deterministicRandom(seed));
  return { identity, address: addressOf(identity, new Uint8Array(32).fill(tag), new Uint8Array(32).fill(tag + 1)) };
}

export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    const code = (err as { code?: unknown; reason?: unknown }).code ?? (err as { reason?: unknown }).reason;
    if (typeof code === 'string') return code;
    throw err;
  }
  throw new Error('expected an error, got none');
}

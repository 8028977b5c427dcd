// The `[[authorities]]` tables of `chaff node` and `chaff client`
// configurations: the directory authorities to fetch documents from.

import { ConfigError, type TomlReader } from './typed-reader.js';

const HEX32 = /^[0-9a-f]{64}$/i;

export interface AuthorityEntry {
  name: string;
  /** Hex Ed25519 identity public key (32 bytes). */
  identity: string;
  addresses: string[];
}

/** The `[[authorities]]` tables: at least one, each identity once. */
export function readAuthorities(root: TomlReader): AuthorityEntry[] {
  const authorities = root.tables('authorities').map((a) => {
    a.only('name', 'identity', 'addresses');
    const identity = a.string('identity');
    if (!HEX32.test(identity)) {
      throw new ConfigError(a.field('identity'), 'must be 64 hex characters (an Ed25519 public key)', 'copy it from `chaff node identity` on that authority');
    }
    return { name: a.string('name'), identity: identity.toLowerCase(), addresses: a.strings('addresses') };
  });
  if (authorities.length === 0) {
    throw new ConfigError('authorities', 'no directory authority is configured', 'add one [[authorities]] table per authority (name, identity, addresses)');
  }
  const identities = new Set(authorities.map((a) => a.identity));
  if (identities.size !== authorities.length) {
    throw new ConfigError('authorities', 'the same identity appears twice', 'list each authority once');
  }

  return authorities;
}

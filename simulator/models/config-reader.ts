// The simulator reads its TOML with the project's one typed reader
// (protocol/config/typed-reader.ts); only its errors are its own: a
// SimConfigError that names the key (dotted for a nested table, e.g.
// graph.users), the bad value and what is allowed (docs/simulator.md lists
// every key).

import { TomlReader, type ConfigErrorFactory, type Table } from '../../protocol/config/typed-reader.js';

export class SimConfigError extends Error {
  readonly key: string;
  constructor(key: string, value: unknown, allowed: string) {
    // JSON would show inf and nan (valid TOML floats) as null.
    const shown = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
    super(`sim config: ${key} = ${shown} is not allowed; ${allowed}`);
    this.name = 'SimConfigError';
    this.key = key;
  }
}

export type ConfigTable = Table;

const simConfigError: ConfigErrorFactory = (p) => new SimConfigError(p.field, p.value, p.expected);

/** A reader of `table` (whose dotted name is `path`) that throws SimConfigError. */
export function simConfigReader(table: ConfigTable, path = ''): TomlReader {
  return new TomlReader(table, path, simConfigError);
}

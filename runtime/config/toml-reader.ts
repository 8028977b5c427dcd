// Reading TOML configuration with errors that name the field, what was wrong
// and how to fix it (shared by `chaff node` and `chaff client`). Unknown
// keys are errors too, so a typo is not silently ignored.

export class ConfigError extends Error {
  readonly field: string;
  constructor(field: string, problem: string, fix: string) {
    super(`config: ${field}: ${problem}. Fix: ${fix}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

export type Table = Record<string, unknown>;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "250ms", "5s", "20m", "2h", "14d" into milliseconds. */
export function parseDuration(value: string): number | null {
  const m = DURATION.exec(value.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]]) : null;
}

export class TomlReader {
  constructor(
    private readonly table: Table,
    private readonly path: string,
  ) {}

  /** The dotted name of `key` in this table, for error messages. */
  field(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.table[key] !== undefined;
  }

  sub(key: string): TomlReader {
    const value = this.table[key] ?? {};
    if (typeof value !== 'object' || Array.isArray(value) || value === null) {
      throw new ConfigError(this.field(key), 'must be a table', `write it as [${this.field(key)}]`);
    }
    return new TomlReader(value as Table, this.field(key));
  }

  only(...keys: string[]): void {
    for (const key of Object.keys(this.table)) {
      if (!keys.includes(key)) {
        throw new ConfigError(this.field(key), 'unknown key', `remove it, or use one of: ${keys.join(', ')}`);
      }
    }
  }

  string(key: string, fallback?: string): string {
    const value = this.table[key] ?? fallback;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new ConfigError(this.field(key), value === undefined ? 'missing' : 'must be a non-empty string', `set ${this.field(key)} = "…"`);
    }
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const value = this.string(key, fallback);
    if (!allowed.includes(value as T)) {
      throw new ConfigError(this.field(key), `"${value}" is not allowed`, `use one of: ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
    return value as T;
  }

  strings(key: string, fallback?: string[]): string[] {
    const value = this.table[key] ?? fallback;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
      throw new ConfigError(this.field(key), value === undefined ? 'missing' : 'must be a list of strings', `set ${this.field(key)} = ["…"]`);
    }
    return value as string[];
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.table[key] ?? fallback;
    if (typeof value !== 'boolean') throw new ConfigError(this.field(key), `${JSON.stringify(value)} is not true or false`, `set ${this.field(key)} = true or false (no quotes)`);
    return value;
  }

  number(key: string, fallback: number, min: number, max: number, integer = false): number {
    const value = this.table[key] ?? fallback;
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
    if (!ok) {
      throw new ConfigError(this.field(key), `${JSON.stringify(value)} is out of range`, `use ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
    return value as number;
  }

  duration(key: string, fallback: string, minMs: number, maxMs: number): number {
    const value = this.table[key] ?? fallback;
    const ms = typeof value === 'string' ? parseDuration(value) : null;
    if (ms === null || ms < minMs || ms > maxMs) {
      throw new ConfigError(this.field(key), `${JSON.stringify(value)} is not a duration from ${minMs} ms to ${maxMs} ms`, 'write it like "500ms", "30s", "20m", "2h" or "14d"');
    }
    return ms;
  }

  tables(key: string): TomlReader[] {
    const value = this.table[key] ?? [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) {
      throw new ConfigError(this.field(key), 'must be a list of tables', `write each entry as [[${this.field(key)}]]`);
    }
    return (value as Table[]).map((t, i) => new TomlReader(t, `${this.field(key)}[${i}]`));
  }
}

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

// The one typed reader of configuration tables (parsed TOML: `chaff node`,
// `chaff client` and `chaff sim`). Every getter checks the value's type and
// range and names the field, the value and the fix; unknown keys are errors
// too, so a typo is never silently ignored. Pure: it reads values smol-toml
// has already parsed, never a file.
//
// Arguments go key, then fallback, then the constraints (oneOf keeps the
// allowed list before its optional fallback). How a problem becomes an error
// is the caller's: the default is a ConfigError ("config: field: problem.
// Fix: …", for operators); the simulator passes its SimConfigError.

export type Table = Record<string, unknown>;

/** One refused value: where, what was found (undefined: missing), what was wrong and how to fix it. */
export interface ConfigProblem {
  /** Dotted name of the field, e.g. "gateway.fetch_batch" or "graph.users". */
  readonly field: string;
  readonly value: unknown;
  /** What is wrong, as a clause ("missing", "5 is out of range"). */
  readonly problem: string;
  /** What is allowed, as a clause ("expected a whole number from 1 to 16"). */
  readonly expected: string;
  /** How to write it instead ("set hops = 5"). */
  readonly fix: string;
}

/** Turns a problem into the error the reader throws. */
export type ConfigErrorFactory = (problem: ConfigProblem) => Error;

export class ConfigError extends Error {
  readonly field: string;
  constructor(field: string, problem: string, fix: string) {
    super(`config: ${field}: ${problem}. Fix: ${fix}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

/** The default: a ConfigError naming the field, the problem and the fix. */
export const configError: ConfigErrorFactory = (p) => new ConfigError(p.field, p.problem, p.fix);

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "250ms", "5s", "20m", "2h", "14d" into milliseconds. */
export function parseDuration(value: string): number | null {
  const m = DURATION.exec(value.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]]) : null;
}

/** Options of `number`: whole numbers only, strictly above `min`, a unit for the message. */
export interface NumberOptions {
  readonly integer?: boolean;
  readonly above?: boolean;
  readonly unit?: string;
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

const quoted = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(', ');

export class TomlReader {
  readonly #table: Table;
  readonly #path: string;
  readonly #error: ConfigErrorFactory;

  /** Reads `table`, whose dotted name is `path` ("" at the top level). */
  constructor(table: Table, path: string, error: ConfigErrorFactory = configError) {
    this.#table = table;
    this.#path = path;
    this.#error = error;
  }

  /** The dotted name of `key` in this table, for error messages. */
  field(key: string): string {
    return this.#path ? `${this.#path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.#table[key] !== undefined;
  }

  /** The raw value of `key` (undefined when absent), for checks no getter covers. */
  value(key: string): unknown {
    return this.#table[key];
  }

  /** Throws this reader's error for `key`. */
  fail(key: string, value: unknown, problem: string, expected: string, fix: string): never {
    throw this.#error({ field: this.field(key), value, problem, expected, fix });
  }

  /** A sub-table (an empty one when absent). */
  sub(key: string): TomlReader {
    const value = this.#table[key] ?? {};
    if (!isTable(value)) this.fail(key, value, 'must be a table', `expected a table ([${this.field(key)}])`, `write it as [${this.field(key)}]`);
    return new TomlReader(value, this.field(key), this.#error);
  }

  /** Refuses any key not in `keys`. */
  only(...keys: string[]): void {
    for (const key of Object.keys(this.#table)) {
      if (!keys.includes(key)) this.fail(key, this.#table[key], 'unknown key', `unknown key; allowed keys: ${keys.join(', ')}`, `remove it, or use one of: ${keys.join(', ')}`);
    }
  }

  string(key: string, fallback?: string): string {
    const value = this.#table[key] ?? fallback;
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(key, value, value === undefined ? 'missing' : 'must be a non-empty string', 'expected a non-empty string', `set ${this.field(key)} = "…"`);
    }
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const value = this.#table[key] ?? fallback;
    if (typeof value === 'string' && allowed.includes(value as T)) return value as T;
    const expected = `allowed: ${quoted(allowed)}`;
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(key, value, value === undefined ? 'missing' : 'must be a non-empty string', expected, `set ${this.field(key)} = "…"`);
    }
    return this.fail(key, value, `"${value}" is not allowed`, expected, `use one of: ${quoted(allowed)}`);
  }

  strings(key: string, fallback?: string[]): string[] {
    const value = this.#table[key] ?? fallback;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
      this.fail(key, value, value === undefined ? 'missing' : 'must be a list of strings', 'expected a list of non-empty strings', `set ${this.field(key)} = ["…"]`);
    }
    return value as string[];
  }

  /** A non-empty list of distinct values, each one of `allowed`. */
  subset<T extends string>(key: string, allowed: readonly T[], fallback: readonly T[]): T[] {
    const value = this.#table[key] ?? fallback;
    const ok = Array.isArray(value) && value.length > 0 && value.every((v, i) => allowed.includes(v as T) && value.indexOf(v) === i);
    if (!ok) {
      const expected = `expected a non-empty list of distinct values from ${quoted(allowed)}`;
      this.fail(key, value, `${JSON.stringify(value)} is not allowed`, expected, `set ${this.field(key)} = [${quoted(allowed)}] or fewer of them`);
    }
    return [...(value as T[])];
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.#table[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(key, value, `${JSON.stringify(value)} is not true or false`, 'expected true or false', `set ${this.field(key)} = true or false (no quotes)`);
    return value;
  }

  /**
   * A finite number in [min, max] ((min, max] with `above`). `options` is
   * `true` for whole numbers only (the same as `{ integer: true }`).
   */
  number(key: string, fallback: number | undefined, min: number, max: number, options: boolean | NumberOptions = {}): number {
    const { integer = false, above = false, unit } = typeof options === 'boolean' ? { integer: options } : options;
    const value = this.#table[key] ?? fallback;
    const ok = typeof value === 'number' && Number.isFinite(value) && (above ? value > min : value >= min) && value <= max && (!integer || Number.isInteger(value));
    if (!ok) {
      const range = `${above ? 'above' : 'from'} ${min} ${above ? 'and at most' : 'to'} ${max}`;
      const kind = integer ? 'a whole number' : 'a number';
      this.fail(key, value, `${JSON.stringify(value)} is out of range`, `expected ${kind} ${range}${unit ? ` (${unit})` : ''}`, `use ${kind} ${range}`);
    }
    return value as number;
  }

  /** A whole number in [min, max]. */
  integer(key: string, fallback: number | undefined, min: number, max: number): number {
    return this.number(key, fallback, min, max, { integer: true });
  }

  /** A list of whole numbers, each in [min, max], with at least `minLength` entries. */
  integers(key: string, fallback: readonly number[] | undefined, min: number, max: number, minLength = 1): number[] {
    const value = this.#table[key] ?? fallback;
    const ok = Array.isArray(value) && value.length >= minLength && value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
    if (!ok) {
      const expected = `a list of at least ${minLength} whole numbers from ${min} to ${max}`;
      this.fail(key, value, `${JSON.stringify(value)} is not ${expected}`, `expected ${expected}`, `set ${this.field(key)} = [${min}, …]`);
    }
    return [...(value as number[])];
  }

  duration(key: string, fallback: string, minMs: number, maxMs: number): number {
    const value = this.#table[key] ?? fallback;
    const ms = typeof value === 'string' ? parseDuration(value) : null;
    if (ms === null || ms < minMs || ms > maxMs) {
      const expected = `a duration from ${minMs} ms to ${maxMs} ms`;
      this.fail(key, value, `${JSON.stringify(value)} is not ${expected}`, `expected ${expected}`, 'write it like "500ms", "30s", "20m", "2h" or "14d"');
    }
    return ms;
  }

  tables(key: string): TomlReader[] {
    const value = this.#table[key] ?? [];
    if (!Array.isArray(value) || value.some((v) => !isTable(v))) {
      this.fail(key, value, 'must be a list of tables', 'expected a list of tables', `write each entry as [[${this.field(key)}]]`);
    }
    return (value as Table[]).map((t, i) => new TomlReader(t, `${this.field(key)}[${i}]`, this.#error));
  }
}
